using System.Diagnostics;
using IExecChain.FaultTests.Cluster;
using IExecChain.FaultTests.Lab;
using NUnit.Framework;

namespace IExecChain.FaultTests.Checks;

/// <summary>
/// One scenario from start to verdict: a fresh cluster in its namespaces, warmed up, under a steady
/// load, with every node's head sampled four times a second into the audit's ledger; then
/// <see cref="FinishAsync"/> checks what every scenario must end with.
/// </summary>
internal sealed class ScenarioRun : IAsyncDisposable
{
    /// <summary>
    /// How long the network may take to be whole again once the fault is gone: a partitioned node
    /// re-dials with a back-off that grows to 30 s (NetworkOptions.RedialMaxDelay) and round
    /// timeouts grow after two flat rounds, so a quiet machine needs seconds and a busy 2-core CI
    /// machine running other test processes needs more. Generous on purpose: it separates "recovers"
    /// from "never recovers"; the measured figures are what tells how fast.
    /// </summary>
    public static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(90);

    private readonly CancellationTokenSource _stopSampling = new();
    private readonly List<Task> _samplers = [];
    private SteadyLoad? _load;
    private ulong _startHeight;
    private bool _finished;
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();

    private ScenarioRun(string scenario, int validators)
    {
        Prerequisites.Require();
        Scenario = scenario;
        Figures = new ScenarioFigures(scenario, validators);
        Cluster = new ValidatorCluster(validators);
        Chain = new ChainObserver(Cluster);
        Audit = new ChainAudit(Cluster, Chain);
    }

    public string Scenario { get; }
    public ValidatorCluster Cluster { get; }
    public ChainObserver Chain { get; }
    public ChainAudit Audit { get; }
    public ScenarioFigures Figures { get; }
    public IEnumerable<int> All => Cluster.All;

    /// <summary>
    /// Starts <paramref name="validators"/> nodes (<paramref name="prepare"/> may move data or set a
    /// node's environment first), waits for every node to commit, then starts load and sampling.
    /// </summary>
    public static async Task<ScenarioRun> StartAsync(string scenario, int validators, Func<ValidatorCluster, int, IReadOnlyDictionary<string, string?>?>? environment = null,
        Action<ValidatorCluster>? prepare = null)
    {
        var run = new ScenarioRun(scenario, validators);
        try
        {
            run.Figures.Add("setup: lab and node directories ready after", run._elapsed.Elapsed);
            prepare?.Invoke(run.Cluster);
            var starting = Stopwatch.StartNew();
            await Task.WhenAll(run.All.Select(i => run.Cluster.StartAsync(i, environment?.Invoke(run.Cluster, i))));
            run.Figures.Add("setup: every node's RPC answering after", starting.Elapsed);
            ulong start = await run.Chain.MaxHeightAsync(run.All);
            var warmUp = await run.Chain.WaitForHeightAsync(run.All, start + 2, TimeSpan.FromSeconds(90), "warm-up");
            run.Figures.Add("warm-up: every node committing after", warmUp);
            run._startHeight = await run.Chain.MaxHeightAsync(run.All);
            run._load = new SteadyLoad(run.Cluster, FaultSettings.LoadRate);
            foreach (int i in run.All) run._samplers.Add(Task.Run(() => run.SampleAsync(i)));
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    private async Task SampleAsync(int i)
    {
        while (!_stopSampling.IsCancellationRequested)
        {
            if (Cluster.Process(i) is { HasExited: false, Paused: false }) await Audit.RememberHeadAsync(i);
            try { await Task.Delay(250, _stopSampling.Token); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>
    /// What every scenario ends with, all faults removed and every node running: all nodes commit
    /// new blocks, all are peered with all, and then the whole history of every node is audited.
    /// Every failed check is reported together.
    /// </summary>
    public async Task FinishAsync()
    {
        _finished = true;
        var failures = new List<string>();
        foreach (int i in All)
            if (Cluster.Process(i) is not { HasExited: false }) failures.Add($"node {i} is not running at the end of the scenario");

        if (failures.Count == 0)
        {
            ulong target = await Chain.MaxHeightAsync(All) + 3;
            Figures.Add("end: every node 3 blocks further after", await Chain.WaitForHeightAsync(All, target, RecoveryBound, "liveness at the end"));
            var mesh = await Audit.WaitForFullMeshAsync(RecoveryBound);
            if (mesh is { } m) Figures.Add($"end: full validator mesh (then held {ChainAudit.MeshStableFor.TotalSeconds:0} s) after", m);
            else failures.Add($"RE-PEER: not every node kept the {Cluster.Count - 1} others as validator peers for {ChainAudit.MeshStableFor.TotalSeconds:0} s within {RecoveryBound.TotalSeconds:0} s ({await Audit.PeerCountsAsync()})");
        }

        var audit = Stopwatch.StartNew();
        if (_load is not null)
        {
            await _load.DisposeAsync();
            Figures.Add("load: transfers submitted / accepted", $"{_load.Submitted} / {_load.Accepted}");
            _load = null;
        }
        await StopSamplingAsync();

        if (FaultSettings.Mutation == "forged-ledger") Audit.PlantForgedHashForMutationCheck(_startHeight);
        ulong common = await Audit.VerifyChainsAsync();
        failures.AddRange(Audit.Violations);
        Figures.Add("audit: heights compared on every node", common);
        Figures.Add("audit: heights in the ledger of sampled heads", Audit.LedgerSize);
        var blocks = await Chain.BlocksAsync(0, _startHeight + 1, common);
        Figures.Add("load: transfers committed during the scenario", blocks.Sum(b => b?.TransactionCount ?? 0));
        Figures.Add("rounds: highest commit round during the scenario", blocks.Max(b => b?.Round ?? 0));

        var logs = Audit.ScanLogs();
        Figures.Add("logs: bans / of them 'before the handshake completed' / equivocation lines", $"{logs.Bans.Count} / {logs.HandshakeRaceBans} / {logs.Evidence.Count}");
        failures.AddRange(logs.Bans.Select(b => "BANNED: " + b));
        failures.AddRange(logs.Evidence.Select(e => "EVIDENCE against an honest node: " + e));
        failures.AddRange((await Audit.PenalizedValidatorsAsync(0)).Select(p => "PENALIZED: " + p));
        Figures.Add("end: stopping the load and sampling, audit and log checks took", audit.Elapsed);
        Figures.Add("scenario wall time", _elapsed.Elapsed);
        Figures.Write(failures);
        if (failures.Count > 0) Assert.Fail(string.Join("\n", failures) + "\n" + Cluster.LogTails());
    }

    private async Task StopSamplingAsync()
    {
        if (_stopSampling.IsCancellationRequested) return;
        await _stopSampling.CancelAsync();
        await Task.WhenAll(_samplers);
    }

    public async ValueTask DisposeAsync()
    {
        if (_load is not null) await _load.DisposeAsync();
        await StopSamplingAsync();
        if (!_finished) Figures.Write(["the scenario stopped before its final checks (see the test's failure)"]);
        Chain.Dispose();
        Cluster.Dispose();
        _stopSampling.Dispose();
    }
}
