using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;

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
        var set = BuildValidatorSet(spec.Validators);
        foreach (var validator in spec.Validators)
        {
            state.GetStake(validator.Address).ValidatorStake = validator.Stake;
            state.MarkStakeDirty(validator.Address);
        }
        state.SetRecord(StateKeys.ValidatorSet, set);
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

    /// <summary>The validator set record: sorted by address, voting power = stake until reputation applies.</summary>
    public static ValidatorSet BuildValidatorSet(IEnumerable<GenesisValidator> validators)
    {
        var set = new ValidatorSet();
        foreach (var v in validators.OrderBy(v => v.Address))
            set.Validators.Add(new Validator { Address = ByteString.CopyFrom(v.Address.ToArray()), PublicKey = ByteString.CopyFrom(v.PublicKey), VotingPower = v.Stake });
        return set;
    }

    public static Hash256 ValidatorSetHash(ValidatorSet set) => Keccak256.Hash(set.ToByteArray());
}
