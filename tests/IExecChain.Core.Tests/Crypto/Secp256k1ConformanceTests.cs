using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Core.Tests.Crypto;

/// <summary>The contract of <see cref="ISecp256k1Backend"/>, run against every implementation.</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.Names))]
public class Secp256k1ConformanceTests(string backendName)
{
    private static readonly byte[] N = Convert.FromHexString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    private static readonly byte[] Digest = Keccak256.HashToArray("iExecChain conformance"u8);
    private static readonly byte[] Key = Keccak256.HashToArray("fixed test key"u8);

    private ISecp256k1Backend _backend = null!;
    private byte[] _publicKey = null!;
    private byte[] _signature = null!;

    [OneTimeSetUp]
    public void SelectBackend()
    {
        _backend = Backends.Get(backendName);
        _publicKey = new byte[64];
        Assert.That(_backend.TryGetPublicKey(Key, _publicKey), Is.True);
        _signature = new byte[65];
        _backend.Sign(Key, Digest, _signature);
    }

    [Test]
    public void Signature_is_low_S_with_recovery_id_0_or_1_and_recovers_the_signer()
    {
        Assert.That(_signature[64], Is.LessThanOrEqualTo(1));
        Assert.That(_signature[32], Is.LessThan(0x80), "s must be at most n/2");
        var recovered = new byte[64];
        Assert.That(_backend.TryRecover(Digest, _signature, recovered), Is.True);
        Assert.That(recovered, Is.EqualTo(_publicKey));
        Assert.That(_backend.Verify(Digest, _signature, _publicKey), Is.True);
    }

    [Test]
    public void Signing_is_deterministic()
    {
        var again = new byte[65];
        _backend.Sign(Key, Digest, again);
        Assert.That(again, Is.EqualTo(_signature));
    }

    [Test]
    public void High_S_twin_is_rejected_by_recover_and_verify()
    {
        byte[] twin = HighSTwin(_signature);
        Assert.That(_backend.TryRecover(Digest, twin, new byte[64]), Is.False);
        Assert.That(_backend.Verify(Digest, twin, _publicKey), Is.False);
    }

    [TestCase(2)]
    [TestCase(3)]
    [TestCase(27)]
    [TestCase(28)]
    public void Recovery_id_outside_0_and_1_is_rejected(int v)
    {
        byte[] bad = (byte[])_signature.Clone();
        bad[64] = (byte)v;
        Assert.That(_backend.TryRecover(Digest, bad, new byte[64]), Is.False);
        Assert.That(_backend.Verify(Digest, bad, _publicKey), Is.False);
    }

    [Test]
    public void Zero_or_out_of_range_r_and_s_are_rejected()
    {
        foreach (int offset in new[] { 0, 32 })
        {
            byte[] zero = (byte[])_signature.Clone();
            zero.AsSpan(offset, 32).Clear();
            byte[] order = (byte[])_signature.Clone();
            N.CopyTo(order, offset);
            byte[] max = (byte[])_signature.Clone();
            max.AsSpan(offset, 32).Fill(0xFF);
            foreach (var bad in new[] { zero, order, max })
            {
                Assert.That(_backend.TryRecover(Digest, bad, new byte[64]), Is.False);
                Assert.That(_backend.Verify(Digest, bad, _publicKey), Is.False);
            }
        }
    }

    [Test]
    public void Malformed_lengths_are_rejected_without_throwing()
    {
        Assert.That(_backend.TryRecover(Digest, _signature.AsSpan(0, 64), new byte[64]), Is.False);
        Assert.That(_backend.TryRecover(Digest.AsSpan(0, 31), _signature, new byte[64]), Is.False);
        Assert.That(_backend.Verify(Digest, _signature, _publicKey.AsSpan(0, 63)), Is.False);
        Assert.That(_backend.TryGetPublicKey(Key.AsSpan(0, 31), new byte[64]), Is.False);
    }

