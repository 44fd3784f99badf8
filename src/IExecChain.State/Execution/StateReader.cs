using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Merkle;

namespace IExecChain.State.Execution;

/// <summary>Committed records as readers outside block execution see them (absent = empty record).</summary>
public static class StateReader
{
    public static AccountRecord Account(StateTree tree, Address address) =>
        tree.Get(StateKeys.Account(address)) is { } bytes ? AccountRecord.Parser.ParseFrom(bytes) : new AccountRecord();

    public static StakeRecord Stake(StateTree tree, Address address) =>
        tree.Get(StateKeys.Stake(address)) is { } bytes ? StakeRecord.Parser.ParseFrom(bytes) : new StakeRecord();

    public static ValidatorInfo? ValidatorInfo(StateTree tree, Address address) =>
        tree.Get(StateKeys.ValidatorInfo(address)) is { } bytes ? Core.Wire.ValidatorInfo.Parser.ParseFrom(bytes) : null;

    public static GovernanceProposalRecord? Proposal(StateTree tree, ulong id) =>
        tree.Get(StateKeys.GovernanceProposal(id)) is { } bytes ? GovernanceProposalRecord.Parser.ParseFrom(bytes) : null;

    public static ChainTotals Totals(StateTree tree) =>
        tree.Get(StateKeys.ChainTotals) is { } bytes ? ChainTotals.Parser.ParseFrom(bytes) : new ChainTotals();

    public static ValidatorSet ValidatorSet(StateTree tree) =>
        tree.Get(StateKeys.ValidatorSet) is { } bytes ? Core.Wire.ValidatorSet.Parser.ParseFrom(bytes) : new ValidatorSet();
}
