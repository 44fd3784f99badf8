using System.Numerics;
using System.Text;
using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Rlp;
using NUnit.Framework;

namespace IExecChain.Ethereum.Tests;

/// <summary>RLP against the ethereum/tests vectors (Vectors/rlptest.json).</summary>
public sealed class RlpTests
{
    private static JsonElement Vectors =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "Vectors", "rlptest.json"))).RootElement;

    public static IEnumerable<string> ValidNames() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "rlptest.json"))).RootElement
            .GetProperty("tests").EnumerateObject().Select(p => p.Name).ToList();

    public static IEnumerable<string> InvalidNames() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "rlptest.json"))).RootElement
            .GetProperty("invalid").EnumerateObject().Select(p => p.Name).ToList();

    [TestCaseSource(nameof(ValidNames))]
    public void Encodes_and_decodes_the_ethereum_test_vector(string name)
    {
        var test = Vectors.GetProperty("tests").GetProperty(name);
        var item = ToItem(test.GetProperty("in"));
        var expected = Hex.Decode(test.GetProperty("out").GetString()!);
        Assert.That(Hex.Encode(Rlp.Rlp.Encode(item)), Is.EqualTo(Hex.Encode(expected)));
        Assert.That(Hex.Encode(Rlp.Rlp.Encode(Rlp.Rlp.Decode(expected))), Is.EqualTo(Hex.Encode(expected)), "decode then encode round-trips");
    }

    [TestCaseSource(nameof(InvalidNames))]
    public void Rejects_the_invalid_ethereum_test_vector(string name)
    {
        var bytes = Hex.Decode(Vectors.GetProperty("invalid").GetProperty(name).GetString()!);
        Assert.Throws<RlpException>(() => Rlp.Rlp.Decode(bytes));
    }

    [Test]
    public void Integer_with_leading_zero_is_not_canonical()
    {
        var item = Rlp.Rlp.Decode(Hex.Decode("0x820001"));
        Assert.Throws<RlpException>(() => item.AsInteger());
        Assert.That(Rlp.Rlp.Decode(Hex.Decode("0x8203e8")).AsUInt64(), Is.EqualTo(1000UL));
    }

    private static RlpItem ToItem(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => RlpItem.List(e.EnumerateArray().Select(ToItem).ToList()),
        JsonValueKind.Number => RlpItem.Of(e.GetUInt64()),
        JsonValueKind.String when e.GetString()!.StartsWith('#') => RlpItem.Of(BigInteger.Parse(e.GetString()![1..], System.Globalization.CultureInfo.InvariantCulture)),
        JsonValueKind.String => RlpItem.Of(Encoding.Latin1.GetBytes(e.GetString()!)),
        _ => throw new ArgumentException($"unexpected {e.ValueKind}"),
    };
}
