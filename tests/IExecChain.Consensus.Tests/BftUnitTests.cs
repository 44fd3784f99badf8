using IExecChain.State.Validators;
using Google.Protobuf;
using IExecChain.Consensus.Bft;
using IExecChain.Consensus.Tests.Simulated;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using NUnit.Framework;

namespace IExecChain.Consensus.Tests;

[TestFixture]
public sealed class ProposerRotationTests
{
    private static WeightedValidator[] Set(params ulong[] powers) =>
        powers.Select((p, i) => new WeightedValidator(Simulation.AddressOf(i), p, 0)).ToArray();

    [Test]
    public void Each_validator_proposes_in_proportion_to_its_power()
    {
        var set = Set(1, 2, 3, 4, 90);
        var counts = new int[set.Length];
        var index = set.Select((v, i) => (v.Address, i)).ToDictionary(x => x.Address, x => x.i);
        for (int step = 0; step < 10_000; step++) counts[index[ProposerRotation.Advance(set, 1)]]++;
        Assert.That(counts, Is.EqualTo(new[] { 100, 200, 300, 400, 9000 }));
    }

    [Test]
    public void Equal_power_rotates_round_robin_in_address_order()
    {
        var set = Set(5, 5, 5);
        var order = Enumerable.Range(0, 6).Select(_ => ProposerRotation.Advance(set, 1)).ToArray();
        Assert.That(order, Is.EqualTo(new[] { 0, 1, 2, 0, 1, 2 }.Select(Simulation.AddressOf).ToArray()));
    }

    [Test]
    public void A_newcomer_waits_behind_the_existing_validators()
    {
        var set = Set(10, 10, 10).ToList();
        ulong total = 30;
        set.Add(new WeightedValidator(Simulation.AddressOf(3), 10, ProposerRotation.NewcomerPriority(total)));
        var array = set.ToArray();
        var firstFour = Enumerable.Range(0, 3).Select(_ => ProposerRotation.Advance(array, 1)).ToArray();
        Assert.That(firstFour, Does.Not.Contain(Simulation.AddressOf(3)));
        Assert.That(ProposerRotation.NewcomerPriority(800), Is.EqualTo(-900));
    }

    [Test]
    public void Priorities_stay_bounded_after_a_power_change()
    {
        var set = Set(1, 1_000_000);
        for (int i = 0; i < 1000; i++) ProposerRotation.Advance(set, 1);
        set[1] = set[1] with { Power = 1 };
        for (int i = 0; i < 10; i++) ProposerRotation.Advance(set, 1);
        long spread = Math.Abs(set[0].Priority - set[1].Priority);
        Assert.That(spread, Is.LessThanOrEqualTo(2 * 1_000_001));
    }

    [Test]
    public void Roster_thresholds_are_strictly_more_than_two_thirds_and_one_third()
    {
        var roster = new ValidatorRoster(Set(1, 1, 1));
        Assert.That(roster.IsQuorum(2), Is.False);
        Assert.That(roster.IsQuorum(3), Is.True);
        Assert.That(roster.IsOverOneThird(1), Is.False);
        Assert.That(roster.IsOverOneThird(2), Is.True);
        Assert.That(() => new ValidatorRoster(Set(1, 0)), Throws.ArgumentException);
    }
}

[TestFixture]
public sealed class DoubleSignGuardTests
{
    private static readonly Hash256 A = new(Enumerable.Repeat((byte)1, 32).ToArray());
    private static readonly Hash256 B = new(Enumerable.Repeat((byte)2, 32).ToArray());

