using LiteNetLib;

namespace IExecChain.Network;

/// <summary>
/// LiteNetLib's manager, with the one repair its protected API allows for its stray connections
/// (docs/reliability.md "Re-peering after loss"). LiteNetLib keeps each connection in a list, which its
/// logic thread walks, and in a set by endpoint, through which received packets find it. Its removal
/// takes out of the set whatever entry equals the connection, and a connection equals every other one to
/// the same endpoint: a late removal of an old connection takes the new one out of the set and leaves it
/// in the list, a stray. Every packet from its peer is then answered "peer not found", and when the
/// logic thread finally drops the stray it fails to (no entry for it) and retries every update, taking
/// out of the set each next connection to that endpoint before its handshake can finish.
/// </summary>
internal sealed class TransportManager(INetEventListener listener) : NetManager(listener)
{
    /// <summary>
    /// Puts a stray back into the set: a connection still in the list (its id still names it) whose endpoint has
    /// no entry in the set. A live stray is reachable again; a closed one is then dropped by the logic thread's
    /// next removal, which now finds it, and leaves the list. False, and nothing changed, for any other connection:
    /// one that left the list, or one whose endpoint has an entry (which may be itself or another connection;
    /// the set cannot say which).
    /// </summary>
    public bool TryAdoptStray(LiteNetPeer connection) => Locked(write: true, () =>
        ReferenceEquals(GetPeerById(connection.Id), connection) && !ContainsPeer(connection) && AddPeerToSet(connection));

    /// <summary>Makes <paramref name="connection"/> a stray as LiteNetLib's late removal does: out of the set, still in the list. Tests only.</summary>
    internal bool StrayForTesting(LiteNetPeer connection) => Locked(write: true, () => RemovePeerFromSet(connection));

    /// <summary>Whether the set has an entry for this connection's endpoint.</summary>
    public bool Reachable(LiteNetPeer connection) => Locked(write: false, () => ContainsPeer(connection));

    private bool Locked(bool write, Func<bool> action)
    {
        if (write) _peersLock.EnterWriteLock();
        else _peersLock.EnterReadLock();
        try
        {
            return action();
        }
        finally
        {
            if (write) _peersLock.ExitWriteLock();
            else _peersLock.ExitReadLock();
        }
    }
}
