using IExecChain.Core.Primitives;

namespace IExecChain.Consensus.Bft;

public enum ConsensusChannel
{
    /// <summary>Proposals, votes, evidence, status.</summary>
    Consensus,
    /// <summary>Block requests and responses.</summary>
    Sync,
    /// <summary>Transaction batches.</summary>
    Transactions,
}

/// <summary>
/// What the consensus driver needs from the peer-to-peer network; peers are known by their
/// authenticated address. The node adapts its transport to this.
/// </summary>
public interface IConsensusTransport
{
    void Broadcast(ConsensusChannel channel, byte[] payload);

    void Send(Address peer, ConsensusChannel channel, byte[] payload);

    /// <summary>Reports misbehaviour; enough points get the peer disconnected and banned.</summary>
    void Penalize(Address peer, string reason, int points);
}
