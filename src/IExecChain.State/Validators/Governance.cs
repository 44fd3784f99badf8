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
    public static string? Propose(WorldState state, Address sender, GovernancePropose proposal, ulong height, ConsensusParameters p, Market.MarketBlock? market = null)
    {
        var set = ValidatorLedger.CurrentSet(state);
        if (ValidatorLedger.PowerIn(set, sender) == 0) return "only validators of the current set may propose";
        if (proposal.DescriptionHash.Length != Hash256.Size) return $"description hash must be 32 bytes, got {proposal.DescriptionHash.Length}";
        string? invalid = proposal.ActionCase switch
        {
            GovernancePropose.ActionOneofCase.AdmitValidator => CheckAdmit(state, proposal.AdmitValidator),
            GovernancePropose.ActionOneofCase.RemoveValidator => CheckRemove(state, proposal.RemoveValidator),
            GovernancePropose.ActionOneofCase.ChangeParameter => CheckParameter(proposal.ChangeParameter),
            GovernancePropose.ActionOneofCase.ApproveApp => CheckApp(market, proposal.ApproveApp, revoke: false),
            GovernancePropose.ActionOneofCase.RevokeApp => CheckApp(market, proposal.RevokeApp, revoke: true),
            _ => "proposal has no action",
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

    public static string? Vote(WorldState state, Address sender, GovernanceVote vote, ulong height, ConsensusParameters p, Market.MarketBlock? market = null)
    {
        var set = ValidatorLedger.CurrentSet(state);
        if (ValidatorLedger.PowerIn(set, sender) == 0) return "only validators of the current set may vote";
        var record = state.GetRecord(StateKeys.GovernanceProposal(vote.ProposalId), GovernanceProposalRecord.Parser);
        if (record is null) return $"proposal {vote.ProposalId} does not exist";
        if (record.Status != ProposalStatus.Open) return $"proposal {vote.ProposalId} is closed ({record.Status})";
        if (height > record.DeadlineHeight) return $"proposal {vote.ProposalId} expired at height {record.DeadlineHeight}";
        var voter = ByteString.CopyFrom(sender.ToArray());
        if (record.Yes.Contains(voter) || record.No.Contains(voter)) return $"{sender} already voted on proposal {vote.ProposalId}";
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
            record.Outcome = $"expired at height {height} without > 2/3 of the voting power";
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
            string? failure = Apply(state, record.Proposal, p, market);
            record.Status = failure is null ? ProposalStatus.Passed : ProposalStatus.Failed;
            record.Outcome = failure ?? "passed";
        }
        else if ((UInt128)no * 3 >= total)
        {
            record.Status = ProposalStatus.Rejected;
            record.Outcome = "rejected: at least 1/3 of the voting power voted no";
        }
        if (record.Status != ProposalStatus.Open)
        {
            var totals = state.GetRecord(StateKeys.ChainTotals, ChainTotals.Parser)!;
            totals.OpenProposals.Remove(record.Id);
            state.SetRecord(StateKeys.ChainTotals, totals);
        }
        state.SetRecord(StateKeys.GovernanceProposal(record.Id), record);
    }

    private static string? Apply(WorldState state, GovernancePropose proposal, ConsensusParameters p, Market.MarketBlock? market)
    {
        switch (proposal.ActionCase)
        {
            case GovernancePropose.ActionOneofCase.ApproveApp:
                return market?.DecideApp(new Address(proposal.ApproveApp.App.Span), revoke: false) ?? "the market is not available here";
            case GovernancePropose.ActionOneofCase.RevokeApp:
                return market?.DecideApp(new Address(proposal.RevokeApp.App.Span), revoke: true) ?? "the market is not available here";
            case GovernancePropose.ActionOneofCase.AdmitValidator:
                var key = proposal.AdmitValidator.PublicKey;
                ValidatorLedger.Admit(state, Address.FromPublicKey(key.Span), key, p);
                return null;
            case GovernancePropose.ActionOneofCase.RemoveValidator:
                var address = new Address(proposal.RemoveValidator.Address.Span);
                var admitted = state.GetRecord(StateKeys.AdmittedValidators, AddressList.Parser);
                if (admitted is not null && admitted.Addresses.Count <= 1) return "cannot remove the last admitted validator";
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
                return "proposal has no action";
        }
    }

    private static string? CheckApp(Market.MarketBlock? market, AppDecision decision, bool revoke)
    {
        if (decision.App.Length != Address.Size) return $"app must be a 20-byte address, got {decision.App.Length} bytes";
        if (market is null) return "the market is not available here";
        var app = market.App(new Address(decision.App.Span));
        if (app is null) return $"app {new Address(decision.App.Span)} does not exist";
        if (app.Status == AppStatus.Revoked) return $"app {new Address(decision.App.Span)} is already revoked";
        if (!revoke && app.Status == AppStatus.Active) return $"app {new Address(decision.App.Span)} is already active";
        return null;
    }

    private static string? CheckAdmit(WorldState state, AdmitValidator admit)
    {
        if (admit.PublicKey.Length != 64) return $"validator public key must be 64 bytes (uncompressed, no prefix), got {admit.PublicKey.Length}";
        var address = Address.FromPublicKey(admit.PublicKey.Span);
        return ValidatorLedger.IsAdmitted(state, address) ? $"validator {address} is already admitted" : null;
    }

    private static string? CheckRemove(WorldState state, RemoveValidator remove)
    {
        if (remove.Address.Length != Address.Size) return $"address must be 20 bytes, got {remove.Address.Length}";
        var address = new Address(remove.Address.Span);
        return ValidatorLedger.IsAdmitted(state, address) ? null : $"validator {address} is not admitted";
    }

    private static string? CheckParameter(ChangeParameter change)
    {
        var parameter = GovernableParameters.Find(change.Name);
        if (parameter is null)
            return $"parameter '{change.Name}' is not governable (governable: {GovernableParameters.NameList})";
        if (!parameter.Allows(change.Value)) return $"parameter '{change.Name}' must be in [{parameter.Min}, {parameter.Max}], got {change.Value}";
        return null;
    }
}
