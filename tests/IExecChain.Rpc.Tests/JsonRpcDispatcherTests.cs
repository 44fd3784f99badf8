using System.Text;
using System.Text.Json;
using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

[TestFixture]
public sealed class JsonRpcDispatcherTests
{
    private RpcMethodRegistry _registry = null!;
    private JsonRpcDispatcher _dispatcher = null!;
    private List<string> _calls = null!;

    [SetUp]
    public void SetUp()
    {
        _calls = [];
        _registry = new RpcMethodRegistry();
        _registry.Register("test_echo", (p, _) => ValueTask.FromResult<object?>(p.GetString(0, "value")));
        _registry.Register("test_add", (p, _) => ValueTask.FromResult<object?>(p.GetUInt64(0, "a") + p.GetUInt64(1, "b")));
        _registry.Register("test_record", (p, _) =>
        {
            _calls.Add(p.GetString(0, "tag"));
            return ValueTask.FromResult<object?>(null);
        });
        _registry.Register("test_fail", (_, _) => throw new InvalidOperationException("secret database path /var/x"));
        _registry.Register("test_reject", (_, _) => throw new RpcException(RpcErrorCodes.TransactionRejected, "nonce too low", new { expected = 5 }));
        _dispatcher = new JsonRpcDispatcher(_registry, maxBatchSize: 3);
    }

    private async Task<JsonElement?> Dispatch(string request)
    {
        byte[]? response = await _dispatcher.HandleAsync(Encoding.UTF8.GetBytes(request), CancellationToken.None);
        if (response is null) return null;
        using JsonDocument document = JsonDocument.Parse(response);
        return document.RootElement.Clone();
    }

    private async Task<JsonElement> DispatchOne(string request) =>
        await Dispatch(request) ?? throw new AssertionException("expected a response");

    private static int ErrorCode(JsonElement response) => response.GetProperty("error").GetProperty("code").GetInt32();

    private static string ErrorMessage(JsonElement response) => response.GetProperty("error").GetProperty("message").GetString()!;

    [Test]
    public async Task Call_returns_result_with_the_request_id()
    {
        JsonElement response = await DispatchOne("""{"jsonrpc":"2.0","id":7,"method":"test_echo","params":["hi"]}""");

        Assert.That(response.GetProperty("jsonrpc").GetString(), Is.EqualTo("2.0"));
        Assert.That(response.GetProperty("id").GetInt32(), Is.EqualTo(7));
        Assert.That(response.GetProperty("result").GetString(), Is.EqualTo("hi"));
        Assert.That(response.TryGetProperty("error", out _), Is.False);
    }

    [TestCase("\"abc\"")]
    [TestCase("null")]
    [TestCase("12345678901234567890")]
    [TestCase("1.5")]
    public async Task Id_is_echoed_verbatim(string id)
    {
        JsonElement response = await DispatchOne($$"""{"jsonrpc":"2.0","id":{{id}},"method":"test_echo","params":["x"]}""");

        Assert.That(response.GetProperty("id").GetRawText(), Is.EqualTo(id));
    }

