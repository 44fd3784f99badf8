using System.Text;
using System.Text.Json;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests.Hostile;

/// <summary>Requests built to break the dispatcher: each gets a clear error, and nothing runs that cannot be answered.</summary>
[TestFixture]
public sealed class HostileRequestTests
{
    private List<string> _runs = null!;
    private JsonRpcDispatcher _dispatcher = null!;

    [SetUp]
    public void SetUp()
    {
        _runs = [];
        var registry = new RpcMethodRegistry();
        registry.Register("test_submit", (p, _) =>
        {
            _runs.Add(p.GetString(0, "tag"));
            return ValueTask.FromResult<object?>("submitted");
        });
        registry.Register("test_filter", (p, _) =>
        {
            _runs.Add("filter");
            JsonElement filter = p.Get(0, "filter") ?? throw new RpcException(RpcErrorCodes.InvalidParams, "filter is required");
            // Reads the member names the way iex_getOrderBook does.
            foreach (JsonProperty property in filter.EnumerateObject()) _runs.Add(property.Name + property.Value.GetString());
            return ValueTask.FromResult<object?>("ok");
        });
        // 1,000 bytes of JSON per answer, like a small full block served from a cache.
        registry.Register("test_block", (_, _) => ValueTask.FromResult<object?>(new RawJson(Encoding.UTF8.GetBytes("\"" + new string('b', 998) + "\""))));
        registry.Register("test_big", (p, _) => ValueTask.FromResult<object?>(new { data = new string('x', (int)p.GetUInt64(0, "bytes")) }));
        _dispatcher = new JsonRpcDispatcher(registry, null, new RpcServerOptions { MaxResponseBytes = 4096, MaxBatchResponseBytes = 8192 });
    }

    private async Task<JsonElement> Dispatch(string request)
    {
        byte[] response = await _dispatcher.HandleAsync(Encoding.UTF8.GetBytes(request), CancellationToken.None)
            ?? throw new AssertionException("expected an answer");
        using JsonDocument document = JsonDocument.Parse(response);
        return document.RootElement.Clone();
    }

    private static int Code(JsonElement response) => response.GetProperty("error").GetProperty("code").GetInt32();

    private static string Message(JsonElement response) => response.GetProperty("error").GetProperty("message").GetString()!;