    [Test]
    public void Tampered_signature_or_digest_does_not_recover_the_signer()
    {
        var recovered = new byte[64];
        for (int i = 0; i < 64; i += 7)
        {
            byte[] tampered = (byte[])_signature.Clone();
            tampered[i] ^= 0x01;
            bool ok = _backend.TryRecover(Digest, tampered, recovered);
            Assert.That(ok && recovered.AsSpan().SequenceEqual(_publicKey), Is.False, $"byte {i} flipped");
            Assert.That(_backend.Verify(Digest, tampered, _publicKey), Is.False, $"byte {i} flipped");
        }
        byte[] otherDigest = (byte[])Digest.Clone();
        otherDigest[0] ^= 0x80;
        Assert.That(_backend.TryRecover(otherDigest, _signature, recovered) && recovered.AsSpan().SequenceEqual(_publicKey), Is.False);
        Assert.That(_backend.Verify(otherDigest, _signature, _publicKey), Is.False);
    }

    [Test]
    public void Flipped_recovery_id_recovers_a_different_key()
    {
        byte[] flipped = (byte[])_signature.Clone();
        flipped[64] ^= 1;
        var recovered = new byte[64];
        bool ok = _backend.TryRecover(Digest, flipped, recovered);
        Assert.That(ok && recovered.AsSpan().SequenceEqual(_publicKey), Is.False);
    }

    [Test]
    public void Verify_rejects_another_key_and_a_point_off_the_curve()
    {
        var other = new byte[64];
        Assert.That(_backend.TryGetPublicKey(Keccak256.HashToArray("another key"u8), other), Is.True);
        Assert.That(_backend.Verify(Digest, _signature, other), Is.False);
        byte[] offCurve = (byte[])_publicKey.Clone();
        offCurve[63] ^= 0x01;
        Assert.That(_backend.Verify(Digest, _signature, offCurve), Is.False);
    }

    [Test]
    public void Zero_and_out_of_range_private_keys_are_rejected()
    {
        var nMinus1 = (byte[])N.Clone();
        nMinus1[31] -= 1;
        Assert.That(_backend.TryGetPublicKey(new byte[32], new byte[64]), Is.False);
        Assert.That(_backend.TryGetPublicKey(N, new byte[64]), Is.False);
        Assert.That(_backend.TryGetPublicKey(Enumerable.Repeat((byte)0xFF, 32).ToArray(), new byte[64]), Is.False);
        Assert.That(_backend.TryGetPublicKey(nMinus1, new byte[64]), Is.True);
        Assert.That(() => _backend.Sign(new byte[32], Digest, new byte[65]), Throws.ArgumentException.With.Message.Contains("zero"));
        Assert.That(() => _backend.Sign(N, Digest, new byte[65]), Throws.ArgumentException.With.Message.Contains("order"));
    }

    [Test]
    public void Extreme_digests_sign_and_recover()
    {
        foreach (var digest in new[] { new byte[32], Enumerable.Repeat((byte)0xFF, 32).ToArray(), (byte[])N.Clone() })
        {
            var signature = new byte[65];
            _backend.Sign(Key, digest, signature);
            var recovered = new byte[64];
            Assert.That(_backend.TryRecover(digest, signature, recovered), Is.True);
            Assert.That(recovered, Is.EqualTo(_publicKey));
            Assert.That(_backend.Verify(digest, signature, _publicKey), Is.True);
        }
    }

    [Test]
    public void Name_says_which_implementation_it_is()
    {
        Assert.That(_backend.Name, Does.Contain(backendName == "native" ? "libsecp256k1" : "BouncyCastle"));
    }

    /// <summary>(r, n − s, v ^ 1): the same ECDSA signature in its malleated high-S form.</summary>
    internal static byte[] HighSTwin(byte[] signature)
    {
        var twin = (byte[])signature.Clone();
        var s = new System.Numerics.BigInteger(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
        var n = new System.Numerics.BigInteger(N, isUnsigned: true, isBigEndian: true);
        var highS = (n - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        twin.AsSpan(32, 32).Clear();
        highS.CopyTo(twin, 64 - highS.Length);
        twin[64] ^= 1;
        return twin;
    }
}
