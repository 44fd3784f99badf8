using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Network.Wire;

namespace IExecChain.Network;

/// <summary>
/// The authentication handshake (docs/network.md). Each side sends Hello with a fresh 32-byte
/// challenge, a fresh ephemeral key (<see cref="KeyExchange"/>) and the address it claims, then proves
/// the claim by signing keccak256("iExecChain/p2p-auth/v2" ‖ chainId ‖ genesisHash ‖ verifier's
/// challenge ‖ signer's challenge ‖ verifier's ephemeral key ‖ signer's ephemeral key).
/// <list type="bullet">
/// <item>Replay: the verifier's challenge is fresh for every connection, so a proof recorded on an
/// earlier connection (or sent to another node) signs a different digest and recovers to an address
/// other than the claimed one.</item>
/// <item>Reflection: the two proofs of one connection sign the challenges in opposite orders, and a
/// Hello whose challenge equals ours is refused, so a node's own proof never verifies as the peer's;
/// an echoed identity is refused as a self-connection.</item>
/// <item>Cross-chain and cross-purpose: chain id and genesis hash are signed, and the domain string
/// separates these signatures from transactions and votes.</item>
/// <item>Session binding: both ephemeral keys are signed, so the session keys derived from them
/// (<see cref="SessionCipher"/>) belong to the proven identities; a relay that substitutes its own
/// ephemeral key makes the proof fail, and one that does not cannot read or forge the session.</item>
/// </list>
/// </summary>
internal static class Handshake
{
    public const int ChallengeSize = 32;
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("iExecChain/p2p-auth/v2");

    public static byte[] NewChallenge() => RandomNumberGenerator.GetBytes(ChallengeSize);

