using System.Net;
using IExecChain.Core.Primitives;
using LiteNetLib;

namespace IExecChain.Network;

/// <summary>
/// The connections of one host, by LiteNetLib connection object and by proven address. Changed only
/// on the network thread; other threads read <see cref="Active"/>, an immutable snapshot republished
/// on every change, so sends and broadcasts never take a lock.
/// <para>
/// Keyed by the connection object, not LiteNetLib's peer id: LiteNetLib hands a removed connection's
/// id to the next one at once, so an id-keyed entry of a live connection could be overwritten, or
/// removed with the old one, leaving a connection nobody sends to and a proven address that refuses
/// every new connection of its owner as a duplicate.
/// </para>
/// </summary>
internal sealed class PeerTable
{
    private readonly Dictionary<NetPeer, Peer> _connections = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Address, Peer> _verified = [];
    private volatile Peer[] _active = [];

    /// <summary>Authenticated peers (any thread).</summary>
    public Peer[] Active => _active;

    public int Count => _connections.Count;

    /// <summary>Connections whose identity is proven (verified or active).</summary>
    public int ProvenCount => _verified.Count;

    public void Add(Peer peer) => _connections.Add(peer.Connection, peer);

    public void MarkVerified(Peer peer, Address address)
    {
        peer.Verified(address);
        _verified[address] = peer;
    }

    public bool TryGetVerified(Address address, out Peer? peer) => _verified.TryGetValue(address, out peer);

    /// <summary>Forgets a closed connection.</summary>
    public void Remove(Peer peer)
    {
        _connections.Remove(peer.Connection);
        if (!peer.Address.IsZero && _verified.TryGetValue(peer.Address, out var mapped) && mapped == peer)
            _verified.Remove(peer.Address);
    }

    public void PublishActive()
    {
        var active = new List<Peer>(_connections.Count);
        foreach (var peer in _connections.Values)
            if (peer.State == PeerState.Active) active.Add(peer);
        _active = active.ToArray();
    }

    public void Clear() => _active = [];

    /// <summary>The connection to a node listening on <paramref name="endPoint"/>, whichever side dialed.</summary>
    public Peer? Find(IPEndPoint endPoint)
    {
        foreach (var peer in _connections.Values)
        {
            if (!peer.EndPoint.Address.Equals(endPoint.Address)) continue;
            if (peer.EndPoint.Port == endPoint.Port || peer.ListenPort == endPoint.Port) return peer;
        }
        return null;
    }

    /// <summary>
    /// Open peers whose LiteNetLib connection has been closed for longer than <paramref name="graceMs"/>
    /// without its disconnect event reaching this table (the grace covers an event still queued).
    /// </summary>
    public List<Peer>? ClosedUnderneath(long nowMs, long graceMs)
    {
        List<Peer>? gone = null;
        foreach (var peer in _connections.Values)
        {
            if (peer.Connection.ConnectionState is not (ConnectionState.Disconnected or ConnectionState.ShutdownRequested))
            {
                peer.TransportGoneSinceMs = 0;
                continue;
            }
            if (peer.TransportGoneSinceMs == 0) peer.TransportGoneSinceMs = nowMs;
            else if (nowMs - peer.TransportGoneSinceMs > graceMs) (gone ??= []).Add(peer);
        }
        return gone;
    }

    /// <summary>Inbound connections still in the handshake, from <paramref name="ip"/> or from anywhere if null.</summary>
    public int PendingInbound(IPAddress? ip)
    {
        int pending = 0;
        foreach (var peer in _connections.Values)
            if (peer.Inbound && peer.State == PeerState.Handshaking && (ip is null || peer.EndPoint.Address.Equals(ip))) pending++;
        return pending;
    }

    /// <summary>Connections whose identity is proven (verified or active), but <paramref name="except"/>, by class.</summary>
    public (int Validators, int Observers) CountProven(Func<Address, PeerClass> classify, Peer? except)
    {
        int validators = 0, observers = 0;
        foreach (var peer in _verified.Values)
        {
            if (peer == except) continue;
            if (classify(peer.Address) == PeerClass.Validator) validators++;
            else observers++;
        }
        return (validators, observers);
    }

    public List<Peer>? HandshakesOlderThan(long nowMs, long timeoutMs)
    {
        List<Peer>? late = null;
        foreach (var peer in _connections.Values)
            if (peer.State != PeerState.Active && nowMs - peer.CreatedAtMs > timeoutMs) (late ??= []).Add(peer);
        return late;
    }
}
