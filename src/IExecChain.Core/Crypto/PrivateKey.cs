using System.Security.Cryptography;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Crypto;

/// <summary>
/// A secp256k1 private key with its public key and address derived once at construction.
/// <see cref="ToString"/> shows the address only, never the secret; the secret is reachable
/// through <see cref="Bytes"/>, a read-only view of the key's own buffer (copy it if you must
/// keep it beyond the key's lifetime).
/// </summary>
public sealed class PrivateKey
{
    private readonly byte[] _key;
    private readonly byte[] _publicKey;

    public PrivateKey(ReadOnlySpan<byte> key32)
    {
        string? invalid = Secp256k1Curve.DescribeInvalidPrivateKey(key32);
        if (invalid is not null) throw new ArgumentException(invalid, nameof(key32));
        _key = key32.ToArray();
        _publicKey = new byte[64];
        if (!Secp256k1.Default.TryGetPublicKey(_key, _publicKey))
            throw new ArgumentException("the private key was rejected by the secp256k1 backend", nameof(key32));
        Address = Address.FromPublicKey(_publicKey);
    }

    /// <summary>A fresh key from the operating system's CSPRNG; draws again in the ~2^-128 case of 0 or ≥ n.</summary>
    public static PrivateKey Generate()
    {
        Span<byte> candidate = stackalloc byte[32];
        try
        {
            do RandomNumberGenerator.Fill(candidate);
            while (!Secp256k1Curve.IsValidPrivateKey(candidate));
            return new PrivateKey(candidate);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(candidate);
        }
    }

    /// <summary>Parses 64 hex digits, with or without 0x. Throws <see cref="FormatException"/> or <see cref="ArgumentException"/>.</summary>
    public static PrivateKey FromHex(string hex)
    {
        byte[] bytes = Hex.Decode(hex);
        try
        {
            return new PrivateKey(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public Address Address { get; }

    /// <summary>The 64-byte uncompressed public key without the 0x04 prefix (a fresh copy).</summary>
    public byte[] PublicKey => (byte[])_publicKey.Clone();

    /// <summary>The 32 secret bytes, as a read-only view of this key's buffer (no copy).</summary>
    public ReadOnlySpan<byte> Bytes => _key;

    /// <summary>Signs a digest: 65 bytes r ‖ s ‖ v with <see cref="Secp256k1.Default"/>.</summary>
    public byte[] Sign(Hash256 hash)
    {
        var signature = new byte[Secp256k1Curve.SignatureLength];
        Sign(hash, signature);
        return signature;
    }

    public void Sign(Hash256 hash, Span<byte> signature65)
    {
        Span<byte> digest = stackalloc byte[Hash256.Size];
        hash.CopyTo(digest);
        Secp256k1.Default.Sign(_key, digest, signature65);
    }

    /// <summary>The secret as 0x-hex, for export to wallets; never logged.</summary>
    public string ToHex() => Hex.Encode(_key);

    public override string ToString() => $"PrivateKey({Address.ToChecksumString()})";
}