    public static Hash256 ProofDigest(ulong chainId, Hash256 genesis, ReadOnlySpan<byte> verifierChallenge, ReadOnlySpan<byte> signerChallenge,
        ReadOnlySpan<byte> verifierEphemeral, ReadOnlySpan<byte> signerEphemeral)
    {
        Span<byte> buffer = stackalloc byte[22 + 8 + 32 + 2 * ChallengeSize + 2 * KeyExchange.PublicKeySize];
        Domain.CopyTo(buffer);
        int o = Domain.Length;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[o..], chainId); o += 8;
        genesis.CopyTo(buffer[o..]); o += 32;
        verifierChallenge.CopyTo(buffer[o..]); o += ChallengeSize;
        signerChallenge.CopyTo(buffer[o..]); o += ChallengeSize;
        verifierEphemeral.CopyTo(buffer[o..]); o += verifierEphemeral.Length;
        signerEphemeral.CopyTo(buffer[o..]); o += signerEphemeral.Length;
        return Keccak256.Hash(buffer[..o]);
    }

    public static byte[] Preamble(NetworkOptions options) => new ConnectPreamble
    {
        ProtocolVersion = NetworkOptions.ProtocolVersion,
        ChainId = options.ChainId,
        GenesisHash = ByteString.CopyFrom(options.GenesisHash.ToArray()),
    }.ToByteArray();

    public static ControlMessage Hello(NetworkOptions options, Address self, byte[] challenge, byte[] ephemeralKey, int listenPort) => new()
    {
        Hello = new Hello
        {
            ProtocolVersion = NetworkOptions.ProtocolVersion,
            ChainId = options.ChainId,
            GenesisHash = ByteString.CopyFrom(options.GenesisHash.ToArray()),
            Challenge = ByteString.CopyFrom(challenge),
            ListenPort = (uint)listenPort,
            Address = ByteString.CopyFrom(self.ToArray()),
            EphemeralKey = ByteString.CopyFrom(ephemeralKey),
        },
    };

    /// <summary>Our proof to the peer of <paramref name="peer"/>'s connection (its Hello arrived).</summary>
    public static ControlMessage Proof(PrivateKey key, NetworkOptions options, Peer peer)
    {
        Hash256 digest = ProofDigest(options.ChainId, options.GenesisHash, peer.RemoteChallenge, peer.OwnChallenge, peer.RemoteEphemeral, peer.OwnEphemeral);
        return new ControlMessage { Auth = new AuthProof { Signature = ByteString.CopyFrom(key.Sign(digest)) } };
    }

    /// <summary>Checks what a connection request carries; null when this node may talk to the requester.</summary>
    public static (DisconnectCause Cause, string Detail)? CheckPreamble(ConnectPreamble preamble, NetworkOptions options) =>
        CheckChain(preamble.ProtocolVersion, preamble.ChainId, preamble.GenesisHash.Span, options);

    /// <summary>Checks a peer's Hello against ours; null when it is acceptable.</summary>
    public static (DisconnectCause Cause, string Detail)? CheckHello(Hello hello, NetworkOptions options, ReadOnlySpan<byte> ownChallenge, ReadOnlySpan<byte> ownEphemeral)
    {
        var chain = CheckChain(hello.ProtocolVersion, hello.ChainId, hello.GenesisHash.Span, options);
        if (chain is not null) return chain;
        if (hello.Challenge.Length != ChallengeSize)
            return (DisconnectCause.ProtocolViolation, $"challenge must be {ChallengeSize} bytes, got {hello.Challenge.Length}");
        if (hello.Challenge.Span.SequenceEqual(ownChallenge))
            return (DisconnectCause.ProtocolViolation, "challenge echoes ours");
        if (hello.Address.Length != Address.Size)
            return (DisconnectCause.ProtocolViolation, $"address must be {Address.Size} bytes, got {hello.Address.Length}");
        if (hello.EphemeralKey.Length != KeyExchange.PublicKeySize)
            return (DisconnectCause.ProtocolViolation, $"ephemeral key must be {KeyExchange.PublicKeySize} bytes, got {hello.EphemeralKey.Length}");
        if (hello.EphemeralKey.Span.SequenceEqual(ownEphemeral))
            return (DisconnectCause.ProtocolViolation, "ephemeral key echoes ours");
        if (hello.ListenPort > 65535)
            return (DisconnectCause.ProtocolViolation, $"listen port {hello.ListenPort} is not a UDP port");
        return null;
    }

    /// <summary>
    /// Verifies a peer's proof: it must recover, over the digest with our challenge first, to the
    /// address the peer claimed in its Hello. Returns the proven address.
    /// </summary>
    public static bool TryVerify(NetworkOptions options, Peer peer, ReadOnlySpan<byte> signature, out Address proven)
    {
        proven = default;
        if (peer.RemoteChallenge is null || signature.Length != 65) return false;
        Hash256 digest = ProofDigest(options.ChainId, options.GenesisHash, peer.OwnChallenge, peer.RemoteChallenge, peer.OwnEphemeral, peer.RemoteEphemeral);
        if (!Secp256k1.TryRecoverAddress(digest, signature, out var recovered) || recovered != peer.ClaimedAddress) return false;
        proven = recovered;
        return true;
    }

    private static (DisconnectCause, string)? CheckChain(uint version, ulong chainId, ReadOnlySpan<byte> genesis, NetworkOptions options)
    {
        if (version != NetworkOptions.ProtocolVersion)
            return (DisconnectCause.ProtocolVersion, $"protocol version {version}, this node speaks {NetworkOptions.ProtocolVersion}");
        if (chainId != options.ChainId)
            return (DisconnectCause.WrongChain, $"chain id {chainId}, this node is on {options.ChainId}");
        Span<byte> ours = stackalloc byte[Hash256.Size];
        options.GenesisHash.CopyTo(ours);
        if (!genesis.SequenceEqual(ours))
            return (DisconnectCause.WrongGenesis, $"genesis {Convert.ToHexStringLower(genesis)}, this node has {options.GenesisHash}");
        return null;
    }
}
