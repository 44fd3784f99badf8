using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

using static IExecChain.State.Market.MarketBlock;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Market;

/// <summary>
/// A task from start to settlement: started when a worker can take it, its deadlines run at their
/// heights (replica timeouts, reveal deadline, final deadline), reopened when its consensus group never
/// reveals, then finalized (paid out) or failed (refunded); counts and scores follow.
/// </summary>
internal sealed class TaskLifecycle
{
    /// <summary>Tasks waiting for workers retried per block at most.</summary>
    public const int MaxRetriesPerBlock = 256;

    /// <summary>Deals looked at per block when starting tasks.</summary>
    public const int MaxDealsScannedPerBlock = 64;

    private readonly MarketBlock _block;

    internal TaskLifecycle(MarketBlock block) => _block = block;

    private ulong Height => _block.Height;

    private MarketParameters Market => _block.Market;

    /// <summary>Everything due at this height: the timers of unstarted deals, running tasks and completed tasks (window, verification).</summary>
    public void RunTimers()
    {
        var key = StateKeys.TaskTimers(Height);
        var timers = _block.Get(key, HashList.Parser);
        if (timers is null) return;
        foreach (var raw in timers.Hashes)
        {
            var task = _block.Task(H(raw));
            if (task is null)
            {
                if (_block.Deal(H(raw)) is { } expiring) _block.Deals.ExpireUnstarted(expiring);
                continue;
            }
            if (task.Status == TaskStatus.Failed) continue;
            var deal = _block.Deal(H(task.DealId))!;
            if (task.Status == TaskStatus.Completed)
            {
                // Most timers of a completed task are its old deadlines: nothing to write then.
                if (_block.Window.CompletedTaskTimers(task, deal)) _block.Save(task);
                continue;
            }
            if (Height >= task.FinalDeadline)
            {
                Fail(task, deal, Reasons.Of(ReasonCode.ReasonTaskFinalDeadlinePassed));
            }
            else if (task.Status == TaskStatus.Revealing && Height >= task.RevealDeadline)
            {
                bool anyRevealed = false;
                foreach (var r in task.Replicas) anyRevealed |= r.Status == ReplicaStatus.Revealed;
                if (anyRevealed) Finalize(task, deal);
                else Reopen(task, deal);
            }
            else if (task.Status == TaskStatus.Active)
            {
                bool timedOut = _block.Replicas.TimeOut(task, deal, task.Replicas, "timeout");
                if (timedOut && !ReplicaSet.HasOpen(task.Replicas) && Height < task.ContributionDeadline) _block.Scheduler.AssignReplicas(task, deal);
            }
            _block.Save(task);
        }
        _block.Drop(key);
    }

    /// <summary>iExec's reopen(): the consensus group never revealed; its contributions are rejected and voting goes on.</summary>
    private void Reopen(TaskRecord task, DealRecord deal)
    {
        foreach (var r in task.Replicas)
            if (r.Status == ReplicaStatus.Contributed && r.ResultHash == task.ConsensusHash) r.Status = ReplicaStatus.Rejected;
        task.Status = TaskStatus.Active;
        task.ConsensusHash = Google.Protobuf.ByteString.Empty;
        task.RevealDeadline = 0;
        _block.Emit("reopened", task, deal, default);
        if (Height < task.ContributionDeadline) _block.Scheduler.AssignReplicas(task, deal);
    }

    public void RetryAwaitingTasks()
    {
        var waiting = _block.Totals.TasksAwaitingWorkers;
        if (waiting.Count == 0) return;
        int tried = 0;
        for (int i = 0; i < waiting.Count && tried < MaxRetriesPerBlock;)
        {
            tried++;
            var task = _block.Task(H(waiting[i]));
            if (task is null || task.Status != TaskStatus.Active || Height >= task.ContributionDeadline)
            {
                if (task is not null) { task.AwaitingWorkers = false; _block.Save(task); }
                waiting.RemoveAt(i);
                _block.TotalsChanged();
                continue;
            }
            var deal = _block.Deal(H(task.DealId))!;
            _block.Scheduler.AssignReplicas(task, deal, requeue: false);
            _block.Save(task);
            if (task.AwaitingWorkers) { i++; continue; }
            waiting.RemoveAt(i);
            _block.TotalsChanged();
        }
    }

