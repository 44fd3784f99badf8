using System.Numerics;
using IExecChain.Core.Primitives;
using IExecChain.State.Market;
using NUnit.Framework;

namespace IExecChain.State.Tests.Market;

public class CredibilityTests
{
    private static readonly Hash256 Good = MarketBuild.NewHash();
    private static readonly Hash256 Bad = MarketBuild.NewHash();

    [TestCase(0UL, 2UL)]
    [TestCase(8UL, 2UL)]
    [TestCase(9UL, 2UL)]
    [TestCase(12UL, 3UL)]
    [TestCase(100UL, 32UL)]
    [TestCase(300UL, 99UL)]
    public void Weight_is_max_of_score_over_three_and_three_minus_one(ulong score, ulong weight) =>
        Assert.That(Credibility.Weight(score), Is.EqualTo(weight));

    [Test]
    public void Trust_100_with_fresh_workers_needs_seven_agreeing_contributions()
    {
        var tally = new ConsensusTally(100);
        for (int i = 1; i <= 6; i++) Assert.That(tally.Contribute(Good, 0), Is.False, $"contribution {i}");
        Assert.That(tally.Contribute(Good, 0), Is.True);
        Assert.That(tally.GroupWeight(Good), Is.EqualTo(new BigInteger(128)));
        Assert.That(tally.TotalWeight, Is.EqualTo(new BigInteger(129)));
        Assert.That(Credibility.AdditionalReplicasNeeded(100, [], newWorkerScore: 0), Is.EqualTo(7));
    }

    [Test]
    public void Scores_12_100_300_weigh_3_32_99_and_reach_consensus_at_the_third_vote()
    {
        var tally = new ConsensusTally(100);
        Assert.That(tally.Contribute(Good, 12), Is.False);
        Assert.That((tally.GroupWeight(Good), tally.TotalWeight), Is.EqualTo((new BigInteger(3), new BigInteger(4))));
        Assert.That(tally.Contribute(Good, 100), Is.False, "96 × 100 = 9,600 is not above 97 × 99 = 9,603");
        Assert.That((tally.GroupWeight(Good), tally.TotalWeight), Is.EqualTo((new BigInteger(96), new BigInteger(97))));
        Assert.That(tally.Contribute(Good, 300), Is.True);
        Assert.That((tally.GroupWeight(Good), tally.TotalWeight), Is.EqualTo((new BigInteger(9504), new BigInteger(9505))));
        Assert.That(Credibility.AdditionalReplicasNeeded(100, [12, 100, 300], 0), Is.EqualTo(0));
        Assert.That(Credibility.AdditionalReplicasNeeded(100, [12, 100], 300), Is.EqualTo(1));
    }

    [Test]
    public void Trust_zero_or_one_accepts_the_first_contribution()
    {
        Assert.That(new ConsensusTally(0).Contribute(Good, 0), Is.True);
        Assert.That(new ConsensusTally(1).Contribute(Good, 0), Is.True);
        Assert.That(Credibility.AdditionalReplicasNeeded(1, [], 0), Is.EqualTo(1));
    }

    [Test]
    public void A_disagreeing_vote_raises_the_total_and_delays_consensus()
    {
        var tally = new ConsensusTally(100);
        tally.Contribute(Bad, 0);  // total 3
        for (int i = 1; i <= 7; i++) Assert.That(tally.Contribute(Good, 0), Is.False);  // group 128, total 131: 12,800 ≤ 12,969
        Assert.That(tally.TotalWeight, Is.EqualTo(new BigInteger(131)));
        Assert.That(tally.LeadingResult, Is.EqualTo(Good));
        Assert.That(Credibility.AdditionalReplicasNeeded(100, [], 0, tally), Is.EqualTo(2));
        Assert.That(tally.Contribute(Good, 0), Is.False, "25,600 ≤ 259 × 99 = 25,641");
        Assert.That(tally.Contribute(Good, 0), Is.True, "51,200 > 515 × 99 = 50,985");
    }

    [Test]
    public void Reopen_removes_the_failed_group_from_the_total()
    {
        var tally = new ConsensusTally(5);
        tally.Contribute(Bad, 0);
        tally.Contribute(Good, 30);
        tally.Reopen(Good);
        Assert.That(tally.TotalWeight, Is.EqualTo(new BigInteger(3)));
        Assert.That(tally.LeadingResult, Is.EqualTo(Bad));
        Assert.That(tally.GroupWeight(Good), Is.EqualTo(BigInteger.Zero));
    }

    [Test]
    public void Replicas_needed_never_exceeds_the_limit_and_says_so()
    {
        Assert.That(Credibility.AdditionalReplicasNeeded(ulong.MaxValue, [], 0, limit: 10), Is.EqualTo(-1));
        // High-score workers need fewer replicas than fresh ones for the same trust.
        Assert.That(Credibility.AdditionalReplicasNeeded(1000, [], 3000), Is.LessThan(Credibility.AdditionalReplicasNeeded(1000, [], 0)));
    }

    [Test]
    public void Large_groups_do_not_overflow()
    {
        var tally = new ConsensusTally(ulong.MaxValue);
        for (int i = 0; i < 40; i++)
        {
            tally.Contribute(Good, 3_000_000_000);
            tally.Contribute(Bad, 3_000_000_000);
        }
        Assert.That(tally.TotalWeight, Is.GreaterThan(new BigInteger(ulong.MaxValue) * ulong.MaxValue));
        Assert.That(tally.HasConsensus(Good), Is.False);
    }
}
