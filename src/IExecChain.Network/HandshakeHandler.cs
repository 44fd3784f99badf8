using Google.Protobuf;
using IExecChain.Network.Wire;

namespace IExecChain.Network;

/// <summary>
/// The control channel of one host (LiteNetLib channel 0), network thread only: Hello, proof and
/// AuthAccepted as <see cref="Handshake"/> defines them, the session keys derived when the peer's Hello
/// arrives, and the identity checks of <see cref="ConnectionAdmission"/> once its proof verifies. Any
/// deviation closes the connection unscored: nobody is authenticated yet to be scored.
/// </summary>
internal sealed class HandshakeHandler(P2PHost host)
{
    private NetworkOptions Options => host.Options;

    public void OnControl(Peer peer, ReadOnlySpan<byte> bytes, long now)
    {
        if (peer.State == PeerState.Active)
        {
            host.Disconnect(peer, DisconnectCause.ProtocolViolation, "control message after the handshake");
            return;
        }
        if (bytes.Length > NetworkOptions.MaxControlMessageBytes || !peer.Buckets[P2PHost.ControlChannel].TryTake(bytes.Length, now))
        {
            host.Metrics.CountDrop(DropReason.Malformed);
            host.Disconnect(peer, DisconnectCause.ProtocolViolation, "control message too large or too frequent");
            return;
        }
        ControlMessage message;
        try
        {
            message = ControlMessage.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            host.Metrics.CountDrop(DropReason.Malformed);
            host.Disconnect(peer, DisconnectCause.ProtocolViolation, "unparsable control message");
            return;
        }
        switch (message.BodyCase)
        {
            case ControlMessage.BodyOneofCase.Hello:
                OnHello(peer, message.Hello);
                break;
            case ControlMessage.BodyOneofCase.Auth:
                OnProof(peer, message.Auth);
                break;
            case ControlMessage.BodyOneofCase.Accepted:
                OnAccepted(peer);
                break;
            default:
                host.Disconnect(peer, DisconnectCause.ProtocolViolation, "empty control message");
                break;
        }
    }

    private void OnHello(Peer peer, Hello hello)
    {
        if (peer.RemoteChallenge is not null || peer.Ephemeral is null)
        {
            host.Disconnect(peer, DisconnectCause.ProtocolViolation, "second Hello");
            return;
        }
        var problem = Handshake.CheckHello(hello, Options, peer.OwnChallenge, peer.OwnEphemeral);
        if (problem is { } p)
        {
            host.Disconnect(peer, p.Cause, p.Detail);
            return;
        }
        byte[]? secret = peer.Ephemeral.Agree(hello.EphemeralKey.Span);
        if (secret is null)
        {
            host.Disconnect(peer, DisconnectCause.ProtocolViolation, "ephemeral key is not a P-256 point");
            return;
        }
        byte[] challenge = hello.Challenge.ToByteArray();
        byte[] remoteEphemeral = hello.EphemeralKey.ToByteArray();
        var session = KeyExchange.Derive(secret, Options.ChainId, Options.GenesisHash, peer.OwnEphemeral, remoteEphemeral, peer.OwnChallenge, challenge);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        peer.HelloReceived(challenge, new(hello.Address.Span), (int)hello.ListenPort, remoteEphemeral, session);
        host.SendControl(peer, Handshake.Proof(host.NodeKey, Options, peer));
        peer.ProofSent = true;
    }

    private void OnProof(Peer peer, AuthProof proof)
    {
        if (peer.RemoteChallenge is null || peer.State != PeerState.Handshaking)
        {
            host.Disconnect(peer, DisconnectCause.ProtocolViolation, "proof out of order");
            return;
        }
        if (!Handshake.TryVerify(Options, peer, proof.Signature.Span, out var address))
        {
            host.Disconnect(peer, DisconnectCause.BadSignature, $"proof does not recover to the claimed {peer.ClaimedAddress}");
            return;
        }
        var refusal = host.Admission.CheckIdentity(peer, address);
        if (refusal is { } r)
        {
            host.Disconnect(peer, r.Item1, r.Item2);
            return;
        }
        host.MarkVerified(peer, address);
        host.SendControl(peer, new ControlMessage { Accepted = new AuthAccepted() });
        if (peer.AcceptedUs) host.Activate(peer);
    }

    private void OnAccepted(Peer peer)
    {
        if (!peer.ProofSent || peer.AcceptedUs)
        {
            host.Disconnect(peer, DisconnectCause.ProtocolViolation, "AuthAccepted out of order");
            return;
        }
        peer.AcceptedUs = true;
        if (peer.State == PeerState.Verified) host.Activate(peer);
    }
}
