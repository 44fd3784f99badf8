namespace IExecChain.Core.Crypto;

/// <summary>
/// One implementation of the secp256k1 operations the chain needs. Signatures are 65 bytes,
/// r(32) ‖ s(32) ‖ v(1), with v the recovery id 0 or 1, s in the lower half of the group order,
/// and the nonce from RFC 6979 (HMAC-SHA256), so every backend produces the same bytes.
/// Public keys are the 64-byte uncompressed point without the 0x04 prefix.
/// Implementations are thread-safe.
/// </summary>
public interface ISecp256k1Backend
{
    /// <summary>Human-readable name for logs, e.g. "native (libsecp256k1)".</summary>
    string Name { get; }

    /// <summary>Signs a 32-byte digest. Throws <see cref="ArgumentException"/> for a key that is 0 or ≥ n.</summary>
    void Sign(ReadOnlySpan<byte> privateKey32, ReadOnlySpan<byte> hash32, Span<byte> signature65);

    /// <summary>
    /// Recovers the signer's public key. Returns false for wrong lengths, v not in {0, 1}, r or s
    /// zero or ≥ n, high s, or a signature from which no key can be recovered.
    /// </summary>
    bool TryRecover(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> signature65, Span<byte> publicKey64);

    /// <summary>Derives the public key; false if the private key is 0 or ≥ n.</summary>
    bool TryGetPublicKey(ReadOnlySpan<byte> privateKey32, Span<byte> publicKey64);

    /// <summary>
    /// Plain ECDSA verification of (r, s) against <paramref name="publicKey64"/>, with the same
    /// strictness as <see cref="TryRecover"/> (low s, v in {0, 1}). The recovery id is not checked
    /// against the key: code that derives an identity from a signature (transactions, votes) must
    /// use <see cref="TryRecover"/>, which pins all 65 bytes.
    /// </summary>
    bool Verify(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> signature65, ReadOnlySpan<byte> publicKey64);
}
