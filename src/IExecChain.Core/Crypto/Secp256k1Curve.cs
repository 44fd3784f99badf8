namespace IExecChain.Core.Crypto;

/// <summary>
/// Range checks shared by every backend, done on the big-endian bytes before any curve
/// arithmetic, so both backends accept and reject exactly the same inputs.
/// </summary>
internal static class Secp256k1Curve
{
    public const int PrivateKeyLength = 32;
    public const int HashLength = 32;
    public const int SignatureLength = 65;
    public const int PublicKeyLength = 64;

    /// <summary>The group order n.</summary>
    public static ReadOnlySpan<byte> Order =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
        0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41,
    ];

    /// <summary>floor(n / 2): the largest s a canonical (low-S) signature may carry.</summary>
    public static ReadOnlySpan<byte> HalfOrder =>
    [
        0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0,
    ];

    /// <summary>True if the 32-byte big-endian scalar is in [1, n − 1].</summary>
    public static bool IsValidScalar(ReadOnlySpan<byte> scalar32) =>
        scalar32.Length == 32 && scalar32.IndexOfAnyExcept((byte)0) >= 0 && scalar32.SequenceCompareTo(Order) < 0;

    public static bool IsValidPrivateKey(ReadOnlySpan<byte> key) => IsValidScalar(key);

    /// <summary>Reason a private key is unusable, or null if it is valid.</summary>
    public static string? DescribeInvalidPrivateKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != PrivateKeyLength) return $"a private key is {PrivateKeyLength} bytes, got {key.Length}";
        if (key.IndexOfAnyExcept((byte)0) < 0) return "a private key must not be zero";
        if (key.SequenceCompareTo(Order) >= 0) return "a private key must be below the secp256k1 group order n";
        return null;
    }

    /// <summary>
    /// Canonical form of a 65-byte signature: r in [1, n − 1], s in [1, n/2], v in {0, 1}.
    /// libsecp256k1's recovery accepts high s, so this check is what keeps signatures non-malleable.
    /// </summary>
    public static bool IsCanonicalSignature(ReadOnlySpan<byte> signature65)
    {
        if (signature65.Length != SignatureLength) return false;
        if (signature65[64] > 1) return false;
        var s = signature65.Slice(32, 32);
        return IsValidScalar(signature65[..32])
            && s.IndexOfAnyExcept((byte)0) >= 0
            && s.SequenceCompareTo(HalfOrder) <= 0;
    }

    public static void RequireLength(ReadOnlySpan<byte> span, int length, string name)
    {
        if (span.Length != length) throw new ArgumentException($"{name} must be {length} bytes, got {span.Length}", name);
    }

    public static void RequireOutput(Span<byte> span, int length, string name)
    {
        if (span.Length < length) throw new ArgumentException($"{name} must hold {length} bytes, got {span.Length}", name);
    }
}
