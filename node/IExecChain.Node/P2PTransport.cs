using IExecChain.Consensus.Bft;
using IExecChain.Core.Primitives;
using IExecChain.Network;

namespace IExecChain.Node;

/// <summary>
/// Joins the peer-to-peer host to consensus and gossip: outgoing, the driver's channels map onto
/// the network's; incoming, each channel goes to its consumer (which must not block the network thread).
/// </summary>
internal sealed class P2PTransport : IConsensusTransport, IMessageSink
{
    public P2PHost? Host { get; set; }
    public BftDriver? Driver { get; set; }
    public TransactionGossip? Gossip { get; set; }
    public StateSync.SnapshotServer? Snapshots { get; set; }

    public void OnMessage(Peer peer, Channel channel, ReadOnlyMemory<byte> payload)
    {
        switch (channel)
        {
            case Channel.Consensus:
                Driver?.OnMessage(peer.Address, ConsensusChannel.Consensus, payload);
                break;
            case Channel.Sync:
                Driver?.OnMessage(peer.Address, ConsensusChannel.Sync, payload);
                break;
            case Channel.Transactions:
                Gossip?.OnMessage(peer.Address, payload);
                break;
            case Channel.Snapshots:
                Snapshots?.OnMessage(peer, payload);
                break;
        }
    }

    /// <summary>Messages the channel limits refused (a bug in a producer, never a reason to fail its caller).</summary>
    public long Oversized => Interlocked.Read(ref _oversized);
    private long _oversized;

    public void Broadcast(ConsensusChannel channel, byte[] payload)
    {
        if (Host is null) return;
        if (payload.Length > Host.Options.LimitsOf(Map(channel)).MaxMessageBytes) { Interlocked.Increment(ref _oversized); return; }
        Host.Broadcast(Map(channel), payload);
    }

    public void Send(Address peer, ConsensusChannel channel, byte[] payload)
    {
        if (Host is null || !Host.TryGetPeer(peer, out var target)) return;
        if (payload.Length > Host.Options.LimitsOf(Map(channel)).MaxMessageBytes) { Interlocked.Increment(ref _oversized); return; }
        Host.Send(target!, Map(channel), payload);
    }

    public void Penalize(Address peer, string reason, int points)
    {
        if (Host is not null && Host.TryGetPeer(peer, out var target)) Host.Penalize(target!, reason, points);
    }

    private static Channel Map(ConsensusChannel channel) => channel switch
    {
        ConsensusChannel.Consensus => Channel.Consensus,
        ConsensusChannel.Sync => Channel.Sync,
        ConsensusChannel.Transactions => Channel.Transactions,
        _ => throw new ArgumentOutOfRangeException(nameof(channel)),
    };
}