    public void StartTasks()
    {
        var queue = _block.Totals.DealsToStart;
        int budget = Market.MaxTaskStartsPerBlock;
        int scanned = 0;
        for (int i = 0; i < queue.Count && budget > 0 && scanned < MaxDealsScannedPerBlock; scanned++)
        {
            var deal = _block.Deal(H(queue[i]))!;
            var pool = _block.Pool(Addr(deal.Workerpool))!;
            var category = Market.Category(deal.Category)!;
            while (deal.Initialized < deal.Volume && budget > 0)
            {
                ulong index = deal.FirstTaskIndex + deal.Initialized;
                var taskId = TaskId(H(deal.Id), index);
                var task = new TaskRecord
                {
                    Id = Bytes(taskId),
                    DealId = deal.Id,
                    Index = index,
                    Status = TaskStatus.Active,
                    StartHeight = Height,
                    ContributionDeadline = Height + category.ContributionDeadlineBlocks,
                    FinalDeadline = Height + category.FinalDeadlineBlocks,
                };
                // A task starts only when a worker can take it: its deadlines count from here.
                if (_block.Scheduler.AssignReplicas(task, deal, requeue: false, pool) == 0) break;
                if (task.AwaitingWorkers) { _block.Totals.TasksAwaitingWorkers.Add(task.Id); }
                _block.AddTimer(task.ContributionDeadline, taskId);
                _block.AddTimer(task.FinalDeadline, taskId);
                _block.Save(task);
                deal.Initialized++;
                _block.Totals.TasksStarted++;
                budget--;
                _block.Emit("started", task, deal, default);
            }
            _block.Save(deal);
            _block.TotalsChanged();
            if (deal.Initialized == deal.Volume) queue.RemoveAt(i);
            else i++;
        }
    }

    /// <summary>
    /// The group failure reports vote for in a task's tally, as if "cannot run" were one more result. It is
    /// never stored: a result hash is keccak(task ‖ digest), so no contribution can fall in this group.
    /// </summary>
    public static readonly Hash256 CannotRun = Keccak256.Hash("iexecchain: the task cannot run"u8);

    /// <summary>The task's vote so far, replayed from its contributions and failure reports in order (rejected groups excluded).</summary>
    public static ConsensusTally Tally(TaskRecord task, DealRecord deal)
    {
        var tally = new ConsensusTally(deal.Trust);
        foreach (var r in task.Replicas)
        {
            if (r.Status is ReplicaStatus.Contributed or ReplicaStatus.Revealed) tally.Contribute(H(r.ResultHash), r.Score);
            else if (r.Status == ReplicaStatus.Failed) tally.Contribute(CannotRun, r.Score);
        }
        return tally;
    }

    /// <summary>
    /// Pays a task whose consensus was revealed: iExec's reward split, stakes back, scores updated. With a
    /// rollback window the winners' stakes, rewards and score gains are held until it closes.
    /// </summary>
    public void Finalize(TaskRecord task, DealRecord deal)
    {
        var contributions = new List<SettledContribution>();
        foreach (var r in task.Replicas)
        {
            // Failure reporters lose like a different result: the task ran elsewhere.
            if (r.Status is not (ReplicaStatus.Contributed or ReplicaStatus.Revealed or ReplicaStatus.Rejected or ReplicaStatus.Failed)) continue;
            var address = Addr(r.Worker);
            var worker = _block.Worker(address)!;
            contributions.Add(new SettledContribution(address, Credibility.Weight(r.Score), worker.Score, r.Status == ReplicaStatus.Revealed));
        }
        var settlement = TaskSettlement.Complete(Terms(deal), contributions);
        _block.Escrow.Apply(settlement);
        bool hold = Market.RollbackWindowBlocks > 0;
        foreach (var change in settlement.ScoreChanges)
            if (!hold || change.NewScore < change.OldScore || !IsWinner(contributions, change.Worker)) SetScore(change.Worker, change.NewScore);
        if (hold) _block.Window.Hold(task, settlement, contributions, deal.WorkerStake);
        foreach (var c in contributions)
        {
            var worker = _block.Worker(c.Worker)!;
            if (c.Winner) worker.Wins++; else worker.Losses++;
            _block.Save(c.Worker, worker);
        }
        _block.Replicas.CancelOpen(task, task.Replicas);
        task.Status = TaskStatus.Completed;
        task.FinishedAt = Height;
        task.Outcome = Reasons.Of(ReasonCode.ReasonTaskCompleted).Number((ulong)contributions.Count(c => c.Winner)).Number((ulong)contributions.Count);
        Count(deal, completed: true);
        _block.Emit("completed", task, deal, default);
    }