    [Test]
    public async Task Unknown_method_returns_method_not_found()
    {
        JsonElement response = await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"iex_nope"}""");

        Assert.That(ErrorCode(response), Is.EqualTo(RpcErrorCodes.MethodNotFound));
        Assert.That(ErrorMessage(response), Does.Contain("iex_nope"));
        Assert.That(response.GetProperty("id").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task Escaped_method_name_is_still_found()
    {
        JsonElement response = await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"test\u005fecho","params":["x"]}""");

        Assert.That(response.GetProperty("result").GetString(), Is.EqualTo("x"));
    }

    [TestCase("{\"jsonrpc\":\"2.0\",")]
    [TestCase("")]
    [TestCase("not json")]
    public async Task Invalid_json_returns_parse_error_with_null_id(string request)
    {
        JsonElement response = await DispatchOne(request);

        Assert.That(ErrorCode(response), Is.EqualTo(RpcErrorCodes.ParseError));
        Assert.That(response.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [TestCase("""{"jsonrpc":"1.0","id":1,"method":"test_echo"}""", "jsonrpc")]
    [TestCase("""{"id":1,"method":"test_echo"}""", "jsonrpc")]
    [TestCase("""{"jsonrpc":2.0,"id":1,"method":"test_echo"}""", "jsonrpc")]
    [TestCase("""{"jsonrpc":"2.0","id":1}""", "method")]
    [TestCase("""{"jsonrpc":"2.0","id":1,"method":5}""", "method")]
    [TestCase("""{"jsonrpc":"2.0","id":{"a":1},"method":"test_echo"}""", "id")]
    [TestCase("""{"jsonrpc":"2.0","id":[1],"method":"test_echo"}""", "id")]
    [TestCase("""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":"x"}""", "params")]
    [TestCase("""42""", "object")]
    public async Task Malformed_request_returns_invalid_request(string request, string mentioned)
    {
        JsonElement response = await DispatchOne(request);

        Assert.That(ErrorCode(response), Is.EqualTo(RpcErrorCodes.InvalidRequest));
        Assert.That(ErrorMessage(response), Does.Contain(mentioned));
    }

    [Test]
    public async Task Invalid_request_without_id_still_gets_an_answer()
    {
        JsonElement response = await DispatchOne("""{"jsonrpc":"2.0","method":7}""");

        Assert.That(ErrorCode(response), Is.EqualTo(RpcErrorCodes.InvalidRequest));
        Assert.That(response.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Empty_batch_returns_a_single_invalid_request_error()
    {
        JsonElement response = await DispatchOne("[]");

        Assert.That(response.ValueKind, Is.EqualTo(JsonValueKind.Object));
        Assert.That(ErrorCode(response), Is.EqualTo(RpcErrorCodes.InvalidRequest));
    }

    [Test]
    public async Task Batch_over_the_limit_returns_a_single_invalid_request_error()
    {
        string item = """{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["x"]}""";
        JsonElement response = await DispatchOne($"[{item},{item},{item},{item}]");

        Assert.That(response.ValueKind, Is.EqualTo(JsonValueKind.Object));
        Assert.That(ErrorCode(response), Is.EqualTo(RpcErrorCodes.InvalidRequest));
        Assert.That(ErrorMessage(response), Does.Contain("limit of 3"));
    }

    [Test]
    public async Task Batch_answers_each_request_in_order()
    {
        JsonElement response = await DispatchOne("""
            [
              {"jsonrpc":"2.0","id":1,"method":"test_echo","params":["a"]},
              {"jsonrpc":"2.0","id":"two","method":"iex_missing"},
              {"jsonrpc":"2.0","id":3,"method":"test_add","params":[1,2]}
            ]
            """);

        Assert.That(response.GetArrayLength(), Is.EqualTo(3));
        Assert.That(response[0].GetProperty("result").GetString(), Is.EqualTo("a"));
        Assert.That(response[1].GetProperty("id").GetString(), Is.EqualTo("two"));
        Assert.That(ErrorCode(response[1]), Is.EqualTo(RpcErrorCodes.MethodNotFound));
        Assert.That(response[2].GetProperty("result").GetUInt64(), Is.EqualTo(3UL));
    }

    [Test]
    public async Task Batch_of_non_objects_returns_one_error_per_item()
    {
        JsonElement response = await DispatchOne("[1,2]");

        Assert.That(response.GetArrayLength(), Is.EqualTo(2));
        Assert.That(ErrorCode(response[0]), Is.EqualTo(RpcErrorCodes.InvalidRequest));
        Assert.That(ErrorCode(response[1]), Is.EqualTo(RpcErrorCodes.InvalidRequest));
    }

    [Test]
    public async Task Notification_is_executed_but_gets_no_response()
    {
        JsonElement? response = await Dispatch("""{"jsonrpc":"2.0","method":"test_record","params":["n1"]}""");

        Assert.That(response, Is.Null);
        Assert.That(_calls, Is.EqualTo(new[] { "n1" }));
    }

    [Test]
    public async Task Failing_notifications_get_no_response_either()
    {
        Assert.That(await Dispatch("""{"jsonrpc":"2.0","method":"iex_missing"}"""), Is.Null);
        Assert.That(await Dispatch("""{"jsonrpc":"2.0","method":"test_fail"}"""), Is.Null);
        Assert.That(await Dispatch("""{"jsonrpc":"2.0","method":"test_reject"}"""), Is.Null);
    }

    [Test]
    public async Task Batch_of_only_notifications_returns_nothing()
    {
        JsonElement? response = await Dispatch("""
            [{"jsonrpc":"2.0","method":"test_record","params":["a"]},{"jsonrpc":"2.0","method":"test_record","params":["b"]}]
            """);

        Assert.That(response, Is.Null);
        Assert.That(_calls, Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public async Task Batch_mixing_calls_and_notifications_answers_only_the_calls()
    {
        JsonElement response = await DispatchOne("""
            [{"jsonrpc":"2.0","method":"test_record","params":["a"]},{"jsonrpc":"2.0","id":9,"method":"test_echo","params":["b"]}]
            """);

        Assert.That(response.GetArrayLength(), Is.EqualTo(1));
        Assert.That(response[0].GetProperty("id").GetInt32(), Is.EqualTo(9));
    }

    [Test]
    public async Task Named_and_positional_params_are_both_accepted()
    {
        JsonElement positional = await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"test_add","params":[40,2]}""");
        JsonElement named = await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"test_add","params":{"b":2,"a":40}}""");

        Assert.That(positional.GetProperty("result").GetUInt64(), Is.EqualTo(42UL));
        Assert.That(named.GetProperty("result").GetUInt64(), Is.EqualTo(42UL));
    }

    [TestCase("255", 255UL)]
    [TestCase("\"0xff\"", 255UL)]
    [TestCase("\"0XFF\"", 255UL)]
    [TestCase("\"0x0\"", 0UL)]
    [TestCase("\"255\"", 255UL)]
    [TestCase("\"0xffffffffffffffff\"", ulong.MaxValue)]
    [TestCase("18446744073709551615", ulong.MaxValue)]
    public async Task Quantities_are_accepted_as_numbers_hex_or_decimal_strings(string json, ulong expected)
    {
        JsonElement response = await DispatchOne($$"""{"jsonrpc":"2.0","id":1,"method":"test_add","params":[{{json}},0]}""");

        Assert.That(response.GetProperty("result").GetUInt64(), Is.EqualTo(expected));
    }

    [TestCase("-1")]
    [TestCase("1.5")]
    [TestCase("\"0x\"")]
    [TestCase("\"0xg1\"")]
    [TestCase("\"0x10000000000000000\"")]
    [TestCase("\"-5\"")]
    [TestCase("\" 5\"")]
    [TestCase("\"\"")]
    [TestCase("true")]
    [TestCase("[1]")]
    public async Task Malformed_quantity_returns_invalid_params_naming_the_parameter(string json)
    {
        JsonElement response = await DispatchOne($$"""{"jsonrpc":"2.0","id":1,"method":"test_add","params":[{{json}},0]}""");

        Assert.That(ErrorCode(response), Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(ErrorMessage(response), Does.StartWith("invalid params: a must be "));
    }

    [TestCase("""[]""")]
    [TestCase("""[null]""")]
    [TestCase("""{}""")]
    [TestCase("""[5]""")]
    public async Task Missing_or_mistyped_required_string_returns_invalid_params(string parameters)
    {
        JsonElement response = await DispatchOne($$"""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":{{parameters}}}""");

        Assert.That(ErrorCode(response), Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(ErrorMessage(response), Is.EqualTo("invalid params: value must be a string"));
    }

    [Test]
    public async Task Absent_or_null_params_count_as_none()
    {
        int? seen = null;
        _registry.Register("test_count", (p, _) =>
        {
            seen = p.Count;
            return ValueTask.FromResult<object?>(p.GetOptionalUInt64(0, "n") is null && p.GetOptionalString(1, "s") is null && p.GetOptionalBool(2, "f", true));
        });

        JsonElement absent = await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"test_count"}""");
        Assert.That(seen, Is.EqualTo(0));
        JsonElement nulled = await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"test_count","params":null}""");

        Assert.That(absent.GetProperty("result").GetBoolean(), Is.True);
        Assert.That(nulled.GetProperty("result").GetBoolean(), Is.True);
    }

    [Test]
    public async Task Optional_bool_rejects_non_booleans()
    {
        _registry.Register("test_flag", (p, _) => ValueTask.FromResult<object?>(p.GetOptionalBool(0, "full", false)));

        JsonElement ok = await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"test_flag","params":{"full":true}}""");
        JsonElement bad = await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"test_flag","params":["yes"]}""");

        Assert.That(ok.GetProperty("result").GetBoolean(), Is.True);
        Assert.That(ErrorMessage(bad), Is.EqualTo("invalid params: full must be a boolean"));
    }

    [Test]
    public async Task Handler_exception_returns_internal_error_without_its_details()
    {
        JsonElement response = await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"test_fail"}""");

        Assert.That(ErrorCode(response), Is.EqualTo(RpcErrorCodes.InternalError));
        Assert.That(response.GetRawText(), Does.Not.Contain("secret"));
    }

    [Test]
    public async Task RpcException_code_message_and_data_are_returned()
    {
        JsonElement response = await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"test_reject"}""");

        JsonElement error = response.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.TransactionRejected));
        Assert.That(error.GetProperty("message").GetString(), Is.EqualTo("nonce too low"));
        Assert.That(error.GetProperty("data").GetProperty("expected").GetInt32(), Is.EqualTo(5));
    }

    private sealed record BlockSummary(ulong BlockNumber, string? Proposer, Hash256 Hash, Address Miner);

    [Test]
    public async Task Object_results_are_camel_case_with_nulls_omitted_and_hex_primitives()
    {
        var hash = new Hash256(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var miner = new Address(Enumerable.Repeat((byte)0xAB, 20).ToArray());
        _registry.Register("test_block", (_, _) => ValueTask.FromResult<object?>(new BlockSummary(12, null, hash, miner)));

        JsonElement result = (await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"test_block"}""")).GetProperty("result");

        Assert.That(result.GetProperty("blockNumber").GetUInt64(), Is.EqualTo(12UL));
        Assert.That(result.TryGetProperty("proposer", out _), Is.False);
        Assert.That(result.GetProperty("hash").GetString(), Is.EqualTo(hash.ToString()));
        Assert.That(result.GetProperty("miner").GetString(), Is.EqualTo("0x" + string.Concat(Enumerable.Repeat("ab", 20))));
    }

    [Test]
    public async Task Anonymous_objects_and_dictionaries_are_serialized()
    {
        _registry.Register("test_anon", (_, _) => ValueTask.FromResult<object?>(new { TxHash = "0x01", Accepted = true }));
        _registry.Register("test_dict", (_, _) => ValueTask.FromResult<object?>(new Dictionary<string, int> { ["0xAbC"] = 1 }));

        JsonElement anon = (await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"test_anon"}""")).GetProperty("result");
        JsonElement dict = (await DispatchOne("""{"jsonrpc":"2.0","id":1,"method":"test_dict"}""")).GetProperty("result");

        Assert.That(anon.GetProperty("txHash").GetString(), Is.EqualTo("0x01"));
        Assert.That(anon.GetProperty("accepted").GetBoolean(), Is.True);
        Assert.That(dict.GetProperty("0xAbC").GetInt32(), Is.EqualTo(1), "dictionary keys are data, not renamed");
    }

    [Test]
    public async Task RawJson_result_is_written_verbatim()
    {
        _registry.Register("test_raw", (_, _) => ValueTask.FromResult<object?>(new RawJson("""{"Already":"serialized","n":[1,2]}"""u8.ToArray())));

        byte[]? response = await _dispatcher.HandleAsync("""{"jsonrpc":"2.0","id":1,"method":"test_raw"}"""u8.ToArray(), CancellationToken.None);

        Assert.That(Encoding.UTF8.GetString(response!), Is.EqualTo("""{"jsonrpc":"2.0","id":1,"result":{"Already":"serialized","n":[1,2]}}"""));
    }

    private sealed class SelfReferencing
    {
        public SelfReferencing? Next { get; set; }
    }

    [Test]
    public async Task Unserializable_result_becomes_internal_error_and_the_batch_survives()
    {
        _registry.Register("test_cycle", (_, _) =>
        {
            var node = new SelfReferencing();
            node.Next = node;
            return ValueTask.FromResult<object?>(node);
        });

        JsonElement response = await DispatchOne("""
            [{"jsonrpc":"2.0","id":1,"method":"test_cycle"},{"jsonrpc":"2.0","id":2,"method":"test_echo","params":["ok"]}]
            """);

        Assert.That(ErrorCode(response[0]), Is.EqualTo(RpcErrorCodes.InternalError));
        Assert.That(response[1].GetProperty("result").GetString(), Is.EqualTo("ok"));
    }

    [Test]
    public async Task Async_handlers_in_a_batch_run_one_after_another_in_order()
    {
        var order = new List<int>();
        int running = 0;
        _registry.Register("test_slow", async (p, ct) =>
        {
            int n = (int)p.GetUInt64(0, "n");
            Assert.That(Interlocked.Increment(ref running), Is.EqualTo(1), "batch items must not overlap");
            await Task.Delay(10 * (3 - n), ct);
            order.Add(n);
            Interlocked.Decrement(ref running);
            return n;
        });

        JsonElement response = await DispatchOne("""
            [{"jsonrpc":"2.0","id":0,"method":"test_slow","params":[0]},{"jsonrpc":"2.0","id":1,"method":"test_slow","params":[1]},{"jsonrpc":"2.0","id":2,"method":"test_slow","params":[2]}]
            """);

        Assert.That(order, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(response[2].GetProperty("result").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public void Cancellation_by_the_caller_propagates()
    {
        _registry.Register("test_wait", async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));

        Assert.That(async () => await _dispatcher.HandleAsync("""{"jsonrpc":"2.0","id":1,"method":"test_wait"}"""u8.ToArray(), cts.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Registering_a_method_twice_throws()
    {
        Assert.That(() => _registry.Register("test_echo", (_, _) => ValueTask.FromResult<object?>(null)),
            Throws.InvalidOperationException.With.Message.Contains("test_echo"));
        Assert.That(_registry.Methods, Does.Contain("test_echo").And.Contain("test_add"));
    }
}
