using System.Buffers;

namespace IExecChain.Worker.Execution;

/// <summary>Collects a stream's bytes up to a cap and remembers whether more arrived. Thread-safe.</summary>
internal sealed class CappedBuffer(int cap)
{
    private readonly Lock _lock = new();
    private readonly ArrayBufferWriter<byte> _bytes = new();

    public bool Overflowed { get; private set; }

    /// <summary>Appends what fits; false once the cap is passed.</summary>
    public bool Write(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            int room = cap - _bytes.WrittenCount;
            if (data.Length > room)
            {
                _bytes.Write(data[..Math.Max(room, 0)]);
                Overflowed = true;
                return false;
            }
            _bytes.Write(data);
            return true;
        }
    }

    public byte[] ToArray()
    {
        lock (_lock) return _bytes.WrittenSpan.ToArray();
    }
}
