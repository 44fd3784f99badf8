using System.Buffers.Binary;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Content;

/// <summary>
/// What an uploader signs to put content on a node (iex_putContent): "I, the signer, upload the
/// content named by this root and size, until this time". The node recovers the signer with the
/// chain's own secp256k1 code and charges that account's upload quota.
/// </summary>
/// <remarks>
/// digest = keccak256("iExecChain content upload v1" ‖ root ‖ uint64-BE size ‖ uint64-BE expiresAt),
/// expiresAt in Unix seconds; the 65-byte signature is r ‖ s ‖ v (v = 0/1), like transactions.
/// The ASCII tag keeps the digest apart from every other signed thing of the chain (a transaction
/// body is protobuf, a vote starts with its own tag). A captured statement can be replayed until it
/// expires, but only to upload the same bytes, which stores nothing new.
/// </remarks>
public static class ContentUploadStatement
{
    private static ReadOnlySpan<byte> Tag => "iExecChain content upload v1"u8;

    public static Hash256 Digest(Hash256 root, long size, ulong expiresAt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        Span<byte> buffer = stackalloc byte[Tag.Length + Hash256.Size + 8 + 8];
        Tag.CopyTo(buffer);
        root.CopyTo(buffer[Tag.Length..]);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[(Tag.Length + Hash256.Size)..], (ulong)size);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[(Tag.Length + Hash256.Size + 8)..], expiresAt);
        return Keccak256.Hash(buffer);
    }

    public static byte[] Sign(PrivateKey uploader, Hash256 root, long size, ulong expiresAt)
    {
        ArgumentNullException.ThrowIfNull(uploader);
        return uploader.Sign(Digest(root, size, expiresAt));
    }

    /// <summary>The account that signed the statement; false for a malformed or non-canonical signature.</summary>
    public static bool TryRecoverUploader(Hash256 root, long size, ulong expiresAt, ReadOnlySpan<byte> signature, out Address uploader)
    {
        uploader = default;
        if (signature.Length != Secp256k1Curve.SignatureLength || !Secp256k1Curve.IsCanonicalSignature(signature)) return false;
        return Secp256k1.TryRecoverAddress(Digest(root, size, expiresAt), signature, out uploader);
    }
}
