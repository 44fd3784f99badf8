using IExecChain.Core.Content;
using IExecChain.Core.Primitives;
using IExecChain.Worker.Content;

namespace IExecChain.Rpc.Chain;

/// <summary>
/// iex_getChunk serves stored content (apps' code, datasets) chunk by chunk with Merkle proofs, so a
/// worker can verify every chunk against the root recorded on the chain; iex_putContent adds
/// content of up to <see cref="MaxPutBytes"/> bytes to this node's store.
/// </summary>
public sealed class ContentRpcMethods(ContentStore store, int maxPutBytes = ContentRpcMethods.DefaultMaxPutBytes)
{
    public const int DefaultMaxPutBytes = 16 * 1024 * 1024;

    public int MaxPutBytes { get; } = maxPutBytes > 0 ? maxPutBytes : throw new ArgumentOutOfRangeException(nameof(maxPutBytes), maxPutBytes, "must be positive");

    public void RegisterAll(RpcMethodRegistry registry)
    {
        registry.Register("iex_getChunk", (p, _) => ValueTask.FromResult<object?>(GetChunk(p)));
        registry.Register("iex_putContent", (p, _) => ValueTask.FromResult<object?>(PutContent(p)));
    }

    private object GetChunk(RpcParams p)
    {
        string rootText = p.GetString(0, "root");
        if (!Hash256.TryParse(rootText, out var root))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: root '{rootText}' is not a 32-byte 0x-hex hash");
        ulong index = p.GetUInt64(1, "index");
        var info = store.TryGetInfo(root)
            ?? throw new RpcException(RpcErrorCodes.NotFound, $"content {root} is not stored on this node");
        if (index >= (ulong)info.ChunkCount)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: index {index} is past the last chunk; content {root} has {info.ChunkCount} chunk(s)");
        if (!store.TryGetChunk(root, (long)index, out var chunk))
            throw new RpcException(RpcErrorCodes.NotFound, $"content {root} is not stored on this node");
        var proof = new string[chunk!.Proof.Length];
        for (int i = 0; i < proof.Length; i++) proof[i] = chunk.Proof[i].ToString();
        return new
        {
            root = root.ToString(),
            size = RpcFormat.Quantity((ulong)info.Size),
            chunkSize = RpcFormat.Quantity((ulong)info.ChunkSize),
            index = RpcFormat.Quantity(index),
            data = RpcFormat.Bytes(chunk.Data),
            proof,
        };
    }

    private object PutContent(RpcParams p)
    {
        string hex = p.GetString(0, "data");
        int prefix = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? 2 : 0;
        long length = (hex.Length - prefix) / 2;
        if (length > MaxPutBytes)
            throw new RpcException(RpcErrorCodes.ResourceLimit, $"content of {length} bytes exceeds the iex_putContent limit of {MaxPutBytes} bytes");
        if (!Hex.TryDecode(hex, out var bytes, out var error))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: data is not 0x-hex ({error})");
        ulong chunkSize = p.GetOptionalUInt64(1, "chunkSize") ?? ContentMerkle.DefaultChunkSize;
        if (chunkSize is < 1 or > ContentMerkle.MaxChunkSize)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: chunkSize must be 1..{ContentMerkle.MaxChunkSize}");
        var info = store.Put(bytes, (int)chunkSize);
        return new
        {
            root = info.Root.ToString(),
            size = RpcFormat.Quantity((ulong)info.Size),
            chunkSize = RpcFormat.Quantity((ulong)info.ChunkSize),
        };
    }
}
