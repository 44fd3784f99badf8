using System.Buffers.Binary;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Market;

/// <summary>
/// End-of-block work, in this order: spot-checks drawn among the previous block's completions, deadlines that fall at this height (replica timeouts, reveal
/// deadlines, final deadlines), tasks waiting for free workers, matching, then starting the tasks of
/// matched deals. Every step has a per-block bound from the chain spec, so the work of a block is bounded.
/// </summary>
public sealed partial class MarketBlock
{
    /// <summary>Tasks waiting for workers retried per block at most.</summary>
    public const int MaxRetriesPerBlock = 256;

    /// <summary>Deals looked at per block when starting tasks.</summary>
    public const int MaxDealsScannedPerBlock = 64;

    public void Finish()
    {
        try
        {
            RunSpotChecks();
            RunTimers();
            RetryAwaitingTasks();
            Match();
            StartTasks();
        }
        finally
        {
            _ledger.Stop();
        }
        Flush();
    }

    private void RunTimers()
    {
        var key = StateKeys.TaskTimers(Height);
        var timers = Get(key, HashList.Parser);
        if (timers is null) return;
        foreach (var raw in timers.Hashes)
        {
            var task = Task(H(raw));
            if (task is null)
            {
                if (Deal(H(raw)) is { } expiring) ExpireUnstarted(expiring);
                continue;
            }
            if (task.Status == TaskStatus.Failed) continue;
            var deal = Deal(H(task.DealId))!;
            if (task.Status == TaskStatus.Completed)
            {
                // Most timers of a completed task are its old deadlines: nothing to write then.
                if (CompletedTaskTimers(task, deal)) Save(task);
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
                bool timedOut = false;
                foreach (var r in task.Replicas)
                {
                    if (r.Status != ReplicaStatus.Assigned || r.Deadline > Height) continue;
                    r.Status = ReplicaStatus.TimedOut;
                    Unassign(Addr(r.Worker), task.Id);
                    timedOut = true;
                    Emit("timeout", task, deal, Addr(r.Worker));
                }
                if (timedOut && !HasOpenReplica(task) && Height < task.ContributionDeadline) AssignReplicas(task, deal);
            }
            Save(task);
        }
        _records.Remove(key);
        _dirty.Remove(key);
        _state.SetRecord(key, null);
    }

    /// <summary>
    /// A deal's tasks must start within 10T of the match: tasks its pool never had a worker for are
    /// then given up like failed tasks (requester refunded, the pool owner's stake for them seized).
    /// </summary>
    private void ExpireUnstarted(DealRecord deal)
    {
        ulong left = deal.Volume - deal.Initialized;
        if (left == 0) return;
        var terms = Terms(deal);
        var requester = _state.GetAccount(terms.Requester);
        ulong refund = checked(terms.RequesterLock * left), seized = checked(terms.PoolStake * left);
        requester.Frozen = checked(requester.Frozen - refund);
        requester.Balance = checked(requester.Balance + refund);
        _state.MarkAccountDirty(terms.Requester);
        var owner = _state.GetAccount(terms.PoolOwner);
        owner.Frozen = checked(owner.Frozen - seized);
        _state.MarkAccountDirty(terms.PoolOwner);
        Totals.Kitty = checked(Totals.Kitty + seized);
        Totals.TasksFailed += left;
        Totals.DealsToStart.Remove(deal.Id);
        TotalsChanged();
        var pool = Pool(Addr(deal.Workerpool))!;
        pool.TasksFailed += left;
        Save(pool);
        TouchPool(Addr(deal.Workerpool));
        deal.Failed += left;
        deal.Expired = left;
        deal.Initialized = deal.Volume;
        Save(deal);
    }

    /// <summary>iExec's reopen(): the consensus group never revealed; its contributions are rejected and voting goes on.</summary>
    private void Reopen(TaskRecord task, DealRecord deal)
    {
        foreach (var r in task.Replicas)
            if (r.Status == ReplicaStatus.Contributed && r.ResultHash == task.ConsensusHash) r.Status = ReplicaStatus.Rejected;
        task.Status = TaskStatus.Active;
        task.ConsensusHash = Google.Protobuf.ByteString.Empty;
        task.RevealDeadline = 0;
        Emit("reopened", task, deal, default);
        if (Height < task.ContributionDeadline) AssignReplicas(task, deal);
    }

