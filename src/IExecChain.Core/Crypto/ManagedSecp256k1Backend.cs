using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Math.EC.Multiplier;

namespace IExecChain.Core.Crypto;

/// <summary>
/// secp256k1 on BouncyCastle, for machines without libsecp256k1. It must produce the same bytes
/// as the native backend, so it follows libsecp256k1's recipe step by step: RFC 6979 nonce
/// (BouncyCastle's <see cref="HMacDsaKCalculator"/> over SHA-256), r = R.x mod n,
/// s = k⁻¹(e + r·d) mod n, recovery id from R's y parity, and, when s is high, s := n − s with the
/// recovery id flipped. Computing R ourselves (rather than calling ECDsaSigner and then trying
/// both recovery ids) gives the recovery id for free: one point multiplication instead of four.
/// </summary>
internal sealed class ManagedSecp256k1Backend : ISecp256k1Backend
{
    public static readonly ManagedSecp256k1Backend Instance = new();

    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");
    private static readonly BigInteger N = Curve.N;
    private static readonly BigInteger HalfN = N.ShiftRight(1);
    private static readonly ECPoint G = Curve.G;
    private static readonly FixedPointCombMultiplier BaseMultiplier = new();

    private ManagedSecp256k1Backend() { }

    public string Name => "managed (BouncyCastle)";

    public void Sign(ReadOnlySpan<byte> privateKey32, ReadOnlySpan<byte> hash32, Span<byte> signature65)
    {
        Secp256k1Curve.RequireLength(privateKey32, Secp256k1Curve.PrivateKeyLength, nameof(privateKey32));
        Secp256k1Curve.RequireLength(hash32, Secp256k1Curve.HashLength, nameof(hash32));
        Secp256k1Curve.RequireOutput(signature65, Secp256k1Curve.SignatureLength, nameof(signature65));
        string? invalid = Secp256k1Curve.DescribeInvalidPrivateKey(privateKey32);
        if (invalid is not null) throw new ArgumentException(invalid, nameof(privateKey32));

        var d = new BigInteger(1, privateKey32);
        var e = new BigInteger(1, hash32);
        var nonces = new HMacDsaKCalculator(new Sha256Digest());
        nonces.Init(N, d, hash32.ToArray());
        while (true)
        {
            BigInteger k = nonces.NextK();
            ECPoint point = BaseMultiplier.Multiply(G, k).Normalize();
            BigInteger x = point.AffineXCoord.ToBigInteger();
            BigInteger r = x.Mod(N);
            if (r.SignValue == 0) continue;
            BigInteger s = k.ModInverse(N).Multiply(e.Add(d.Multiply(r))).Mod(N);
            if (s.SignValue == 0) continue;
            int recoveryId = point.AffineYCoord.TestBitZero() ? 1 : 0;
            // x ≥ n has probability ~2^-127; the signature could not carry v in {0,1}.
            if (x.CompareTo(N) >= 0) throw new System.Security.Cryptography.CryptographicException("secp256k1 produced a signature with recovery id > 1");
            if (s.CompareTo(HalfN) > 0)
            {
                s = N.Subtract(s);
                recoveryId ^= 1;
            }
            WriteScalar(r, signature65[..32]);
            WriteScalar(s, signature65.Slice(32, 32));
            signature65[64] = (byte)recoveryId;
            return;
        }
    }

    public bool TryRecover(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> signature65, Span<byte> publicKey64)
    {
        Secp256k1Curve.RequireOutput(publicKey64, Secp256k1Curve.PublicKeyLength, nameof(publicKey64));
        if (hash32.Length != Secp256k1Curve.HashLength || !Secp256k1Curve.IsCanonicalSignature(signature65)) return false;

        // SEC 1 v2, 4.1.6: R is the point with x = r and the parity given by v; Q = r⁻¹(sR − eG).
        Span<byte> compressed = stackalloc byte[33];
        compressed[0] = (byte)(0x02 | signature65[64]);
        signature65[..32].CopyTo(compressed[1..]);
        ECPoint rPoint;
        try
        {
            rPoint = Curve.Curve.DecodePoint(compressed.ToArray());
        }
        catch (ArgumentException)
        {
            return false; // r is not the x coordinate of a curve point
        }
        var r = new BigInteger(1, signature65[..32]);
        var s = new BigInteger(1, signature65.Slice(32, 32));
        var e = new BigInteger(1, hash32);
        BigInteger rInverse = r.ModInverse(N);
        BigInteger u1 = N.Subtract(e.Multiply(rInverse).Mod(N)).Mod(N);
        BigInteger u2 = s.Multiply(rInverse).Mod(N);
        ECPoint q = ECAlgorithms.SumOfTwoMultiplies(G, u1, rPoint, u2).Normalize();
        if (q.IsInfinity) return false;
        WritePoint(q, publicKey64);
        return true;
    }

    public bool TryGetPublicKey(ReadOnlySpan<byte> privateKey32, Span<byte> publicKey64)
    {
        Secp256k1Curve.RequireOutput(publicKey64, Secp256k1Curve.PublicKeyLength, nameof(publicKey64));
        if (!Secp256k1Curve.IsValidPrivateKey(privateKey32)) return false;
        ECPoint q = BaseMultiplier.Multiply(G, new BigInteger(1, privateKey32)).Normalize();
        WritePoint(q, publicKey64);
        return true;
    }

    public bool Verify(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> signature65, ReadOnlySpan<byte> publicKey64)
    {
        if (hash32.Length != Secp256k1Curve.HashLength
            || publicKey64.Length != Secp256k1Curve.PublicKeyLength
            || !Secp256k1Curve.IsCanonicalSignature(signature65))
            return false;
        var encoded = new byte[65];
        encoded[0] = 0x04;
        publicKey64.CopyTo(encoded.AsSpan(1));
        ECPoint q;
        try
        {
            q = Curve.Curve.DecodePoint(encoded); // checks the point is on the curve
        }
        catch (ArgumentException)
        {
            return false;
        }
        var r = new BigInteger(1, signature65[..32]);
        var s = new BigInteger(1, signature65.Slice(32, 32));
        var e = new BigInteger(1, hash32);
        BigInteger w = s.ModInverse(N);
        ECPoint point = ECAlgorithms.SumOfTwoMultiplies(G, e.Multiply(w).Mod(N), q, r.Multiply(w).Mod(N)).Normalize();
        return !point.IsInfinity && point.AffineXCoord.ToBigInteger().Mod(N).Equals(r);
    }

    private static void WriteScalar(BigInteger value, Span<byte> destination32)
    {
        byte[] bytes = value.ToByteArrayUnsigned();
        destination32.Clear();
        bytes.CopyTo(destination32[(32 - bytes.Length)..]);
    }

    private static void WritePoint(ECPoint point, Span<byte> publicKey64)
    {
        WriteScalar(point.AffineXCoord.ToBigInteger(), publicKey64[..32]);
        WriteScalar(point.AffineYCoord.ToBigInteger(), publicKey64.Slice(32, 32));
    }
}
