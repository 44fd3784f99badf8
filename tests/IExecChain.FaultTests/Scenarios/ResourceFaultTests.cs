using IExecChain.FaultTests.Checks;
using IExecChain.FaultTests.Cluster;
using IExecChain.FaultTests.Lab;
using NUnit.Framework;

namespace IExecChain.FaultTests.Scenarios;

/// <summary>Faults of one machine's resources: its data disk fills up; its wall clock is off by 2 s.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ResourceFaultTests
{
    private static IEnumerable<int> Counts => FaultSettings.Validators(4);

    [TestCaseSource(nameof(Counts))]
    [Category("disk")]
    public async Task A_validator_whose_disk_fills_up_loses_no_block_and_catches_up_once_space_is_freed(int validators)
    {
        int victim = validators - 1;
        DataDisk? disk = null;
        await using var run = await ScenarioRun.StartAsync("disk", validators, prepare: cluster => disk = cluster.MoveToSmallDisk(victim, 64));
        var others = run.All.Where(i => i != victim).ToArray();

        var before = await run.Audit.RememberHeadAsync(victim);
        long ballast = disk!.Fill();
        run.Figures.Add("disk: tmpfs 64 MB, ballast written until ENOSPC / left free", $"{ballast / (1024.0 * 1024):0.0} MB / {disk.FreeBytes} bytes");
        ulong start = await run.Chain.MaxHeightAsync(others);
        // RocksDB preallocates its log, so a node may go on for a while on a full disk: hold the fault
        // until the node has stopped (exited, or no new height for 3 s) or the hold is over.
        var hold = FaultSettings.Duration(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(60));
        var process = run.Cluster.Process(victim)!;
        var full = System.Diagnostics.Stopwatch.StartNew();
        var lastChange = full.Elapsed;
        ulong? last = null;
        while (full.Elapsed < hold && !process.HasExited && full.Elapsed - lastChange < TimeSpan.FromSeconds(3))
        {
            var now = await run.Chain.TryHeightAsync(victim);
            if (now != last) { last = now; lastChange = full.Elapsed; }
            await Task.Delay(250);
        }
        ulong end = await run.Chain.MaxHeightAsync(others);
        bool exited = process.HasExited;
        ulong? stuckAt = exited ? null : await run.Chain.TryHeightAsync(victim);
        run.Figures.Add("disk full for", full.Elapsed);
        run.Figures.Add("the full node's reaction", exited ? $"exited with code {process.ExitCode} after {full.Elapsed.TotalSeconds:0.0} s"
            : full.Elapsed < hold ? $"stopped committing after {lastChange.TotalSeconds:0.0} s at height {stuckAt?.ToString() ?? "?"} (others at {end}), kept running"
            : $"kept committing for the whole {hold.TotalSeconds:0} s, at height {stuckAt?.ToString() ?? "?"} (others at {end})");
        var reaction = run.Cluster.Log(victim).Split('\n').FirstOrDefault(l => l.Contains("space", StringComparison.OrdinalIgnoreCase) || l.Contains("IOException", StringComparison.Ordinal));
        run.Figures.Add("the full node's first log line about it", reaction?.Trim() is { Length: > 0 } r ? r[..Math.Min(r.Length, 200)] : "none");
        run.Figures.Add("others: blocks committed meanwhile", end - start);
        Assert.That(end, Is.GreaterThan(start), "the others stopped while one validator's disk was full");

        // A restart on the still-full disk: RocksDB has to open (and preallocate) a new log now.
        if (!exited)
        {
            await run.Audit.RememberHeadAsync(victim);
            run.Cluster.Kill(victim);
            exited = true;
            string outcome;
            try
            {
                await run.Cluster.StartAsync(victim);
                outcome = $"came up, at height {await run.Chain.TryHeightAsync(victim)}";
                exited = false;
            }
            catch (InvalidOperationException e) when (e.Message.Contains("exited", StringComparison.Ordinal))
            {
                var said = run.Cluster.Log(victim).Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "";
                outcome = $"exited with code {run.Cluster.Process(victim)!.ExitCode} before its RPC came up: {said[..Math.Min(said.Length, 200)]}";
            }
            run.Figures.Add("restart (after SIGKILL) on the full disk", outcome);
        }

        disk.Free();
        var recovery = System.Diagnostics.Stopwatch.StartNew();
        // A node that stopped on a full disk is restarted as its supervisor would; one that kept running must recover by itself.
        if (exited) await run.Cluster.StartAsync(victim);
        ulong target = await run.Chain.MaxHeightAsync(others);
        await run.Chain.WaitForHeightAsync([victim], Math.Max(target, before?.Number ?? 0), ScenarioRun.RecoveryBound, "the node whose disk was full catching up after space was freed");
        run.Figures.Add("space freed → caught up after", recovery.Elapsed);
        await run.FinishAsync();
    }

    [TestCase(2)]
    [TestCase(-2)]
    // The control: libfaketime loaded, clock not shifted. Shows whether the skewed validator's late
    // votes come from the skew or from libfaketime's cost (docs/reliability.md); run by name.
    [TestCase(0, Explicit = true, Reason = "control run for the clock scenario")]
    [Category("clock")]
    public async Task A_validator_whose_clock_is_off_by_2_seconds_keeps_proposing_and_voting(int offsetSeconds)
    {
        int validators = FaultSettings.Validators(4).First();
        int skewed = validators - 1;
        var offset = TimeSpan.FromSeconds(offsetSeconds);
        await using var run = await ScenarioRun.StartAsync($"clock{offsetSeconds:+0;-0}s", validators,
            environment: (_, i) => i == skewed ? ValidatorCluster.ClockShifted(offset) : null);
        var hold = FaultSettings.Duration(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(120));
        ulong start = await run.Chain.MaxHeightAsync(run.All);
        await Task.Delay(hold);
        ulong end = await run.Chain.HeightAsync(0);
        var blocks = (await run.Chain.BlocksAsync(0, start + 1, end)).OfType<BlockView>().ToArray();

        // The skew as the chain sees it: the skewed validator's precommit time minus the others' median, per
        // carried commit (late precommits included: a node's own stored commit holds only the first > 2/3).
        string address = ValidatorCluster.Validator(skewed).ToString();
        var skews = new List<double>();
        foreach (var block in blocks)
        {
            var mine = block.CarriedSignatures.FirstOrDefault(s => s.Validator.Equals(address, StringComparison.OrdinalIgnoreCase));
            var theirs = block.CarriedSignatures.Where(s => s != mine).Select(s => (double)s.TimestampMs).Order().ToArray();
            if (mine is not null && theirs.Length > 0) skews.Add(mine.TimestampMs - theirs[theirs.Length / 2]);
        }
        var signedBy = run.All.Select(i => blocks.Count(b => b.Signatures.Any(v => v.Validator.Equals(ValidatorCluster.Validator(i).ToString(), StringComparison.OrdinalIgnoreCase))));
        run.Figures.Add("blocks whose stored commit (node 0's, first > 2/3) each validator signed (node 0..n-1)", string.Join(" / ", signedBy));
        // What the chain credits (carried commits, late precommits included): reputation follows it.
        var standing = await run.Chain.ValidatorsAsync(0);
        run.Figures.Add("chain's count per validator, signed/missed blocks (reputation), node 0..n-1", string.Join(" · ", run.All.Select(i =>
            standing.First(x => x.Address.Equals(ValidatorCluster.Validator(i).ToString(), StringComparison.OrdinalIgnoreCase)) is var v ? $"{v.BlocksSigned}/{v.BlocksMissed} ({v.Reputation})" : "?")));
        int proposed = blocks.Count(b => b.Proposer.Equals(address, StringComparison.OrdinalIgnoreCase));
        run.Figures.Add("clock offset (libfaketime)", $"{offsetSeconds:+0;-0} s");
        run.Figures.Add("blocks under skew / signed by the skewed validator / proposed by it", $"{blocks.Length} / {skews.Count} / {proposed}");
        run.Figures.Add("measured skew of its precommits (median)", skews.Count == 0 ? "none" : $"{skews.Order().ElementAt(skews.Count / 2):0} ms");
        run.Figures.Add("commit rounds under skew: mean / max", blocks.Length == 0 ? "none" : $"{blocks.Average(b => b.Round):0.00} / {blocks.Max(b => b.Round)}");
        Assert.That(blocks, Has.Length.GreaterThan(1), "the chain stopped with one validator's clock off");
        Assert.That(skews, Is.Not.Empty, "the skewed validator signed no commit");
        // Proves the skew reached the node's DateTime.UtcNow; the margin covers vote timing within a round.
        Assert.That(skews.Order().ElementAt(skews.Count / 2), Is.EqualTo(offsetSeconds * 1000.0).Within(700), "libfaketime did not shift the node's wall clock");
        Assert.That(proposed, Is.GreaterThan(0), "the skewed validator's proposals never made it into the chain");
        await run.FinishAsync();
    }
}
