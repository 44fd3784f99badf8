using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

namespace IExecChain.State.Validators;

/// <summary>
/// On-chain governance of the permissioned validator set and of parameters. Only validators of the
/// current set propose and vote; a proposal passes as soon as its yes votes hold more than 2/3 of
/// the current voting power, is rejected once its no votes hold at least 1/3 (it can no longer
/// pass), and expires at its deadline. Set changes act at the next epoch boundary.
/// </summary>
public static class Governance
{
    public static Reason? Propose(WorldState state, Address sender, GovernancePropose proposal, ulong height, ConsensusParameters p, Market.MarketBlock? market = null)
    {
        var set = ValidatorLedger.CurrentSet(state);
        if (ValidatorLedger.PowerIn(set, sender) == 0) return Reasons.Of(ReasonCode.ReasonProposerNotValidator);
        if (proposal.DescriptionHash.Length != Hash256.Size) return Reasons.Of(ReasonCode.ReasonDescriptionHashLength).Number((ulong)proposal.DescriptionHash.Length);
        Reason? invalid = proposal.ActionCase switch
        {
            GovernancePropose.ActionOneofCase.AdmitValidator => CheckAdmit(state, proposal.AdmitValidator),
            GovernancePropose.ActionOneofCase.RemoveValidator => CheckRemove(state, proposal.RemoveValidator),
            GovernancePropose.ActionOneofCase.ChangeParameter => CheckParameter(proposal.ChangeParameter),
            GovernancePropose.ActionOneofCase.ApproveApp => CheckApp(market, proposal.ApproveApp, revoke: false),
            GovernancePropose.ActionOneofCase.RevokeApp => CheckApp(market, proposal.RevokeApp, revoke: true),
            _ => Reasons.Of(ReasonCode.ReasonNoAction),
        };
        if (invalid is not null) return invalid;

        var totals = state.GetRecord(StateKeys.ChainTotals, ChainTotals.Parser) ?? new ChainTotals { NextProposalId = 1 };
        if (totals.NextProposalId == 0) totals.NextProposalId = 1;
        var record = new GovernanceProposalRecord
        {
            Id = totals.NextProposalId++,
            Proposer = ByteString.CopyFrom(sender.ToArray()),
            Proposal = proposal,
            CreatedHeight = height,
            DeadlineHeight = checked(height + p.GovernanceVotingPeriodBlocks),
            Status = ProposalStatus.Open,
        };
        record.Yes.Add(record.Proposer);
        totals.OpenProposals.Add(record.Id);
        state.SetRecord(StateKeys.ChainTotals, totals);
        Tally(state, record, set, p, market);
        return null;
    }

    public static Reason? Vote(WorldState state, Address sender, GovernanceVote vote, ulong height, ConsensusParameters p, Market.MarketBlock? market = null)
    {
        var set = ValidatorLedger.CurrentSet(state);
        if (ValidatorLedger.PowerIn(set, sender) == 0) return Reasons.Of(ReasonCode.ReasonVoterNotValidator);
        var record = state.GetRecord(StateKeys.GovernanceProposal(vote.ProposalId), GovernanceProposalRecord.Parser);
        if (record is null) return Reasons.Of(ReasonCode.ReasonProposalNotFound).Number(vote.ProposalId);
        if (record.Status != ProposalStatus.Open) return Reasons.Of(ReasonCode.ReasonProposalClosed).Number(vote.ProposalId).Number(record.Status);
        if (height > record.DeadlineHeight) return Reasons.Of(ReasonCode.ReasonProposalExpired).Number(vote.ProposalId).Number(record.DeadlineHeight);
        var voter = ByteString.CopyFrom(sender.ToArray());
        if (record.Yes.Contains(voter) || record.No.Contains(voter)) return Reasons.Of(ReasonCode.ReasonAlreadyVoted).Number(vote.ProposalId).Id(sender);
        (vote.Approve ? record.Yes : record.No).Add(voter);
        Tally(state, record, set, p, market);
        return null;
    }

    /// <summary>End of block: open proposals past their deadline expire.</summary>
    public static void ExpireProposals(WorldState state, ulong height)
    {
        var totals = state.GetRecord(StateKeys.ChainTotals, ChainTotals.Parser);
        if (totals is null || totals.OpenProposals.Count == 0) return;
        bool changed = false;
        for (int i = totals.OpenProposals.Count - 1; i >= 0; i--)
        {
            var key = StateKeys.GovernanceProposal(totals.OpenProposals[i]);
            var record = state.GetRecord(key, GovernanceProposalRecord.Parser);
            if (record is null || record.Status != ProposalStatus.Open)
            {
                totals.OpenProposals.RemoveAt(i);
                changed = true;
                continue;
            }
            if (height < record.DeadlineHeight) continue;
            record.Status = ProposalStatus.Expired;
            record.Outcome = Reasons.Of(ReasonCode.ReasonProposalExpiredWithoutQuorum).Number(height);
            state.SetRecord(key, record);
            totals.OpenProposals.RemoveAt(i);
            changed = true;
        }
        if (changed) state.SetRecord(StateKeys.ChainTotals, totals);
    }

