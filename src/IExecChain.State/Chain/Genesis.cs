using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.Validators;

namespace IExecChain.State.Chain;

/// <summary>Block 0 and its state, derived from the chain spec alone so every node gets the same hash.</summary>
public static class Genesis
{
    public static (ChainBlock Block, StateUpdate Update) Build(ChainSpec spec, StateTree tree)
    {
        if (!tree.Root.IsZero) throw new InvalidOperationException("genesis needs an empty state");
        var state = new WorldState(tree);
        foreach (var account in spec.Accounts)
        {
            state.GetAccount(account.Address).Balance = account.Balance;
            state.MarkAccountDirty(account.Address);
        }
        foreach (var validator in spec.Validators)
        {
            state.GetStake(validator.Address).ValidatorStake = validator.Stake;
            state.MarkStakeDirty(validator.Address);
        }
        var set = ValidatorLedger.WriteGenesis(state, spec);
        var update = tree.Prepare(state.CollectChanges());
        var setHash = ValidatorSetHash(set);
        var header = new BlockHeader
        {
            ChainId = spec.ChainId,
            Height = 0,
            TimeUnixMs = spec.GenesisTimeUnixMs,
            ParentHash = ByteString.CopyFrom(new byte[32]),
            TxRoot = ByteString.CopyFrom(new byte[32]),
            StateRoot = ByteString.CopyFrom(update.Root.ToArray()),
            Proposer = ByteString.CopyFrom(new byte[20]),
            ValidatorSetHash = ByteString.CopyFrom(setHash.ToArray()),
            NextValidatorSetHash = ByteString.CopyFrom(setHash.ToArray()),
            LastCommitHash = ByteString.CopyFrom(new byte[32]),
            EvidenceHash = ByteString.CopyFrom(new byte[32]),
            ReceiptRoot = ByteString.CopyFrom(new byte[32]),
        };
        return (new ChainBlock(header, Array.Empty<Transaction>(), null), update);
    }

    public static Hash256 ValidatorSetHash(ValidatorSet set) => ValidatorLedger.SetHash(set);
}
