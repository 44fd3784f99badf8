using System.Text;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Validators;
using NUnit.Framework;

namespace IExecChain.State.Tests;

[TestFixture]
public sealed class ValidatorTests
{
    private static readonly PrivateKey Newcomer = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/newcomer")));
    private static readonly ByteString NoDescription = ByteString.CopyFrom(Keccak256.HashToArray("text"u8));

    private static Transaction Propose(TestChain chain, PrivateKey from, ulong nonce, Action<GovernancePropose> action)
    {
        var proposal = new GovernancePropose { DescriptionHash = NoDescription };
        action(proposal);
        return chain.Sign(from, nonce, b => b.Propose = proposal, 10_000);
    }

    /// <summary>The test validator holds no balance at genesis; governance fees need some.</summary>
    private static TestChain FundedChain()
    {
        var chain = new TestChain();
        chain.Produce(chain.Transfer(TestChain.Account(4), TestChain.Validator.Address, 1_000_000, 0));
        return chain;
    }

    private static void ProduceUntil(TestChain chain, ulong height)
    {
        while (chain.Processor.Head.Height < height) chain.Produce();
    }

    [Test]
    public void An_admitted_validator_with_stake_joins_the_set_at_the_next_epoch_boundary()
    {
        var chain = FundedChain();
        var admit = Propose(chain, TestChain.Validator, 0, p => p.AdmitValidator = new AdmitValidator { PublicKey = ByteString.CopyFrom(Newcomer.PublicKey) });
        var fund = chain.Transfer(TestChain.Account(0), Newcomer.Address, 100_000, 0);
        chain.Produce(fund);
        var executed = chain.Produce(admit);
        Assert.That(executed.Receipts[0].Status, Is.EqualTo(ReceiptStatus.Success), executed.Receipts[0].ErrorText());
        var record = StateReader.Proposal(chain.Tree, 1)!;
        Assert.That(record.Status, Is.EqualTo(ProposalStatus.Passed), "the only validator holds all the power");
        chain.Produce(chain.Stake(Newcomer, StakeRole.Validator, 50_000, 0));

        Assert.That(chain.Processor.Head.Height, Is.LessThan(9));
        Assert.That(SetAddresses(chain), Does.Not.Contain(Newcomer.Address), "set changes wait for the epoch boundary");
        ProduceUntil(chain, 9);
        Assert.That(SetAddresses(chain), Does.Not.Contain(Newcomer.Address), "height 10 ends the epoch and its checkpoint range: still the old set");
        var before = chain.Processor.Head.ValidatorSetHash;
        ProduceUntil(chain, 10);   // block 10 ends the epoch: the set of height 11 includes the newcomer
        Assert.That(SetAddresses(chain), Does.Contain(Newcomer.Address));
        Assert.That(chain.Processor.Head.ValidatorSetHash, Is.Not.EqualTo(before), "block 10 announces the next set's hash");
        Assert.That(ValidatorLedger.PowerIn(chain.Processor.Validators, Newcomer.Address), Is.EqualTo(50_000UL * 1000));
    }

    private static List<Address> SetAddresses(TestChain chain) =>
        chain.Processor.Validators.Validators.Select(v => new Address(v.Address.Span)).ToList();

    [Test]
    public void A_passed_parameter_change_applies_from_the_next_block()
    {
        var chain = FundedChain();
        var executed = chain.Produce(Propose(chain, TestChain.Validator, 0, p => p.ChangeParameter = new ChangeParameter { Name = "fees.transfer", Value = 7 }));
        Assert.That(executed.Receipts[0].Status, Is.EqualTo(ReceiptStatus.Success), executed.Receipts[0].ErrorText());
        Assert.That(chain.Processor.Executor.RequiredFee(TransactionBody.PayloadOneofCase.Transfer), Is.EqualTo(7));
        var cheap = chain.Produce(chain.Transfer(TestChain.Account(0), TestChain.Account(1).Address, 1, 0, fee: 7));
        Assert.That(cheap.Block.Transactions, Has.Count.EqualTo(1));
    }

