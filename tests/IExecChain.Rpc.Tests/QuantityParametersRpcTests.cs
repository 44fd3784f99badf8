using System.Text.Json;
using IExecChain.Core.Transactions;
using IExecChain.Rpc.Chain;
using IExecChain.Rpc.Contracts;
using IExecChain.State.Execution;
using IExecChain.State.TxPool;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>
/// Every method that takes a number reads it by <see cref="RpcQuantity"/>'s rules (docs/rpc.md "Quantities"),
/// and says what is wrong with one it refuses.
/// </summary>
public class QuantityParametersRpcTests
{
    private static JsonRpcDispatcher Node()
    {
        var spec = OneValidatorChain.Spec();
        var processor = OneValidatorChain.Processor(spec);
        var registry = new RpcMethodRegistry();
        new ChainRpcMethods(spec, processor, new Mempool(new MempoolOptions(), processor.Executor, new TransactionVerifier(), a => StateReader.Account(processor.Tree, a)), () => new { }).RegisterAll(registry);
        new GovernanceRpcMethods(spec, processor).RegisterAll(registry);
        new CheckpointRpcMethods(spec.ChainId, processor).RegisterAll(registry);
        registry.Register("test_add", (p, _) => ValueTask.FromResult<object?>(p.GetUInt64(0, "a") + p.GetUInt64(1, "b")));
        return new JsonRpcDispatcher(registry);
    }

    private static async Task<JsonElement> Call(string method, string parameters)
    {
        byte[]? response = await Node().HandleAsync(System.Text.Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}","params":{{parameters}}}"""), CancellationToken.None);
        using var document = JsonDocument.Parse(response!);
        return document.RootElement.Clone();
    }

    [TestCase("\"0x0\"")]
    [TestCase("\"0X0\"")]
    [TestCase("\"0\"")]
    [TestCase("\"earliest\"")]
    public async Task The_genesis_block_is_read_by_any_form_of_zero(string number)
    {
        var answer = await Call("iex_getBlockByNumber", $"[{number}]");
        Assert.That(answer.GetProperty("result").GetProperty("number").GetString(), Is.EqualTo("0x0"), answer.ToString());
    }

    [TestCase("iex_getBlockByNumber", "\"0x00\"", "invalid params: number must be a block number (0x-hex or decimal) or \"latest\"/\"earliest\": '0x00' has a leading zero")]
    [TestCase("iex_getBlockByNumber", "\"0x\"", "invalid params: number must be a block number (0x-hex or decimal) or \"latest\"/\"earliest\": '0x' has no digits")]
    [TestCase("iex_getCheckpoint", "\"0x01\"", "number: '0x01' has a leading zero (a quantity is written without them: 0x1); a checkpoint number is decimal, 0x-hex or \"latest\"")]
    [TestCase("iex_getCheckpoint", "\"-1\"", "number: '-1' is neither decimal digits nor a 0x-hex quantity")]
    [TestCase("iex_getProposal", "\"0x 1\"", "id: '0x 1' has ' ', which is not a hex digit; a proposal number is decimal or 0x-hex")]
    [TestCase("iex_getProposal", "\"0x1 \"", "id: '0x1 ' has ' ', which is not a hex digit")]
    [TestCase("iex_getProposal", "\"18446744073709551616\"", "id: '18446744073709551616' is above 2^64 - 1")]
    [TestCase("test_add", "[\"0x0400\", 1]", "invalid params: a must be a non-negative integer (number, 0x-prefixed hex or decimal string): '0x0400' has a leading zero")]
    [TestCase("test_add", "[\"0x10000000000000000\", 1]", "invalid params: a must be a non-negative integer (number, 0x-prefixed hex or decimal string): '0x10000000000000000' is above 2^64 - 1")]
    [TestCase("test_add", "[1, \"ten\"]", "invalid params: b must be a non-negative integer (number, 0x-prefixed hex or decimal string): 'ten' is neither decimal digits nor a 0x-hex quantity")]
    [TestCase("test_add", "[1, \"0x\u00e9\"]", "'0x\u00e9' has '\u00e9', which is not a hex digit")]
    [TestCase("test_add", "[-1, 1]", "invalid params: a must be a non-negative integer (number, 0x-prefixed hex or decimal string)")]
    public async Task A_number_parameter_that_is_not_a_quantity_is_refused_saying_why(string method, string parameters, string message)
    {
        if (!parameters.StartsWith('[')) parameters = $"[{parameters}]";
        var answer = await Call(method, parameters);
        Assert.That(answer.TryGetProperty("error", out var error), Is.True, $"accepted: {answer}");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain(message));
    }

    [Test]
    public async Task An_unknown_block_tag_is_answered_with_the_known_ones_as_documented()
    {
        var answer = await Call("iex_getBlockByNumber", "[\"pending\"]");
        Assert.That(answer.GetProperty("error").GetProperty("message").GetString(),
            Is.EqualTo("invalid params: number must be a block number (0x-hex or decimal) or \"latest\"/\"earliest\""));
    }

    [TestCase("[\"0xffffffffffffffff\", 0]", ulong.MaxValue)]
    [TestCase("[\"0XFF\", \"255\"]", 510UL)]
    [TestCase("[18446744073709551615, 0]", ulong.MaxValue)]
    public async Task A_number_parameter_is_a_json_number_a_hex_quantity_or_a_decimal_string(string parameters, ulong sum)
    {
        var answer = await Call("test_add", parameters);
        Assert.That(answer.GetProperty("result").GetUInt64(), Is.EqualTo(sum), answer.ToString());
    }
}
