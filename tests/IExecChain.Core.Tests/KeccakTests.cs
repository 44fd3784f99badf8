using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Core.Tests;

public class KeccakTests
{
    // Ethereum's well-known Keccak-256 answers (empty string, "abc", and the 200-byte 0xa3 vector
    // from the Keccak team's test set).
    [TestCase("", "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")]
    [TestCase("abc", "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")]
    [TestCase("The quick brown fox jumps over the lazy dog", "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15")]
    public void Known_answers_match(string input, string expected)
    {
        Assert.That(Keccak256.Hash(Encoding.ASCII.GetBytes(input)).ToString(), Is.EqualTo(expected));
    }

    [Test]
    public void Multi_block_input_matches_known_answer()
    {
        var input = new byte[200];
        Array.Fill(input, (byte)0xa3);
        Assert.That(Keccak256.Hash(input).ToString(), Is.EqualTo("0x3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a"));
    }

    [Test]
    public void Incremental_hash_equals_one_shot_for_every_split()
    {
        var data = new byte[300];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 7 + 3);
        var expected = Keccak256.Hash(data);
        for (int split = 0; split <= data.Length; split += 17)
        {
            var h = new Keccak256.Incremental();
            h.Append(data.AsSpan(0, split));
            h.Append(data.AsSpan(split));
            Assert.That(h.Finish(), Is.EqualTo(expected), $"split at {split}");
        }
    }

    [Test]
    public void Checksum_address_matches_eip55_examples()
    {
        foreach (var s in new[] { "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB" })
            Assert.That(Address.Parse(s).ToChecksumString(), Is.EqualTo(s));
    }

    [Test]
    public void Malformed_hex_is_rejected_with_a_reason()
    {
        Assert.That(Address.TryParse("0x12", out _, out var error), Is.False);
        Assert.That(error, Does.Contain("20 bytes"));
        Assert.That(Hex.TryDecode("0xzz", out _, out error), Is.False);
        Assert.That(error, Does.Contain("invalid hex"));
    }

    [Test]
    public void HashToArray_returns_the_digest()
    {
        Assert.That(Hex.Encode(Keccak256.HashToArray("abc"u8)), Is.EqualTo("0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"));
    }
}
