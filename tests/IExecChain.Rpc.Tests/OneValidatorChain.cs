using System.Text;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Specs;
using IExecChain.TestSupport;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.Storage;

namespace IExecChain.Rpc.Tests;

/// <summary>A chain in memory with one validator of power 5000 (epochs of 10 blocks), for RPC methods that read chain state.</summary>
internal static class OneValidatorChain
{
    public const ulong ChainId = 77;
    public static readonly PrivateKey Validator = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/validator")));

    public static ChainSpec Spec() => new()
    {
        Name = "test",
        ChainId = ChainId,
        GenesisTimeUnixMs = 1_700_000_000_000,
        Parameters = SmallChainParameters.Create(),
        Accounts = [],
        Validators = [new GenesisValidator(Validator.Address, Validator.PublicKey, 5000)],
    };

    public static BlockProcessor Processor(ChainSpec spec)
    {
        var store = new MemoryStore();
        return new BlockProcessor(spec, store, new StateTree(store), new BlockStore(store, spec.ChainId, spec.Parameters.MaxTransactionBytes), new TransactionVerifier());
    }

    /// <summary>The validator's precommit for an executed block, with the checkpoint signature when the block ends a checkpoint.</summary>
    public static Commit Precommit(ExecutedBlock executed, BlockProcessor processor)
    {
        var block = executed.Block;
        var signature = new CommitSignature
        {
            Validator = ByteString.CopyFrom(Validator.Address.ToArray()),
            Signature = ByteString.CopyFrom(Validator.Sign(VoteDigest.Compute(ChainId, VoteType.Precommit, block.Height, 0, block.Hash))),
        };
        if (processor.CheckpointOf(executed) is { } checkpoint) signature.CheckpointSignature = ByteString.CopyFrom(Validator.Sign(checkpoint.Digest()));
        return new Commit { Height = block.Height, BlockHash = ByteString.CopyFrom(block.Hash.ToArray()), Signatures = { signature } };
    }

    /// <summary>Proposes a block of <paramref name="candidates"/> on the head, precommits it as the only validator and commits it.</summary>
    public static ExecutedBlock Produce(BlockProcessor processor, IEnumerable<Transaction> candidates)
    {
        var head = processor.Head;
        var last = head.Height == 0 ? null : processor.Blocks.GetCommit(head.Height);
        var executed = processor.Propose(Validator.Address, head.TimeUnixMs + 100, candidates, last);
        processor.Commit(executed, Precommit(executed, processor));
        return executed;
    }
}
