using System.Diagnostics;
using IExecChain.FaultTests.Checks;
using NUnit.Framework;

namespace IExecChain.FaultTests.Scenarios;

/// <summary>Validator processes that die (SIGKILL, restarted with the same config) or freeze (SIGSTOP, then SIGCONT).</summary>
[TestFixture]
[NonParallelizable]
public sealed class ProcessFaultTests
{
    private const int KillLoopSeed = 20261202;
    private static IEnumerable<int> KillCounts => FaultSettings.Validators(4);
    private static IEnumerable<int> PauseCounts => FaultSettings.Validators(4);

    [TestCaseSource(nameof(KillCounts))]
    [Category("kill")]
    public async Task A_random_validator_killed_every_10_seconds_comes_back_with_its_blocks_and_its_peers(int validators)
    {
        await using var run = await ScenarioRun.StartAsync("kill", validators);
        var period = TimeSpan.FromSeconds(10);
        var duration = FaultSettings.Duration(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5));
        var random = new Random(KillLoopSeed);
        var restarts = new List<double>();
        var catchUps = new List<double>();
        var loop = Stopwatch.StartNew();
        int kills = 0;
        while (loop.Elapsed < duration)
        {
            var tick = loop.Elapsed;
            int victim = random.Next(validators);
            var head = await run.Audit.RememberHeadAsync(victim);   // must survive the kill
            run.Cluster.Kill(victim);
            kills++;
            var restart = Stopwatch.StartNew();
            await run.Cluster.StartAsync(victim);
            restarts.Add(restart.Elapsed.TotalSeconds);
            var others = run.All.Where(i => i != victim).ToArray();
            ulong target = Math.Max(await run.Chain.MaxHeightAsync(others), head?.Number ?? 0);
            catchUps.Add((await run.Chain.WaitForHeightAsync([victim], target, ScenarioRun.RecoveryBound, $"node {victim} catching up after kill {kills}")).TotalSeconds);
            var next = tick + period - loop.Elapsed;
            if (next > TimeSpan.Zero) await Task.Delay(next);   // the loop's pace, not a wait for a condition
        }
        run.Figures.Add("kills (seed)", $"{kills} ({KillLoopSeed})");
        run.Figures.Add("kill → RPC up again: mean / max", $"{restarts.Average():0.00} / {restarts.Max():0.00} s");
        run.Figures.Add("RPC up → caught up with the others: mean / max", $"{catchUps.Average():0.00} / {catchUps.Max():0.00} s");
        await run.FinishAsync();
    }

    [TestCaseSource(nameof(PauseCounts))]
    [Category("pause")]
    public async Task A_paused_validator_resumes_catches_up_and_keeps_its_peers(int validators)
    {
        await using var run = await ScenarioRun.StartAsync("pause", validators);
        var hold = FaultSettings.Duration(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));
        int victim = validators - 1;
        var others = run.All.Where(i => i != victim).ToArray();
        run.Cluster.Pause(victim);
        ulong start = await run.Chain.MaxHeightAsync(others);
        await Task.Delay(hold);
        ulong end = await run.Chain.MaxHeightAsync(others);
        run.Figures.Add("paused (SIGSTOP) for", hold);
        run.Figures.Add("others: blocks committed meanwhile", end - start);
        Assert.That(end, Is.GreaterThan(start), "the others stopped while one validator was paused");

        run.Cluster.Resume(victim);
        var caughtUp = await run.Chain.WaitForHeightAsync([victim], end, ScenarioRun.RecoveryBound, "the resumed validator catching up");
        run.Figures.Add("resume (SIGCONT) → caught up after", caughtUp);
        await run.FinishAsync();
    }
}
