using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// Block sync: a peer whose status shows a higher height is asked for blocks from our head; a
/// request is answered with committed blocks and their commits; a response's blocks are taken
/// only with a commit that proves > 2/3 of the power of that height's set, and only when they
/// execute on our head. A peer that no longer holds our next block (it prunes, or was restored from a
/// snapshot) says so with its lowest height, and the request goes at once to a peer that holds it.
/// Runs on the consensus thread.
/// </summary>
public sealed class BlockSync(ChainSpec spec, BlockProcessor processor, IConsensusTransport transport, MessageGate gate, IConsensusClock clock)
{
    public const int MaxBlocksPerResponse = 32;
    public const int MaxResponseBytes = 6 << 20;

    // Long enough ago that the next status may ask at once.
    private const long LongAgo = long.MinValue / 2;
    private long _lastRequestMs = LongAgo;
    private readonly SyncPeers _peers = new();
    // The peer of the last request, until it answers: only its answer may send the next request at once.
    private Address? _asked;

    // A peer ahead of us means blocks to fetch; one behind will ask us.
    public void OnStatus(Address from, ConsensusStatus status, ulong height)
    {
        if (status.Height <= height) return;
        long now = clock.MonotonicMs;
        _peers.Heard(from, status.Height, now);
        if (now - _lastRequestMs < DriverTimings.SyncRequestIntervalMs) return;
        _peers.Forget(now);
        ulong next = processor.Head.Height + 1;
        // The peer that spoke, unless it said it no longer holds our next block. When no peer is known to
        // hold it, ask the one that spoke anyway: what we learned may be stale, and sync never stops asking.
        Request(_peers.CanServe(from, next, now) ? from : _peers.FindServing(next, now) ?? from, next, now);
    }

    private void Request(Address peer, ulong fromHeight, long now)
    {
        _lastRequestMs = now;
        _asked = peer;
        var request = new ConsensusEnvelope { BlockRequest = new BlockRequest { FromHeight = fromHeight, Count = MaxBlocksPerResponse } };
        transport.Send(peer, ConsensusChannel.Sync, request.ToByteArray());
    }

    public void OnRequest(Address from, BlockRequest request)
    {
        var response = new BlockResponse { HeadHeight = processor.Head.Height, LowestHeight = processor.Blocks.LowestHeight };
        long bytes = 0;
        uint count = Math.Min(request.Count, (uint)MaxBlocksPerResponse);
        for (ulong h = request.FromHeight; h < request.FromHeight + count && h <= processor.Head.Height; h++)
        {
            var block = processor.Blocks.GetBlock(h);
            var commit = processor.Blocks.GetCommit(h);
            if (block is null || commit is null) break;
            var encoded = block.ToBytes();
            if (bytes + encoded.Length > MaxResponseBytes && response.Blocks.Count > 0) break;
            bytes += encoded.Length;
            response.Blocks.Add(new CommittedBlock { Block = UnsafeByteOperations.UnsafeWrap(encoded), Commit = commit });
        }
        // Below what we hold, an answer with no blocks tells the requester to ask another peer now.
        if (response.Blocks.Count > 0 || request.FromHeight < response.LowestHeight) transport.Send(from, ConsensusChannel.Sync, new ConsensusEnvelope { BlockResponse = response }.ToByteArray());
    }

    /// <summary>The highest head a peer reported in a block response (what catch-up aims at).</summary>
    public ulong PeerHead { get; private set; }

    /// <summary>
    /// Takes the response's blocks that extend our head, in order; <paramref name="commitSynced"/>
    /// commits each verified, executed block (and starts the next height) before the next is looked at.
    /// </summary>
    public void OnResponse(Address from, BlockResponse response, Action<ExecutedBlock, Commit> commitSynced)
    {
        PeerHead = Math.Max(PeerHead, response.HeadHeight);
        long now = clock.MonotonicMs;
        bool asked = _asked == from;
        if (asked) _asked = null;
        ulong wanted = processor.Head.Height + 1;
        _peers.Holds(from, response.LowestHeight, now);
        if (response.Blocks.Count == 0 && response.LowestHeight > wanted)
        {
            // The next status may well come from this peer again: ask one that holds the block now. Only
            // in answer to our request, so unasked responses cannot make this node send requests.
            if (asked && _peers.FindServing(wanted, now) is { } other) Request(other, wanted, now);
            return;
        }
        foreach (var item in response.Blocks)
        {
            ulong next = processor.Head.Height + 1;
            if (!ChainBlock.TryDecode(item.Block.Span, spec.ChainId, spec.Parameters.MaxTransactionBytes, out var block, out var error))
            {
                gate.Reject(from, $"synced block is undecodable: {error}", PenaltyPoints.Forged);
                return;
            }
            if (block!.Height < next) continue;
            if (block.Height > next) return;
            var commitError = item.Commit is null ? "no commit" : processor.VerifyCommit(item.Commit, block.Height, block.Hash, processor.Validators);
            if (commitError is not null)
            {
                gate.Reject(from, $"synced block {block.Height} has a bad commit: {commitError}", PenaltyPoints.Forged);
                return;
            }
            var executed = processor.Execute(block, out error);
            if (executed is null)
            {
                gate.Reject(from, $"synced block {block.Height} is invalid: {error}", PenaltyPoints.Forged);
                return;
            }
            commitSynced(executed, item.Commit!);
        }
        if (response.HeadHeight > processor.Head.Height) _lastRequestMs = LongAgo;   // more to fetch: ask again at the next status
    }
}
