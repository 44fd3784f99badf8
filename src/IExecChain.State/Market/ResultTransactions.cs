using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

using static IExecChain.State.Market.MarketBlock;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Market;

/// <summary>
/// Result transactions: a worker commits its result on its replica (a contribution), then opens the
/// commit (a reveal) once the task reached consensus. During a verification the same transactions are a
/// verifier's commit and reveal (<see cref="VerificationWorkflow"/>).
/// </summary>
internal sealed class ResultTransactions
{
    private readonly MarketBlock _block;

    internal ResultTransactions(MarketBlock block) => _block = block;

    private ulong Height => _block.Height;

    public Reason? Contribute(Address sender, Contribute contribution)
    {
        var taskId = H(contribution.TaskId);
        var task = _block.Task(taskId);
        if (task is null) return Reasons.Of(ReasonCode.ReasonTaskNotFound).Id(taskId);
        if (task.Status == TaskStatus.Completed && task.Verification is { Phase: VerificationPhase.Committing }) return _block.Verifications.Commit(sender, task, contribution);
        if (OpenToVotes(sender, task, taskId, out var replica) is { } closed) return closed;
        var deal = _block.Deal(H(task.DealId))!;
        if (_block.Replicas.Commit(sender, task, deal, replica, contribution, verifier: false) is { } refused) return refused;
        var worker = _block.Worker(sender)!;
        worker.Contributions++;
        _block.Save(sender, worker);

        var resultHash = H(contribution.ResultHash);
        var tally = TaskLifecycle.Tally(task, deal);
        if (tally.HasConsensus(resultHash))
        {
            var category = _block.Market.Category(deal.Category)!;
            task.Status = TaskStatus.Revealing;
            task.ConsensusHash = contribution.ResultHash;
            task.RevealDeadline = Height + category.RevealDeadlineBlocks;
            _block.AddTimer(task.RevealDeadline, taskId);
            _block.Replicas.CancelOpen(task, task.Replicas);
            _block.Emit("consensus", task, deal, sender);
        }
        else
        {
            _block.Emit("contributed", task, deal, sender);
            if (!ReplicaSet.HasOpen(task.Replicas)) _block.Scheduler.AssignReplicas(task, deal);
        }
        _block.Save(task);
        return null;
    }

    /// <summary>
    /// A worker that cannot run its replica says so instead of committing: the report locks its stake and votes
    /// for "cannot run" (<see cref="TaskLifecycle.CannotRun"/>) in the task's tally. When that vote reaches the
    /// deal's trust, the task fails at once (<see cref="TaskLifecycle.FailCannotRun"/>); otherwise more replicas
    /// are assigned as after a contribution. Verifiers cannot report: a verification runs a result already agreed.
    /// </summary>
    public Reason? ReportFailure(Address sender, ReportFailure report)
    {
        var taskId = H(report.TaskId);
        var task = _block.Task(taskId);
        if (task is null) return Reasons.Of(ReasonCode.ReasonTaskNotFound).Id(taskId);
        if (OpenToVotes(sender, task, taskId, out var replica) is { } closed) return closed;
        var deal = _block.Deal(H(task.DealId))!;
        if (_block.Replicas.ReportFailure(sender, task, deal, replica, report.Failure) is { } refused) return refused;

        if (TaskLifecycle.Tally(task, deal).HasConsensus(TaskLifecycle.CannotRun))
        {
            _block.Tasks.FailCannotRun(task, deal);
        }
        else
        {
            _block.Emit("failure-reported", task, deal, sender);
            if (!ReplicaSet.HasOpen(task.Replicas)) _block.Scheduler.AssignReplicas(task, deal);
        }
        _block.Save(task);
        return null;
    }

    /// <summary>Why <paramref name="sender"/> cannot vote on the task now (a commit or a report), or null with its replica.</summary>
    private Reason? OpenToVotes(Address sender, TaskRecord task, Hash256 taskId, out Replica replica)
    {
        replica = null!;
        if (task.Status != TaskStatus.Active) return Reasons.Of(ReasonCode.ReasonContributionsClosed).Number(task.Status).Id(taskId);
        if (Height > task.ContributionDeadline) return Reasons.Of(ReasonCode.ReasonContributionDeadlinePassed).Number(task.ContributionDeadline).Id(taskId);
        if (ReplicaSet.Find(task.Replicas, sender) is not { } found) return Reasons.Of(ReasonCode.ReasonNotAssigned).Id(sender).Id(taskId);
        replica = found;
        return null;
    }

    public Reason? Reveal(Address sender, Reveal reveal)
    {
        var taskId = H(reveal.TaskId);
        var task = _block.Task(taskId);
        if (task is null) return Reasons.Of(ReasonCode.ReasonTaskNotFound).Id(taskId);
        if (task.Status == TaskStatus.Completed && task.Verification is { Phase: VerificationPhase.Revealing }) return _block.Verifications.Reveal(sender, task, reveal);
        if (task.Status != TaskStatus.Revealing) return Reasons.Of(ReasonCode.ReasonNothingToReveal).Number(task.Status).Id(taskId);
        if (Height > task.RevealDeadline) return Reasons.Of(ReasonCode.ReasonRevealDeadlinePassed).Number(task.RevealDeadline).Id(taskId);
        var replica = ReplicaSet.Find(task.Replicas, sender);
        if (replica is null) return Reasons.Of(ReasonCode.ReasonNoReplica).Id(sender).Id(taskId);
        if (replica.Status == ReplicaStatus.Revealed) return Reasons.Of(ReasonCode.ReasonAlreadyRevealed).Id(sender).Id(taskId);
        if (replica.Status != ReplicaStatus.Contributed || replica.ResultHash != task.ConsensusHash)
            return Reasons.Of(ReasonCode.ReasonNotConsensusContributor).Id(sender).Id(taskId);
        var digest = H(reveal.ResultDigest);
        if (!ReplicaSet.Opens(replica, sender, taskId, digest)) return Reasons.Of(ReasonCode.ReasonDigestDoesNotOpen).Id(sender).Id(taskId);
        replica.Status = ReplicaStatus.Revealed;
        replica.ResultDigest = reveal.ResultDigest;
        if (task.ResultDigest.IsEmpty) task.ResultDigest = reveal.ResultDigest;
        var deal = _block.Deal(H(task.DealId))!;
        _block.Emit("revealed", task, deal, sender);
        bool allRevealed = true;
        foreach (var r in task.Replicas)
            if (r.Status == ReplicaStatus.Contributed && r.ResultHash == task.ConsensusHash) allRevealed = false;
        if (allRevealed) _block.Tasks.Finalize(task, deal);
        _block.Save(task);
        return null;
    }
}
