using System.Text.Json;
using IExecChain.Core.Content;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc.Contracts.Serving;

namespace IExecChain.Rpc.Chain;

/// <summary>Why <paramref name="module"/> cannot run as an app on the workers, or null when it can (the worker's WasmAppValidator.Problem).</summary>
/// <param name="maxMemoryBytes">The largest category's memory: a module needing more at start can never run.</param>
public delegate string? AppModuleCheck(ReadOnlySpan<byte> module, long maxMemoryBytes);

/// <summary>
/// iex_getChunk serves stored content (apps' code, datasets) chunk by chunk with Merkle proofs, so a
/// worker can verify every chunk against the root recorded on the chain; iex_putContent adds
/// content of up to <see cref="MaxPutBytes"/> bytes to this node's store in one request, and
/// iex_beginUpload with iex_putChunk adds content up to <see cref="ContentUploadOptions.MaxContentBytes"/>
/// chunk by chunk, resumably (<see cref="ContentUploadSessions"/>). Both are signed by the uploader
/// (<see cref="ContentUploadStatement"/>) and charged to that account's quota.
/// </summary>
public sealed class ContentRpcMethods
{
    public const int DefaultMaxPutBytes = 16 * 1024 * 1024;

    private readonly IContentStore _store;
    private readonly ContentUploadOptions _uploads;
    private readonly ContentUploadQuota _quota;
    private readonly HashSet<Address> _uploaders;
    private readonly TimeProvider _time;
    private readonly ContentUploadSessions _sessions;

    /// <summary>What an upload of kind <see cref="WasmAppKind"/> is checked against: the memory of the chain's largest category.</summary>
    public long MaxAppMemoryBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>
    /// The check behind kind <see cref="WasmAppKind"/>. It is the workers' (Wasmtime's) and is passed
    /// in, so the RPC server does not carry the runtime; without it, uploads of that kind are refused.
    /// </summary>
    public AppModuleCheck? CheckApp { get; init; }

    /// <summary>iex_putContent's optional <c>kind</c>: the content is a WebAssembly app, refused unless workers can run it.</summary>
    public const string WasmAppKind = "wasm-app";

    public ContentRpcMethods(IContentStore store, int maxPutBytes = DefaultMaxPutBytes, ContentUploadOptions? uploads = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        MaxPutBytes = maxPutBytes > 0 ? maxPutBytes : throw new ArgumentOutOfRangeException(nameof(maxPutBytes), maxPutBytes, "must be positive");
        _uploads = uploads ?? new ContentUploadOptions();
        _time = time ?? TimeProvider.System;
        _quota = new ContentUploadQuota(_uploads, _time);
        _uploaders = [.. _uploads.Uploaders];
        _sessions = new ContentUploadSessions(store, _time);
    }

    public int MaxPutBytes { get; }

    public void RegisterAll(RpcMethodRegistry registry)
    {
        RegisterGetChunk(registry, _store);
        registry.Register("iex_putContent", (p, _) => ValueTask.FromResult<object?>(PutContent(p)));
        registry.Register("iex_beginUpload", (p, _) => ValueTask.FromResult<object?>(BeginUpload(p)));
        registry.Register("iex_putChunk", (p, _) => ValueTask.FromResult<object?>(PutChunk(p)));
    }