    [Test]
    public void Governance_refuses_non_validators_unknown_parameters_and_bad_keys_with_reasons()
    {
        var chain = FundedChain();
        var executed = chain.Produce(
            Propose(chain, TestChain.Account(0), 0, p => p.ChangeParameter = new ChangeParameter { Name = "fees.transfer", Value = 1 }),
            Propose(chain, TestChain.Validator, 0, p => p.ChangeParameter = new ChangeParameter { Name = "blockIntervalMs", Value = 1 }),
            Propose(chain, TestChain.Validator, 1, p => p.AdmitValidator = new AdmitValidator { PublicKey = ByteString.CopyFrom(new byte[33]) }),
            chain.Sign(TestChain.Validator, 2, b => b.Vote = new GovernanceVote { ProposalId = 42, Approve = true }, 10_000));
        Assert.That(executed.Receipts.Select((r, i) => r.ErrorText(executed.Block.Transactions[i].Body)), Is.EqualTo(new[]
        {
            "only validators of the current set may propose",
            "parameter 'blockIntervalMs' is not governable (governable: fees.transfer, fees.stake, fees.unstake, fees.governance, minValidatorStake, minWorkerStake, fees.registry, fees.order, fees.contribution)",
            "validator public key must be 64 bytes (uncompressed, no prefix), got 33",
            "proposal 42 does not exist",
        }));
        Assert.That(executed.Receipts.All(r => r.Status == ReceiptStatus.Failed));
    }

    [Test]
    public void Reputation_rises_with_signed_blocks_and_falls_with_missed_ones_within_bounds()
    {
        var chain = new TestChain();
        var state = new WorldState(chain.Tree);
        var p = new ConsensusParameters { ReputationInitial = 1000, ReputationMin = 995, ReputationMax = 1002, ReputationGainPerBlockSigned = 1, ReputationLossPerBlockMissed = 3 };
        ValidatorLedger.Admit(state, Newcomer.Address, ByteString.CopyFrom(Newcomer.PublicKey), p);
        var set = new ValidatorSet();
        set.Validators.Add(new Validator { Address = ByteString.CopyFrom(TestChain.Validator.Address.ToArray()), VotingPower = 1 });
        set.Validators.Add(new Validator { Address = ByteString.CopyFrom(Newcomer.Address.ToArray()), VotingPower = 1 });
        var signers = new HashSet<Address> { TestChain.Validator.Address };
        for (int i = 0; i < 5; i++) ValidatorLedger.ApplyLastCommit(state, set, signers, p);
        Assert.That(ValidatorLedger.Info(state, TestChain.Validator.Address)!.Reputation, Is.EqualTo(1002), "capped at the max");
        var missing = ValidatorLedger.Info(state, Newcomer.Address)!;
        Assert.That(missing.Reputation, Is.EqualTo(995), "floored at the min");
        Assert.That(missing.BlocksMissed, Is.EqualTo(5));
    }

    [Test]
    public void The_only_validator_gains_reputation_from_every_commit_it_signs()
    {
        var chain = new TestChain();
        ProduceUntil(chain, 6);
        // Block 1 carries no commit; blocks 2..6 each carry the validator's precommit of their parent.
        Assert.That(StateReader.ValidatorInfo(chain.Tree, TestChain.Validator.Address)!.Reputation, Is.EqualTo(1005));
    }

    private static Vote SignedPrecommit(PrivateKey key, ulong height, Hash256 hash)
    {
        var digest = VoteDigest.Compute(TestChain.ChainId, VoteType.Precommit, height, 0, hash);
        return new Vote
        {
            Type = VoteType.Precommit,
            Height = height,
            BlockHash = hash.IsZero ? ByteString.Empty : ByteString.CopyFrom(hash.ToArray()),
            Validator = ByteString.CopyFrom(key.Address.ToArray()),
            Signature = ByteString.CopyFrom(key.Sign(digest)),
        };
    }

