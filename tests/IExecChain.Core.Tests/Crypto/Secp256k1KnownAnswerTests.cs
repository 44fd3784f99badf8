using System.Security.Cryptography;
using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Core.Tests.Crypto;

/// <summary>Vectors published outside this project, checked on every backend.</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.Names))]
public class Secp256k1KnownAnswerTests(string backendName)
{
    private ISecp256k1Backend _backend = null!;

    [OneTimeSetUp]
    public void SelectBackend() => _backend = Backends.Get(backendName);

    // Key 1 is the generator's address; the second pair is the web3.js / ethers documentation key.
    [TestCase("0x0000000000000000000000000000000000000000000000000000000000000001", "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")]
    [TestCase("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")]
    public void Private_key_derives_the_published_address(string privateKey, string address)
    {
        Span<byte> publicKey = stackalloc byte[64];
        Assert.That(_backend.TryGetPublicKey(Hex.Decode(privateKey), publicKey), Is.True);
        Assert.That(Address.FromPublicKey(publicKey).ToChecksumString(), Is.EqualTo(address));
    }

    // The classic RFC 6979 secp256k1 vectors (message hashed with SHA-256, s in low-S form), as
    // published on bitcointalk (topic 285142) and carried by trezor-crypto, CoreBitcoin and btcd.
    [TestCase("0000000000000000000000000000000000000000000000000000000000000001", "Satoshi Nakamoto",
        "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8", "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5")]
    [TestCase("0000000000000000000000000000000000000000000000000000000000000001", "All those moments will be lost in time, like tears in rain. Time to die...",
        "8600dbd41e348fe5c9465ab92d23e3db8b98b873beecd930736488696438cb6b", "547fe64427496db33bf66019dacbf0039c04199abb0122918601db38a72cfc21")]
    [TestCase("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", "Satoshi Nakamoto",
        "fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d0", "6b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5")]
    [TestCase("f8b8af8ce3c7cca5e300d33939540c10d45ce001b8f252bfbc57ba0342904181", "Alan Turing",
        "7063ae83e7f62bbb171798131b4a0564b956930092b33b07b395615d9ec7e15c", "58dfcc1e00a35e1572f366ffe34ba0fc47db1e7189759b9fb233c5b05ab388ea")]
    [TestCase("cca9fbcc1b41e5a95d369eaa6ddcff73b61a4efaa279cfc6567e8daa39cbaf50", "sample",
        "af340daf02cc15c8d5d08d7735dfe6b98a474ed373bdb5fbecf7571be52b3842", "5009fb27f37034a9b24b707b7c6b79ca23ddef9e25f7282e8a797efe53a8f124")]
    [TestCase("e91671c46231f833a6406ccbea0e3e392c76c167bac1cb013f6f1013980455c2",
        "There is a computer disease that anybody who works with computers knows about. It's a very serious disease and it interferes completely with the work. The trouble with computers is that you 'play' with them!",
        "b552edd27580141f3b2a5463048cb7cd3e047b97c9f98076c32dbdf85a68718b", "279fa72dd19bfae05577e06c7c0c1900c371fcd5893f7e1d56a37d30174671f6")]
    public void Signature_matches_the_published_RFC6979_vector_and_recovers_the_signer(string privateKey, string message, string r, string s)
    {
        byte[] key = Convert.FromHexString(privateKey);
        byte[] digest = SHA256.HashData(Encoding.ASCII.GetBytes(message));
        var signature = new byte[65];
        _backend.Sign(key, digest, signature);

        Assert.That(Convert.ToHexStringLower(signature.AsSpan(0, 32)), Is.EqualTo(r));
        Assert.That(Convert.ToHexStringLower(signature.AsSpan(32, 32)), Is.EqualTo(s));
        var publicKey = new byte[64];
        var recovered = new byte[64];
        Assert.That(_backend.TryGetPublicKey(key, publicKey), Is.True);
        Assert.That(_backend.TryRecover(digest, signature, recovered), Is.True);
        Assert.That(recovered, Is.EqualTo(publicKey));
        Assert.That(_backend.Verify(digest, signature, publicKey), Is.True);
    }
}
