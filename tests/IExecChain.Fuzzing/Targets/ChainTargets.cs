using Google.Protobuf;
using IExecChain.Consensus.Bft;
using IExecChain.Core.Blocks;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace IExecChain.Fuzzing.Targets;

/// <summary>Transactions, blocks and consensus messages: what peers and RPC clients send as protobuf bytes.</summary>
public static class ChainTargets
{
    private static readonly Lazy<FuzzChain> Chain = new(() => new FuzzChain());
    private static readonly Address Peer = new(new byte[20]);

    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget("transaction", "iex_sendRawTransaction, transaction gossip, block bodies", Transaction);
        yield return new FuzzTarget("transaction-batch", "the Transactions p2p channel", TransactionBatchMessage);
        yield return new FuzzTarget("block", "proposals, block sync responses", Block);
        yield return new FuzzTarget("consensus", "the Consensus p2p channel (proposals, votes, evidence, sync)", ConsensusMessage);
    }

    private static void Transaction(byte[] input)
    {
        var chain = Chain.Value;
        if (!TransactionCodec.TryDecode(input, FuzzChain.ChainId, chain.Spec.Parameters.MaxTransactionBytes, out var tx, out var error))
        {
            if (string.IsNullOrEmpty(error)) throw new InvalidOperationException("a refused transaction must say why");
            return;
        }
        // What RPC and gossip do with a decoded transaction: admission to the mempool (signature, fee, nonce, balance).
        chain.Mempool.Add(tx!, announce: false);
    }

    private static void TransactionBatchMessage(byte[] input)
    {
        TransactionBatch batch;
        try
        {
            batch = TransactionBatch.Parser.ParseFrom(input);
        }
        catch (InvalidProtocolBufferException)
        {
            return;
        }
        foreach (var item in batch.Transactions) Transaction(item.ToByteArray());
    }

    private static void Block(byte[] input)
    {
        var chain = Chain.Value;
        if (!ChainBlock.TryDecode(input, FuzzChain.ChainId, chain.Spec.Parameters.MaxTransactionBytes, out var block, out var error))
        {
            if (string.IsNullOrEmpty(error)) throw new InvalidOperationException("a refused block must say why");
            return;
        }
        // Execution checks the header against the head and runs the transactions, as for a proposal.
        chain.Processor.Execute(block!, out _);
    }

    private static void ConsensusMessage(byte[] input)
    {
        var chain = Chain.Value;
        var gate = new MessageGate(chain.Spec, chain.Processor, NoTransport.Instance, new ConsensusMetrics(), self: null, NullLogger.Instance);
        if (!gate.TryParse(Peer, input, out var envelope)) return;
        ulong height = chain.Processor.Head.Height + 1;
        switch (envelope.MessageCase)
        {
            case ConsensusEnvelope.MessageOneofCase.Proposal:
                gate.AdmitProposal(Peer, envelope.Proposal, height);
                break;
            case ConsensusEnvelope.MessageOneofCase.Vote:
                gate.AdmitVote(Peer, envelope.Vote, height);
                break;
            case ConsensusEnvelope.MessageOneofCase.Evidence:
                gate.AdmitEvidence(Peer, envelope.Evidence, out _);
                break;
            case ConsensusEnvelope.MessageOneofCase.BlockResponse:
                foreach (var item in envelope.BlockResponse.Blocks)
                {
                    if (!ChainBlock.TryDecode(item.Block.Span, FuzzChain.ChainId, chain.Spec.Parameters.MaxTransactionBytes, out var block, out _)) continue;
                    if (item.Commit is { } commit) chain.Processor.VerifyCommit(commit, block!.Height, block.Hash, chain.Processor.Validators);
                }
                break;
        }
    }

    /// <summary>The gate reports penalties here; a fuzzer has no peers to punish.</summary>
    private sealed class NoTransport : IConsensusTransport
    {
        public static readonly NoTransport Instance = new();
        public void Broadcast(ConsensusChannel channel, byte[] payload) { }
        public void Send(Address peer, ConsensusChannel channel, byte[] payload) { }
        public void Penalize(Address peer, string reason, int points) { }
    }
}
