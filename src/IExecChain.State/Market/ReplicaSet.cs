using Google.Protobuf;
using Google.Protobuf.Collections;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

using static IExecChain.State.Market.MarketBlock;

namespace IExecChain.State.Market;

/// <summary>
/// The life of a replica, the same for a task's replicas and for its verification's verifiers: assigned
/// to a worker with a deadline, committed (the worker stake locked), opened by a reveal, or timed out or
/// cancelled while still open. Every method takes the list it works on: <c>task.Replicas</c> or
/// <c>task.Verification.Replicas</c>.
/// </summary>
internal sealed class ReplicaSet
{
    private readonly MarketBlock _block;

    internal ReplicaSet(MarketBlock block) => _block = block;

    public static Replica? Find(RepeatedField<Replica> replicas, Address worker)
    {
        var raw = worker.ToArray();
        foreach (var r in replicas) if (r.Worker.Span.SequenceEqual(raw)) return r;
        return null;
    }

    public static bool HasOpen(RepeatedField<Replica> replicas)
    {
        foreach (var r in replicas) if (r.Status == ReplicaStatus.Assigned) return true;
        return false;
    }

    /// <summary>Adds an open replica of <paramref name="task"/> for <paramref name="worker"/> to <paramref name="replicas"/>, with its deadline timer.</summary>
    public void Assign(TaskRecord task, RepeatedField<Replica> replicas, Address worker, ulong deadline)
    {
        replicas.Add(new Replica { Worker = Bytes(worker), Status = ReplicaStatus.Assigned, AssignedAt = _block.Height, Deadline = deadline });
        var record = _block.Worker(worker)!;
        record.Assignments.Add(task.Id);
        _block.Save(worker, record);
        _block.AddTimer(deadline, H(task.Id));
    }

    /// <summary>
    /// Records a commit on an open replica (the task's or its verification's): checks its state, deadline
    /// and the worker's balance, locks the worker stake and takes the task out of the worker's assignments.
    /// </summary>
    public Reason? Commit(Address sender, TaskRecord task, DealRecord deal, Replica replica, Contribute contribution, bool verifier)
    {
        if (Close(sender, task, deal, replica, verifier) is { } refused) return refused;
        replica.Status = ReplicaStatus.Contributed;
        replica.ResultHash = contribution.ResultHash;
        replica.ResultSeal = contribution.ResultSeal;
        return null;
    }

    /// <summary>Records a failure report on an open replica of the task, with the same checks and stake lock as a commit.</summary>
    public Reason? ReportFailure(Address sender, TaskRecord task, DealRecord deal, Replica replica, ReplicaFailure failure)
    {
        if (Close(sender, task, deal, replica, verifier: false) is { } refused) return refused;
        replica.Status = ReplicaStatus.Failed;
        replica.Failure = failure;
        return null;
    }

    /// <summary>What a commit and a failure report share: the replica must be open and in time, and the worker stake is locked.</summary>
    private Reason? Close(Address sender, TaskRecord task, DealRecord deal, Replica replica, bool verifier)
    {
        var taskId = H(task.Id);
        if (replica.Status != ReplicaStatus.Assigned)
            return Reasons.Of(verifier ? ReasonCode.ReasonVerifierReplicaNotOpen : ReasonCode.ReasonReplicaNotOpen).Number(replica.Status).Id(sender).Id(taskId);
        if (_block.Height > replica.Deadline)
            return Reasons.Of(verifier ? ReasonCode.ReasonVerifierReplicaTimedOut : ReasonCode.ReasonReplicaTimedOut).Number(replica.Deadline).Id(sender).Id(taskId);
        ulong balance = _block.Escrow.Balance(sender);
        if (balance < deal.WorkerStake) return Reasons.Of(ReasonCode.ReasonCannotLockWorkerStake).Number(balance).Number(deal.WorkerStake);
        var worker = _block.Worker(sender)!;
        _block.Escrow.Freeze(sender, deal.WorkerStake);
        replica.Score = worker.Score;
        replica.ContributedAt = _block.Height;
        worker.Assignments.Remove(task.Id);
        _block.Save(sender, worker);
        return null;
    }

    /// <summary>Whether <paramref name="digest"/> opens the replica's commit: keccak(task ‖ digest) and the worker's seal.</summary>
    public static bool Opens(Replica replica, Address sender, Hash256 taskId, Hash256 digest) =>
        ResultHash(taskId, digest) == H(replica.ResultHash) && ResultSeal(sender, taskId, digest) == H(replica.ResultSeal);

    /// <summary>
    /// Open replicas whose deadline has come are timed out and their workers freed, each announced by an
    /// <paramref name="eventKind"/> event; returns whether any timed out.
    /// </summary>
    public bool TimeOut(TaskRecord task, DealRecord deal, RepeatedField<Replica> replicas, string eventKind, string? status = null)
    {
        bool timedOut = false;
        foreach (var r in replicas)
        {
            if (r.Status != ReplicaStatus.Assigned || r.Deadline > _block.Height) continue;
            r.Status = ReplicaStatus.TimedOut;
            Unassign(Addr(r.Worker), task.Id);
            timedOut = true;
            _block.Emit(eventKind, task, deal, Addr(r.Worker), status);
        }
        return timedOut;
    }

    /// <summary>Replicas still waiting to commit are no longer needed (consensus reached, the task settled, or the verification concluded).</summary>
    public void CancelOpen(TaskRecord task, RepeatedField<Replica> replicas)
    {
        foreach (var r in replicas)
        {
            if (r.Status != ReplicaStatus.Assigned) continue;
            r.Status = ReplicaStatus.Cancelled;
            Unassign(Addr(r.Worker), task.Id);
        }
    }

    private void Unassign(Address worker, ByteString taskId)
    {
        var record = _block.Worker(worker);
        if (record is null) return;
        record.Assignments.Remove(taskId);
        _block.Save(worker, record);
    }
}
