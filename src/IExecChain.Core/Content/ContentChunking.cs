namespace IExecChain.Core.Content;

/// <summary>
/// The chunk sizes content may be stored and served in: tighter than the format's
/// <see cref="ContentMerkle.MaxChunkSize"/>, and the same for a node's store, its RPC methods, a
/// provider's own files and the tools that upload to them, so a root one accepts the others serve.
/// </summary>
public static class ContentChunking
{
    /// <summary>
    /// Smallest chunk size accepted, unless the content fits in one chunk. Content cut in 1-byte
    /// chunks cost 9-17 s of CPU to upload and 250-650 MB for its tree (64 bytes per chunk); at
    /// 4 KiB the tree is 1/64 of the content and a chunk's proof pays for its hashing.
    /// </summary>
    public const int MinChunkSize = 4096;

    /// <summary>Largest chunk size accepted: the chain spec's bound, and a chunk with its proof fits one RPC answer.</summary>
    public const int MaxChunkSize = 1024 * 1024;

    /// <summary>
    /// Why content of <paramref name="size"/> bytes may not be stored or served in
    /// <paramref name="chunkSize"/>-byte chunks, or null when it may: the chunk size is
    /// <see cref="MinChunkSize"/>..<see cref="MaxChunkSize"/>, or smaller when the content fits in one chunk.
    /// </summary>
    public static string? Problem(long size, long chunkSize)
    {
        if (chunkSize > MaxChunkSize) return $"chunk size {chunkSize} is over the maximum of {MaxChunkSize} bytes";
        if (chunkSize < 1) return $"chunk size {chunkSize} is not positive";
        if (chunkSize < MinChunkSize && size > chunkSize)
            return $"chunk size {chunkSize} is under the minimum of {MinChunkSize} bytes (allowed only when the content fits in one chunk)";
        return null;
    }
}
