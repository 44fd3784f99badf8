using System.Text;
using System.Text.Json;
using IExecChain.Core.Content;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Results;
using IExecChain.Rpc.Chain;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Worker.Content;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Results;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>iex_getChunk, iex_putContent and iex_getResult through the dispatcher, on real stores in a temp directory.</summary>
[TestFixture]
public sealed class ContentRpcMethodsTests
{
    private string _dir = null!;
    private ContentStore _content = null!;
    private ResultStore _results = null!;
    private JsonRpcDispatcher _dispatcher = null!;
    private static readonly PrivateKey Uploader = new(Keccak256.HashToArray("test/uploader"u8));

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("iexec-rpc-content-").FullName;
        _content = new ContentStore(Path.Combine(_dir, "content"));
        _results = new ResultStore(Path.Combine(_dir, "results"));
        var registry = new RpcMethodRegistry();
        new ContentRpcMethods(_content, maxPutBytes: 20_000).RegisterAll(registry);
        new ResultRpcMethods(_results).RegisterAll(registry);
        _dispatcher = new JsonRpcDispatcher(registry);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private async Task<JsonElement> Call(string method, params object?[] parameters)
    {
        byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = 1, method, @params = parameters });
        byte[]? response = await _dispatcher.HandleAsync(request, CancellationToken.None);
        using var document = JsonDocument.Parse(response!);
        return document.RootElement.Clone();
    }

    private static ulong Quantity(JsonElement value) => Convert.ToUInt64(value.GetString()![2..], 16);

    [Test]
    public async Task Put_content_then_get_each_chunk_with_a_proof_that_verifies()
    {
        byte[] data = Encoding.ASCII.GetBytes(new string('x', 5000) + new string('y', 5000));

        var put = (await Call("iex_putContent", ContentUpload.Params(Uploader, data, 4096))).GetProperty("result");
        var root = Hash256.Parse(put.GetProperty("root").GetString()!);
        Assert.That(root, Is.EqualTo(ContentMerkle.ComputeRoot(data, 4096)));
        Assert.That(Quantity(put.GetProperty("size")), Is.EqualTo(10_000));
        Assert.That(put.GetProperty("uploader").GetString(), Is.EqualTo(Uploader.Address.ToString()));

        for (ulong index = 0; index < 3; index++)
        {
            var chunk = (await Call("iex_getChunk", root.ToString(), index)).GetProperty("result");
            byte[] bytes = Hex.Decode(chunk.GetProperty("data").GetString()!);
            Hash256[] proof = [.. chunk.GetProperty("proof").EnumerateArray().Select(p => Hash256.Parse(p.GetString()!))];
            Assert.That(Quantity(chunk.GetProperty("index")), Is.EqualTo(index));
            Assert.That(Quantity(chunk.GetProperty("chunkSize")), Is.EqualTo(4096));
            Assert.That(ContentMerkle.Verify(root, 10_000, 4096, (long)index, bytes, proof), Is.True, $"chunk {index}");
        }
    }

    [Test]
    public async Task Content_over_the_put_limit_is_refused_with_the_limit_in_the_message()
    {
        var error = (await Call("iex_putContent", ContentUpload.Params(Uploader, new byte[20_001]))).GetProperty("error");

        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.ResourceLimit));
        Assert.That(error.GetProperty("message").GetString(), Is.EqualTo("content of 20001 bytes exceeds the iex_putContent limit of 20000 bytes; upload larger content in chunks (iex_beginUpload, iex_putChunk)"));
        Assert.That(Directory.GetFiles(_content.Directory), Is.Empty);
    }

    [Test]
    public async Task Bad_requests_get_invalid_params_or_not_found()
    {
        var info = _content.Put(new byte[10_000], 4096);
        object?[] notHexParams = ContentUpload.Params(Uploader, new byte[1]);
        notHexParams[0] = "0xzz";

        var notHex = (await Call("iex_putContent", notHexParams)).GetProperty("error");
        var badRoot = (await Call("iex_getChunk", "0x1234", 0)).GetProperty("error");
        var pastEnd = (await Call("iex_getChunk", info.Root.ToString(), 3)).GetProperty("error");
        var unknown = (await Call("iex_getChunk", Hash256.Zero.ToString(), 0)).GetProperty("error");

        Assert.That(notHex.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(badRoot.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(pastEnd.GetProperty("message").GetString(), Does.Contain("has 3 chunk(s)"));
        Assert.That(unknown.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.NotFound));
    }

    [Test]
    public async Task Get_result_returns_the_stored_result_and_null_for_an_unknown_task()
    {
        var taskId = Keccak256.Hash("task"u8);
        OutputFile[] files = [new("wc.txt", "1 2 3\n"u8.ToArray())];
        _results.Save(taskId, new ExecutionResult
        {
            Status = ExecutionStatus.Success,
            ExitCode = 0,
            Stdout = "1 2 3\n"u8.ToArray(),
            OutputFiles = files,
            Digest = ResultDigest.Compute(0, "1 2 3\n"u8, files),
        });

        var result = (await Call("iex_getResult", taskId.ToString())).GetProperty("result");
        var none = (await Call("iex_getResult", Keccak256.Hash("other"u8).ToString())).GetProperty("result");

        Assert.That(result.GetProperty("digest").GetString(), Is.EqualTo(ResultDigest.Compute(0, "1 2 3\n"u8, files).ToString()));
        Assert.That(result.GetProperty("exitCode").GetInt32(), Is.Zero);
        Assert.That(Hex.Decode(result.GetProperty("stdout").GetString()!), Is.EqualTo("1 2 3\n"u8.ToArray()));
        Assert.That(result.GetProperty("files")[0].GetProperty("name").GetString(), Is.EqualTo("wc.txt"));
        Assert.That(none.ValueKind, Is.EqualTo(JsonValueKind.Null));
    }
}
