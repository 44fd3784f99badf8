namespace IExecChain.Rpc.Contracts;

/// <summary>iex_getChunk: one chunk of stored content with its Merkle proof (siblings from the leaf up).</summary>
public sealed record ChunkResult(string Root, Quantity Size, Quantity ChunkSize, Quantity Index, string Data, IReadOnlyList<string> Proof);

/// <summary>iex_putContent: what the node stored.</summary>
public sealed record StoredContentResult(string Root, Quantity Size, Quantity ChunkSize, string Uploader);

/// <summary>iex_beginUpload and iex_putChunk: where a chunked upload stands. Each <see cref="Missing"/> entry is [first chunk, count].</summary>
public sealed record UploadProgressResult(
    string Root,
    Quantity Size,
    Quantity ChunkSize,
    Quantity ChunkCount,
    Quantity Received,
    IReadOnlyList<IReadOnlyList<Quantity>> Missing,
    bool Complete,
    Quantity ExpiresAt);
