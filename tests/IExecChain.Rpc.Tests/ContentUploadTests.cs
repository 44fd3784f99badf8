using System.Text.Json;
using IExecChain.Core.Content;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Chain;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Rpc.Tests.Hostile;
using IExecChain.Worker.Content;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>iex_putContent's authentication and quotas, on a real store in a temp directory and a clock the test moves.</summary>
[TestFixture]
public sealed class ContentUploadTests
{
    private static readonly PrivateKey Alice = new(Keccak256.HashToArray("test/alice"u8));
    private static readonly PrivateKey Bob = new(Keccak256.HashToArray("test/bob"u8));

    private string _dir = null!;
    private ContentStore _store = null!;
    private WallClock _time = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("iexec-rpc-upload-").FullName;
        _store = new ContentStore(_dir);
        _time = new WallClock(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private JsonRpcDispatcher Dispatcher(ContentUploadOptions? uploads = null)
    {
        var registry = new RpcMethodRegistry();
        new ContentRpcMethods(_store, uploads: uploads ?? new ContentUploadOptions(), time: _time) { CheckApp = Worker.Wasm.WasmAppValidator.Problem }.RegisterAll(registry);
        return new JsonRpcDispatcher(registry);
    }

    private static async Task<JsonElement> Put(JsonRpcDispatcher dispatcher, object?[] parameters)
    {
        byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = 1, method = "iex_putContent", @params = parameters });
        using var document = JsonDocument.Parse((await dispatcher.HandleAsync(request, CancellationToken.None))!);
        return document.RootElement.Clone();
    }

    private object?[] Signed(PrivateKey key, byte[] content, int chunkSize = ContentMerkle.DefaultChunkSize) =>
        ContentUpload.Params(key, content, chunkSize, _time.GetUtcNow());

    private static byte[] Content(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static (int Code, string Message) Error(JsonElement response) =>
        (response.GetProperty("error").GetProperty("code").GetInt32(), response.GetProperty("error").GetProperty("message").GetString()!);

    /// <summary>kind "wasm-app": the node itself refuses, before storing or charging, a module workers could never run.</summary>
    [Test]
    public async Task An_upload_declared_a_wasm_app_is_stored_only_if_workers_can_run_it()
    {
        var dispatcher = Dispatcher();
        byte[] clock = Worker.Wasm.WasmCode.FromText("""(module (import "env" "now" (func (result i64))) (func (export "_start")))""").Bytes.ToArray();
        byte[] command = Worker.Wasm.WasmCode.FromText("""(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (func (export "_start")))""").Bytes.ToArray();

        (int code, string message) = Error(await Put(dispatcher, ContentUpload.Params(Alice, clock, now: _time.GetUtcNow(), kind: "wasm-app")));
        Assert.That(code, Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(message, Is.EqualTo("invalid params: the content cannot run as an app: imports function env::now; apps may import only wasi_snapshot_preview1 functions (the workers provide nothing else); nothing was stored"));
        (code, message) = Error(await Put(dispatcher, ContentUpload.Params(Alice, "#!/bin/sh\n"u8, now: _time.GetUtcNow(), kind: "wasm-app")));
        Assert.That(message, Does.Contain("not a WebAssembly module"));
        (code, message) = Error(await Put(dispatcher, ContentUpload.Params(Alice, command, now: _time.GetUtcNow(), kind: "dataset")));
        Assert.That(message, Does.Contain("kind 'dataset' is not known"));
        Assert.That(Directory.GetFiles(_dir, "*", SearchOption.AllDirectories), Is.Empty, "nothing stored");

        var stored = await Put(dispatcher, ContentUpload.Params(Alice, command, now: _time.GetUtcNow(), kind: "wasm-app"));
        Assert.That(stored.GetProperty("result").GetProperty("size").GetString(), Is.EqualTo("0x" + command.Length.ToString("x")));
        // Without a kind, content is content (a dataset may be anything, including the clock module's bytes).
        Assert.That((await Put(dispatcher, Signed(Alice, clock))).TryGetProperty("result", out _), Is.True);
    }

    [Test]
    public async Task A_node_without_an_app_check_refuses_wasm_apps_and_stores_nothing()
    {
        var registry = new RpcMethodRegistry();
        new ContentRpcMethods(_store, time: _time).RegisterAll(registry);
        byte[] command = Worker.Wasm.WasmCode.FromText("""(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (func (export "_start")))""").Bytes.ToArray();

        (int code, string message) = Error(await Put(new JsonRpcDispatcher(registry), ContentUpload.Params(Alice, command, now: _time.GetUtcNow(), kind: "wasm-app")));

        Assert.That(code, Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(message, Is.EqualTo("invalid params: this node cannot check apps, so it takes no content of kind \"wasm-app\""));
        Assert.That(Directory.GetFiles(_dir, "*", SearchOption.AllDirectories), Is.Empty, "nothing stored");
    }

    [Test]
    public async Task An_unsigned_upload_is_refused_and_nothing_is_stored()
    {
        (int code, string message) = Error(await Put(Dispatcher(), [Hex.Encode(Content(5000, 1))]));

        Assert.That(code, Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(message, Does.Contain("uploader, expiresAt (Unix seconds) and signature are required"));
        Assert.That(Directory.GetFiles(_dir), Is.Empty);
    }

    [Test]
    public async Task A_signature_by_another_key_than_the_claimed_uploader_is_refused()
    {
        object?[] parameters = Signed(Bob, Content(5000, 1));
        parameters[2] = Alice.Address.ToString();

        (int code, string message) = Error(await Put(Dispatcher(), parameters));

        Assert.That(code, Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(message, Does.Contain($"is not {Alice.Address}'s signature"));
        Assert.That(Directory.GetFiles(_dir), Is.Empty);
    }

    [Test]
    public async Task A_statement_signed_for_other_content_is_refused()
    {
        object?[] parameters = Signed(Alice, Content(5000, 1));
        parameters[0] = Hex.Encode(Content(5000, 2));

        (int code, _) = Error(await Put(Dispatcher(), parameters));

        Assert.That(code, Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(Directory.GetFiles(_dir), Is.Empty);
    }

    [Test]
    public async Task An_expired_statement_and_one_expiring_too_far_ahead_are_refused()
    {
        JsonRpcDispatcher dispatcher = Dispatcher();
        object?[] parameters = Signed(Alice, Content(5000, 1));
        _time.Advance(ContentUpload.Validity + TimeSpan.FromSeconds(1));
        (int expiredCode, string expired) = Error(await Put(dispatcher, parameters));

        object?[] farAhead = ContentUpload.Params(Alice, Content(5000, 1), now: _time.GetUtcNow().AddHours(2));
        (_, string tooFar) = Error(await Put(dispatcher, farAhead));

        Assert.That(expiredCode, Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(expired, Does.Contain("expired"));
        Assert.That(tooFar, Does.Contain("s ahead"));
    }

    [Test]
    public async Task One_byte_chunks_are_refused_before_any_hashing()
    {
        (int code, string message) = Error(await Put(Dispatcher(), Signed(Alice, Content(100_000, 1), chunkSize: 1)));

        Assert.That(code, Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(message, Does.Contain("chunk size 1 is under the minimum of 4096 bytes"));
    }

    [Test]
    public async Task An_account_over_its_quota_is_refused_until_its_window_ends()
    {
        JsonRpcDispatcher dispatcher = Dispatcher(new ContentUploadOptions { MaxBytesPerAccount = 10_000, Window = TimeSpan.FromMinutes(10) });

        JsonElement first = await Put(dispatcher, Signed(Alice, Content(6000, 1)));
        (int code, string message) = Error(await Put(dispatcher, Signed(Alice, Content(6000, 2))));
        JsonElement bob = await Put(dispatcher, Signed(Bob, Content(6000, 3)));
        _time.Advance(TimeSpan.FromMinutes(10));
        JsonElement later = await Put(dispatcher, Signed(Alice, Content(6000, 2)));

        Assert.That(first.TryGetProperty("result", out _), Is.True);
        Assert.That(code, Is.EqualTo(RpcErrorCodes.ResourceLimit));
        Assert.That(message, Does.Contain($"upload quota of {Alice.Address} exceeded: 6000 of 10000 bytes").And.Contain("retry in"));
        Assert.That(bob.TryGetProperty("result", out _), Is.True, "the quota is per account");
        Assert.That(later.TryGetProperty("result", out _), Is.True, "a new window");
    }

    [Test]
    public async Task The_node_quota_holds_whatever_the_number_of_accounts()
    {
        JsonRpcDispatcher dispatcher = Dispatcher(new ContentUploadOptions { MaxBytesPerAccount = 10_000, MaxBytesTotal = 15_000 });
        int stored = 0;
        string last = "";
        for (int i = 0; i < 5; i++)
        {
            var fresh = new PrivateKey(Keccak256.HashToArray(BitConverter.GetBytes(i)));
            JsonElement response = await Put(dispatcher, Signed(fresh, Content(6000, 10 + i)));
            if (response.TryGetProperty("result", out _)) stored++;
            else last = Error(response).Message;
        }

        Assert.That(stored, Is.EqualTo(2));
        Assert.That(last, Does.StartWith("this node's upload quota is exceeded"));
    }

    [Test]
    public async Task Uploading_stored_content_again_charges_nothing()
    {
        JsonRpcDispatcher dispatcher = Dispatcher(new ContentUploadOptions { MaxBytesPerAccount = 10_000 });
        byte[] content = Content(6000, 1);

        await Put(dispatcher, Signed(Alice, content));
        JsonElement again = await Put(dispatcher, Signed(Alice, content));
        JsonElement other = await Put(dispatcher, Signed(Alice, Content(4000, 2)));

        Assert.That(again.TryGetProperty("result", out _), Is.True);
        Assert.That(other.TryGetProperty("result", out _), Is.True, "6,000 + 4,000 bytes fit a 10,000-byte quota");
    }

    [Test]
    public async Task With_an_allow_list_only_listed_accounts_upload()
    {
        JsonRpcDispatcher dispatcher = Dispatcher(new ContentUploadOptions { Uploaders = [Alice.Address] });

        JsonElement alice = await Put(dispatcher, Signed(Alice, Content(5000, 1)));
        (int code, string message) = Error(await Put(dispatcher, Signed(Bob, Content(5000, 2))));

        Assert.That(alice.TryGetProperty("result", out _), Is.True);
        Assert.That(code, Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(message, Does.Contain("is not allowed to upload"));
    }
}

/// <summary>Wall-clock time and the timestamp clock move together, only when told.</summary>
internal sealed class WallClock(DateTimeOffset start) : TimeProvider
{
    private readonly ManualTime _ticks = new();
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public override long TimestampFrequency => _ticks.TimestampFrequency;

    public override long GetTimestamp() => _ticks.GetTimestamp();

    public void Advance(TimeSpan by)
    {
        _now += by;
        _ticks.Advance(by);
    }
}