    private static bool IsWinner(List<SettledContribution> contributions, Address worker)
    {
        foreach (var c in contributions) if (c.Winner && c.Worker == worker) return true;
        return false;
    }

    /// <summary>A task without a revealed consensus by its final deadline: requester refunded, pool stake seized, worker stakes back.</summary>
    private void Fail(TaskRecord task, DealRecord deal, Reason reason) =>
        Fail(task, deal, reason, static (terms, contributions) => TaskSettlement.Fail(terms, contributions));

    /// <summary>
    /// The pool's workers agreed, by credibility like a result, that the task cannot run: it fails at once,
    /// the requester is refunded, the pool owner keeps its stake (its workers did their part) and every
    /// locked worker stake returns (<see cref="TaskSettlement.CannotRun"/>).
    /// </summary>
    public void FailCannotRun(TaskRecord task, DealRecord deal)
    {
        int reports = 0, contributions = 0;
        var counts = new SortedDictionary<ReplicaFailure, int>();
        foreach (var r in task.Replicas)
        {
            if (r.Status == ReplicaStatus.Failed) { reports++; counts[r.Failure] = counts.GetValueOrDefault(r.Failure) + 1; }
            else if (r.Status is ReplicaStatus.Contributed or ReplicaStatus.Rejected) contributions++;
        }
        // The failure most reported; on a tie the lowest code (SortedDictionary: first in code order wins).
        var most = ReplicaFailure.Unspecified;
        int best = 0;
        foreach (var (failure, count) in counts) if (count > best) (most, best) = (failure, count);
        var reason = Reasons.Of(ReasonCode.ReasonTaskCannotRun).Number((ulong)reports).Number((ulong)contributions).Number((ulong)most);
        Fail(task, deal, reason, static (terms, settled) => TaskSettlement.CannotRun(terms, settled));
    }

    private void Fail(TaskRecord task, DealRecord deal, Reason reason, Func<DealTerms, List<SettledContribution>, Settlement> settle)
    {
        var contributions = new List<SettledContribution>();
        foreach (var r in task.Replicas)
            if (r.Status is ReplicaStatus.Contributed or ReplicaStatus.Revealed or ReplicaStatus.Rejected or ReplicaStatus.Failed)
                contributions.Add(new SettledContribution(Addr(r.Worker), 0, 0, false));
        _block.Replicas.CancelOpen(task, task.Replicas);
        _block.Escrow.Apply(settle(Terms(deal), contributions));
        task.Status = TaskStatus.Failed;
        task.FinishedAt = Height;
        task.Outcome = reason;
        Count(deal, completed: false);
        _block.Emit("failed", task, deal, default);
    }

    private void Count(DealRecord deal, bool completed)
    {
        var pool = _block.Pool(Addr(deal.Workerpool))!;
        if (completed) { deal.Completed++; pool.TasksCompleted++; _block.Totals.TasksCompleted++; }
        else { deal.Failed++; pool.TasksFailed++; _block.Totals.TasksFailed++; }
        _block.Save(deal);
        _block.Save(pool);
        _block.TotalsChanged();
        _block.TouchPool(Addr(deal.Workerpool));
    }

    /// <summary>Sets a worker's score and keeps its pool's score sum in step.</summary>
    public void SetScore(Address address, ulong score)
    {
        var worker = _block.Worker(address)!;
        if (!worker.Workerpool.IsEmpty)
        {
            var pool = _block.Pool(Addr(worker.Workerpool))!;
            pool.ScoreSum = checked(pool.ScoreSum - Math.Min(pool.ScoreSum, worker.Score) + score);
            _block.Save(pool);
            _block.TouchPool(Addr(worker.Workerpool));
        }
        worker.Score = score;
        _block.Save(address, worker);
    }

    public static DealTerms Terms(DealRecord d) => new(
        Addr(d.Requester), Addr(d.AppOwner), d.AppPrice, d.DatasetOwner.IsEmpty ? Address.Zero : Addr(d.DatasetOwner), d.DatasetPrice,
        Addr(d.PoolOwner), d.PoolPrice, d.PoolStake, d.WorkerStake, d.SchedulerRatio);
}
