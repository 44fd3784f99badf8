using System.Numerics;
using System.Text;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Abi;
using NUnit.Framework;

namespace IExecChain.Ethereum.Tests;

/// <summary>ABI encoding against the examples of the Solidity ABI specification.</summary>
public sealed class AbiTests
{
    private static string Words(params string[] words) => "0x" + string.Concat(words);
    private static string W(long v) => v.ToString("x64", System.Globalization.CultureInfo.InvariantCulture);
    private static string L(string asciiHex) => asciiHex.PadRight(64, '0');

    [Test]
    public void Spec_example_baz_uint32_bool()
    {
        var f = new AbiFunction("baz", ["uint32", "bool"]);
        Assert.That(Hex.Encode(f.Selector), Is.EqualTo("0xcdcd77c0"));
        Assert.That(Hex.Encode(f.EncodeCall(69u, true)), Is.EqualTo(Words("cdcd77c0", W(0x45), W(1))));
    }

    [Test]
    public void Spec_example_bar_bytes3_fixed_array()
    {
        var f = new AbiFunction("bar", ["bytes3[2]"]);
        Assert.That(Hex.Encode(f.Selector), Is.EqualTo("0xfce353f6"));
        var call = f.EncodeCall(new List<object> { "abc"u8.ToArray(), "def"u8.ToArray() });
        Assert.That(Hex.Encode(call), Is.EqualTo(Words("fce353f6", L("616263"), L("646566"))));
    }

    [Test]
    public void Spec_example_sam_bytes_bool_uint_array()
    {
        var f = new AbiFunction("sam", ["bytes", "bool", "uint[]"]);
        Assert.That(f.Signature, Is.EqualTo("sam(bytes,bool,uint256[])"));
        Assert.That(Hex.Encode(f.Selector), Is.EqualTo("0xa5643bf2"));
        var call = f.EncodeCall("dave"u8.ToArray(), true, new List<object> { 1, 2, 3 });
        Assert.That(Hex.Encode(call), Is.EqualTo(Words("a5643bf2", W(0x60), W(1), W(0xa0), W(4), L("64617665"), W(3), W(1), W(2), W(3))));
        var decoded = AbiCodec.Decode(f.Inputs, call.AsSpan(4));
        Assert.That(decoded[0], Is.EqualTo("dave"u8.ToArray()));
        Assert.That(decoded[1], Is.True);
        Assert.That((object[])decoded[2], Is.EqualTo(new object[] { new BigInteger(1), new BigInteger(2), new BigInteger(3) }));
    }

    [Test]
    public void Spec_example_f_with_dynamic_types_in_the_middle()
    {
        var f = new AbiFunction("f", ["uint", "uint32[]", "bytes10", "bytes"]);
        Assert.That(Hex.Encode(f.Selector), Is.EqualTo("0x8be65246"));
        var call = f.EncodeCall(0x123, new List<object> { 0x456u, 0x789u }, "1234567890"u8.ToArray(), "Hello, world!"u8.ToArray());
        Assert.That(Hex.Encode(call), Is.EqualTo(Words("8be65246",
            W(0x123), W(0x80), L("31323334353637383930"), W(0xe0),
            W(2), W(0x456), W(0x789),
            W(0xd), L(Convert.ToHexStringLower("Hello, world!"u8)))));
    }

    [Test]
    public void Spec_example_g_with_nested_dynamic_arrays_and_strings()
    {
        var f = new AbiFunction("g", ["uint[][]", "string[]"]);
        Assert.That(Hex.Encode(f.Selector), Is.EqualTo("0x2289b18c"));
        var call = f.EncodeCall(
            new List<object> { new List<object> { 1, 2 }, new List<object> { 3 } },
            new List<object> { "one", "two", "three" });
        Assert.That(Hex.Encode(call), Is.EqualTo(Words("2289b18c",
            W(0x40), W(0x140),
            W(2), W(0x40), W(0xa0), W(2), W(1), W(2), W(1), W(3),
            W(3), W(0x60), W(0xa0), W(0xe0),
            W(3), L("6f6e65"), W(3), L("74776f"), W(5), L("7468726565"))));
        var decoded = AbiCodec.Decode(f.Inputs, call.AsSpan(4));
        Assert.That((object[])decoded[1], Is.EqualTo(new object[] { "one", "two", "three" }));
    }

    [Test]
    public void Signed_integers_tuples_and_addresses_round_trip()
    {
        var types = new[] { AbiType.Parse("int8"), AbiType.Parse("(address,uint64,bytes32)[]"), AbiType.Parse("string") };
        var address = Address.Parse("0x00000000000000000000000000000000000000ff");
        var values = new object[] { -1, new List<object> { new List<object> { address, ulong.MaxValue, new byte[32] } }, "é" };
        var encoded = AbiCodec.Encode(types, values);
        Assert.That(Hex.Encode(encoded.AsSpan(0, 32)), Is.EqualTo("0x" + new string('f', 64)), "-1 is all ones");
        var decoded = AbiCodec.Decode(types, encoded);
        Assert.That(decoded[0], Is.EqualTo(new BigInteger(-1)));
        var tuple = (object[])((object[])decoded[1])[0];
        Assert.That(tuple[0], Is.EqualTo(address));
        Assert.That(tuple[1], Is.EqualTo(new BigInteger(ulong.MaxValue)));
        Assert.That(decoded[2], Is.EqualTo("é"));
    }

    [Test]
    public void Out_of_range_values_and_malformed_data_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AbiCodec.Encode([AbiType.Parse("uint8")], [256]));
        Assert.Throws<ArgumentOutOfRangeException>(() => AbiCodec.Encode([AbiType.Parse("int8")], [128]));
        Assert.Throws<AbiException>(() => AbiCodec.Decode([AbiType.Parse("bool")], new byte[31]));
        var two = new byte[32]; two[31] = 2;
        Assert.Throws<AbiException>(() => AbiCodec.Decode([AbiType.Parse("bool")], two));
        var huge = new byte[64]; huge[0] = 1;
        Assert.Throws<AbiException>(() => AbiCodec.Decode([AbiType.Parse("bytes")], huge));
        Assert.Throws<FormatException>(() => AbiType.Parse("uint7"));
    }
}
