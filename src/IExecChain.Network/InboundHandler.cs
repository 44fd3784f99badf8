using System.Buffers;
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
/// connection requests (<see cref="ConnectionAdmission"/>), the control channel (<see cref="HandshakeHandler"/>),
/// and the checks every application message passes (sealed by the peer's session, well-formed, within
/// size and rate) before the sink sees it.
/// </summary>
internal sealed class InboundHandler(P2PHost host) : INetEventListener
{
    private NetworkOptions Options => host.Options;
    private NetworkMetrics Metrics => host.Metrics;

    private readonly HandshakeHandler _handshake = new(host);

    public void OnConnectionRequest(ConnectionRequest request)
    {
        var endPoint = request.RemoteEndPoint;
        var refusal = host.Admission.CheckRequest(request);
        if (refusal is null)
        {
            // The peer exists from here, not from the connect event, so the requests of one batch of events
            // count against the pending-handshake budget at once.
            // Accept hands back the connection LiteNetLib already holds for this endpoint, if any (our own dial
            // still under way, or an established connection) and raises no connect event for it: only a new one is
            // registered. Registering a held one again replaced its Tag, so its traffic reached a fresh, unregistered
            // peer while the registered one stayed Active on a connection that was then closed: a dead peer the
            // redial never replaced (the split fault scenario lost the mesh after heal this way).
            var connection = request.Accept();
            if (connection is { ConnectionState: ConnectionState.Connected, Tag: null }) Register(connection, inbound: true);
            return;
        }
        var (cause, detail) = refusal.Value;
        Metrics.CountDisconnect(cause, byUs: true);
        host.Quiet.Refused(endPoint, cause, detail);
        request.Reject(P2PHost.Goodbye(cause, detail));
    }

    public void OnPeerConnected(NetPeer connection)
    {
        var peer = connection.Tag as Peer ?? Register(connection, inbound: false);
        host.SendControl(peer, Handshake.Hello(Options, host.Address, peer.OwnChallenge, peer.OwnEphemeral, host.LocalEndPoint.Port));
    }

    private Peer Register(NetPeer connection, bool inbound)
    {
        var peer = new Peer(host, connection, Handshake.NewChallenge(), Environment.TickCount64, inbound);
        connection.Tag = peer;
        host.AddConnection(peer);
        return peer;
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
        var wire = new ReadOnlySpan<byte>(reader.RawData, reader.UserDataOffset, reader.UserDataSize);
        long now = Environment.TickCount64;
        if (channelNumber > (byte)Channel.Snapshots || deliveryMethod != P2PHost.DeliveryOf(channelNumber))
        {
            // LiteNetLib's channel header is not sealed: anyone on the path could have written it, so unscored.
            Reject(peer, channelNumber, DropReason.Malformed);
            return;
        }
        if (channelNumber == P2PHost.ControlChannel)
        {
            Metrics.CountIn(channelNumber, wire.Length);
            _handshake.OnControl(peer, wire, now);
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
        // Authenticate first: only a message sealed with this session's keys may activate the peer, cost it
        // points or reach the sink. What fails is dropped and counted, unscored and without closing the
        // connection: anyone who can put a packet on the path can make one fail, not only the peer.
        int plainLength = wire.Length - SessionCipher.Overhead;
        if (plainLength < 0)
        {
            Reject(peer, channelNumber, DropReason.Tampered);
            return;
        }
        byte[] plain = ArrayPool<byte>.Shared.Rent(Math.Max(plainLength, 1));
        try
        {
            var opened = peer.Session!.TryOpen(channelNumber, wire, plain.AsSpan(0, plainLength));
            if (opened != OpenResult.Authentic)
            {
                Reject(peer, channelNumber, opened == OpenResult.Replayed ? DropReason.Replayed : DropReason.Tampered);
                return;
            }
            // A verified peer seals application traffic only after it accepted our proof, so this
            // message may have overtaken its AuthAccepted on the control channel.
            if (peer.State == PeerState.Verified) host.Activate(peer);
            OnFrame(peer, channel, plain.AsMemory(0, plainLength), now);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain);
        }
    }

    /// <summary>An authentic frame: kind byte and payload, checked for size and rate before delivery.</summary>
    private void OnFrame(Peer peer, Channel channel, ReadOnlyMemory<byte> frame, long now)
    {
        byte channelNumber = (byte)channel;
        Metrics.CountIn(channelNumber, Math.Max(0, frame.Length - 1));
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

    private void Reject(Peer peer, byte channelNumber, DropReason reason)
    {
        Metrics.CountDrop(reason);
        host.Quiet.PacketRejected(peer, channelNumber, reason);
    }

    private void Deliver(Peer peer, Channel channel, ReadOnlyMemory<byte> payload)
    {
        try
        {
            host.Sink.OnMessage(peer, channel, payload);
        }
        catch (Exception e)
        {
            host.Quiet.HandlerFailed(e);
        }
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

    public void OnNetworkError(IPEndPoint endPoint, SocketError socketError) => host.Quiet.SocketError(endPoint, socketError);

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
