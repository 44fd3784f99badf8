using IExecChain.Core.Content;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Rpc.Contracts.Client;

/// <summary>Where an upload stands: bytes the node holds (including those it held before this run) of the total.</summary>
public readonly record struct UploadProgress(long HeldBytes, long TotalBytes, long ResumedBytes, TimeSpan Elapsed);

/// <summary>
/// Uploads content to a node, for the CLI, the devnet and tests alike: iex_putContent in one request
/// (small content), or iex_beginUpload and iex_putChunk in batches, resuming whatever the node
/// already holds of an earlier, interrupted upload of the same content.
/// </summary>
public static class ContentUpload
{
    /// <summary>Chunk data sent in one batch request: its hex (twice as large) stays well inside the node's default 8 MiB request limit.</summary>
    public const int BatchBytes = 2 * 1024 * 1024;

    /// <summary>
    /// Uploads the file at <paramref name="path"/> in chunks of <paramref name="chunkSize"/> bytes,
    /// sending only the chunks the node does not hold yet, and returns the stored content.
    /// </summary>
    public static async Task<ContentInfo> UploadFileAsync(JsonRpcClient client, PrivateKey uploader, string path, int chunkSize = ContentMerkle.DefaultChunkSize,
        string? kind = null, IProgress<UploadProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(uploader);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ContentTree tree = await Task.Run(() => ContentTree.FromFile(path, chunkSize), ct).ConfigureAwait(false);
        ulong expiresAt = (ulong)DateTimeOffset.UtcNow.Add(Validity).ToUnixTimeSeconds();
        byte[] signature = ContentUploadStatement.Sign(uploader, tree.Root, tree.Size, expiresAt);
        object?[] begin = [tree.Root.ToString(), RpcQuantity.Format((ulong)tree.Size), chunkSize, uploader.Address.ToString(), RpcQuantity.Format(expiresAt), Hex.Encode(signature)];
        if (kind is not null) begin = [.. begin, kind];

        UploadProgressResult answer = await BeginAsync(client, begin).ConfigureAwait(false);
        long resumed = HeldBytes(answer, tree);
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        // Each pass sends what the node listed as missing; the node lists at most a few hundred ranges at once.
        for (int pass = 0; !answer.Complete; pass++)
        {
            if (pass > 0 && MissingChunks(answer).Count == 0)
                throw new InvalidOperationException($"the node holds every chunk of {tree.Root} but does not report the upload complete");
            var batch = new List<object?[]>();
            long batchBytes = 0;
            foreach (long index in MissingChunks(answer))
            {
                (long offset, int length) = tree.ChunkRange(index);
                byte[] data = new byte[length];
                for (int done = 0; done < length;)
                {
                    int read = RandomAccess.Read(file, data.AsSpan(done), offset + done);
                    done += read > 0 ? read : throw new IOException($"{path} became shorter while it was being uploaded");
                }
                batch.Add([tree.Root.ToString(), index, Hex.Encode(data), tree.Prove(index).Select(h => h.ToString()).ToArray()]);
                batchBytes += length;
                if (batchBytes >= BatchBytes)
                {
                    answer = await SendAsync(client, batch, ct).ConfigureAwait(false);
                    progress?.Report(new UploadProgress(HeldBytes(answer, tree), tree.Size, resumed, clock.Elapsed));
                    batch.Clear();
                    batchBytes = 0;
                }
            }
            if (batch.Count > 0) answer = await SendAsync(client, batch, ct).ConfigureAwait(false);
            if (!answer.Complete) answer = await BeginAsync(client, begin).ConfigureAwait(false);
            progress?.Report(new UploadProgress(HeldBytes(answer, tree), tree.Size, resumed, clock.Elapsed));
        }
        return tree.Info;
    }


    private static async Task<UploadProgressResult> BeginAsync(JsonRpcClient client, object?[] begin) =>
        RpcJson.Read<UploadProgressResult>(await client.CallAsync("iex_beginUpload", begin).ConfigureAwait(false), "iex_beginUpload");

    /// <summary>Sends a batch of iex_putChunk calls; the answer of the last one that succeeded, or the first error.</summary>
    private static async Task<UploadProgressResult> SendAsync(JsonRpcClient client, List<object?[]> batch, CancellationToken ct)
    {
        var results = await client.CallBatchAsync("iex_putChunk", batch, ct).ConfigureAwait(false);
        UploadProgressResult? last = null;
        foreach (var (result, error) in results)
        {
            if (error is not null) throw error;
            if (result is not { } answer) continue;
            last = RpcJson.Read<UploadProgressResult>(answer, "iex_putChunk");
            if (last.Complete) return last;
        }
        return last ?? throw new JsonRpcClientException(-1, "the node answered an iex_putChunk batch with no results");
    }

    private static List<long> MissingChunks(UploadProgressResult answer)
    {
        var chunks = new List<long>();
        foreach (var range in answer.Missing)
        {
            if (range.Count != 2) throw new JsonRpcClientException(-1, $"the node listed a missing range of {range.Count} numbers; a range is [first, count]");
            long first = (long)range[0].Value, count = (long)range[1].Value;
            for (long i = 0; i < count; i++) chunks.Add(first + i);
        }
        return chunks;
    }

    private static long HeldBytes(UploadProgressResult answer, ContentTree tree) =>
        answer.Complete ? tree.Size : Math.Min(tree.Size, (long)answer.Received.Value * tree.ChunkSize);

    /// <summary>How long a statement made here stays valid: long enough for a slow upload, well inside the node's limit.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromMinutes(10);

    /// <summary>Positional params: data, chunkSize, uploader, expiresAt, signature, and <paramref name="kind"/> when given ("wasm-app": the node refuses a module workers cannot run).</summary>
    public static object?[] Params(PrivateKey uploader, ReadOnlySpan<byte> content, int chunkSize = ContentMerkle.DefaultChunkSize, DateTimeOffset? now = null, string? kind = null)
    {
        ArgumentNullException.ThrowIfNull(uploader);
        Hash256 root = ContentMerkle.ComputeRoot(content, chunkSize);
        ulong expiresAt = (ulong)(now ?? DateTimeOffset.UtcNow).Add(Validity).ToUnixTimeSeconds();
        byte[] signature = ContentUploadStatement.Sign(uploader, root, content.Length, expiresAt);
        object?[] parameters = [Hex.Encode(content), chunkSize, uploader.Address.ToString(), RpcQuantity.Format(expiresAt), Hex.Encode(signature)];
        return kind is null ? parameters : [.. parameters, kind];
    }

}