    /// <summary>iex_getChunk alone, serving <paramref name="source"/> (`iexchain content serve` registers nothing else).</summary>
    public static void RegisterGetChunk(RpcMethodRegistry registry, IContentSource source)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(source);
        registry.Register("iex_getChunk", (p, _) => ValueTask.FromResult<object?>(GetChunk(source, p)));
    }

    private static ChunkResult GetChunk(IContentSource source, RpcParams p)
    {
        string rootText = p.GetString(0, "root");
        if (!Hash256.TryParse(rootText, out var root))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: root '{Shorten(rootText)}' is not a 32-byte 0x-hex hash");
        ulong index = p.GetUInt64(1, "index");
        ContentInfo? stored;
        ContentChunk? chunk = null;
        try
        {
            stored = source.TryGetInfo(root);
            if (stored is { } known && index < (ulong)known.ChunkCount && !source.TryGetChunk(root, (long)index, out chunk)) stored = null;
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
        return new ChunkResult(root.ToString(), new Quantity((ulong)info.Size), new Quantity((ulong)info.ChunkSize), new Quantity(index), RpcFormat.Bytes(chunk.Data), proof);
    }

    private StoredContentResult PutContent(RpcParams p)
    {
        // Cheapest checks first: an unsigned or oversized upload costs no decoding and no hashing.
        string hex = p.GetString(0, "data");
        int prefix = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? 2 : 0;
        long length = (hex.Length - prefix) / 2;
        if (length > MaxPutBytes)
            throw new RpcException(RpcErrorCodes.ResourceLimit, $"content of {length} bytes exceeds the iex_putContent limit of {MaxPutBytes} bytes; upload larger content in chunks (iex_beginUpload, iex_putChunk)");
        if (length > _uploads.MaxContentBytes)
            throw new RpcException(RpcErrorCodes.ResourceLimit, $"content of {length} bytes exceeds this node's upload limit of {_uploads.MaxContentBytes} bytes");
        ulong chunkSize = p.GetOptionalUInt64(1, "chunkSize") ?? ContentMerkle.DefaultChunkSize;
        if (ContentChunking.Problem(length, chunkSize > int.MaxValue ? long.MaxValue : (long)chunkSize) is { } chunking)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: {chunking}");
        var statement = ReadStatement(p, 2);
        string? kind = ReadKind(p, 5);
        if (!Hex.TryDecode(hex, out var bytes, out var error))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: data is not 0x-hex ({error})");

        var builder = new ContentRootBuilder((int)chunkSize);
        builder.Append(bytes);
        ContentInfo info = builder.Finish();
        Address uploader = Authenticate(statement, info);

        // Validated only once the uploader is known: an anonymous caller cannot make the node do the work.
        if (kind == WasmAppKind && CheckApp?.Invoke(bytes, MaxAppMemoryBytes) is { } problem)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: the content cannot run as an app: {problem}; nothing was stored");

        // Content already here costs nothing more, so a replayed statement stores and charges nothing.
        if (!_store.Has(info.Root))
        {
            if (_quota.TryCharge(uploader, info.Size) is { } refusal) throw new RpcException(RpcErrorCodes.ResourceLimit, refusal);
            _store.Put(bytes, (int)chunkSize);
        }
        return new StoredContentResult(info.Root.ToString(), new Quantity((ulong)info.Size), new Quantity((ulong)info.ChunkSize), uploader.ToString());
    }

    /// <summary>
    /// iex_beginUpload(root, size, chunkSize, uploader, expiresAt, signature, kind?): opens (or
    /// resumes) a chunked upload of content up to <see cref="ContentUploadOptions.MaxContentBytes"/>;
    /// the quota is charged once, when the upload opens. Answers which chunks are still missing.
    /// </summary>
    private object BeginUpload(RpcParams p)
    {
        string rootText = p.GetString(0, "root");
        if (!Hash256.TryParse(rootText, out var root))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: root '{Shorten(rootText)}' is not a 32-byte 0x-hex hash");
        ulong size = p.GetUInt64(1, "size");
        ulong chunkSize = p.GetOptionalUInt64(2, "chunkSize") ?? ContentMerkle.DefaultChunkSize;
        if (size > (ulong)_uploads.MaxContentBytes)
            throw new RpcException(RpcErrorCodes.ResourceLimit, $"content of {size} bytes exceeds this node's upload limit of {_uploads.MaxContentBytes} bytes");
        if (ContentChunking.Problem((long)size, chunkSize > int.MaxValue ? long.MaxValue : (long)chunkSize) is { } chunking)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: {chunking}");
        var statement = ReadStatement(p, 3);
        string? kind = ReadKind(p, 6);
        var content = new ContentInfo(root, (long)size, (int)chunkSize);
        Address uploader = Authenticate(statement, content);

        if (!_store.Has(root) && !_sessions.IsOpen(root) && _quota.TryCharge(uploader, content.Size) is { } refusal)
            throw new RpcException(RpcErrorCodes.ResourceLimit, refusal);
        try
        {
            return Answer(_sessions.Begin(content, uploader, statement.ExpiresAt, kind));
        }
        catch (ContentUploadException ex)
        {
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: {ex.Message}");
        }
    }

    /// <summary>
    /// iex_putChunk(root, index, data, proof): one chunk of an open upload with its Merkle proof
    /// (as iex_getChunk gives them). Refused unless it hashes to the upload's root; the chunk that
    /// completes the upload stores the content, after the kind's check.
    /// </summary>
    private object PutChunk(RpcParams p)
    {
        string rootText = p.GetString(0, "root");
        if (!Hash256.TryParse(rootText, out var root))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: root '{Shorten(rootText)}' is not a 32-byte 0x-hex hash");
        ulong index = p.GetUInt64(1, "index");
        string hex = p.GetString(2, "data");
        if ((hex.Length - 2) / 2 > ContentChunking.MaxChunkSize)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: a chunk is at most {ContentChunking.MaxChunkSize} bytes");
        if (!Hex.TryDecode(hex, out var data, out var error))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: data is not 0x-hex ({error})");
        if (p.Get(3, "proof") is not { ValueKind: JsonValueKind.Array } proofJson || proofJson.GetArrayLength() > 64)
            throw new RpcException(RpcErrorCodes.InvalidParams, "invalid params: proof must be an array of at most 64 32-byte 0x-hex hashes (the chunk's siblings from the leaf up)");
        var proof = new Hash256[proofJson.GetArrayLength()];
        int i = 0;
        foreach (var element in proofJson.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.String || !Hash256.TryParse(element.GetString(), out proof[i]))
                throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: proof[{i}] is not a 32-byte 0x-hex hash");
            i++;
        }
        if (index > long.MaxValue)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: index {index} is out of range");
        try
        {
            return Answer(_sessions.PutChunk(root, (long)index, data, proof, CheckKind));
        }
        catch (ContentUploadException ex)
        {
            throw new RpcException(ex.NotFound ? RpcErrorCodes.NotFound : RpcErrorCodes.InvalidParams, ex.NotFound ? ex.Message : $"invalid params: {ex.Message}");
        }
    }

    private string? CheckKind(string path, string? kind)
    {
        if (kind != WasmAppKind) return null;
        // An upload begun before a restart without the check: refused rather than stored unchecked.
        if (CheckApp is null) return "this node cannot check apps";
        byte[] module = File.ReadAllBytes(path);
        return CheckApp(module, MaxAppMemoryBytes) is { } problem ? $"it cannot run as an app: {problem}" : null;
    }

    private static UploadProgressResult Answer(ContentUploadProgress progress) => new(
        progress.Content.Root.ToString(),
        new Quantity((ulong)progress.Content.Size),
        new Quantity((ulong)progress.Content.ChunkSize),
        new Quantity((ulong)progress.Content.ChunkCount),
        new Quantity((ulong)progress.ReceivedChunks),
        progress.Missing.Select(range => (IReadOnlyList<Quantity>)[new Quantity((ulong)range.First), new Quantity((ulong)range.Count)]).ToArray(),
        progress.Complete,
        new Quantity(progress.ExpiresAt));

    private readonly record struct Statement(Address Claimed, ulong ExpiresAt, byte[] Signature);

    /// <summary>uploader, expiresAt and signature at <paramref name="first"/>..+2, checked for form, the allow-list and expiry (no hashing yet).</summary>
    private Statement ReadStatement(RpcParams p, int first)
    {
        string? claimed = p.GetOptionalString(first, "uploader");
        ulong? expiry = p.GetOptionalUInt64(first + 1, "expiresAt");
        if (claimed is null || expiry is null || p.Get(first + 2, "signature") is null)
            throw new RpcException(RpcErrorCodes.InvalidParams, "invalid params: uploader, expiresAt (Unix seconds) and signature are required: the uploader signs keccak256(\"iExecChain content upload v1\" ‖ root ‖ uint64 size ‖ uint64 expiresAt), see docs/content.md");
        if (!Address.TryParse(claimed, out Address claimedUploader))
            throw new RpcException(RpcErrorCodes.InvalidParams, "invalid params: uploader must be a 20-byte 0x-hex address");
        if (_uploaders.Count > 0 && !_uploaders.Contains(claimedUploader))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: {claimedUploader} is not allowed to upload content to this node");
        CheckExpiry(expiry.Value);
        string signatureHex = p.GetString(first + 2, "signature");
        if (!Hex.TryDecode(signatureHex, out var signature, out _) || signature.Length != 65)
            throw new RpcException(RpcErrorCodes.InvalidParams, "invalid params: signature must be 65 bytes of 0x-hex (r ‖ s ‖ v)");
        return new Statement(claimedUploader, expiry.Value, signature);
    }

    /// <summary>
    /// The account that signed the statement for <paramref name="content"/>. The claimed address tells
    /// a forged or mismatched signature (it recovers to some random account) from a real one, and lets
    /// the allow-list refuse before any hashing.
    /// </summary>
    private static Address Authenticate(Statement statement, ContentInfo content)
    {
        if (!ContentUploadStatement.TryRecoverUploader(content.Root, content.Size, statement.ExpiresAt, statement.Signature, out Address uploader) || uploader != statement.Claimed)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: signature is not {statement.Claimed}'s signature of the upload statement for root {content.Root}, size {content.Size}, expiresAt {statement.ExpiresAt}");
        return uploader;
    }

    private string? ReadKind(RpcParams p, int index)
    {
        string? kind = p.GetOptionalString(index, "kind");
        if (kind is not null and not WasmAppKind)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: kind '{Shorten(kind)}' is not known (omit it for any content, or \"{WasmAppKind}\")");
        if (kind == WasmAppKind && CheckApp is null)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: this node cannot check apps, so it takes no content of kind \"{WasmAppKind}\"");
        return kind;
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
