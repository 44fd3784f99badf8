using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Network.Wire;
using LiteNetLib;
using LiteNetLib.Utils;

namespace IExecChain.Network;

/// <summary>
/// LiteNetLib's events for one <see cref="P2PHost"/>, all on its network thread: admission of
/// connection requests, the handshake on the control channel, and the checks every application
/// frame passes (authenticated, well-formed, within size and rate) before the sink sees it.
/// </summary>
internal sealed class InboundHandler(P2PHost host) : INetEventListener
{
    private NetworkOptions Options => host.Options;
    private NetworkMetrics Metrics => host.Metrics;

    public void OnConnectionRequest(ConnectionRequest request)
    {
        var endPoint = request.RemoteEndPoint;
        var refusal = Admit(request);
        if (refusal is null)
        {
            request.Accept();
            return;
        }
        var (cause, detail) = refusal.Value;
        Metrics.CountDisconnect(cause, byUs: true);
        NetworkLog.Refused(host.Log, endPoint, cause, detail);
        request.Reject(P2PHost.Goodbye(cause, detail));
    }

    private (DisconnectCause, string)? Admit(ConnectionRequest request)
    {
        if (!host.IsRunning) return (DisconnectCause.ShuttingDown, "node stopping");
        if (host.Bans.IsBanned(request.RemoteEndPoint, Environment.TickCount64)) return (DisconnectCause.Banned, "endpoint is banned");
        ConnectPreamble preamble;
        try
        {
            preamble = ConnectPreamble.Parser.ParseFrom(request.Data.GetRemainingBytesSpan());
        }
        catch (InvalidProtocolBufferException)
        {
            return (DisconnectCause.ProtocolViolation, "connection request without a valid preamble");
        }
        var mismatch = Handshake.CheckPreamble(preamble, Options);
        if (mismatch is not null) return mismatch;
        if (host.ConnectionCount >= Options.MaxPeers) return (DisconnectCause.TooManyPeers, $"{Options.MaxPeers} connections already");
        return null;
    }

    public void OnPeerConnected(NetPeer connection)
    {
        if (connection.Tag is Peer { State: not PeerState.Closed } previous)
        {
            // LiteNetLib raises one connect event per connection; a second one would leave the first peer
            // registered and Active on a connection whose events now reach the new one.
            NetworkLog.Inconsistent(host.Log, previous, "connected again");
            host.ConnectionEnded(previous, DisconnectCause.ConnectionLost, "superseded by a new connect event");
        }
        var peer = new Peer(host, connection, Handshake.NewChallenge(), Environment.TickCount64);
        connection.Tag = peer;
        host.AddConnection(peer);
        host.SendControl(peer, Handshake.Hello(Options, host.Address, peer.OwnChallenge, host.LocalEndPoint.Port));
    }

    public void OnPeerDisconnected(NetPeer connection, DisconnectInfo info)
    {
        var goodbye = ReadGoodbye(info.AdditionalData);
        DisconnectCause cause = goodbye is not null ? (DisconnectCause)(int)goodbye.Reason : info.Reason switch
        {
            DisconnectReason.Timeout => DisconnectCause.ConnectionLost,
            DisconnectReason.RemoteConnectionClose => DisconnectCause.RemoteClosed,
            DisconnectReason.ConnectionFailed => DisconnectCause.ConnectFailed,
            _ => DisconnectCause.Unspecified,
        };
        string detail = goodbye?.Detail is { Length: > 0 } text ? text : info.Reason.ToString();
        if (connection.Tag is Peer peer)
        {
            host.ConnectionEnded(peer, cause, detail);
            return;
        }
        // Never connected: our request was refused or not answered.
        Metrics.CountDisconnect(cause, byUs: false);
        NetworkLog.DialFailed(host.Log, new IPEndPoint(connection.Address, connection.Port), cause, detail);
    }

