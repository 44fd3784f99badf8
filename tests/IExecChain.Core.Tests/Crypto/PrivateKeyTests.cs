using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Core.Tests.Crypto;

public class PrivateKeyTests
{
    private const string DocsKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

    [Test]
    public void Key_from_hex_has_the_published_address_and_a_64_byte_public_key()
    {
        var key = PrivateKey.FromHex(DocsKey);
        Assert.That(key.Address, Is.EqualTo(Address.Parse("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")));
        Assert.That(key.PublicKey, Has.Length.EqualTo(64));
        Assert.That(Address.FromPublicKey(key.PublicKey), Is.EqualTo(key.Address));
        Assert.That(Hex.Encode(key.Bytes), Is.EqualTo(DocsKey));
    }

    [Test]
    public void ToString_shows_the_address_and_never_the_secret()
    {
        var key = PrivateKey.FromHex(DocsKey);
        Assert.That(key.ToString(), Does.Contain("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"));
        Assert.That(key.ToString(), Does.Not.Contain("4c0883a6"));
    }

    [Test]
    public void Invalid_keys_are_refused_with_the_reason()
    {
        Assert.That(() => new PrivateKey(new byte[32]), Throws.ArgumentException.With.Message.Contains("zero"));
        Assert.That(() => new PrivateKey(new byte[31]), Throws.ArgumentException.With.Message.Contains("32 bytes"));
        Assert.That(() => PrivateKey.FromHex("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"),
            Throws.ArgumentException.With.Message.Contains("order"));
        Assert.That(() => PrivateKey.FromHex("0xzz"), Throws.InstanceOf<FormatException>());
    }

    [Test]
    public void Generated_keys_are_distinct_and_sign_verifiably()
    {
        var a = PrivateKey.Generate();
        var b = PrivateKey.Generate();
        Assert.That(a.Address, Is.Not.EqualTo(b.Address));
        Hash256 hash = Keccak256.Hash("hello"u8);
        Span<byte> signature = stackalloc byte[65];
        a.Sign(hash, signature);
        Assert.That(signature.SequenceEqual(a.Sign(hash)), Is.True);
        Assert.That(Secp256k1.TryRecoverAddress(hash, signature, out var signer) && signer == a.Address, Is.True);
    }
}
