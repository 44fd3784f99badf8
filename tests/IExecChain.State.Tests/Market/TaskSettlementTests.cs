using IExecChain.Core.Primitives;
using IExecChain.State.Market;
using NUnit.Framework;

namespace IExecChain.State.Tests.Market;

public class TaskSettlementTests
{
    private static readonly Address AppOwner = MarketBuild.Addr("app-owner");
    private static readonly Address DatasetOwner = MarketBuild.Addr("dataset-owner");
    private static readonly Address PoolOwner = MarketBuild.Addr("pool-owner");
    private static readonly Address W1 = MarketBuild.Addr("w1"), W2 = MarketBuild.Addr("w2"), W3 = MarketBuild.Addr("w3"), Liar = MarketBuild.Addr("liar");

    // 1 RLC app, 0.5 RLC dataset, 2 RLC pool; 30% pool stake; workers stake 0.2 RLC; scheduler keeps 10%.
    private static readonly DealTerms Deal = new(MarketBuild.Requester, AppOwner, 1_000_000_000, DatasetOwner, 500_000_000, PoolOwner,
        2_000_000_000, DealTerms.PoolStakeFor(2_000_000_000), 200_000_000, 10);

    [Test]
    public void A_task_with_one_wrong_contributor_pays_exact_amounts()
    {
        // Weights 2, 32, 99 → floor(log2) 1, 5, 6; the liar (score 30, weight 9) voted for another result.
        var contributions = new[]
        {
            new SettledContribution(W1, 2, 0, true),
            new SettledContribution(W2, 32, 100, true),
            new SettledContribution(W3, 99, 300, true),
            new SettledContribution(Liar, 9, 30, false),
        };
        var s = TaskSettlement.Complete(Deal, contributions);

        Assert.That(Deal.PoolStake, Is.EqualTo(600_000_000));
        Assert.That(s.CreditedTo(AppOwner, CreditKind.AppReward), Is.EqualTo(1_000_000_000));
        Assert.That(s.CreditedTo(DatasetOwner, CreditKind.DatasetReward), Is.EqualTo(500_000_000));
        // Pot = 2,000,000,000 + 200,000,000 (the liar's stake) = 2,200,000,000; workers get 90% = 1,980,000,000,
        // split 1:5:6 over 12: 165,000,000 / 825,000,000 / 990,000,000 (exact here).
        Assert.That(s.CreditedTo(W1, CreditKind.WorkerReward), Is.EqualTo(165_000_000));
        Assert.That(s.CreditedTo(W2, CreditKind.WorkerReward), Is.EqualTo(825_000_000));
        Assert.That(s.CreditedTo(W3, CreditKind.WorkerReward), Is.EqualTo(990_000_000));
        Assert.That(s.CreditedTo(Liar, CreditKind.WorkerReward) + s.CreditedTo(Liar, CreditKind.StakeReturn), Is.EqualTo(0));
        foreach (var w in new[] { W1, W2, W3 }) Assert.That(s.CreditedTo(w, CreditKind.StakeReturn), Is.EqualTo(200_000_000));
        Assert.That(s.CreditedTo(PoolOwner, CreditKind.SchedulerReward), Is.EqualTo(220_000_000));
        Assert.That(s.CreditedTo(PoolOwner, CreditKind.StakeReturn), Is.EqualTo(600_000_000));
        Assert.That(s.CreditedTotal, Is.EqualTo(s.ReleasedTotal));
        Assert.That(s.ReleasedTotal, Is.EqualTo(3_500_000_000 + 600_000_000 + 4 * 200_000_000UL));

        Assert.That(s.ScoreChanges, Is.EquivalentTo(new[]
        {
            new ScoreChange(W1, 0, 1), new ScoreChange(W2, 100, 101), new ScoreChange(W3, 300, 301), new ScoreChange(Liar, 30, 20),
        }));
    }

    [Test]
    public void Rounding_remainders_go_to_the_pool_owner()
    {
        var deal = Deal with { PoolPrice = 1_000, PoolStake = 300, WorkerStake = 7, SchedulerRewardPercent = 3 };
        var s = TaskSettlement.Complete(deal, [new(W1, 2, 0, true), new(W2, 8, 30, true), new(W3, 2, 0, true)]);
        // Pot 1,000; workers 970, split 1:3:1 → 194, 582, 194 = 970 exactly; then try 7 units of stake from a loser.
        Assert.That(s.CreditedTo(PoolOwner, CreditKind.SchedulerReward), Is.EqualTo(30));
        var withLoser = TaskSettlement.Complete(deal, [new(W1, 2, 0, true), new(W2, 8, 30, true), new(W3, 2, 0, true), new(Liar, 2, 3, false)]);
        // Pot 1,007 → workers floor(1,007 × 97 / 100) = 976 → 195, 585, 195 (floor of 195.2, 585.6) = 975; pool owner 1,007 − 975 = 32.
        Assert.That(withLoser.CreditedTo(W2, CreditKind.WorkerReward), Is.EqualTo(585));
        Assert.That(withLoser.CreditedTo(PoolOwner, CreditKind.SchedulerReward), Is.EqualTo(32));
        Assert.That(withLoser.CreditedTotal, Is.EqualTo(withLoser.ReleasedTotal));
    }

