using IExecChain.Core.Primitives;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// What block sync knows of the peers ahead of this node, to choose whom to ask: the height each last
/// showed in its status and, from its block responses, the lowest block it holds (a pruned node, or one
/// restored from a snapshot, cannot serve below it). A claimed lowest height routes requests and nothing
/// else: a peer that lies about it only gets itself asked less, or asked in vain.
/// Runs on the consensus thread.
/// </summary>
internal sealed class SyncPeers
{
    private readonly Dictionary<Address, Peer> _peers = [];

    /// <summary>A status from <paramref name="peer"/> showed it deciding <paramref name="statusHeight"/>, above ours.</summary>
    public void Heard(Address peer, ulong statusHeight, long now)
    {
        _peers[peer] = _peers.TryGetValue(peer, out var known)
            ? known with { StatusHeight = statusHeight, HeardAtMs = now }
            : new Peer(statusHeight, now, 0, 0);
    }

    /// <summary>
    /// <paramref name="peer"/> said the lowest block it holds is <paramref name="lowestHeight"/>. Kept only for
    /// a peer already heard ahead: any other answers nothing we would ask it.
    /// </summary>
    public void Holds(Address peer, ulong lowestHeight, long now)
    {
        if (_peers.TryGetValue(peer, out var known)) _peers[peer] = known with { LowestHeight = lowestHeight, LowestAtMs = now };
    }

    /// <summary>False only when <paramref name="peer"/> said, not too long ago, that it holds no block <paramref name="height"/>.</summary>
    public bool CanServe(Address peer, ulong height, long now) =>
        !_peers.TryGetValue(peer, out var known) || known.LowestHeight <= height || now - known.LowestAtMs > DriverTimings.SyncPeerMemoryMs;

    /// <summary>The peer heard most recently among those ahead of <paramref name="height"/> that can serve it; null when none is known.</summary>
    public Address? FindServing(ulong height, long now)
    {
        Address? best = null;
        long bestHeardMs = long.MinValue;
        foreach (var (address, peer) in _peers)
        {
            bool fresh = now - peer.HeardAtMs <= DriverTimings.SyncPeerMemoryMs;
            if (fresh && peer.StatusHeight > height && peer.HeardAtMs > bestHeardMs && CanServe(address, height, now))
            {
                best = address;
                bestHeardMs = peer.HeardAtMs;
            }
        }
        return best;
    }

    /// <summary>Drops the peers not heard from for <see cref="DriverTimings.SyncPeerMemoryMs"/>, so the table holds only peers still around.</summary>
    public void Forget(long now)
    {
        foreach (var (address, peer) in _peers)
            if (now - peer.HeardAtMs > DriverTimings.SyncPeerMemoryMs) _peers.Remove(address);
    }

    // StatusHeight is the height the peer is deciding: it holds every block below it (from LowestHeight).
    private readonly record struct Peer(ulong StatusHeight, long HeardAtMs, ulong LowestHeight, long LowestAtMs);
}
