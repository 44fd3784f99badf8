using IExecChain.Core.Content;
using IExecChain.Core.Primitives;
using IExecChain.Rpc;
using IExecChain.Rpc.Chain;
using IExecChain.Worker.Content;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace IExecChain.Worker.Tests;

/// <summary>The fetcher against the node's real Kestrel RPC server serving a real content store.</summary>
[TestFixture]
public sealed class ContentFetcherTests
{
    private static readonly ContentFetcherOptions FastRetries = new() { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(20) };

    private static byte[] Bytes(int length, int seed = 3)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Starts a server with the store's content methods, or with <paramref name="getChunk"/> in place of iex_getChunk.</summary>
    private static async Task<RpcServer> StartServer(ContentStore store, RpcHandler? getChunk = null)
    {
        var registry = new RpcMethodRegistry();
        if (getChunk is null) new ContentRpcMethods(store).RegisterAll(registry);
        else registry.Register("iex_getChunk", getChunk);
        var options = new RpcServerOptions { Port = 0 };
        var server = new RpcServer(options, new JsonRpcDispatcher(registry, maxBatchSize: options.MaxBatchSize), NullLoggerFactory.Instance);
        await server.StartAsync();
        return server;
    }

    /// <summary>An iex_getChunk that answers like the real one, after <paramref name="tamper"/> has had its way with the chunk.</summary>
    private static RpcHandler Tampering(ContentStore store, Func<long, int, byte[], byte[]?> tamper)
    {
        var calls = new Dictionary<long, int>();
        return (p, _) =>
        {
            var root = Hash256.Parse(p.GetString(0, "root"));
            long index = (long)p.GetUInt64(1, "index");
            int call;
            lock (calls) call = calls[index] = calls.GetValueOrDefault(index) + 1;
            store.TryGetChunk(root, index, out var chunk);
            byte[]? data = tamper(index, call, chunk!.Data.ToArray());
            if (data is null) throw new InvalidOperationException("simulated server failure");
            return ValueTask.FromResult<object?>(new
            {
                root = root.ToString(),
                size = RpcFormat.Quantity((ulong)chunk.Content.Size),
                chunkSize = RpcFormat.Quantity((ulong)chunk.Content.ChunkSize),
                index = RpcFormat.Quantity((ulong)index),
                data = RpcFormat.Bytes(data),
                proof = chunk.Proof.Select(h => h.ToString()).ToArray(),
            });
        };
    }

    [Test]
    public async Task Fetches_many_chunk_content_and_verifies_it()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        byte[] data = Bytes(100_000);
        ContentInfo info = store.Put(data, chunkSize: 4096);
        await using var server = await StartServer(store);
        using var fetcher = new ContentFetcher(FastRetries);

        byte[] fetched = await fetcher.FetchAsync(server.Endpoint, info.Root, info.Size);

