using System.Text;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.Validators;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.State.Tests;

/// <summary>
/// The thresholds of governance on a set of unequal powers chosen so that each threshold falls
/// exactly on a sum of powers: A holds 300, B, C and D 100 each (total 600, so 2/3 is 400 and 1/3
/// is 200). A proposal passes above 2/3 of the yes power, is rejected at 1/3 of the no power, and
/// expires at the end of its deadline block.
/// </summary>
[TestFixture]
public sealed class GovernanceTallyTests
{
    private static readonly PrivateKey A = Key("a"), B = Key("b"), C = Key("c"), D = Key("d");
    private const ulong VotingPeriod = 5;
    private static readonly ConsensusParameters Parameters = new() { GovernanceVotingPeriodBlocks = VotingPeriod };

    private static PrivateKey Key(string name) => new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/governance/" + name)));

    private static WorldState StateWithPowers(params (PrivateKey Key, ulong Power)[] validators) => PoweredState.With(validators);

    private static WorldState UnequalSet() => StateWithPowers((A, 300), (B, 100), (C, 100), (D, 100));

    private static GovernancePropose FeeChange(ulong fee) => new()
    {
        DescriptionHash = ByteString.CopyFrom(Keccak256.HashToArray("lower the transfer fee"u8)),
        ChangeParameter = new ChangeParameter { Name = "fees.transfer", Value = fee },
    };

    private static GovernanceProposalRecord Proposal(WorldState state, ulong id) =>
        state.GetRecord(StateKeys.GovernanceProposal(id), GovernanceProposalRecord.Parser)!;

    private static ulong? TransferFeeOverride(WorldState state) =>
        state.GetRecord(StateKeys.ParameterOverrides, ParameterOverrides.Parser)?.Values.SingleOrDefault(v => v.Name == "fees.transfer")?.Value;

    private static void Vote(WorldState state, PrivateKey voter, ulong proposal, bool approve, ulong height) =>
        Assert.That(Governance.Vote(state, voter.Address, new GovernanceVote { ProposalId = proposal, Approve = approve }, height, Parameters), Is.Null);

    private static IReadOnlyList<ulong> OpenProposals(WorldState state) =>
        state.GetRecord(StateKeys.ChainTotals, ChainTotals.Parser)!.OpenProposals.ToList();

    [Test]
    public void A_proposal_passes_only_when_its_yes_power_exceeds_two_thirds()
    {
        var state = UnequalSet();
        Assert.That(Governance.Propose(state, A.Address, FeeChange(7), 10, Parameters), Is.Null);
        Assert.That(Proposal(state, 1).Status, Is.EqualTo(ProposalStatus.Open), "the proposer's implied yes is 300 of 600");

        Vote(state, B, 1, approve: true, height: 11);
        Assert.That(Proposal(state, 1).Status, Is.EqualTo(ProposalStatus.Open), "400 of 600 is exactly 2/3, not more");
        Assert.That(TransferFeeOverride(state), Is.Null, "nothing applies while open");
        Assert.That(OpenProposals(state), Is.EqualTo(new[] { 1UL }));

        Vote(state, C, 1, approve: true, height: 12);
        var passed = Proposal(state, 1);
        Assert.That(passed.Status, Is.EqualTo(ProposalStatus.Passed), "500 of 600");
        Assert.That(passed.Outcome.Code, Is.EqualTo(ReasonCode.ReasonProposalPassed));
        Assert.That(TransferFeeOverride(state), Is.EqualTo(7));
        Assert.That(OpenProposals(state), Is.Empty);

        var late = Governance.Vote(state, D.Address, new GovernanceVote { ProposalId = 1, Approve = false }, 13, Parameters);
        Assert.That(late?.Code, Is.EqualTo(ReasonCode.ReasonProposalClosed), "a passed proposal takes no more votes");
    }

    [Test]
    public void A_small_proposer_needs_the_large_validator_and_one_more()
    {
        var state = UnequalSet();
        Assert.That(Governance.Propose(state, D.Address, FeeChange(7), 10, Parameters), Is.Null);
        Vote(state, B, 1, approve: true, height: 10);
        Vote(state, C, 1, approve: true, height: 10);
        Assert.That(Proposal(state, 1).Status, Is.EqualTo(ProposalStatus.Open), "three of four validators hold only 300 of 600");
        Vote(state, A, 1, approve: true, height: 10);
        Assert.That(Proposal(state, 1).Status, Is.EqualTo(ProposalStatus.Passed));
    }

