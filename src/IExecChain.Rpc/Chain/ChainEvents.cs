using IExecChain.Core.Blocks;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc.Subscriptions;

namespace IExecChain.Rpc.Chain;

/// <summary>The chain's events on the <see cref="RpcEventHub"/>, shaped like the RPC results they summarize.</summary>
public static class ChainEvents
{
    /// <summary>
    /// Publishes a committed block on <c>newHeads</c>. Called on the consensus thread: with no
    /// subscriber it allocates nothing, otherwise it serializes one small object and queues it.
    /// </summary>
    /// <returns>How many subscriptions the event was queued for.</returns>
    public static int PublishNewHead(this RpcEventHub hub, ChainBlock block)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(block);
        string topic = RpcTopic.NewHeads.Name;
        return hub.HasSubscribers(topic) ? hub.Publish(topic, NewHead(block)) : 0;
    }

    /// <summary>The header fields of a block, named as in iex_getBlockByNumber.</summary>
    public static NewHeadEvent NewHead(ChainBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        return NewHead(block.Header, block.Hash);
    }

    /// <summary>The header fields of a block, from its header and hash alone.</summary>
    public static NewHeadEvent NewHead(BlockHeader h, Core.Primitives.Hash256 hash)
    {
        ArgumentNullException.ThrowIfNull(h);
        return new NewHeadEvent(
            new Quantity(h.Height),
            hash.ToString(),
            RpcFormat.Bytes(h.ParentHash.Span),
            new Quantity(h.TimeUnixMs),
            RpcFormat.Bytes(h.StateRoot.Span),
            RpcFormat.Bytes(h.TxRoot.Span),
            new Quantity(h.TxCount),
            RpcFormat.Bytes(h.Proposer.Span));
    }

    /// <summary>Publishes a block's market events (task started, replica assigned, contributed, consensus, revealed, completed, failed...) on <c>tasks</c>.</summary>
    public static int PublishTaskEvents(this RpcEventHub hub, IReadOnlyList<State.Market.MarketEvent> events)
    {
        ArgumentNullException.ThrowIfNull(hub);
        string topic = RpcTopic.Tasks.Name;
        if (events.Count == 0 || !hub.HasSubscribers(topic)) return 0;
        int queued = 0;
        foreach (var e in events)
        {
            queued += hub.Publish(topic, new TaskEvent
            {
                Event = e.Kind,
                TaskId = e.TaskId.ToString(),
                DealId = e.DealId.ToString(),
                Requester = e.Requester.ToString().ToLowerInvariant(),
                Worker = e.Worker.IsZero ? null : e.Worker.ToString().ToLowerInvariant(),
                Status = e.Status,
                BlockNumber = new Quantity(e.Height),
            });
        }
        return queued;
    }
}
