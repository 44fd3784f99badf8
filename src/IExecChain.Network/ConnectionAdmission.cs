using System.Net;
using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Network.Wire;
using LiteNetLib;

namespace IExecChain.Network;

/// <summary>
/// Who may hold a connection, decided twice: when a connection request arrives (nothing is proven yet:
/// the preamble, bans, and the pending-handshake budget, overall and per IP) and when the peer's
/// identity is proven (bans, duplicates, expected seed identities, and the slots reserved for
/// validators). Unauthenticated senders are thereby confined to <see cref="NetworkOptions.MaxPendingHandshakes"/>
/// slots that each empty within <see cref="NetworkOptions.HandshakeTimeout"/>, and never touch the
/// authenticated ones. Network thread only.
/// </summary>
internal sealed class ConnectionAdmission(P2PHost host, PeerTable peers, BanList bans, PersistentPeers persistent)
{
    private NetworkOptions Options => host.Options;

    /// <summary>Checks a connection request; null when it may be accepted.</summary>
    public (DisconnectCause, string)? CheckRequest(ConnectionRequest request)
    {
        if (!host.IsRunning) return (DisconnectCause.ShuttingDown, "node stopping");
        var from = request.RemoteEndPoint;
        if (bans.IsBanned(from, Environment.TickCount64)) return (DisconnectCause.Banned, "endpoint is banned");
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
        var (validators, observers) = peers.CountProven(host.Classify, except: null);
        if (validators + observers >= Options.MaxPeers) return (DisconnectCause.TooManyPeers, $"{Options.MaxPeers} peers already");
        // Per IP before overall: one sender must not be able to take the whole budget.
        if (peers.PendingInbound(from.Address) >= Options.MaxPendingPerIp)
            return (DisconnectCause.TooManyPeers, $"{Options.MaxPendingPerIp} handshakes already pending from {from.Address}");
        if (peers.PendingInbound(ip: null) >= Options.MaxPendingHandshakes)
            return (DisconnectCause.TooManyPeers, $"{Options.MaxPendingHandshakes} handshakes already pending");
        return null;
    }

    /// <summary>Whether a proven identity may hold this connection; null if it may.</summary>
    public (DisconnectCause, string)? CheckIdentity(Peer peer, Address address)
    {
        if (address == host.Address) return (DisconnectCause.SelfConnection, "the peer has this node's key");
        if (bans.IsBanned(address, Environment.TickCount64)) return (DisconnectCause.Banned, $"{address} is banned");
        if (peers.TryGetVerified(address, out var existing) && existing != peer)
        {
            // LiteNetLib keeps one connection per endpoint: the same identity from the same endpoint on a new
            // connection means the old one was replaced (its owner restarted and dialed again). The old one is
            // gone; refusing the new one would lock a restarted node out until the old one timed out.
            if (!existing!.EndPoint.Equals(peer.EndPoint))
                return (DisconnectCause.DuplicateIdentity, $"{address} is already connected from {existing.EndPoint}");
            host.ConnectionEnded(existing, DisconnectCause.RemoteClosed, "replaced by a new connection from the same endpoint");
        }
        var seed = persistent.Find(peer.EndPoint, peer.ListenPort);
        if (seed?.ExpectedAddress is { } expected && expected != address)
            return (DisconnectCause.UnexpectedIdentity, $"{peer.EndPoint} should be {expected}, proved {address}");
        return CheckSlot(peer, address);
    }

    private (DisconnectCause, string)? CheckSlot(Peer peer, Address address)
    {
        var (validators, observers) = peers.CountProven(host.Classify, except: peer);
        if (validators + observers >= Options.MaxPeers) return (DisconnectCause.TooManyPeers, $"{Options.MaxPeers} peers already");
        int observerSlots = Options.MaxPeers - Options.ReservedValidatorSlots;
        if (host.Classify(address) == PeerClass.Observer && observers >= observerSlots)
            return (DisconnectCause.TooManyPeers, $"the {observerSlots} observer slots are taken ({Options.ReservedValidatorSlots} are reserved for validators)");
        return null;
    }
}
