using System.Buffers;

namespace IExecChain.Rpc;

/// <summary>
/// The RPC server's own buffer pool: request bodies, WebSocket messages and responses under
/// construction. It keeps at most <see cref="MaxArraysPerBucket"/> arrays per size up to
/// <see cref="MaxPooledArrayBytes"/>, so what it holds after a burst is bounded (about 4 MiB);
/// a larger buffer is allocated and left to the GC.
/// </summary>
/// <remarks>
/// The shared pool keeps up to 8 arrays of every size per core and returns them only under
/// memory pressure or after a minute unused: after an attack of multi-megabyte batches it held
/// hundreds of megabytes that a node never gave back. Large buffers are rare for honest clients,
/// so allocating them is cheaper than keeping them.
/// </remarks>
internal static class RpcBufferPool
{
    public const int MaxPooledArrayBytes = 128 * 1024;
    public const int MaxArraysPerBucket = 16;

    public static ArrayPool<byte> Shared { get; } = ArrayPool<byte>.Create(MaxPooledArrayBytes, MaxArraysPerBucket);
}