    [Test]
    public void Equivocation_evidence_burns_stake_zeroes_reputation_and_jails_once()
    {
        var chain = new TestChain();
        ProduceUntil(chain, 2);
        var evidence = new DuplicateVoteEvidence
        {
            VoteA = SignedPrecommit(TestChain.Validator, 1, chain.Processor.Blocks.GetBlock(1)!.Hash),
            VoteB = SignedPrecommit(TestChain.Validator, 1, Hash256.Zero),
        };
        ulong stakeBefore = chain.StakeOf(TestChain.Validator.Address).ValidatorStake;
        var executed = chain.Processor.Propose(TestChain.Validator.Address, chain.Processor.Head.TimeUnixMs + 1, [], chain.Processor.Blocks.GetCommit(2), [evidence]);
        Assert.That(executed.Block.Evidence, Has.Count.EqualTo(1));
        chain.Processor.Commit(executed, TestChain.CommitFor(executed));

        ulong penalty = stakeBefore * 5 / 100;
        Assert.That(chain.StakeOf(TestChain.Validator.Address).ValidatorStake, Is.EqualTo(stakeBefore - penalty));
        var info = StateReader.ValidatorInfo(chain.Tree, TestChain.Validator.Address)!;
        Assert.That(info.Reputation, Is.EqualTo(0));
        Assert.That(info.JailedUntil, Is.EqualTo(3 + new ConsensusParameters().JailBlocks));
        Assert.That(StateReader.Totals(chain.Tree).Burned, Is.EqualTo(penalty));

        // The same offence again: a proposer leaves it out, and a block that carries it is invalid.
        var again = chain.Processor.Propose(TestChain.Validator.Address, chain.Processor.Head.TimeUnixMs + 1, [], chain.Processor.Blocks.GetCommit(3), [evidence]);
        Assert.That(again.Block.Evidence, Is.Empty);
        var header = again.Block.Header.Clone();
        header.EvidenceHash = ByteString.CopyFrom(ChainBlock.ComputeEvidenceRoot([evidence]).ToArray());
        var forged = new ChainBlock(header, [], again.Block.LastCommit, [evidence]);
        Assert.That(chain.Processor.Execute(forged, out var error), Is.Null);
        Assert.That(error, Does.Contain("already punished"));

        // An offence at another height of the same incident (before the jail ends): not slashed again.
        var other = new DuplicateVoteEvidence
        {
            VoteA = SignedPrecommit(TestChain.Validator, 2, chain.Processor.Blocks.GetBlock(2)!.Hash),
            VoteB = SignedPrecommit(TestChain.Validator, 2, Hash256.Zero),
        };
        var later = chain.Processor.Propose(TestChain.Validator.Address, chain.Processor.Head.TimeUnixMs + 1, [], chain.Processor.Blocks.GetCommit(3), [other]);
        Assert.That(later.Block.Evidence, Is.Empty, "the proposer leaves it out");
        header = later.Block.Header.Clone();
        header.EvidenceHash = ByteString.CopyFrom(ChainBlock.ComputeEvidenceRoot([other]).ToArray());
        Assert.That(chain.Processor.Execute(new ChainBlock(header, [], later.Block.LastCommit, [other]), out error), Is.Null);
        Assert.That(error, Does.Contain("part of the incident already punished at block 3"));
        Assert.That(StateReader.Totals(chain.Tree).Burned, Is.EqualTo(penalty), "one slash for the incident");
    }

    [Test]
    public void Evidence_with_a_forged_signature_or_matching_votes_is_refused()
    {
        var hash = new Hash256(Enumerable.Repeat((byte)9, 32).ToArray());
        var a = SignedPrecommit(TestChain.Validator, 1, hash);
        var forged = SignedPrecommit(Newcomer, 1, Hash256.Zero);
        forged.Validator = a.Validator;
        Assert.That(Equivocation.Verify(new DuplicateVoteEvidence { VoteA = a, VoteB = forged }, TestChain.ChainId, out _), Does.Contain("is not signed by"));
        Assert.That(Equivocation.Verify(new DuplicateVoteEvidence { VoteA = a, VoteB = a }, TestChain.ChainId, out _), Is.EqualTo("the votes are for the same block"));
        Assert.That(Equivocation.Verify(new DuplicateVoteEvidence { VoteA = a, VoteB = SignedPrecommit(TestChain.Validator, 1, Hash256.Zero) }, TestChain.ChainId, out var offender), Is.Null);
        Assert.That(offender, Is.EqualTo(TestChain.Validator.Address));
    }

    [Test]
    public void A_block_whose_commit_lacks_two_thirds_or_has_a_bad_signature_is_refused()
    {
        var proposer = new TestChain();
        var follower = new TestChain();
        var first = proposer.Produce();
        follower.Processor.Commit(follower.Processor.Execute(first.Block, out _)!, TestChain.CommitFor(first));
        var second = proposer.Produce();

        var unsigned = second.Block.LastCommit!.Clone();
        unsigned.Signatures.Clear();
        Assert.That(Reexecute(follower, second.Block, unsigned), Does.Contain("not more than 2/3"));
        var badSignature = second.Block.LastCommit!.Clone();
        badSignature.Signatures[0].Signature = ByteString.CopyFrom(new byte[65]);
        Assert.That(Reexecute(follower, second.Block, badSignature), Does.Contain("is invalid"));
        Assert.That(follower.Processor.Execute(second.Block, out var error), Is.Not.Null, error);
    }

    private static string? Reexecute(TestChain chain, ChainBlock block, Commit commit)
    {
        var header = block.Header.Clone();
        header.LastCommitHash = ByteString.CopyFrom(VoteDigest.CommitHash(commit).ToArray());
        chain.Processor.Execute(new ChainBlock(header, block.Transactions, commit), out var error);
        return error;
    }
}