    private void RetryAwaitingTasks()
    {
        var waiting = Totals.TasksAwaitingWorkers;
        if (waiting.Count == 0) return;
        int tried = 0;
        for (int i = 0; i < waiting.Count && tried < MaxRetriesPerBlock;)
        {
            tried++;
            var task = Task(H(waiting[i]));
            if (task is null || task.Status != TaskStatus.Active || Height >= task.ContributionDeadline)
            {
                if (task is not null) { task.AwaitingWorkers = false; Save(task); }
                waiting.RemoveAt(i);
                TotalsChanged();
                continue;
            }
            var deal = Deal(H(task.DealId))!;
            AssignReplicas(task, deal, requeue: false);
            Save(task);
            if (task.AwaitingWorkers) { i++; continue; }
            waiting.RemoveAt(i);
            TotalsChanged();
        }
    }

    private void Match()
    {
        if (Book.RequestCount == 0) return;
        var result = Matchmaker.MatchBlock(Book, _ledger.Budget, Totals.RequestCursor);
        Totals.RequestCursor = result.NextRequestSequence;
        TotalsChanged();
        foreach (var d in result.Deals) CreateDeal(d);
    }

    private void CreateDeal(MatchedDeal d)
    {
        var request = Consume(d.RequestHash, d.Volume, d.DealId);
        var appOrder = Consume(d.AppOrderHash, d.Volume, d.DealId);
        if (!d.DatasetOrderHash.IsZero) Consume(d.DatasetOrderHash, d.Volume, d.DealId);
        Consume(d.WorkerpoolOrderHash, d.Volume, d.DealId);

        var r = (TaskOrder)MarketLedger.Decode(request, out _)!;
        var app = App(r.App)!;
        var pool = Pool(d.Workerpool)!;
        var dataset = r.HasDataset ? Dataset(r.Dataset) : null;
        var requester = r.Requester;
        // The request locked its maximum prices; the difference to the matched prices goes back now.
        ulong cost = checked(d.AppPrice + d.DatasetPrice + d.WorkerpoolPrice);
        Unfreeze(requester, checked((request.LockPerUnit - cost) * d.Volume));
        _ = appOrder;
        var deal = new DealRecord
        {
            Id = Bytes(d.DealId),
            RequestHash = Bytes(d.RequestHash),
            AppOrderHash = Bytes(d.AppOrderHash),
            DatasetOrderHash = d.DatasetOrderHash.IsZero ? Google.Protobuf.ByteString.Empty : Bytes(d.DatasetOrderHash),
            WorkerpoolOrderHash = Bytes(d.WorkerpoolOrderHash),
            App = Bytes(r.App),
            Dataset = r.HasDataset ? Bytes(r.Dataset) : Google.Protobuf.ByteString.Empty,
            Workerpool = Bytes(d.Workerpool),
            Requester = Bytes(requester),
            Beneficiary = Bytes(r.Beneficiary),
            AppOwner = app.Owner,
            DatasetOwner = dataset?.Owner ?? Google.Protobuf.ByteString.Empty,
            PoolOwner = pool.Owner,
            AppPrice = d.AppPrice,
            DatasetPrice = d.DatasetPrice,
            PoolPrice = d.WorkerpoolPrice,
            PoolStake = DealTerms.PoolStakeFor(d.WorkerpoolPrice),
            WorkerStake = TaskSettlement.MulDiv(d.WorkerpoolPrice, pool.Registration.WorkerStakeRatio, 100),
            SchedulerRatio = pool.Registration.SchedulerRewardRatio,
            Trust = d.Trust,
            Category = r.Category,
            Tag = d.Tag,
            Params = r.Params,
            FirstTaskIndex = d.FirstTaskIndex,
            Volume = d.Volume,
            CreatedAt = Height,
        };
        Save(deal);
        AddTimer(Height + 10 * Market.Category(r.Category)!.TimeRefBlocks, d.DealId);
        Totals.Deals++;
        Totals.DealsToStart.Add(deal.Id);
        TotalsChanged();
    }

    /// <summary>Takes a deal's volume from a stored order (the book was already updated by the matchmaker).</summary>
    private OrderRecord Consume(Hash256 hash, ulong volume, Hash256 dealId)
    {
        var record = Order(hash)!;
        record.Remaining = checked(record.Remaining - volume);
        // A request's deals are few (at most its volume); a sell order may feed thousands, so it only counts them.
        if (record.Kind == OrderKind.Request) record.Deals.Add(Bytes(dealId));
        record.DealCount++;
        if (record.Remaining == 0)
        {
            record.Status = OrderStatus.Filled;
            SetIndexChange(hash, false);
        }
        Save(hash, record);
        return record;
    }

