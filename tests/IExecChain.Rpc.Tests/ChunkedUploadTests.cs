using System.Text.Json;
using IExecChain.Core.Content;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Chain;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Rpc.Tests.Hostile;
using IExecChain.Worker.Content;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>
/// Chunked, resumable uploads (iex_beginUpload, iex_putChunk): through a real server with the client
/// the CLI uses, and call by call through the dispatcher with a clock the test moves.
/// </summary>
[TestFixture]
public sealed class ChunkedUploadTests
{
    private static readonly PrivateKey Alice = new(Keccak256.HashToArray("test/alice"u8));
    private const int ChunkSize = 4096;

    private string _dir = null!;
    private ContentStore _store = null!;
    private WallClock _time = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("iexec-rpc-chunked-").FullName;
        _store = new ContentStore(Path.Combine(_dir, "store"));
        _time = new WallClock(DateTimeOffset.UtcNow);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private JsonRpcDispatcher Dispatcher(ContentUploadOptions? uploads = null, ContentStore? store = null)
    {
        var registry = new RpcMethodRegistry();
        new ContentRpcMethods(store ?? _store, uploads: uploads ?? new ContentUploadOptions(), time: _time) { CheckApp = Worker.Wasm.WasmAppValidator.Problem }.RegisterAll(registry);
        return new JsonRpcDispatcher(registry);
    }