    [Test]
    public void Signing_only_moves_forward_and_never_signs_two_blocks_at_one_position()
    {
        var guard = new DoubleSignGuard();
        Assert.That(guard.CanSign(5, 0, SignStep.Prevote, A, out _, out _), Is.True);
        guard.Record(new SignedPosition(5, 0, SignStep.Prevote, A, [7]));

        Assert.That(guard.CanSign(5, 0, SignStep.Prevote, A, out var reuse, out _), Is.True);
        Assert.That(reuse, Is.EqualTo(new byte[] { 7 }), "the same vote again gets the same signature");
        Assert.That(guard.CanSign(5, 0, SignStep.Prevote, B, out _, out var reason), Is.False);
        Assert.That(reason, Does.Contain("already signed Prevote at 5/0"));
        Assert.That(guard.CanSign(5, 0, SignStep.Proposal, A, out _, out _), Is.False, "a step back");
        Assert.That(guard.CanSign(4, 9, SignStep.Precommit, A, out _, out _), Is.False, "a height back");
        Assert.That(guard.CanSign(5, 0, SignStep.Precommit, B, out _, out _), Is.True);
        Assert.That(guard.CanSign(5, 1, SignStep.Proposal, B, out _, out _), Is.True);
    }
}

[TestFixture]
public sealed class VoteSetTests
{
    private static Vote VoteOf(int validator, Hash256 hash) => new()
    {
        Type = VoteType.Prevote,
        Height = 1,
        BlockHash = hash.IsZero ? ByteString.Empty : ByteString.CopyFrom(hash.ToArray()),
        Validator = ByteString.CopyFrom(Simulation.AddressOf(validator).ToArray()),
    };

    [Test]
    public void A_conflicting_vote_is_reported_and_counts_once_in_the_total()
    {
        var roster = new ValidatorRoster(Enumerable.Range(0, 4).Select(i => new WeightedValidator(Simulation.AddressOf(i), 10, 0)));
        var set = new VoteSet(roster, VoteType.Prevote);
        var a = new Hash256(Enumerable.Repeat((byte)1, 32).ToArray());
        var b = new Hash256(Enumerable.Repeat((byte)2, 32).ToArray());
        Assert.That(set.Add(VoteOf(0, a), Simulation.AddressOf(0), a, out _), Is.EqualTo(VoteAddResult.Added));
        Assert.That(set.Add(VoteOf(0, a), Simulation.AddressOf(0), a, out _), Is.EqualTo(VoteAddResult.Duplicate));
        Assert.That(set.Add(VoteOf(0, b), Simulation.AddressOf(0), b, out var existing), Is.EqualTo(VoteAddResult.Conflicting));
        Assert.That(existing!.BlockHash.ToByteArray(), Is.EqualTo(a.ToArray()));
        Assert.That(set.TotalPower, Is.EqualTo(10));
        Assert.That(set.PowerFor(b), Is.EqualTo(10));
        set.Add(VoteOf(1, a), Simulation.AddressOf(1), a, out _);
        Assert.That(set.HasQuorumFor(a), Is.False);
        set.Add(VoteOf(2, a), Simulation.AddressOf(2), a, out _);
        Assert.That(set.HasQuorumFor(a), Is.True);
        Assert.That(set.Add(VoteOf(9, a), Simulation.AddressOf(9), a, out _), Is.EqualTo(VoteAddResult.NotValidator));
    }

    [Test]
    public void Timeouts_stay_flat_for_the_first_rounds_then_grow_to_a_cap()
    {
        var timeouts = new ConsensusTimeouts { ProposeMs = 1000, PrevoteMs = 400, PrecommitMs = 400, FlatRounds = 2, GrowthPercent = 50, MaxMs = 3000 };
        Assert.That(timeouts.For(RoundStep.Propose, 0).TotalMilliseconds, Is.EqualTo(1000));
        Assert.That(timeouts.For(RoundStep.Propose, 1).TotalMilliseconds, Is.EqualTo(1000));
        Assert.That(timeouts.For(RoundStep.Propose, 2).TotalMilliseconds, Is.EqualTo(1500));
        Assert.That(timeouts.For(RoundStep.Propose, 3).TotalMilliseconds, Is.EqualTo(2000));
        Assert.That(timeouts.For(RoundStep.Propose, 50).TotalMilliseconds, Is.EqualTo(3000));
    }
}
