using IExecChain.Core.Content;
using IExecChain.Core.Primitives;

namespace IExecChain.Rpc.Contracts.Serving;

/// <summary>Stored content this node refuses to serve (its chunking is outside <see cref="ContentChunking"/>'s bounds).</summary>
public sealed class ContentNotServedException(string message) : Exception(message);

/// <summary>One chunk of a stored content with what a receiver needs to verify it.</summary>
public sealed record ContentChunk(ContentInfo Content, long Index, byte[] Data, Hash256[] Proof);

/// <summary>What iex_getChunk serves from: a node's content store, or a provider's own files (`iexchain content serve`).</summary>
public interface IContentSource
{
    /// <summary>The content's size and chunk size, or null when it is not held here; throws <see cref="ContentNotServedException"/> for content held but not served.</summary>
    ContentInfo? TryGetInfo(Hash256 root);

    /// <summary>Chunk <paramref name="index"/> with its proof; false when the content is not held here. An index past the last chunk throws.</summary>
    bool TryGetChunk(Hash256 root, long index, out ContentChunk? chunk);
}