    private static async Task<JsonElement> Call(JsonRpcDispatcher dispatcher, string method, params object?[] parameters)
    {
        byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = 1, method, @params = parameters });
        using var document = JsonDocument.Parse((await dispatcher.HandleAsync(request, CancellationToken.None))!);
        return document.RootElement.Clone();
    }

    private static JsonElement Result(JsonElement response) =>
        response.TryGetProperty("result", out var result) ? result : throw new AssertionException($"error: {response.GetProperty("error")}");

    private static (int Code, string Message) Error(JsonElement response) =>
        (response.GetProperty("error").GetProperty("code").GetInt32(), response.GetProperty("error").GetProperty("message").GetString()!);

    private string File(string name, int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        string path = Path.Combine(_dir, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    private object?[] Begin(ContentTree tree, PrivateKey? key = null, string? kind = null)
    {
        key ??= Alice;
        ulong expiresAt = (ulong)_time.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds();
        byte[] signature = ContentUploadStatement.Sign(key, tree.Root, tree.Size, expiresAt);
        object?[] begin = [tree.Root.ToString(), tree.Size, tree.ChunkSize, key.Address.ToString(), expiresAt, Hex.Encode(signature)];
        return kind is null ? begin : [.. begin, kind];
    }

    private static object?[] Chunk(ContentTree tree, byte[] content, long index, Action<byte[]>? tamper = null)
    {
        (long offset, int length) = tree.ChunkRange(index);
        byte[] data = content.AsSpan((int)offset, length).ToArray();
        tamper?.Invoke(data);
        return [tree.Root.ToString(), index, Hex.Encode(data), tree.Prove(index).Select(h => h.ToString()).ToArray()];
    }

    private string[] FilesUnder(string directory) => Directory.GetFiles(directory, "*", SearchOption.AllDirectories);

    [Test]
    public async Task A_file_larger_than_one_request_is_uploaded_in_batches_and_stored_whole()
    {
        // 9 MiB and a bit: over the 8 MiB request limit even before hex doubles it, and not a whole number of chunks.
        string path = File("big.bin", 9 * 1024 * 1024 + 123, seed: 1);
        var registry = new RpcMethodRegistry();
        new ContentRpcMethods(_store).RegisterAll(registry);
        var options = new RpcServerOptions { Port = 0 };
        await using var server = new RpcServer(options, new JsonRpcDispatcher(registry, maxBatchSize: options.MaxBatchSize), NullLoggerFactory.Instance);
        await server.StartAsync();
        using var client = new JsonRpcClient(server.Endpoint);
        var reports = new List<UploadProgress>();

        ContentInfo info = await ContentUpload.UploadFileAsync(client, Alice, path, 65_536, progress: new Recorder(reports));

        Assert.That(info.Root, Is.EqualTo(ContentMerkle.ComputeFileRoot(path, 65_536).Root));
        Assert.That(_store.ReadAllBytes(info.Root), Is.EqualTo(System.IO.File.ReadAllBytes(path)));
        Assert.That(reports, Has.Count.GreaterThan(3), "progress is reported batch by batch");
        Assert.That(reports[^1].HeldBytes, Is.EqualTo(info.Size));
        Assert.That(reports.Select(r => r.HeldBytes), Is.Ordered);
        Assert.That(FilesUnder(Path.Combine(_store.Directory, "uploads")), Is.Empty, "the upload's working files are gone");
    }

    [Test]
    public async Task An_interrupted_upload_resumes_after_a_node_restart_and_sends_only_what_is_missing()
    {
        string path = File("data.bin", 40 * ChunkSize + 17, seed: 2);
        byte[] content = System.IO.File.ReadAllBytes(path);
        var tree = ContentTree.Build(content, ChunkSize);
        var first = Dispatcher();
        Assert.That(Result(await Call(first, "iex_beginUpload", Begin(tree))).GetProperty("missing")[0][1].GetString(), Is.EqualTo("0x29"));
        for (long i = 0; i < 41; i += 2) Result(await Call(first, "iex_putChunk", Chunk(tree, content, i)));

        // The node restarts: a new store and methods over the same directory.
        var store = new ContentStore(_store.Directory);
        var restarted = Dispatcher(store: store);
        var answer = Result(await Call(restarted, "iex_beginUpload", Begin(tree)));
        Assert.That(answer.GetProperty("received").GetString(), Is.EqualTo("0x15"), "the 21 even chunks survived the restart");
        Assert.That(answer.GetProperty("missing").GetArrayLength(), Is.EqualTo(20), "each odd chunk is one missing range");
        Assert.That(answer.GetProperty("missing")[0].EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "0x1", "0x1" }));

        for (long i = 1; i < 41; i += 2) answer = Result(await Call(restarted, "iex_putChunk", Chunk(tree, content, i)));
        Assert.That(answer.GetProperty("complete").GetBoolean(), Is.True);
        Assert.That(store.ReadAllBytes(tree.Root), Is.EqualTo(content));
    }

    [Test]
    public async Task A_chunk_that_does_not_hash_to_the_root_is_refused_with_its_index_and_nothing_is_written()
    {
        byte[] content = new byte[5 * ChunkSize];
        new Random(3).NextBytes(content);
        var tree = ContentTree.Build(content, ChunkSize);
        var dispatcher = Dispatcher();
        Result(await Call(dispatcher, "iex_beginUpload", Begin(tree)));

        (int code, string message) = Error(await Call(dispatcher, "iex_putChunk", Chunk(tree, content, 3, data => data[100] ^= 1)));
        Assert.That(code, Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(message, Is.EqualTo($"invalid params: chunk refused: chunk 3 and its proof do not hash to root {tree.Root}; nothing was written"));
        // Chunk 2's bytes and proof offered as chunk 3.
        object?[] moved = Chunk(tree, content, 2);
        moved[1] = 3;
        (_, message) = Error(await Call(dispatcher, "iex_putChunk", moved));
        Assert.That(message, Does.Contain("chunk 3 and its proof do not hash"));
        (_, message) = Error(await Call(dispatcher, "iex_putChunk", [tree.Root.ToString(), 4, Hex.Encode(new byte[10]), Array.Empty<string>()]));
        Assert.That(message, Does.Contain("chunk 4 is 10 bytes, expected 4096"));
        (_, message) = Error(await Call(dispatcher, "iex_putChunk", [tree.Root.ToString(), 5, Hex.Encode(new byte[10]), Array.Empty<string>()]));
        Assert.That(message, Does.Contain("index 5 is outside the content's 5 chunk(s)"));

        var answer = Result(await Call(dispatcher, "iex_beginUpload", Begin(tree)));
        Assert.That(answer.GetProperty("received").GetString(), Is.EqualTo("0x0"));
        Assert.That(_store.Has(tree.Root), Is.False);
    }

    [Test]
    public async Task A_chunk_for_an_upload_never_opened_is_not_found()
    {
        var tree = ContentTree.Build(new byte[ChunkSize], ChunkSize);
        (int code, string message) = Error(await Call(Dispatcher(), "iex_putChunk", Chunk(tree, new byte[ChunkSize], 0)));
        Assert.That(code, Is.EqualTo(RpcErrorCodes.NotFound));
        Assert.That(message, Does.Contain("no upload of root").And.Contain("iex_beginUpload"));
    }

    [Test]
    public async Task Uploads_over_the_size_limit_or_the_quota_are_refused_before_anything_is_written()
    {
        var uploads = new ContentUploadOptions { MaxContentBytes = 8 * ChunkSize, MaxBytesPerAccount = 12 * ChunkSize };
        var dispatcher = Dispatcher(uploads);
        var tooBig = ContentTree.Build(new byte[8 * ChunkSize + 1], ChunkSize);
        (int code, string message) = Error(await Call(dispatcher, "iex_beginUpload", Begin(tooBig)));
        Assert.That(code, Is.EqualTo(RpcErrorCodes.ResourceLimit));
        Assert.That(message, Is.EqualTo($"content of {8 * ChunkSize + 1} bytes exceeds this node's upload limit of {8 * ChunkSize} bytes"));

        var first = ContentTree.Build(Enumerable.Repeat((byte)1, 8 * ChunkSize).ToArray(), ChunkSize);
        var second = ContentTree.Build(Enumerable.Repeat((byte)2, 8 * ChunkSize).ToArray(), ChunkSize);
        Result(await Call(dispatcher, "iex_beginUpload", Begin(first)));
        Result(await Call(dispatcher, "iex_beginUpload", Begin(first)));   // resuming charges nothing more
        (code, message) = Error(await Call(dispatcher, "iex_beginUpload", Begin(second)));
        Assert.That(code, Is.EqualTo(RpcErrorCodes.ResourceLimit));
        Assert.That(message, Does.StartWith($"upload quota of {Alice.Address} exceeded: {8 * ChunkSize} of {12 * ChunkSize} bytes used"));
        Assert.That(Directory.GetFiles(Path.Combine(_store.Directory, "uploads"), "*.upload"), Has.Length.EqualTo(1), "only the first upload is open");
    }

    [Test]
    public async Task A_wasm_app_that_workers_cannot_run_is_discarded_when_its_last_chunk_arrives()
    {
        byte[] module = Worker.Wasm.WasmCode.FromText("""(module (import "env" "now" (func (result i64))) (func (export "_start")) (data (i32.const 0) "padding padding padding"))""").Bytes.ToArray();
        var tree = ContentTree.Build(module, ChunkSize);
        var dispatcher = Dispatcher();
        Result(await Call(dispatcher, "iex_beginUpload", Begin(tree, kind: "wasm-app")));

        (int code, string message) = Error(await Call(dispatcher, "iex_putChunk", Chunk(tree, module, 0)));

        Assert.That(code, Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(message, Does.Contain("it cannot run as an app: imports function env::now").And.EndWith("the upload was discarded and nothing was stored"));
        Assert.That(_store.Has(tree.Root), Is.False);
        Assert.That(FilesUnder(_store.Directory), Is.Empty);
    }

    [Test]
    public async Task An_expired_statement_stops_the_upload_until_a_new_one_resumes_it()
    {
        byte[] content = new byte[3 * ChunkSize];
        new Random(4).NextBytes(content);
        var tree = ContentTree.Build(content, ChunkSize);
        var dispatcher = Dispatcher();
        Result(await Call(dispatcher, "iex_beginUpload", Begin(tree)));
        Result(await Call(dispatcher, "iex_putChunk", Chunk(tree, content, 0)));

        _time.Advance(TimeSpan.FromMinutes(11));
        (_, string message) = Error(await Call(dispatcher, "iex_putChunk", Chunk(tree, content, 1)));
        Assert.That(message, Does.Contain("expired").And.Contain("call iex_beginUpload with a new statement to resume (1 chunk(s) are kept)"));

        var answer = Result(await Call(dispatcher, "iex_beginUpload", Begin(tree)));
        Assert.That(answer.GetProperty("received").GetString(), Is.EqualTo("0x1"));
        Result(await Call(dispatcher, "iex_putChunk", Chunk(tree, content, 1)));
        Assert.That(Result(await Call(dispatcher, "iex_putChunk", Chunk(tree, content, 2))).GetProperty("complete").GetBoolean(), Is.True);
        Assert.That(_store.ReadAllBytes(tree.Root), Is.EqualTo(content));
    }

    [Test]
    public async Task A_chunk_damaged_on_the_nodes_disk_is_asked_for_again_and_the_content_stored_right()
    {
        byte[] content = new byte[3 * ChunkSize];
        new Random(5).NextBytes(content);
        var tree = ContentTree.Build(content, ChunkSize);
        var dispatcher = Dispatcher();
        Result(await Call(dispatcher, "iex_beginUpload", Begin(tree)));
        Result(await Call(dispatcher, "iex_putChunk", Chunk(tree, content, 0)));
        Result(await Call(dispatcher, "iex_putChunk", Chunk(tree, content, 1)));
        string part = Directory.GetFiles(Path.Combine(_store.Directory, "uploads"), "*.part").Single();
        using (var file = new FileStream(part, FileMode.Open, FileAccess.Write)) { file.Position = ChunkSize + 5; file.WriteByte((byte)(content[ChunkSize + 5] ^ 0xff)); }

        (_, string message) = Error(await Call(dispatcher, "iex_putChunk", Chunk(tree, content, 2)));
        Assert.That(message, Does.Contain("1 chunk(s) of root").And.Contain("damaged on this node's disk (first: 1); send them again"));
        Assert.That(_store.Has(tree.Root), Is.False);

        var answer = Result(await Call(dispatcher, "iex_beginUpload", Begin(tree)));
        Assert.That(answer.GetProperty("missing").EnumerateArray().Select(r => r[0].GetString()), Is.EqualTo(new[] { "0x1" }));
        Assert.That(Result(await Call(dispatcher, "iex_putChunk", Chunk(tree, content, 1))).GetProperty("complete").GetBoolean(), Is.True);
        Assert.That(_store.ReadAllBytes(tree.Root), Is.EqualTo(content));
    }

    [Test]
    public async Task An_upload_abandoned_past_its_expiry_and_the_retention_is_deleted()
    {
        byte[] content = new byte[2 * ChunkSize];
        var tree = ContentTree.Build(content, ChunkSize);
        var other = ContentTree.Build(new byte[ChunkSize], ChunkSize);
        var dispatcher = Dispatcher();
        Result(await Call(dispatcher, "iex_beginUpload", Begin(tree)));
        Result(await Call(dispatcher, "iex_putChunk", Chunk(tree, content, 0)));

        _time.Advance(TimeSpan.FromMinutes(10) + ContentUploadSessions.Retention + TimeSpan.FromSeconds(1));
        Result(await Call(dispatcher, "iex_beginUpload", Begin(other)));

        Assert.That(Directory.GetFiles(Path.Combine(_store.Directory, "uploads"), "*.upload"), Has.Length.EqualTo(1), "only the new upload is open");
        Assert.That(Result(await Call(dispatcher, "iex_beginUpload", Begin(tree))).GetProperty("received").GetString(), Is.EqualTo("0x0"), "begun again from nothing");
    }

    [Test]
    public async Task Beginning_an_upload_of_stored_content_answers_complete_and_charges_nothing()
    {
        byte[] content = new byte[ChunkSize + 1];
        var tree = ContentTree.Build(content, ChunkSize);
        _store.Put(content, ChunkSize);
        var dispatcher = Dispatcher(new ContentUploadOptions { MaxBytesPerAccount = 1 });

        var answer = Result(await Call(dispatcher, "iex_beginUpload", Begin(tree)));

        Assert.That(answer.GetProperty("complete").GetBoolean(), Is.True);
        Assert.That(answer.GetProperty("missing").GetArrayLength(), Is.Zero);
    }

    private sealed class Recorder(List<UploadProgress> reports) : IProgress<UploadProgress>
    {
        public void Report(UploadProgress value) => reports.Add(value);
    }
}
