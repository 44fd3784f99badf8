using System.Text;
using System.Text.Json;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.Rpc.Contracts.Tests;

/// <summary>
/// The one quantity rule set (<see cref="RpcQuantity"/>), held to Ethereum's JSON-RPC quantity encoding
/// (ethereum.org "JSON-RPC API", hex value encoding: "0x41" = 65, "0x400" = 1024; "0x", "0x0400" and
/// "ff" are wrong), and the readers that use it.
/// </summary>
public class RpcQuantityTests
{
    // Known answers from the Ethereum JSON-RPC specification's examples, and the 64-bit ends.
    [TestCase("0x41", 65UL)]
    [TestCase("0x400", 1024UL)]
    [TestCase("0x0", 0UL)]
    [TestCase("0x1", 1UL)]
    [TestCase("0xf", 15UL)]
    [TestCase("0x10", 16UL)]
    [TestCase("0x3e8", 1000UL)]
    [TestCase("0x7fffffffffffffff", 9223372036854775807UL)]
    [TestCase("0x8000000000000000", 9223372036854775808UL)]
    [TestCase("0xffffffffffffffff", ulong.MaxValue)]
    public void A_quantity_reads_as_its_value_and_writes_back_the_same(string text, ulong value)
    {
        Assert.That(RpcQuantity.Parse(text), Is.EqualTo(value));
        Assert.That(RpcQuantity.Format(value), Is.EqualTo(text));
    }

    [TestCase("0X41", 65UL)]
    [TestCase("0x3E8", 1000UL)]
    [TestCase("0XABCDEF", 0xabcdefUL)]
    [TestCase("0xFFFFFFFFFFFFFFFF", ulong.MaxValue)]
    public void Uppercase_prefix_and_digits_are_read_but_never_written(string text, ulong value)
    {
        Assert.That(RpcQuantity.Parse(text), Is.EqualTo(value));
        Assert.That(RpcQuantity.Format(value), Is.EqualTo(text.ToLowerInvariant()));
    }

    [TestCase("", "an empty string is not a quantity")]
    [TestCase("0x", "'0x' has no digits after 0x (zero is 0x0)")]
    [TestCase("0X", "'0X' has no digits after 0x")]
    [TestCase("ff", "'ff' lacks the 0x prefix")]
    [TestCase("65", "'65' lacks the 0x prefix")]
    [TestCase("x41", "'x41' lacks the 0x prefix")]
    [TestCase("0x0400", "'0x0400' has a leading zero (a quantity is written without them: 0x400)")]
    [TestCase("0x00", "'0x00' has a leading zero (a quantity is written without them: 0x0)")]
    [TestCase("0x0F", "'0x0F' has a leading zero (a quantity is written without them: 0xf)")]
    [TestCase("0x10000000000000000", "'0x10000000000000000' is above 2^64 - 1 (more than 16 hex digits)")]
    [TestCase("0xg1", "'0xg1' has 'g', which is not a hex digit")]
    [TestCase("0x-1", "'0x-1' has '-', which is not a hex digit")]
    [TestCase("0x 1", "'0x 1' has ' ', which is not a hex digit")]
    [TestCase("0x1 ", "'0x1 ' has ' ', which is not a hex digit")]
    [TestCase(" 0x1", "' 0x1' lacks the 0x prefix")]
    [TestCase("0x١", "'0x١' has '١', which is not a hex digit")]
    public void A_malformed_quantity_is_refused_saying_what_is_wrong(string text, string problem)
    {
        Assert.That(RpcQuantity.TryParse(text, out ulong value, out string? actual), Is.False);
        Assert.That(value, Is.Zero);
        Assert.That(actual, Does.StartWith(problem));
        var e = Assert.Throws<FormatException>(() => RpcQuantity.Parse(text))!;
        Assert.That(e.Message, Does.StartWith(problem));
    }

    [Test]
    public void A_hostile_length_is_cut_short_in_the_message()
    {
        string text = "0x" + new string('g', 100_000);
        Assert.That(RpcQuantity.TryParse(text, out _, out string? problem), Is.False);
        Assert.That(problem, Does.StartWith("'0xgggg").And.Contain("…'"));
        Assert.That(problem!.Length, Is.LessThan(100));
    }

