using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

using static IExecChain.State.Market.MarketBlock;

namespace IExecChain.State.Market;

/// <summary>
/// Chooses which pool members take a task's replicas and a verification's verifiers: free members with
/// the minimum stake, ranked by load and score, ties broken by a per-block keccak draw every node computes alike.
/// </summary>
internal sealed class ReplicaScheduler
{
    private readonly MarketBlock _block;
    private readonly WorldState _state;

    internal ReplicaScheduler(MarketBlock block, WorldState state)
    {
        _block = block;
        _state = state;
    }

    private ulong Height => _block.Height;

    private MarketParameters Market => _block.Market;

    /// <summary>
    /// Assigns as many more replicas as the credibility target needs, assuming every open replica and
    /// every new one agrees with the leading result: pool members not yet on the task with a free slot,
    /// least loaded first, then highest score, then a per-block pseudo-random order (keccak of the
    /// parent hash, the task and the worker). Returns how many were assigned. With too few free workers
    /// the task takes what it can and waits (<see cref="TaskRecord.AwaitingWorkers"/>).
    /// </summary>
    public int AssignReplicas(TaskRecord task, DealRecord deal, bool requeue = true, WorkerpoolRecord? pool = null)
    {
        pool ??= _block.Pool(Addr(deal.Workerpool))!;
        if (task.Replicas.Count >= Market.MaxReplicasPerTask) return 0;
        var taskId = H(task.Id);
        var tally = TaskLifecycle.Tally(task, deal);
        var assumed = tally.LeadingResult ?? default;
        foreach (var r in task.Replicas)
            if (r.Status == ReplicaStatus.Assigned) tally.Contribute(assumed, _block.Worker(Addr(r.Worker))?.Score ?? 0);
        if (tally.HasConsensus(assumed) && tally.Contributions > 0) { task.AwaitingWorkers = false; return 0; }

        var candidates = FreeMembers(pool, taskId, address => ReplicaSet.Find(task.Replicas, address) is not null);
        candidates.Sort(static (a, b) => Rank(a, b, scoreFirst: false));

        var category = Market.Category(deal.Category)!;
        int assigned = 0;
        bool reached = false;
        foreach (var (address, _, score, _) in candidates)
        {
            if (task.Replicas.Count >= Market.MaxReplicasPerTask) break;
            _block.Replicas.Assign(task, task.Replicas, address, Math.Min(Height + category.ReplicaDeadlineBlocks, task.ContributionDeadline));
            assigned++;
            _block.Emit("assigned", task, deal, address);
            if (tally.Contribute(assumed, score)) { reached = true; break; }
        }
        bool needMore = !reached && task.Replicas.Count < Market.MaxReplicasPerTask;
        if (needMore && !task.AwaitingWorkers)
        {
            task.AwaitingWorkers = true;
            if (requeue) { _block.Totals.TasksAwaitingWorkers.Add(task.Id); _block.TotalsChanged(); }
        }
        else if (!needMore) task.AwaitingWorkers = false;
        return assigned;
    }

    /// <summary>
    /// Verifiers up to the chain spec's count: members of the task's pool that never had a replica of it
    /// nor verified it and are not the challenger, with the minimum stake and a free slot; highest score first, then least loaded,
    /// then the per-block keccak draw.
    /// </summary>
    public void AssignVerifiers(TaskRecord task, DealRecord deal)
    {
        var v = task.Verification!;
        int active = 0;
        foreach (var r in v.Replicas) if (r.Status is ReplicaStatus.Assigned or ReplicaStatus.Contributed) active++;
        int needed = Market.Verifiers - active;
        if (needed <= 0 || v.Replicas.Count >= Market.MaxReplicasPerTask) return;
        var taskId = H(task.Id);
        var pool = _block.Pool(Addr(deal.Workerpool))!;
        var challenger = v.Challenger.IsEmpty ? (Address?)null : Addr(v.Challenger);
        var candidates = FreeMembers(pool, taskId, address =>
            ReplicaSet.Find(task.Replicas, address) is not null || ReplicaSet.Find(v.Replicas, address) is not null || address == challenger);
        candidates.Sort(static (a, b) => Rank(a, b, scoreFirst: true));
        var category = Market.Category(deal.Category)!;
        foreach (var (address, _, _, _) in candidates)
        {
            if (needed == 0 || v.Replicas.Count >= Market.MaxReplicasPerTask) break;
            _block.Replicas.Assign(task, v.Replicas, address, Math.Min(Height + category.ReplicaDeadlineBlocks, v.FinalDeadline));
            needed--;
            _block.Emit("verifier-assigned", task, deal, address, PhaseName(v.Phase));
        }
    }

    private readonly record struct Candidate(Address Worker, int Load, ulong Score, Hash256 Draw);

    /// <summary>Replicas go to the least loaded first, verifiers to the highest scored first; the keccak draw breaks ties.</summary>
    private static int Rank(Candidate a, Candidate b, bool scoreFirst)
    {
        int load = a.Load.CompareTo(b.Load), score = b.Score.CompareTo(a.Score);
        int c = scoreFirst ? (score != 0 ? score : load) : (load != 0 ? load : score);
        return c != 0 ? c : a.Draw.CompareTo(b.Draw);
    }

    /// <summary>Pool members that can take a replica of the task: not skipped, below the open-replica cap, with the minimum worker stake.</summary>
    private List<Candidate> FreeMembers(WorkerpoolRecord pool, Hash256 taskId, Func<Address, bool> skip)
    {
        var candidates = new List<Candidate>();
        foreach (var raw in pool.Workers)
        {
            var address = Addr(raw);
            if (skip(address)) continue;
            var worker = _block.Worker(address);
            if (worker is null || worker.Assignments.Count >= Market.MaxAssignmentsPerWorker) continue;
            if (_state.GetStake(address).WorkerStake < Math.Max(_block.Parameters.MinWorkerStake, 1)) continue;
            candidates.Add(new Candidate(address, worker.Assignments.Count, worker.Score, Draw(taskId, address)));
        }
        return candidates;
    }

    private Hash256 Draw(Hash256 taskId, Address worker)
    {
        Span<byte> buffer = stackalloc byte[64 + Address.Size];
        _block.Seed.CopyTo(buffer);
        taskId.CopyTo(buffer[32..]);
        worker.CopyTo(buffer[64..]);
        return Keccak256.Hash(buffer);
    }
}
