using IExecChain.FaultTests.Checks;
using NUnit.Framework;

namespace IExecChain.FaultTests.Scenarios;

/// <summary>Every link degraded at once: random loss, then delay with jitter (and so reordering).</summary>
[TestFixture]
[NonParallelizable]
public sealed class DegradedLinkTests
{
    private static IEnumerable<int> Counts => FaultSettings.Validators(4);

    [TestCaseSource(nameof(Counts))]
    [Category("loss")]
    public async Task Twenty_percent_packet_loss_slows_the_chain_but_does_not_stop_it(int validators)
    {
        await using var run = await ScenarioRun.StartAsync("loss", validators);
        run.Cluster.Lab.Loss(0.2);
        await HoldAndMeasureAsync(run, FaultSettings.Duration(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(120)));
        run.Cluster.Lab.Heal();
        await run.FinishAsync();
    }

    [TestCaseSource(nameof(Counts))]
    [Category("delay")]
    public async Task Delay_of_300_ms_with_100_ms_jitter_slows_the_chain_but_does_not_stop_it(int validators)
    {
        await using var run = await ScenarioRun.StartAsync("delay", validators);
        run.Cluster.Lab.Delay(TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(100), seed: 300);
        await HoldAndMeasureAsync(run, FaultSettings.Duration(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(120)));
        var (packets, reordered, failed) = run.Cluster.Lab.DelayStatistics;
        run.Cluster.Lab.Heal();
        run.Figures.Add("delayer: packets held / released out of order / lost on release", $"{packets} / {reordered} / {failed}");
        Assert.That(packets, Is.GreaterThan(0), "the delayer held no packet: the fault was not applied");
        await run.FinishAsync();
    }

    /// <summary>Blocks per second and commit rounds while the fault holds; the chain must keep deciding heights.</summary>
    private static async Task HoldAndMeasureAsync(ScenarioRun run, TimeSpan hold)
    {
        ulong start = await run.Chain.MaxHeightAsync(run.All);
        await Task.Delay(hold);
        ulong end = await run.Chain.MaxHeightAsync(run.All);
        var blocks = (await run.Chain.BlocksAsync(0, start + 1, Math.Min(end, await run.Chain.HeightAsync(0)))).OfType<BlockView>().ToArray();
        run.Figures.Add("fault held", hold);
        run.Figures.Add("blocks per second under the fault", (end - start) / hold.TotalSeconds, "/s");
        run.Figures.Add("commit rounds under the fault: mean / max", blocks.Length == 0 ? "none" : $"{blocks.Average(b => b.Round):0.00} / {blocks.Max(b => b.Round)}");
        run.Figures.Add("transfers per second committed under the fault", blocks.Sum(b => b.TransactionCount) / hold.TotalSeconds, "/s");
        Assert.That(end, Is.GreaterThan(start + 1), "the chain stopped under the fault");
    }
}