    [TestCase("0x41", 65UL)]
    [TestCase("0X41", 65UL)]
    [TestCase("65", 65UL)]
    [TestCase("0", 0UL)]
    [TestCase("007", 7UL)]
    [TestCase("18446744073709551615", ulong.MaxValue)]
    [TestCase("0xffffffffffffffff", ulong.MaxValue)]
    public void A_parameter_string_may_be_hex_or_decimal(string text, ulong value)
    {
        Assert.That(RpcQuantity.TryParseHexOrDecimal(text, out ulong read, out string? problem), Is.True, problem);
        Assert.That(read, Is.EqualTo(value));
        Assert.That(RpcQuantity.TryParseHexOrDecimal(Encoding.UTF8.GetBytes(text), out read, out problem), Is.True, problem);
        Assert.That(read, Is.EqualTo(value), "the UTF-8 reader the RPC uses agrees");
    }

    [TestCase("", "an empty string is not a quantity")]
    [TestCase("18446744073709551616", "'18446744073709551616' is above 2^64 - 1")]
    [TestCase("99999999999999999999", "'99999999999999999999' is above 2^64 - 1")]
    [TestCase("-5", "'-5' is neither decimal digits nor a 0x-hex quantity")]
    [TestCase("+5", "'+5' is neither decimal digits nor a 0x-hex quantity")]
    [TestCase("1.5", "'1.5' is neither decimal digits nor a 0x-hex quantity")]
    [TestCase("1e3", "'1e3' is neither decimal digits nor a 0x-hex quantity")]
    [TestCase(" 5", "' 5' is neither decimal digits nor a 0x-hex quantity")]
    [TestCase("ff", "'ff' is neither decimal digits nor a 0x-hex quantity")]
    [TestCase("0x", "'0x' has no digits")]
    [TestCase("0x0400", "'0x0400' has a leading zero")]
    [TestCase("0x10000000000000000", "is above 2^64 - 1")]
    [TestCase("١٢", "'١٢' is neither decimal digits nor a 0x-hex quantity")]
    [TestCase("00000000000000000000000000000000000000000000000000000000000000001", "is too long for a 64-bit quantity")]
    public void A_wrong_parameter_string_is_refused_saying_what_is_wrong(string text, string problem)
    {
        Assert.That(RpcQuantity.TryParseHexOrDecimal(text, out ulong value, out string? actual), Is.False);
        Assert.That(value, Is.Zero);
        Assert.That(actual, Does.Contain(problem));
        Assert.That(RpcQuantity.TryParseHexOrDecimal(Encoding.UTF8.GetBytes(text), out _, out actual), Is.False);
        Assert.That(actual, Does.Contain(problem), "the UTF-8 reader says the same, non-ASCII text included");
    }

    [Test]
    public void Every_value_round_trips_through_format_and_both_readers()
    {
        var random = new Random(17);
        Span<byte> eight = stackalloc byte[8];
        for (int i = 0; i < 10_000; i++)
        {
            random.NextBytes(eight);
            // Shift by a random amount so short quantities are as common as long ones.
            ulong value = BitConverter.ToUInt64(eight) >> random.Next(64);
            string text = RpcQuantity.Format(value);
            Assert.That(RpcQuantity.Parse(text), Is.EqualTo(value));
            Assert.That(RpcQuantity.TryParseHexOrDecimal(value.ToString(System.Globalization.CultureInfo.InvariantCulture), out ulong fromDecimal, out _) && fromDecimal == value, $"decimal {value}");
        }
    }

    [TestCase("\"0x3e8\"", 1000UL)]
    [TestCase("\"0X3E8\"", 1000UL)]
    public void The_client_reads_a_quantity_from_an_answer(string json, ulong value) =>
        Assert.That(JsonRpcClient.Quantity(JsonDocument.Parse(json).RootElement), Is.EqualTo(value));

    [TestCase("\"0x03e8\"", "the node answered \"0x03e8\" where a 0x-hex quantity was expected: '0x03e8' has a leading zero")]
    [TestCase("\"1000\"", "the node answered \"1000\" where a 0x-hex quantity was expected: '1000' lacks the 0x prefix")]
    [TestCase("1000", "the node answered 1000 where a 0x-hex quantity was expected")]
    [TestCase("null", "the node answered null where a 0x-hex quantity was expected")]
    [TestCase("\"0x\"", "expected: '0x' has no digits")]
    public void The_client_refuses_an_answer_that_is_not_a_quantity(string json, string message)
    {
        var e = Assert.Throws<JsonRpcClientException>(() => JsonRpcClient.Quantity(JsonDocument.Parse(json).RootElement))!;
        Assert.That(e.Message, Does.Contain(message));
    }
}
