using IExecChain.Core.Content;
using IExecChain.Core.Primitives;
using IExecChain.Worker.Content;

namespace IExecChain.Rpc.Chain;

/// <summary>
/// iex_getChunk serves stored content (apps' code, datasets) chunk by chunk with Merkle proofs, so a
/// worker can verify every chunk against the root recorded on the chain; iex_putContent adds
/// content of up to <see cref="MaxPutBytes"/> bytes to this node's store, signed by its uploader
/// (<see cref="ContentUploadStatement"/>) and charged to that account's quota.
/// </summary>
public sealed class ContentRpcMethods
{
    public const int DefaultMaxPutBytes = 16 * 1024 * 1024;

    private readonly ContentStore _store;
    private readonly ContentUploadOptions _uploads;
    private readonly ContentUploadQuota _quota;
    private readonly HashSet<Address> _uploaders;
    private readonly TimeProvider _time;

    /// <summary>What an upload of kind <see cref="WasmAppKind"/> is checked against: the memory of the chain's largest category.</summary>
    public long MaxAppMemoryBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>iex_putContent's optional <c>kind</c>: the content is a WebAssembly app, refused unless workers can run it.</summary>
    public const string WasmAppKind = "wasm-app";

    public ContentRpcMethods(ContentStore store, int maxPutBytes = DefaultMaxPutBytes, ContentUploadOptions? uploads = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        MaxPutBytes = maxPutBytes > 0 ? maxPutBytes : throw new ArgumentOutOfRangeException(nameof(maxPutBytes), maxPutBytes, "must be positive");
        _uploads = uploads ?? new ContentUploadOptions();
        _time = time ?? TimeProvider.System;
        _quota = new ContentUploadQuota(_uploads, _time);
        _uploaders = [.. _uploads.Uploaders];
    }

    public int MaxPutBytes { get; }

    public void RegisterAll(RpcMethodRegistry registry)
    {
        registry.Register("iex_getChunk", (p, _) => ValueTask.FromResult<object?>(GetChunk(p)));
        registry.Register("iex_putContent", (p, _) => ValueTask.FromResult<object?>(PutContent(p)));
    }

    private object GetChunk(RpcParams p)
    {
        string rootText = p.GetString(0, "root");
        if (!Hash256.TryParse(rootText, out var root))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: root '{Shorten(rootText)}' is not a 32-byte 0x-hex hash");
        ulong index = p.GetUInt64(1, "index");
        ContentInfo? stored;
        ContentChunk? chunk = null;
        try
        {
            stored = _store.TryGetInfo(root);
            if (stored is { } known && index < (ulong)known.ChunkCount && !_store.TryGetChunk(root, (long)index, out chunk)) stored = null;
        }
        catch (ContentNotServedException ex)
        {
            throw new RpcException(RpcErrorCodes.NotFound, ex.Message);
        }
        var info = stored ?? throw new RpcException(RpcErrorCodes.NotFound, $"content {root} is not stored on this node");
        if (index >= (ulong)info.ChunkCount)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: index {index} is past the last chunk; content {root} has {info.ChunkCount} chunk(s)");
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
        // Cheapest checks first: an unsigned or oversized upload costs no decoding and no hashing.
        string hex = p.GetString(0, "data");
        int prefix = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? 2 : 0;
        long length = (hex.Length - prefix) / 2;
        if (length > MaxPutBytes)
            throw new RpcException(RpcErrorCodes.ResourceLimit, $"content of {length} bytes exceeds the iex_putContent limit of {MaxPutBytes} bytes");
        ulong chunkSize = p.GetOptionalUInt64(1, "chunkSize") ?? ContentMerkle.DefaultChunkSize;
        if (ContentStore.ChunkingProblem(length, chunkSize > int.MaxValue ? long.MaxValue : (long)chunkSize) is { } chunking)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: {chunking}");
        string? claimed = p.GetOptionalString(2, "uploader");
        ulong? expiry = p.GetOptionalUInt64(3, "expiresAt");
        if (claimed is null || expiry is null || p.Get(4, "signature") is null)
            throw new RpcException(RpcErrorCodes.InvalidParams, "invalid params: uploader, expiresAt (Unix seconds) and signature are required: the uploader signs keccak256(\"iExecChain content upload v1\" ‖ root ‖ uint64 size ‖ uint64 expiresAt), see docs/content.md");
        if (!Address.TryParse(claimed, out Address claimedUploader))
            throw new RpcException(RpcErrorCodes.InvalidParams, "invalid params: uploader must be a 20-byte 0x-hex address");
        if (_uploaders.Count > 0 && !_uploaders.Contains(claimedUploader))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: {claimedUploader} is not allowed to upload content to this node");
        ulong expiresAt = expiry.Value;
        CheckExpiry(expiresAt);
        string signatureHex = p.GetString(4, "signature");
        if (!Hex.TryDecode(signatureHex, out var signature, out _) || signature.Length != 65)
            throw new RpcException(RpcErrorCodes.InvalidParams, "invalid params: signature must be 65 bytes of 0x-hex (r ‖ s ‖ v)");
        string? kind = p.GetOptionalString(5, "kind");
        if (kind is not null and not WasmAppKind)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: kind '{Shorten(kind)}' is not known (omit it for any content, or \"{WasmAppKind}\")");
        if (!Hex.TryDecode(hex, out var bytes, out var error))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: data is not 0x-hex ({error})");

        var builder = new ContentRootBuilder((int)chunkSize);
        builder.Append(bytes);
        ContentInfo info = builder.Finish();
        // The claimed address tells a forged or mismatched signature (it recovers to some random
        // account) from a real one, and lets the allow-list refuse before any hashing.
        if (!ContentUploadStatement.TryRecoverUploader(info.Root, info.Size, expiresAt, signature, out Address uploader) || uploader != claimedUploader)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: signature is not {claimedUploader}'s signature of the upload statement for root {info.Root}, size {info.Size}, expiresAt {expiresAt}");

        // Validated only once the uploader is known: an anonymous caller cannot make the node do the work.
        if (kind == WasmAppKind && Worker.Wasm.WasmAppValidator.Problem(bytes, MaxAppMemoryBytes) is { } problem)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: the content cannot run as an app: {problem}; nothing was stored");

        // Content already here costs nothing more, so a replayed statement stores and charges nothing.
        if (!_store.Has(info.Root))
        {
            if (_quota.TryCharge(uploader, info.Size) is { } refusal) throw new RpcException(RpcErrorCodes.ResourceLimit, refusal);
            _store.Put(bytes, (int)chunkSize);
        }
        return new
        {
            root = info.Root.ToString(),
            size = RpcFormat.Quantity((ulong)info.Size),
            chunkSize = RpcFormat.Quantity((ulong)info.ChunkSize),
            uploader = uploader.ToString(),
        };
    }

    private void CheckExpiry(ulong expiresAt)
    {
        long now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (expiresAt <= (ulong)now)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: the upload statement expired at {expiresAt} (now {now}); sign a new one");
        ulong latest = (ulong)now + (ulong)_uploads.MaxValidity.TotalSeconds;
        if (expiresAt > latest)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: expiresAt {expiresAt} is more than {_uploads.MaxValidity.TotalSeconds:0} s ahead (latest {latest})");
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "..." : text;
}