    private void StartTasks()
    {
        var queue = Totals.DealsToStart;
        int budget = Market.MaxTaskStartsPerBlock;
        int scanned = 0;
        for (int i = 0; i < queue.Count && budget > 0 && scanned < MaxDealsScannedPerBlock; scanned++)
        {
            var deal = Deal(H(queue[i]))!;
            var pool = Pool(Addr(deal.Workerpool))!;
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
                    ContributionDeadline = Height + 7 * category.TimeRefBlocks,
                    FinalDeadline = Height + 10 * category.TimeRefBlocks,
                };
                // A task starts only when a worker can take it: its deadlines count from here.
                if (AssignReplicas(task, deal, requeue: false, pool) == 0) break;
                if (task.AwaitingWorkers) { Totals.TasksAwaitingWorkers.Add(task.Id); }
                AddTimer(task.ContributionDeadline, taskId);
                AddTimer(task.FinalDeadline, taskId);
                Save(task);
                deal.Initialized++;
                Totals.TasksStarted++;
                budget--;
                Emit("started", task, deal, default);
            }
            Save(deal);
            TotalsChanged();
            if (deal.Initialized == deal.Volume) queue.RemoveAt(i);
            else i++;
        }
    }

    /// <summary>
    /// Assigns as many more replicas as the credibility target needs, assuming every open replica and
    /// every new one agrees with the leading result: pool members not yet on the task with a free slot,
    /// least loaded first, then highest score, then a per-block pseudo-random order (keccak of the
    /// parent hash, the task and the worker). Returns how many were assigned. With too few free workers
    /// the task takes what it can and waits (<see cref="TaskRecord.AwaitingWorkers"/>).
    /// </summary>
    private int AssignReplicas(TaskRecord task, DealRecord deal, bool requeue = true, WorkerpoolRecord? pool = null)
    {
        pool ??= Pool(Addr(deal.Workerpool))!;
        if (task.Replicas.Count >= Market.MaxReplicasPerTask) return 0;
        var taskId = H(task.Id);
        var tally = Tally(task, deal);
        var assumed = tally.LeadingResult ?? default;
        foreach (var r in task.Replicas)
            if (r.Status == ReplicaStatus.Assigned) tally.Contribute(assumed, Worker(Addr(r.Worker))?.Score ?? 0);
        if (tally.HasConsensus(assumed) && tally.Contributions > 0) { task.AwaitingWorkers = false; return 0; }

        var candidates = FreeMembers(pool, taskId, address => FindReplica(task, address) is not null);
        candidates.Sort((a, b) =>
        {
            int c = a.Load.CompareTo(b.Load);
            if (c != 0) return c;
            c = b.Score.CompareTo(a.Score);
            return c != 0 ? c : a.Draw.CompareTo(b.Draw);
        });

        var category = Market.Category(deal.Category)!;
        int assigned = 0;
        bool reached = false;
        foreach (var (address, _, score, _) in candidates)
        {
            if (task.Replicas.Count >= Market.MaxReplicasPerTask) break;
            Assign(task, task.Replicas, address, Math.Min(Height + 2 * category.TimeRefBlocks, task.ContributionDeadline));
            assigned++;
            Emit("assigned", task, deal, address);
            if (tally.Contribute(assumed, score)) { reached = true; break; }
        }
        bool needMore = !reached && task.Replicas.Count < Market.MaxReplicasPerTask;
        if (needMore && !task.AwaitingWorkers)
        {
            task.AwaitingWorkers = true;
            if (requeue) { Totals.TasksAwaitingWorkers.Add(task.Id); TotalsChanged(); }
        }
        else if (!needMore) task.AwaitingWorkers = false;
        return assigned;
    }

    /// <summary>Adds an open replica of <paramref name="task"/> for <paramref name="worker"/> to <paramref name="replicas"/> (the task's or its verification's), with its deadline timer.</summary>
    private void Assign(TaskRecord task, Google.Protobuf.Collections.RepeatedField<Replica> replicas, Address worker, ulong deadline)
    {
        replicas.Add(new Replica { Worker = Bytes(worker), Status = ReplicaStatus.Assigned, AssignedAt = Height, Deadline = deadline });
        var record = Worker(worker)!;
        record.Assignments.Add(task.Id);
        Save(worker, record);
        AddTimer(deadline, H(task.Id));
    }

    private readonly record struct Candidate(Address Worker, int Load, ulong Score, Hash256 Draw);

    /// <summary>Pool members that can take a replica of the task: not skipped, below the open-replica cap, with the minimum worker stake.</summary>
    private List<Candidate> FreeMembers(WorkerpoolRecord pool, Hash256 taskId, Func<Address, bool> skip)
    {
        var candidates = new List<Candidate>();
        foreach (var raw in pool.Workers)
        {
            var address = Addr(raw);
            if (skip(address)) continue;
            var worker = Worker(address);
            if (worker is null || worker.Assignments.Count >= Market.MaxAssignmentsPerWorker) continue;
            if (_state.GetStake(address).WorkerStake < Math.Max(Parameters.MinWorkerStake, 1)) continue;
            candidates.Add(new Candidate(address, worker.Assignments.Count, worker.Score, Draw(taskId, address)));
        }
        return candidates;
    }

    private Hash256 Draw(Hash256 taskId, Address worker)
    {
        Span<byte> buffer = stackalloc byte[64 + Address.Size];
        Seed.CopyTo(buffer);
        taskId.CopyTo(buffer[32..]);
        worker.CopyTo(buffer[64..]);
        return Keccak256.Hash(buffer);
    }

    /// <summary>
    /// Pays a task whose consensus was revealed: iExec's reward split, stakes back, scores updated. With a
    /// rollback window the winners' stakes, rewards and score gains are held until it closes.
    /// </summary>
    private void Finalize(TaskRecord task, DealRecord deal)
    {
        var contributions = new List<SettledContribution>();
        foreach (var r in task.Replicas)
        {
            if (r.Status is not (ReplicaStatus.Contributed or ReplicaStatus.Revealed or ReplicaStatus.Rejected)) continue;
            var address = Addr(r.Worker);
            var worker = Worker(address)!;
            contributions.Add(new SettledContribution(address, Credibility.Weight(r.Score), worker.Score, r.Status == ReplicaStatus.Revealed));
        }
        var settlement = TaskSettlement.Complete(Terms(deal), contributions);
        Apply(settlement);
        bool hold = Market.RollbackWindowBlocks > 0;
        foreach (var change in settlement.ScoreChanges)
            if (!hold || change.NewScore < change.OldScore || !IsWinner(contributions, change.Worker)) SetScore(change.Worker, change.NewScore);
        if (hold) HoldForWindow(task, settlement, contributions, deal.WorkerStake);
        foreach (var c in contributions)
        {
            var worker = Worker(c.Worker)!;
            if (c.Winner) worker.Wins++; else worker.Losses++;
            Save(c.Worker, worker);
        }
        CancelOpenReplicas(task);
        task.Status = TaskStatus.Completed;
        task.FinishedAt = Height;
        task.Outcome = Reasons.Of(ReasonCode.ReasonTaskCompleted).Number((ulong)contributions.Count(c => c.Winner)).Number((ulong)contributions.Count);
        Count(deal, completed: true);
        Emit("completed", task, deal, default);
    }

    private static bool IsWinner(List<SettledContribution> contributions, Address worker)
    {
        foreach (var c in contributions) if (c.Winner && c.Worker == worker) return true;
        return false;
    }

    /// <summary>A task without a revealed consensus by its final deadline: requester refunded, pool stake seized, worker stakes back.</summary>
    private void Fail(TaskRecord task, DealRecord deal, Reason reason)
    {
        var contributions = new List<SettledContribution>();
        foreach (var r in task.Replicas)
            if (r.Status is ReplicaStatus.Contributed or ReplicaStatus.Revealed or ReplicaStatus.Rejected)
                contributions.Add(new SettledContribution(Addr(r.Worker), 0, 0, false));
        CancelOpenReplicas(task);
        Apply(TaskSettlement.Fail(Terms(deal), contributions));
        task.Status = TaskStatus.Failed;
        task.FinishedAt = Height;
        task.Outcome = reason;
        Count(deal, completed: false);
        Emit("failed", task, deal, default);
    }

    private void Count(DealRecord deal, bool completed)
    {
        var pool = Pool(Addr(deal.Workerpool))!;
        if (completed) { deal.Completed++; pool.TasksCompleted++; Totals.TasksCompleted++; }
        else { deal.Failed++; pool.TasksFailed++; Totals.TasksFailed++; }
        Save(deal);
        Save(pool);
        TotalsChanged();
        TouchPool(Addr(deal.Workerpool));
    }

    private void SetScore(Address address, ulong score)
    {
        var worker = Worker(address)!;
        if (!worker.Workerpool.IsEmpty)
        {
            var pool = Pool(Addr(worker.Workerpool))!;
            pool.ScoreSum = checked(pool.ScoreSum - Math.Min(pool.ScoreSum, worker.Score) + score);
            Save(pool);
            TouchPool(Addr(worker.Workerpool));
        }
        worker.Score = score;
        Save(address, worker);
    }

    private static DealTerms Terms(DealRecord d) => new(
        Addr(d.Requester), Addr(d.AppOwner), d.AppPrice, d.DatasetOwner.IsEmpty ? Address.Zero : Addr(d.DatasetOwner), d.DatasetPrice,
        Addr(d.PoolOwner), d.PoolPrice, d.PoolStake, d.WorkerStake, d.SchedulerRatio);
}
