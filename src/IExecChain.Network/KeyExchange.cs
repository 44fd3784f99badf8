using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using IExecChain.Core.Primitives;

namespace IExecChain.Network;

/// <summary>
/// The session key agreement of the handshake: each side sends a fresh ephemeral NIST P-256 public key
/// in its Hello (.NET's ECDiffieHellman over the system OpenSSL: a well-kept implementation, no new
/// package), and each side's identity proof signs both ephemeral keys (<see cref="Handshake"/>), so a
/// key substituted on the path makes the proof fail. The shared secret feeds HKDF-SHA256, one key per
/// direction; the ephemeral private key is dropped once the secret is derived, so a node key stolen
/// later does not decrypt recorded traffic.
/// </summary>
internal static class KeyExchange
{
    /// <summary>An uncompressed P-256 point: 0x04 ‖ X ‖ Y.</summary>
    public const int PublicKeySize = 65;
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("iExecChain/p2p-session/v2");

    /// <summary>
    /// The keys of both directions: send = HKDF(secret, salt = chainId ‖ genesis, info = domain ‖
    /// sender's ephemeral key ‖ receiver's ephemeral key ‖ sender's challenge ‖ receiver's challenge).
    /// Each side computes the same two keys, swapped.
    /// </summary>
    public static SessionCipher Derive(ReadOnlySpan<byte> sharedSecret, ulong chainId, Hash256 genesis,
        ReadOnlySpan<byte> ownEphemeral, ReadOnlySpan<byte> peerEphemeral, ReadOnlySpan<byte> ownChallenge, ReadOnlySpan<byte> peerChallenge)
    {
        Span<byte> salt = stackalloc byte[8 + Hash256.Size];
        BinaryPrimitives.WriteUInt64BigEndian(salt, chainId);
        genesis.CopyTo(salt[8..]);
        Span<byte> send = stackalloc byte[SessionCipher.KeySize];
        Span<byte> receive = stackalloc byte[SessionCipher.KeySize];
        try
        {
            DeriveKey(sharedSecret, salt, ownEphemeral, peerEphemeral, ownChallenge, peerChallenge, send);
            DeriveKey(sharedSecret, salt, peerEphemeral, ownEphemeral, peerChallenge, ownChallenge, receive);
            return new SessionCipher(send, receive);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(send);
            CryptographicOperations.ZeroMemory(receive);
        }
    }

    private static void DeriveKey(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> senderKey, ReadOnlySpan<byte> receiverKey,
        ReadOnlySpan<byte> senderChallenge, ReadOnlySpan<byte> receiverChallenge, Span<byte> output)
    {
        Span<byte> info = stackalloc byte[Domain.Length + 2 * PublicKeySize + 2 * Handshake.ChallengeSize];
        int o = 0;
        Domain.CopyTo(info); o += Domain.Length;
        senderKey.CopyTo(info[o..]); o += senderKey.Length;
        receiverKey.CopyTo(info[o..]); o += receiverKey.Length;
        senderChallenge.CopyTo(info[o..]); o += senderChallenge.Length;
        receiverChallenge.CopyTo(info[o..]); o += receiverChallenge.Length;
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, output, salt, info[..o]);
    }
}

/// <summary>One connection's ephemeral P-256 key pair; disposed as soon as the shared secret is derived.</summary>
internal sealed class EphemeralKey : IDisposable
{
    private readonly ECDiffieHellman _key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    public EphemeralKey()
    {
        var q = _key.ExportParameters(includePrivateParameters: false).Q;
        PublicKey = [0x04, .. q.X!, .. q.Y!];
    }

    /// <summary>0x04 ‖ X ‖ Y, as the Hello carries it.</summary>
    public byte[] PublicKey { get; }

    /// <summary>The raw ECDH secret with the peer's key; null if that is not a point of the curve.</summary>
    public byte[]? Agree(ReadOnlySpan<byte> peerPublicKey)
    {
        if (peerPublicKey.Length != KeyExchange.PublicKeySize || peerPublicKey[0] != 0x04) return null;
        try
        {
            using var peer = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = peerPublicKey[1..33].ToArray(), Y = peerPublicKey[33..].ToArray() },
            });
            return _key.DeriveRawSecretAgreement(peer.PublicKey);
        }
        catch (CryptographicException)
        {
            // OpenSSL refuses a point that is not on the curve (or the point at infinity).
            return null;
        }
    }

    public void Dispose() => _key.Dispose();
}
