using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Merkle;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Market;

/// <summary>What a worker must do about a task it has committed to.</summary>
public enum DutyStatus
{
    /// <summary>The commit is not on chain yet, or the task has not reached consensus: nothing to do now.</summary>
    Wait,

    /// <summary>The worker's commit is on chain and its reveal is due now.</summary>
    Reveal,

    /// <summary>The task or the worker's part in it is over (completed, failed, replica timed out, revealed).</summary>
    Closed,
}

/// <summary>
/// Everything a worker needs to run one task: the deal (app, dataset, params, category), the app and
/// dataset records, and whether the pool allows native apps.
/// </summary>
public sealed record WorkerJob(Hash256 TaskId, DealRecord Deal, AppRecord App, DatasetRecord? Dataset, bool PoolAllowsNative);

/// <summary>
/// A worker's view of the chain, read from committed state. The embedded worker of a full node reads it
/// in process; a light worker asks its node for the same answers (iex_getWorkerDuties, iex_getWorkerJob),
/// so both decide from one piece of code.
/// </summary>
public static class WorkerDuties
{
    /// <summary>Task ids with a replica assigned to <paramref name="worker"/> and not yet committed.</summary>
    public static IReadOnlyList<Hash256> Assigned(StateTree tree, Address worker) =>
        MarketReader.Worker(tree, worker) is { } record ? record.Assignments.Select(a => new Hash256(a.Span)).ToList() : [];

    /// <summary>
    /// Whether <paramref name="worker"/>, having sent a commit for <paramref name="taskId"/>, must reveal now,
    /// wait, or forget the task. A verifier of a spot-checked or challenged task reveals like a replica.
    /// </summary>
    public static DutyStatus Status(StateTree tree, Address worker, Hash256 taskId)
    {
        var task = MarketReader.Task(tree, taskId);
        if (task is null) return DutyStatus.Closed;
        var verifier = task.Verification?.Replicas.FirstOrDefault(r => new Address(r.Worker.Span) == worker);
        var mine = verifier ?? task.Replicas.FirstOrDefault(r => new Address(r.Worker.Span) == worker);
        bool open = verifier is not null
            ? task.Verification!.Phase is VerificationPhase.Committing or VerificationPhase.Revealing
            : task.Status is not (TaskStatus.Completed or TaskStatus.Failed);
        if (!open || mine is null || mine.Status is not (ReplicaStatus.Contributed or ReplicaStatus.Assigned)) return DutyStatus.Closed;
        bool revealNow = verifier is not null
            ? task.Verification!.Phase == VerificationPhase.Revealing && mine.Status == ReplicaStatus.Contributed
            : task.Status == TaskStatus.Revealing && mine.Status == ReplicaStatus.Contributed && mine.ResultHash == task.ConsensusHash;
        return revealNow ? DutyStatus.Reveal : DutyStatus.Wait;
    }

    /// <summary>The tasks of <paramref name="committed"/> whose reveal is due, and those the worker can forget; the rest wait.</summary>
    public static (List<Hash256> Reveal, List<Hash256> Closed) Sort(StateTree tree, Address worker, IEnumerable<Hash256> committed)
    {
        var reveal = new List<Hash256>();
        var closed = new List<Hash256>();
        foreach (var task in committed)
        {
            switch (Status(tree, worker, task))
            {
                case DutyStatus.Reveal: reveal.Add(task); break;
                case DutyStatus.Closed: closed.Add(task); break;
            }
        }
        return (reveal, closed);
    }

    /// <summary>At most this many apps are offered to a worker in one answer.</summary>
    public const int MaxOfferedApps = 64;

    /// <summary>
    /// The WebAssembly apps whose open app orders <paramref name="worker"/>'s pool may take (no
    /// workerpool restriction, or one naming the pool), in order placement order: what the worker
    /// compiles before any replica of them arrives. Empty for a worker in no pool.
    /// </summary>
    public static IReadOnlyList<AppRecord> OfferedApps(StateTree tree, IEnumerable<Hash256> openOrders, Address worker, int max = MaxOfferedApps)
    {
        if (MarketReader.Worker(tree, worker) is not { Workerpool.IsEmpty: false } record) return [];
        var found = new List<(ulong Sequence, Address App)>();
        var seen = new HashSet<Address>();
        foreach (var hash in openOrders)
        {
            if (MarketReader.Order(tree, hash) is not { Kind: OrderKind.App } order) continue;
            var offer = AppOrder.Parser.ParseFrom(order.Order);
            if (offer.WorkerpoolRestrict.Count > 0 && !offer.WorkerpoolRestrict.Contains(record.Workerpool)) continue;
            var app = new Address(offer.App.Span);
            if (seen.Add(app)) found.Add((order.Sequence, app));
        }
        var apps = new List<AppRecord>();
        foreach (var (_, address) in found.OrderBy(f => f.Sequence))
        {
            if (MarketReader.App(tree, address) is { Registration.Runtime: AppRuntime.Wasm } app) apps.Add(app);
            if (apps.Count >= max) break;
        }
        return apps;
    }

    /// <summary>The records needed to run <paramref name="taskId"/>, or null when the task (or its deal or app) is unknown.</summary>
    public static WorkerJob? Job(StateTree tree, Hash256 taskId)
    {
        var task = MarketReader.Task(tree, taskId);
        if (task is null) return null;
        var deal = MarketReader.Deal(tree, new Hash256(task.DealId.Span));
        if (deal is null) return null;
        var app = MarketReader.App(tree, new Address(deal.App.Span));
        if (app is null) return null;
        var dataset = deal.Dataset.IsEmpty ? null : MarketReader.Dataset(tree, new Address(deal.Dataset.Span));
        var pool = MarketReader.Workerpool(tree, new Address(deal.Workerpool.Span));
        return new WorkerJob(taskId, deal, app, dataset, pool?.Registration.AllowNative ?? false);
    }
}