    [Test]
    public void A_proposal_is_rejected_once_its_no_power_reaches_one_third()
    {
        var state = UnequalSet();
        Assert.That(Governance.Propose(state, B.Address, FeeChange(7), 10, Parameters), Is.Null);
        Vote(state, C, 1, approve: false, height: 11);
        Assert.That(Proposal(state, 1).Status, Is.EqualTo(ProposalStatus.Open), "100 of 600 is less than 1/3");

        Vote(state, D, 1, approve: false, height: 12);
        var rejected = Proposal(state, 1);
        Assert.That(rejected.Status, Is.EqualTo(ProposalStatus.Rejected), "200 of 600 is exactly 1/3: the yes side can reach at most 400, not more than 2/3");
        Assert.That(rejected.Outcome.Code, Is.EqualTo(ReasonCode.ReasonProposalRejected));
        Assert.That(TransferFeeOverride(state), Is.Null);
        Assert.That(OpenProposals(state), Is.Empty);

        var late = Governance.Vote(state, A.Address, new GovernanceVote { ProposalId = 1, Approve = true }, 13, Parameters);
        Assert.That(late?.Code, Is.EqualTo(ReasonCode.ReasonProposalClosed), "a rejected proposal cannot be revived");
        Assert.That(TransferFeeOverride(state), Is.Null);
    }

    [Test]
    public void Votes_of_a_validator_outside_the_set_weigh_nothing_and_are_refused()
    {
        var state = StateWithPowers((A, 100), (B, 100), (C, 100));
        Assert.That(Governance.Propose(state, A.Address, FeeChange(7), 10, Parameters), Is.Null);
        var outsider = Governance.Vote(state, D.Address, new GovernanceVote { ProposalId = 1, Approve = true }, 10, Parameters);
        Assert.That(outsider?.Code, Is.EqualTo(ReasonCode.ReasonVoterNotValidator));
        var twice = Governance.Vote(state, A.Address, new GovernanceVote { ProposalId = 1, Approve = true }, 10, Parameters);
        Assert.That(twice?.Code, Is.EqualTo(ReasonCode.ReasonAlreadyVoted));
        Vote(state, B, 1, approve: true, height: 10);
        Assert.That(Proposal(state, 1).Status, Is.EqualTo(ProposalStatus.Open), "200 of 300 is exactly 2/3");
    }

    [Test]
    public void A_proposal_without_enough_votes_expires_at_the_end_of_its_deadline_block()
    {
        var state = UnequalSet();
        Assert.That(Governance.Propose(state, B.Address, FeeChange(7), 10, Parameters), Is.Null);
        ulong deadline = 10 + VotingPeriod;
        Assert.That(Proposal(state, 1).DeadlineHeight, Is.EqualTo(deadline));

        for (ulong height = 10; height < deadline; height++) Governance.ExpireProposals(state, height);
        Assert.That(Proposal(state, 1).Status, Is.EqualTo(ProposalStatus.Open), "still open up to the block before its deadline");

        // The deadline block still takes votes; its end-of-block work closes the proposal.
        Vote(state, C, 1, approve: true, height: deadline);
        Assert.That(Proposal(state, 1).Status, Is.EqualTo(ProposalStatus.Open), "200 of 600");
        Governance.ExpireProposals(state, deadline);
        var expired = Proposal(state, 1);
        Assert.That(expired.Status, Is.EqualTo(ProposalStatus.Expired));
        Assert.That(expired.Outcome.Code, Is.EqualTo(ReasonCode.ReasonProposalExpiredWithoutQuorum));
        Assert.That(expired.Outcome.Numbers, Is.EqualTo(new[] { deadline }));
        Assert.That(OpenProposals(state), Is.Empty);

        var late = Governance.Vote(state, A.Address, new GovernanceVote { ProposalId = 1, Approve = true }, deadline + 1, Parameters);
        Assert.That(late?.Code, Is.EqualTo(ReasonCode.ReasonProposalClosed));
        Assert.That(TransferFeeOverride(state), Is.Null, "an expired proposal applies nothing, even with enough yes power offered after its deadline");
    }

    [Test]
    public void A_vote_after_the_deadline_is_refused_even_before_the_proposal_is_marked_expired()
    {
        var state = UnequalSet();
        Assert.That(Governance.Propose(state, B.Address, FeeChange(7), 10, Parameters), Is.Null);
        var late = Governance.Vote(state, A.Address, new GovernanceVote { ProposalId = 1, Approve = true }, 10 + VotingPeriod + 1, Parameters);
        Assert.That(late?.Code, Is.EqualTo(ReasonCode.ReasonProposalExpired));
        Assert.That(late!.Numbers, Is.EqualTo(new[] { 1UL, 10 + VotingPeriod }));
        Assert.That(TransferFeeOverride(state), Is.Null);
    }
}