        Assert.That(fetched, Is.EqualTo(data));
    }

    [Test]
    public async Task Fetches_empty_and_single_chunk_content()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        ContentInfo empty = store.Put([]);
        ContentInfo small = store.Put("hello"u8);
        await using var server = await StartServer(store);
        using var fetcher = new ContentFetcher(FastRetries);

        Assert.That(await fetcher.FetchAsync(server.Endpoint, empty.Root, 0), Is.Empty);
        Assert.That(await fetcher.FetchAsync(server.Endpoint, small.Root, 5), Is.EqualTo("hello"u8.ToArray()));
    }

    [Test]
    public async Task Corrupted_chunk_fails_the_fetch_naming_the_chunk()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        ContentInfo info = store.Put(Bytes(40_000), chunkSize: 4096);
        await using var server = await StartServer(store, Tampering(store, (index, _, data) =>
        {
            if (index == 3) data[100] ^= 0x01;
            return data;
        }));
        using var fetcher = new ContentFetcher(FastRetries);
        using var destination = new MemoryStream();

        var error = await Assert.ThrowsAsync<ContentFetchException>(() => fetcher.FetchToAsync(server.Endpoint, info.Root, info.Size, destination));

        Assert.That(error!.ChunkIndex, Is.EqualTo(3));
        Assert.That(error.Message, Does.StartWith("chunk 3 of " + info.Root).And.Contain("failed 3 time(s)").And.Contain("do not hash to root"));
        Assert.That(destination.Length, Is.EqualTo(3 * 4096), "only the verified chunks before the bad one were written");
    }

    [Test]
    public async Task Chunk_that_fails_transiently_is_retried_and_the_fetch_succeeds()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        byte[] content = Bytes(20_000);
        ContentInfo info = store.Put(content, chunkSize: 4096);
        await using var server = await StartServer(store, Tampering(store, (index, call, data) => index switch
        {
            1 when call == 1 => null, // server error
            2 when call <= 2 => data[..^1], // truncated chunk twice
            _ => data,
        }));
        using var fetcher = new ContentFetcher(FastRetries);

        Assert.That(await fetcher.FetchAsync(server.Endpoint, info.Root, info.Size), Is.EqualTo(content));
    }

    [Test]
    public async Task Content_cut_in_chunks_under_the_minimum_is_refused_after_the_first_chunk()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        byte[] content = Bytes(3000);
        // A node without the minimum serves 3,000 bytes in 1,000-byte chunks, with real proofs.
        var tree = ContentTree.Build(content, 1000);
        int calls = 0;
        RpcHandler oldNode = (p, _) =>
        {
            long index = (long)p.GetUInt64(1, "index");
            Interlocked.Increment(ref calls);
            (long offset, int length) = tree.ChunkRange(index);
            return ValueTask.FromResult<object?>(new
            {
                root = tree.Root.ToString(),
                size = RpcFormat.Quantity(3000),
                chunkSize = RpcFormat.Quantity(1000),
                index = RpcFormat.Quantity((ulong)index),
                data = RpcFormat.Bytes(content.AsSpan((int)offset, length).ToArray()),
                proof = tree.Prove(index).Select(h => h.ToString()).ToArray(),
            });
        };
        await using var server = await StartServer(store, oldNode);
        using var fetcher = new ContentFetcher(FastRetries);

        var error = await Assert.ThrowsAsync<ContentFetchException>(() => fetcher.FetchAsync(server.Endpoint, tree.Root, 3000));

        Assert.That(error!.Message, Does.Contain("under the minimum of 4096 bytes"));
        Assert.That(calls, Is.EqualTo(1), "nothing past the first chunk is asked for");
    }

    [Test]
    public async Task Server_lying_about_the_chunk_size_is_caught_by_the_root()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        byte[] content = Bytes(8192);
        ContentInfo honest = store.Put(content, chunkSize: 4096);
        ContentInfo other = store.Put(content, chunkSize: 8192);
        // Answers requests for the 4096-chunked root with the 8192-chunked tree's single chunk.
        RpcHandler liar = (p, _) =>
        {
            store.TryGetChunk(other.Root, 0, out var chunk);
            return ValueTask.FromResult<object?>(new
            {
                root = honest.Root.ToString(),
                size = RpcFormat.Quantity(8192),
                chunkSize = RpcFormat.Quantity(8192),
                index = RpcFormat.Quantity(0),
                data = RpcFormat.Bytes(chunk!.Data),
                proof = Array.Empty<string>(),
            });
        };
        await using var server = await StartServer(store, liar);
        using var fetcher = new ContentFetcher(FastRetries);

        var error = await Assert.ThrowsAsync<ContentFetchException>(() => fetcher.FetchAsync(server.Endpoint, honest.Root, 8192));

        Assert.That(error!.ChunkIndex, Is.EqualTo(0));
    }

    [Test]
    public async Task Wrong_expected_size_and_unknown_root_fail_with_clear_errors()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        ContentInfo info = store.Put(Bytes(5000), chunkSize: 4096);
        await using var server = await StartServer(store);
        using var fetcher = new ContentFetcher(FastRetries);

        var wrongSize = await Assert.ThrowsAsync<ContentFetchException>(() => fetcher.FetchAsync(server.Endpoint, info.Root, 4999));
        var unknown = await Assert.ThrowsAsync<ContentFetchException>(() => fetcher.FetchAsync(server.Endpoint, Hash256.Zero, 10));

        Assert.That(wrongSize!.Message, Does.Contain("the node says the content is 5000 bytes, the caller expects 4999"));
        Assert.That(unknown!.Message, Does.Contain("is not stored on this node"));
    }

    [Test]
    public async Task Unreachable_node_fails_after_the_retries()
    {
        using var fetcher = new ContentFetcher(FastRetries);

        var error = await Assert.ThrowsAsync<ContentFetchException>(() => fetcher.FetchAsync(new Uri("http://127.0.0.1:1/"), Hash256.Zero, 10));

        Assert.That(error!.Message, Does.Contain("chunk 0").And.Contain("cannot reach the node"));
    }
}
