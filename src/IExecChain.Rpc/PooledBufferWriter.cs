using System.Buffers;

namespace IExecChain.Rpc;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="RpcBufferPool"/>. With a
/// limit it refuses to grow past it (<see cref="BufferLimitExceededException"/>), so an
/// oversized result costs at most the limit in memory before it is turned into an error.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private readonly long _limit;
    private byte[] _buffer;
    private int _written;

    public PooledBufferWriter(int initialCapacity, long limit = long.MaxValue)
    {
        _limit = limit;
        _buffer = RpcBufferPool.Shared.Rent(initialCapacity);
    }

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public int WrittenCount => _written;

    public void Clear() => _written = 0;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > _buffer.Length) throw new InvalidOperationException("advanced past the end of the buffer");
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Reserve(int sizeHint)
    {
        long needed = (long)_written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length) return;
        // Utf8JsonWriter asks for more than it writes; only what is really written must stay under
        // the limit, so the request is capped at limit + a little, and refused beyond it.
        if (_written > _limit) throw new BufferLimitExceededException(_limit);
        long size = Math.Min(Math.Max(needed, (long)_buffer.Length * 2), Math.Max(needed, _limit > Array.MaxLength ? Array.MaxLength : _limit + 4096));
        if (size > Array.MaxLength) throw new BufferLimitExceededException(_limit);
        byte[] larger = RpcBufferPool.Shared.Rent((int)size);
        _buffer.AsSpan(0, _written).CopyTo(larger);
        RpcBufferPool.Shared.Return(_buffer);
        _buffer = larger;
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0) RpcBufferPool.Shared.Return(buffer);
    }
}

/// <summary>A response grew past its byte budget while it was being written.</summary>
internal sealed class BufferLimitExceededException(long limit)
    : Exception($"output exceeds {limit} bytes")
{
    public long Limit { get; } = limit;
}