    [Test]
    public async Task A_lone_surrogate_id_is_refused_with_32600_and_the_method_does_not_run()
    {
        JsonElement response = await Dispatch("""{"jsonrpc":"2.0","id":"\ud800","method":"test_submit","params":["tx"]}""");

        Assert.That(Code(response), Is.EqualTo(RpcErrorCodes.InvalidRequest));
        Assert.That(Message(response), Does.Contain("id is not valid Unicode"));
        Assert.That(response.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(_runs, Is.Empty, "a transaction submitted under an id that cannot be echoed is accepted with nobody told");
    }

    [TestCase("""{"a":1}""")]
    [TestCase("[1]")]
    [TestCase("true")]
    public async Task A_non_scalar_id_is_refused_with_32600_and_the_method_does_not_run(string id)
    {
        JsonElement response = await Dispatch($$"""{"jsonrpc":"2.0","id":{{id}},"method":"test_submit","params":["tx"]}""");

        Assert.That(Code(response), Is.EqualTo(RpcErrorCodes.InvalidRequest));
        Assert.That(_runs, Is.Empty);
    }

    [Test]
    public async Task A_bad_id_inside_a_batch_costs_only_its_own_answer()
    {
        JsonElement batch = await Dispatch("""
            [{"jsonrpc":"2.0","id":1,"method":"test_submit","params":["a"]},
             {"jsonrpc":"2.0","id":"\udfff","method":"test_submit","params":["b"]},
             {"jsonrpc":"2.0","id":3,"method":"test_submit","params":["c"]}]
            """);

        Assert.That(batch.GetArrayLength(), Is.EqualTo(3));
        Assert.That(batch[0].GetProperty("result").GetString(), Is.EqualTo("submitted"));
        Assert.That(Code(batch[1]), Is.EqualTo(RpcErrorCodes.InvalidRequest));
        Assert.That(batch[2].GetProperty("id").GetInt32(), Is.EqualTo(3));
        Assert.That(_runs, Is.EqualTo(new[] { "a", "c" }));
    }

    [TestCase("""{"jsonrpc":"2.0","id":1,"id":2,"method":"test_submit","params":["a"]}""")]
    [TestCase("""{"jsonrpc":"2.0","id":1,"method":"test_submit","method":"test_filter","params":["a"]}""")]
    [TestCase("""{"jsonrpc":"2.0","id":1,"method":"test_filter","params":[{"kind":"app","kind":"request"}]}""")]
    public async Task Repeated_member_names_are_refused_with_32600_and_nothing_runs(string request)
    {
        JsonElement response = await Dispatch(request);

        Assert.That(Code(response), Is.EqualTo(RpcErrorCodes.InvalidRequest));
        Assert.That(Message(response), Does.Contain("repeats a member name"));
        Assert.That(_runs, Is.Empty);
    }

    [Test]
    public async Task Broken_json_is_still_a_parse_error()
    {
        JsonElement response = await Dispatch("""{"jsonrpc":"2.0","id":1,""");

        Assert.That(Code(response), Is.EqualTo(RpcErrorCodes.ParseError));
    }

    [TestCase("""[{"kind":"\ud800"}]""", "params[0].kind")]
    [TestCase("""{"filter":{"kind":["ok","\ud800x"]}}""", "params.filter.kind[1]")]
    public async Task A_lone_surrogate_in_params_is_refused_with_32602_saying_where(string parameters, string where)
    {
        JsonElement response = await Dispatch($$"""{"jsonrpc":"2.0","id":9,"method":"test_filter","params":{{parameters}}}""");

        Assert.That(Code(response), Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(Message(response), Does.StartWith($"invalid params: {where} is not valid Unicode"));
        Assert.That(response.GetProperty("id").GetInt32(), Is.EqualTo(9));
        Assert.That(_runs, Is.Empty);
    }

    [Test]
    public async Task A_lone_surrogate_in_a_member_name_refuses_the_whole_document_with_32600()
    {
        JsonElement response = await Dispatch("""[{"jsonrpc":"2.0","id":1,"method":"test_submit","params":["a"]},{"jsonrpc":"2.0","id":2,"method":"test_filter","params":[{"\udc00":"app"}]}]""");

        Assert.That(Code(response), Is.EqualTo(RpcErrorCodes.InvalidRequest));
        Assert.That(Message(response), Does.Contain("member name is not valid Unicode"));
        Assert.That(_runs, Is.Empty);
    }

    [Test]
    public async Task An_answer_over_the_per_response_limit_is_a_32005_error_not_a_huge_body()
    {
        JsonElement response = await Dispatch("""{"jsonrpc":"2.0","id":1,"method":"test_big","params":[5000]}""");

        Assert.That(Code(response), Is.EqualTo(RpcErrorCodes.ResourceLimit));
        Assert.That(Message(response), Does.Contain("over the limit of 4096 bytes per answer"));
    }

    [Test]
    public async Task An_answer_within_the_limit_is_written_whole()
    {
        JsonElement response = await Dispatch("""{"jsonrpc":"2.0","id":1,"method":"test_big","params":[3000]}""");

        Assert.That(response.GetProperty("result").GetProperty("data").GetString(), Has.Length.EqualTo(3000));
    }

    [Test]
    public async Task A_batch_stops_at_its_byte_budget_and_the_rest_is_refused_without_running()
    {
        var items = new StringBuilder("[");
        for (int i = 0; i < 30; i++) items.Append(i == 0 ? "" : ",").Append($$"""{"jsonrpc":"2.0","id":{{i}},"method":"test_block"}""");
        items.Append(",{\"jsonrpc\":\"2.0\",\"id\":\"last\",\"method\":\"test_submit\",\"params\":[\"late\"]}]");

        byte[] raw = (await _dispatcher.HandleAsync(Encoding.UTF8.GetBytes(items.ToString()), CancellationToken.None))!;
        using JsonDocument document = JsonDocument.Parse(raw);
        JsonElement batch = document.RootElement;

        Assert.That(batch.GetArrayLength(), Is.EqualTo(31), "every request gets an answer");
        int results = batch.EnumerateArray().Count(e => e.TryGetProperty("result", out _));
        Assert.That(results, Is.InRange(6, 8), "8,192 bytes hold about 7 answers of 1,000 bytes");
        Assert.That(Code(batch[30]), Is.EqualTo(RpcErrorCodes.ResourceLimit));
        Assert.That(Message(batch[30]), Does.StartWith("not run: the batch's answers reached the limit of 8192 bytes"));
        Assert.That(_runs, Is.Empty, "requests past the budget are not run");
        Assert.That(raw.Length, Is.LessThan(8192 + 31 * 300), "the budget plus one short error per refused request");
    }
}
