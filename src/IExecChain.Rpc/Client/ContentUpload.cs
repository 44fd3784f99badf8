using IExecChain.Core.Content;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Rpc.Client;

/// <summary>Builds signed iex_putContent parameters, for the CLI, the devnet and tests alike.</summary>
public static class ContentUpload
{
    /// <summary>How long a statement made here stays valid: long enough for a slow upload, well inside the node's limit.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromMinutes(10);

    /// <summary>Positional params: data, chunkSize, uploader, expiresAt, signature, and <paramref name="kind"/> when given ("wasm-app": the node refuses a module workers cannot run).</summary>
    public static object?[] Params(PrivateKey uploader, ReadOnlySpan<byte> content, int chunkSize = ContentMerkle.DefaultChunkSize, DateTimeOffset? now = null, string? kind = null)
    {
        ArgumentNullException.ThrowIfNull(uploader);
        Hash256 root = ContentMerkle.ComputeRoot(content, chunkSize);
        ulong expiresAt = (ulong)(now ?? DateTimeOffset.UtcNow).Add(Validity).ToUnixTimeSeconds();
        byte[] signature = ContentUploadStatement.Sign(uploader, root, content.Length, expiresAt);
        object?[] parameters = [Hex.Encode(content), chunkSize, uploader.Address.ToString(), RpcQuantity(expiresAt), Hex.Encode(signature)];
        return kind is null ? parameters : [.. parameters, kind];
    }

    private static string RpcQuantity(ulong value) => "0x" + value.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
}