    public void OnNetworkReceive(NetPeer connection, NetPacketReader reader, byte channelNumber, DeliveryMethod deliveryMethod)
    {
        if (connection.Tag is not Peer peer || peer.State == PeerState.Closed)
        {
            // A live connection nobody here tracks: the other end sends on it and believes it is up. Closing it
            // makes that end notice and dial again, instead of talking into the void until it restarts.
            if (connection.ConnectionState == ConnectionState.Connected) host.DropUntracked(connection);
            return;
        }
        if (peer.IsBanIssued) return;
        var frame = new ReadOnlyMemory<byte>(reader.RawData, reader.UserDataOffset, reader.UserDataSize);
        long now = Environment.TickCount64;
        if (channelNumber > (byte)Channel.Sync || deliveryMethod != P2PHost.DeliveryOf(channelNumber))
        {
            Drop(peer, DropReason.Malformed, $"channel {channelNumber} with {deliveryMethod}");
            return;
        }
        Metrics.CountIn(channelNumber, Math.Max(0, frame.Length - (channelNumber == P2PHost.ControlChannel ? 0 : 1)));
        if (channelNumber == P2PHost.ControlChannel)
        {
            OnControl(peer, frame.Span, now);
            return;
        }

        var channel = (Channel)channelNumber;
        if (peer.State == PeerState.Handshaking)
        {
            // The sender believes this connection authenticated and we do not: the two ends are on different
            // generations of the connection (after a restart, LiteNetLib replaces a connection when either
            // end dials again, and the two ends can cross). Never a reason to ban: that locked a restarted
            // validator out for the ban's 10 minutes. Closing makes both ends start one clean handshake now.
            Metrics.CountDrop(DropReason.Unauthenticated);
            host.Disconnect(peer, DisconnectCause.ProtocolViolation, $"{channel} message before the handshake completed");
            return;
        }
        // A verified peer sends application traffic only after it accepted our proof, so this
        // frame may have overtaken its AuthAccepted on the control channel.
        if (peer.State == PeerState.Verified) host.Activate(peer);

        if (frame.Length < 1)
        {
            Drop(peer, DropReason.Malformed, $"empty {channel} frame");
            return;
        }
        int payloadLength = frame.Length - 1;
        int max = Options.LimitsOf(channel).MaxMessageBytes;
        if (payloadLength > max)
        {
            Drop(peer, DropReason.Oversized, $"{payloadLength}-byte {channel} message over the {max}-byte limit");
            return;
        }
        if (!peer.Buckets[channelNumber].TryTake(payloadLength, now))
        {
            Drop(peer, DropReason.RateLimited, $"{channel} rate limit");
            return;
        }
        var payload = frame[1..];
        switch (frame.Span[0])
        {
            case P2PHost.FrameDirect:
                Deliver(peer, channel, payload);
                break;
            case P2PHost.FrameGossip:
                if (!host.Seen.TryAdd(channel, Keccak256.Hash(payload.Span), now))
                {
                    Metrics.CountDrop(DropReason.Duplicate);
                    return;
                }
                host.Relay(channel, frame.Span, peer);
                Deliver(peer, channel, payload);
                break;
            default:
                Drop(peer, DropReason.Malformed, $"unknown frame kind {frame.Span[0]}");
                break;
        }
    }

    private void Deliver(Peer peer, Channel channel, ReadOnlyMemory<byte> payload)
    {
        try
        {
            host.Sink.OnMessage(peer, channel, payload);
        }
        catch (Exception e)
        {
            NetworkLog.HandlerFailed(host.Log, e);
        }
    }

    private void OnControl(Peer peer, ReadOnlySpan<byte> bytes, long now)
    {
        if (peer.State == PeerState.Active)
        {
            host.Disconnect(peer, DisconnectCause.ProtocolViolation, "control message after the handshake");
            return;
        }
        if (bytes.Length > NetworkOptions.MaxControlMessageBytes || !peer.Buckets[P2PHost.ControlChannel].TryTake(bytes.Length, now))
        {
            Metrics.CountDrop(DropReason.Malformed);
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
            Metrics.CountDrop(DropReason.Malformed);
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
        if (peer.RemoteChallenge is not null)
        {
            host.Disconnect(peer, DisconnectCause.ProtocolViolation, "second Hello");
            return;
        }
        var problem = Handshake.CheckHello(hello, Options, peer.OwnChallenge);
        if (problem is { } p)
        {
            host.Disconnect(peer, p.Cause, p.Detail);
            return;
        }
        peer.HelloReceived(hello.Challenge.ToByteArray(), new Address(hello.Address.Span), (int)hello.ListenPort);
        host.SendControl(peer, Handshake.Proof(host.NodeKey, Options, peer.RemoteChallenge!, peer.OwnChallenge));
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
        var refusal = host.CheckIdentity(peer, address);
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

    private void Drop(Peer peer, DropReason reason, string detail)
    {
        Metrics.CountDrop(reason);
        int points = reason switch
        {
            DropReason.Oversized => Options.Penalties.Oversized,
            DropReason.RateLimited => Options.Penalties.RateLimited,
            DropReason.Malformed => Options.Penalties.Malformed,
            _ => 0,
        };
        if (points > 0) host.Penalize(peer, detail, points);
    }

    private static Goodbye? ReadGoodbye(NetPacketReader? reader)
    {
        if (reader is null || reader.IsNull || reader.AvailableBytes == 0) return null;
        try
        {
            return Goodbye.Parser.ParseFrom(reader.GetRemainingBytesSpan());
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    public void OnNetworkError(IPEndPoint endPoint, SocketError socketError) => NetworkLog.SocketError(host.Log, endPoint, socketError);

    public void OnNetworkReceiveUnconnected(IPEndPoint remoteEndPoint, NetPacketReader reader, UnconnectedMessageType messageType)
    {
        // Unconnected messages are disabled; nothing arrives here.
    }

    public void OnNetworkLatencyUpdate(NetPeer peer, int latency)
    {
    }

    public void OnMessageDelivered(NetPeer peer, object userData)
    {
    }

    public void OnNtpResponse(NtpPacket packet)
    {
    }

    public void OnPeerAddressChanged(NetPeer peer, IPEndPoint previousAddress)
    {
    }
}
