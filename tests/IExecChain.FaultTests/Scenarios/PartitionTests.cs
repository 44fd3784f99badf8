using IExecChain.FaultTests.Checks;
using NUnit.Framework;

namespace IExecChain.FaultTests.Scenarios;

/// <summary>Partitions: an even split that leaves no side a quorum, then heal; a minority cut off, then heal.</summary>
[TestFixture]
[NonParallelizable]
public sealed class PartitionTests
{
    private static IEnumerable<int> SplitCounts => FaultSettings.Validators(4, 7);
    private static IEnumerable<int> MinorityCounts => FaultSettings.Validators(4);

    [TestCaseSource(nameof(SplitCounts))]
    [Category("partition")]
    public async Task A_split_without_quorum_commits_nothing_and_recovers_after_heal(int validators)
    {
        await using var run = await ScenarioRun.StartAsync("partition", validators);
        var hold = FaultSettings.Duration(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));
        int[] left = Enumerable.Range(0, (validators + 1) / 2).ToArray();   // 2|2, 4|3: neither side has more than 2/3
        int[] right = run.All.Except(left).ToArray();

        run.Cluster.Lab.Partition(left, right);
        // Read after the rules are in: blocks decided while they were being installed do not count.
        ulong before = await run.Chain.MaxHeightAsync(run.All);
        await Task.Delay(hold);
        ulong during = await run.Chain.MaxHeightAsync(run.All);
        run.Figures.Add($"split {left.Length}|{right.Length} held", hold);
        run.Figures.Add("blocks committed during the split", during - before);
        // A height already decided by the time the rules land may still complete; nothing beyond it can.
        Assert.That(during, Is.LessThanOrEqualTo(before + 1), "a side without more than 2/3 of the power committed blocks");

        await MeasureHealAsync(run, during);
        await run.FinishAsync();
    }

    [TestCaseSource(nameof(MinorityCounts))]
    [Category("minority")]
    public async Task An_isolated_minority_does_not_stop_the_majority_and_catches_up_after_heal(int validators)
    {
        await using var run = await ScenarioRun.StartAsync("minority", validators);
        var hold = FaultSettings.Duration(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));
        int faulty = (validators - 1) / 3;   // the most a BFT network tolerates: 1 of 4, 2 of 7
        int[] minority = Enumerable.Range(validators - faulty, faulty).ToArray();
        int[] majority = run.All.Except(minority).ToArray();

        foreach (int i in minority)
        {
            run.Cluster.Lab.Isolate(i);
            run.Cluster.SetCutOff(i, true);
        }
        ulong start = await run.Chain.MaxHeightAsync(majority);
        await Task.Delay(hold);
        ulong end = await run.Chain.MaxHeightAsync(majority);
        ulong minorityHeight = await run.Chain.MaxHeightAsync(minority);
        run.Figures.Add($"{minority.Length} of {validators} isolated for", hold);
        run.Figures.Add("majority: blocks committed while the minority was cut off", end - start);
        Assert.That(end, Is.GreaterThan(start), "the majority stopped committing without the minority");
        Assert.That(minorityHeight, Is.LessThanOrEqualTo(start + 1), "an isolated minority committed on its own");

        run.Cluster.Lab.Heal();
        foreach (int i in minority) run.Cluster.SetCutOff(i, false);
        ulong target = await run.Chain.MaxHeightAsync(majority);
        var caughtUp = await run.Chain.WaitForHeightAsync(minority, target, ScenarioRun.RecoveryBound, "the healed minority catching up");
        run.Figures.Add("heal: minority back at the majority's head after", caughtUp);
        await run.FinishAsync();
    }

    /// <summary>
    /// From heal to the first new block on any node: the time, the heights and the consensus rounds it
    /// took (the round of that block's commit against the highest round any node was in at heal).
    /// </summary>
    internal static async Task MeasureHealAsync(ScenarioRun run, ulong stalledAt)
    {
        var rounds = await Task.WhenAll(run.All.Select(run.Chain.RoundAsync));
        int roundAtHeal = rounds.Max(r => r ?? 0);
        run.Cluster.Lab.Heal();
        var (node, elapsed) = await run.Chain.WaitForAnyHeightAsync(run.All, stalledAt + 1, ScenarioRun.RecoveryBound, "first block after heal");
        var block = await run.Chain.BlockAsync(node, stalledAt + 1);
        run.Figures.Add("heal: first new block after", elapsed);
        run.Figures.Add("heal: round at heal / commit round of the first new block", $"{roundAtHeal} / {block!.Round}");
        run.Figures.Add("heal: rounds from heal to the first new block", Math.Max(0, block.Round - roundAtHeal) + 1);
    }
}