    [Test]
    public void A_single_contribution_pays_but_does_not_raise_the_score()
    {
        var s = TaskSettlement.Complete(Deal, [new(W1, 2, 5, true)]);
        Assert.That(s.ScoreChanges, Is.Empty);
        Assert.That(s.CreditedTo(W1, CreditKind.WorkerReward), Is.EqualTo(1_800_000_000));
    }

    [Test]
    public void A_failed_task_refunds_the_requester_seizes_the_pool_stake_and_returns_worker_stakes()
    {
        var s = TaskSettlement.Fail(Deal, [new(W1, 2, 0, true), new(Liar, 9, 30, false)]);
        Assert.That(s.CreditedTo(MarketBuild.Requester, CreditKind.Refund), Is.EqualTo(3_500_000_000));
        Assert.That(s.CreditedTo(Address.Zero, CreditKind.Kitty), Is.EqualTo(600_000_000));
        Assert.That(s.CreditedTo(PoolOwner, CreditKind.StakeReturn), Is.EqualTo(0));
        Assert.That(s.CreditedTo(W1, CreditKind.StakeReturn), Is.EqualTo(200_000_000));
        Assert.That(s.CreditedTo(Liar, CreditKind.StakeReturn), Is.EqualTo(200_000_000));
        Assert.That(s.ScoreChanges, Is.Empty);
        Assert.That(s.CreditedTotal, Is.EqualTo(s.ReleasedTotal));
    }

    [Test]
    public void A_task_that_cannot_run_refunds_the_requester_and_returns_the_pool_and_worker_stakes()
    {
        var s = TaskSettlement.CannotRun(Deal, [new(W1, 0, 0, false), new(Liar, 0, 30, false)]);
        Assert.That(s.CreditedTo(MarketBuild.Requester, CreditKind.Refund), Is.EqualTo(3_500_000_000));
        Assert.That(s.CreditedTo(Address.Zero, CreditKind.Kitty), Is.Zero, "nothing seized");
        Assert.That(s.CreditedTo(PoolOwner, CreditKind.StakeReturn), Is.EqualTo(600_000_000));
        Assert.That(s.CreditedTo(W1, CreditKind.StakeReturn), Is.EqualTo(200_000_000));
        Assert.That(s.CreditedTo(Liar, CreditKind.StakeReturn), Is.EqualTo(200_000_000));
        Assert.That(s.ScoreChanges, Is.Empty);
        Assert.That(s.CreditedTotal, Is.EqualTo(s.ReleasedTotal));
    }

    [Test]
    public void No_nrlc_is_created_or_lost_for_random_tasks()
    {
        var random = new Random(42);
        for (int t = 0; t < 2000; t++)
        {
            ulong poolPrice = (ulong)random.NextInt64(0, 1L << 50);
            var deal = Deal with
            {
                AppPrice = (ulong)random.NextInt64(0, 1L << 50),
                DatasetPrice = (ulong)random.NextInt64(0, 1L << 50),
                PoolPrice = poolPrice,
                PoolStake = DealTerms.PoolStakeFor(poolPrice),
                WorkerStake = (ulong)random.NextInt64(0, 1L << 40),
                SchedulerRewardPercent = (uint)random.Next(0, 101),
            };
            int n = random.Next(1, 12);
            var contributions = new SettledContribution[n];
            for (int i = 0; i < n; i++)
            {
                ulong score = (ulong)random.Next(0, 5000);
                contributions[i] = new SettledContribution(MarketBuild.Addr("w" + i), Credibility.Weight(score), score, i == 0 || random.Next(3) > 0);
            }
            var s = TaskSettlement.Complete(deal, contributions);
            Assert.That(s.CreditedTotal, Is.EqualTo(s.ReleasedTotal), $"task {t}");
            var f = TaskSettlement.Fail(deal, contributions);
            Assert.That(f.CreditedTotal, Is.EqualTo(f.ReleasedTotal), $"failed task {t}");
            var c = TaskSettlement.CannotRun(deal, contributions);
            Assert.That(c.CreditedTotal, Is.EqualTo(c.ReleasedTotal), $"task {t} that cannot run");
        }
    }

    [Test]
    public void A_completed_task_without_a_winner_is_refused()
    {
        Assert.Throws<ArgumentException>(() => TaskSettlement.Complete(Deal, [new(Liar, 2, 0, false)]));
    }
}
