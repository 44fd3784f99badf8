using IExecChain.Core.Content;
using IExecChain.Core.Primitives;

namespace IExecChain.Rpc.Contracts.Serving;

/// <summary>
/// What iex_putContent and the chunked uploads (iex_beginUpload, iex_putChunk) store into: a
/// content source that also takes content whole, or adopts a finished upload file in place.
/// </summary>
public interface IContentStore : IContentSource
{
    /// <summary>The store's directory; an upload's partial file is kept under it, on the same file system, so <see cref="Adopt"/> renames it.</summary>
    string Directory { get; }

    bool Has(Hash256 root);

    ContentInfo Put(ReadOnlySpan<byte> content, int chunkSize = ContentMerkle.DefaultChunkSize);

    /// <summary>
    /// Moves <paramref name="path"/> into the store as <paramref name="expected"/> after hashing it
    /// whole; a file that does not hash to the expected root is left where it is and refused
    /// (<see cref="InvalidDataException"/>).
    /// </summary>
    ContentInfo Adopt(string path, ContentInfo expected);
}