    private static void Tally(WorldState state, GovernanceProposalRecord record, ValidatorSet set, ConsensusParameters p, Market.MarketBlock? market)
    {
        ulong total = ValidatorLedger.TotalPower(set), yes = 0, no = 0;
        foreach (var voter in record.Yes) yes += ValidatorLedger.PowerIn(set, new Address(voter.Span));
        foreach (var voter in record.No) no += ValidatorLedger.PowerIn(set, new Address(voter.Span));
        if ((UInt128)yes * 3 > (UInt128)total * 2)
        {
            var failure = Apply(state, record.Proposal, p, market);
            record.Status = failure is null ? ProposalStatus.Passed : ProposalStatus.Failed;
            record.Outcome = failure ?? Reasons.Of(ReasonCode.ReasonProposalPassed);
        }
        else if ((UInt128)no * 3 >= total)
        {
            record.Status = ProposalStatus.Rejected;
            record.Outcome = Reasons.Of(ReasonCode.ReasonProposalRejected);
        }
        if (record.Status != ProposalStatus.Open)
        {
            var totals = state.GetRecord(StateKeys.ChainTotals, ChainTotals.Parser)!;
            totals.OpenProposals.Remove(record.Id);
            state.SetRecord(StateKeys.ChainTotals, totals);
        }
        state.SetRecord(StateKeys.GovernanceProposal(record.Id), record);
    }

    private static Reason? Apply(WorldState state, GovernancePropose proposal, ConsensusParameters p, Market.MarketBlock? market)
    {
        switch (proposal.ActionCase)
        {
            case GovernancePropose.ActionOneofCase.ApproveApp:
                return market?.DecideApp(new Address(proposal.ApproveApp.App.Span), revoke: false) ?? Reasons.Of(ReasonCode.ReasonMarketUnavailable);
            case GovernancePropose.ActionOneofCase.RevokeApp:
                return market?.DecideApp(new Address(proposal.RevokeApp.App.Span), revoke: true) ?? Reasons.Of(ReasonCode.ReasonMarketUnavailable);
            case GovernancePropose.ActionOneofCase.AdmitValidator:
                var key = proposal.AdmitValidator.PublicKey;
                ValidatorLedger.Admit(state, Address.FromPublicKey(key.Span), key, p);
                return null;
            case GovernancePropose.ActionOneofCase.RemoveValidator:
                var address = new Address(proposal.RemoveValidator.Address.Span);
                var admitted = state.GetRecord(StateKeys.AdmittedValidators, AddressList.Parser);
                if (admitted is not null && admitted.Addresses.Count <= 1) return Reasons.Of(ReasonCode.ReasonLastValidator);
                ValidatorLedger.Remove(state, address);
                return null;
            case GovernancePropose.ActionOneofCase.ChangeParameter:
                var overrides = state.GetRecord(StateKeys.ParameterOverrides, ParameterOverrides.Parser) ?? new ParameterOverrides();
                var entries = overrides.Values.Where(v => v.Name != proposal.ChangeParameter.Name).Append(proposal.ChangeParameter.Clone())
                    .OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
                overrides.Values.Clear();
                overrides.Values.AddRange(entries);
                state.SetRecord(StateKeys.ParameterOverrides, overrides);
                return null;
            default:
                return Reasons.Of(ReasonCode.ReasonNoAction);
        }
    }

    private static Reason? CheckApp(Market.MarketBlock? market, AppDecision decision, bool revoke)
    {
        if (decision.App.Length != Address.Size) return Reasons.Of(ReasonCode.ReasonAppAddressLength).Number((ulong)decision.App.Length);
        if (market is null) return Reasons.Of(ReasonCode.ReasonMarketUnavailable);
        var app = market.App(new Address(decision.App.Span));
        if (app is null) return Reasons.Of(ReasonCode.ReasonAppNotFound).Id(decision.App);
        if (app.Status == AppStatus.Revoked) return Reasons.Of(ReasonCode.ReasonAppAlreadyRevoked).Id(decision.App);
        if (!revoke && app.Status == AppStatus.Active) return Reasons.Of(ReasonCode.ReasonAppAlreadyActive).Id(decision.App);
        return null;
    }

    private static Reason? CheckAdmit(WorldState state, AdmitValidator admit)
    {
        if (admit.PublicKey.Length != 64) return Reasons.Of(ReasonCode.ReasonPublicKeyLength).Number((ulong)admit.PublicKey.Length);
        var address = Address.FromPublicKey(admit.PublicKey.Span);
        return ValidatorLedger.IsAdmitted(state, address) ? Reasons.Of(ReasonCode.ReasonValidatorAlreadyAdmitted).Id(address) : null;
    }

    private static Reason? CheckRemove(WorldState state, RemoveValidator remove)
    {
        if (remove.Address.Length != Address.Size) return Reasons.Of(ReasonCode.ReasonAddressLength).Number((ulong)remove.Address.Length);
        var address = new Address(remove.Address.Span);
        return ValidatorLedger.IsAdmitted(state, address) ? null : Reasons.Of(ReasonCode.ReasonValidatorNotAdmitted).Id(address);
    }

    private static Reason? CheckParameter(ChangeParameter change)
    {
        var parameter = GovernableParameters.Find(change.Name);
        if (parameter is null) return Reasons.Of(ReasonCode.ReasonParameterNotGovernable);
        if (!parameter.Allows(change.Value)) return Reasons.Of(ReasonCode.ReasonParameterOutOfRange).Number(parameter.Min).Number(parameter.Max).Number(change.Value);
        return null;
    }
}
