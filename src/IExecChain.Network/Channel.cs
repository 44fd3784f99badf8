namespace IExecChain.Network;

/// <summary>
/// The application channels of the transport. Each maps to its own LiteNetLib channel, so a large
/// sync response never queues behind (or in front of) a vote in the same reliable window.
/// LiteNetLib channel 0 is reserved for the handshake (control messages).
/// </summary>
public enum Channel : byte
{
    /// <summary>Proposals, votes, evidence. Reliable, unordered: consensus messages carry their own height and round.</summary>
    Consensus = 1,

    /// <summary>Mempool gossip. Reliable, unordered.</summary>
    Transactions = 2,

    /// <summary>Block sync requests and responses. Reliable, ordered: responses follow requests.</summary>
    Sync = 3,

    /// <summary>State sync: snapshot offers, chunks, tails and checkpoints. Reliable, unordered: requests and answers name what they carry.</summary>
    Snapshots = 4,
}

/// <summary>How a node classifies an authenticated peer. The network reports it; consumers enforce it.</summary>
public enum PeerClass
{
    /// <summary>In the current validator set: may propose and vote.</summary>
    Validator,

    /// <summary>Authenticated but not a validator: may sync and gossip transactions, never vote.</summary>
    Observer,
}

/// <summary>Receives application messages. Called on the network thread: it must not block.</summary>
public interface IMessageSink
{
    /// <summary>
    /// One message from an authenticated peer. <paramref name="payload"/> points into a pooled
    /// receive buffer that is reused when this call returns: copy what you keep. Hand heavy work
    /// (signature checks, execution) to another thread; a blocked sink stalls every peer.
    /// </summary>
    void OnMessage(Peer peer, Channel channel, ReadOnlyMemory<byte> payload);
}
