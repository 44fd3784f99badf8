using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

using static IExecChain.State.Market.MarketBlock;

namespace IExecChain.State.Market;

/// <summary>
/// A verification of a completed task's result, started by a challenge or a spot-check within its
/// rollback window: the task's pool members that were not on it, highest score first, re-run the task
/// and commit then reveal like replicas. If every revealed verifier agrees on a digest other than the
/// accepted one, the result is reversed: the winners' pending rewards and stakes are taken, their scores
/// cut, the challenger rewarded, outvoted honest contributors refunded and the verifiers paid.
/// </summary>
internal sealed class VerificationWorkflow
{
    private readonly MarketBlock _block;

    internal VerificationWorkflow(MarketBlock block) => _block = block;

    private ulong Height => _block.Height;

    private MarketParameters Market => _block.Market;

    public void Start(TaskRecord task, DealRecord deal, Address? challenger, ulong bond)
    {
        var category = Market.Category(deal.Category)!;
        task.Verification = new Verification
        {
            Challenger = challenger is { } c ? Bytes(c) : Google.Protobuf.ByteString.Empty,
            Bond = bond,
            Phase = VerificationPhase.Committing,
            StartedAt = Height,
            FinalDeadline = Height + category.FinalDeadlineBlocks,
        };
        _block.AddTimer(task.Verification.FinalDeadline, H(task.Id));
        _block.Emit(challenger is null ? "spot-check" : "challenged", task, deal, challenger ?? default, "committing");
        _block.Scheduler.AssignVerifiers(task, deal);
        if (!ReplicaSet.HasOpen(task.Verification.Replicas)) EndCommitting(task, deal);
    }

    /// <summary>The deadlines of a verification in progress: its final deadline, verifier timeouts while committing, its reveal deadline.</summary>
    public void RunTimers(TaskRecord task, DealRecord deal)
    {
        var v = task.Verification!;
        if (Height >= v.FinalDeadline) Conclude(task, deal);
        else if (v.Phase == VerificationPhase.Committing)
        {
            if (_block.Replicas.TimeOut(task, deal, v.Replicas, "verifier-timeout", PhaseName(v.Phase))) _block.Scheduler.AssignVerifiers(task, deal);
            if (!ReplicaSet.HasOpen(v.Replicas)) EndCommitting(task, deal);
        }
        else if (Height >= v.RevealDeadline) Conclude(task, deal);
    }

    /// <summary>No verifier is left to commit: reveal what was committed, or conclude when nothing was.</summary>
    private void EndCommitting(TaskRecord task, DealRecord deal)
    {
        var v = task.Verification!;
        bool anyCommitted = false;
        foreach (var r in v.Replicas) anyCommitted |= r.Status == ReplicaStatus.Contributed;
        if (!anyCommitted)
        {
            Conclude(task, deal);
            return;
        }
        var category = Market.Category(deal.Category)!;
        v.Phase = VerificationPhase.Revealing;
        v.RevealDeadline = Math.Min(Height + category.RevealDeadlineBlocks, v.FinalDeadline);
        _block.AddTimer(v.RevealDeadline, H(task.Id));
        _block.Emit("verification-revealing", task, deal, default, PhaseName(v.Phase));
    }

    public Reason? Commit(Address sender, TaskRecord task, Contribute contribution)
    {
        var taskId = H(task.Id);
        var v = task.Verification!;
        var replica = ReplicaSet.Find(v.Replicas, sender);
        if (replica is null) return Reasons.Of(ReasonCode.ReasonNotAVerifier).Id(sender).Id(taskId);
        var deal = _block.Deal(H(task.DealId))!;
        if (_block.Replicas.Commit(sender, task, deal, replica, contribution, verifier: true) is { } refused) return refused;
        _block.Emit("verifier-committed", task, deal, sender, PhaseName(v.Phase));
        if (!ReplicaSet.HasOpen(v.Replicas)) EndCommitting(task, deal);
        _block.Save(task);
        return null;
    }

    public Reason? Reveal(Address sender, TaskRecord task, Reveal reveal)
    {
        var taskId = H(task.Id);
        var v = task.Verification!;
        if (Height > v.RevealDeadline) return Reasons.Of(ReasonCode.ReasonVerifierRevealDeadlinePassed).Number(v.RevealDeadline).Id(taskId);
        var replica = ReplicaSet.Find(v.Replicas, sender);
        if (replica is null) return Reasons.Of(ReasonCode.ReasonNotAVerifier).Id(sender).Id(taskId);
        if (replica.Status == ReplicaStatus.Revealed) return Reasons.Of(ReasonCode.ReasonVerifierAlreadyRevealed).Id(sender).Id(taskId);
        if (replica.Status != ReplicaStatus.Contributed) return Reasons.Of(ReasonCode.ReasonVerifierDidNotCommit).Id(sender).Id(taskId);
        var digest = H(reveal.ResultDigest);
        if (!ReplicaSet.Opens(replica, sender, taskId, digest)) return Reasons.Of(ReasonCode.ReasonVerifierDigestDoesNotOpen).Id(sender).Id(taskId);
        replica.Status = ReplicaStatus.Revealed;
        replica.ResultDigest = reveal.ResultDigest;
        var deal = _block.Deal(H(task.DealId))!;
        _block.Emit("verifier-revealed", task, deal, sender, PhaseName(v.Phase));
        bool waiting = false;
        foreach (var r in v.Replicas) waiting |= r.Status == ReplicaStatus.Contributed;
        if (!waiting) Conclude(task, deal);
        _block.Save(task);
        return null;
    }

    /// <summary>
    /// The verdict. Verifiers that committed and never revealed lose their stake to the kitty; the others
    /// get theirs back. All revealed digests equal: upheld when it is the accepted digest, reversed
    /// otherwise. No reveal, or verifiers that disagree: inconclusive (a challenger's bond goes back).
    /// </summary>
    private void Conclude(TaskRecord task, DealRecord deal)
    {
        var v = task.Verification!;
        var escrow = _block.Escrow;
        _block.Replicas.CancelOpen(task, v.Replicas);
        var verifiers = new List<Address>();
        Hash256? agreed = null;
        bool disagree = false;
        foreach (var r in v.Replicas)
        {
            var address = Addr(r.Worker);
            if (r.Status == ReplicaStatus.Contributed) escrow.SeizeToKitty(address, deal.WorkerStake);
            if (r.Status != ReplicaStatus.Revealed) continue;
            escrow.Unfreeze(address, deal.WorkerStake);
            verifiers.Add(address);
            var digest = H(r.ResultDigest);
            if (agreed is null) agreed = digest;
            else disagree |= agreed != digest;
        }
        Address? challenger = v.Challenger.IsEmpty ? null : Addr(v.Challenger);
        if (agreed is null || disagree)
        {
            v.Phase = VerificationPhase.Inconclusive;
            v.Outcome = Reasons.Of(agreed is null ? ReasonCode.ReasonVerificationNoReveal : ReasonCode.ReasonVerifiersDisagree);
            if (challenger is { } c) escrow.Unfreeze(c, v.Bond);
        }
        else if (agreed.Value == H(task.ResultDigest))
        {
            v.Phase = VerificationPhase.Upheld;
            v.ResultDigest = Bytes(agreed.Value);
            if (challenger is { } c)
            {
                // The bond pays the verifiers' work; the rounding remainder goes to the kitty.
                escrow.Seize(c, v.Bond);
                ulong share = v.Bond / (ulong)verifiers.Count;
                foreach (var verifier in verifiers) escrow.Credit(verifier, share);
                escrow.AddToKitty(v.Bond - share * (ulong)verifiers.Count);
                v.Outcome = Reasons.Of(ReasonCode.ReasonUpheldPaidByBond).Number((ulong)verifiers.Count).Number(v.Bond);
            }
            else
            {
                ulong paid = escrow.PayFromKitty(verifiers, Market.SpotCheckReward);
                v.Outcome = Reasons.Of(ReasonCode.ReasonUpheldPaidByKitty).Number((ulong)verifiers.Count).Number(paid);
            }
        }
        else
        {
            Reverse(task, deal, agreed.Value, verifiers, challenger, v.Bond);
        }
        v.ConcludedAt = Height;
        _block.Emit("verified", task, deal, default, PhaseName(v.Phase));
        if (task.Pending.Count > 0 && Height >= task.WindowEnd) _block.Window.Release(task, deal);
    }

    /// <summary>
    /// The verifiers agreed on another result. From the winners: pending rewards and stakes are taken,
    /// scores cut to ⌊2·score/3⌋ and their wins counted as losses. Out of that pot, in order: the
    /// challenger's share of the slashed stakes, the stakes of contributors that had committed the
    /// verifiers' result and were seized as losers, then the verifiers in equal shares; the remainder
    /// goes to the kitty. The task's result becomes the verifiers' digest.
    /// </summary>
    private void Reverse(TaskRecord task, DealRecord deal, Hash256 corrected, List<Address> verifiers, Address? challenger, ulong bond)
    {
        var v = task.Verification!;
        var escrow = _block.Escrow;
        var taskId = H(task.Id);
        ulong rewards = 0, slashed = 0;
        foreach (var p in task.Pending)
        {
            var address = Addr(p.Worker);
            escrow.Seize(address, checked(p.Stake + p.Reward));
            rewards = checked(rewards + p.Reward);
            slashed = checked(slashed + p.Stake);
            var worker = _block.Worker(address)!;
            _block.Tasks.SetScore(address, TaskSettlement.MulDiv(worker.Score, 2, 3));
            worker = _block.Worker(address)!;
            if (worker.Wins > 0) worker.Wins--;
            worker.Losses++;
            _block.Save(address, worker);
        }
        task.Pending.Clear();
        ulong pot = checked(rewards + slashed);
        if (challenger is { } c)
        {
            escrow.Unfreeze(c, bond);
            ulong reward = TaskSettlement.MulDiv(slashed, Market.ChallengeRewardPercent, 100);
            escrow.Credit(c, reward);
            pot -= reward;
        }
        var correctHash = Bytes(ResultHash(taskId, corrected));
        foreach (var r in task.Replicas)
        {
            if (r.Status is not (ReplicaStatus.Contributed or ReplicaStatus.Rejected) || r.ResultHash != correctHash) continue;
            ulong refund = Math.Min(deal.WorkerStake, pot);
            escrow.Credit(Addr(r.Worker), refund);
            pot -= refund;
        }
        ulong share = pot / (ulong)verifiers.Count;
        foreach (var verifier in verifiers) escrow.Credit(verifier, share);
        escrow.AddToKitty(pot - share * (ulong)verifiers.Count);

        task.OriginalDigest = task.ResultDigest;
        task.ResultDigest = Bytes(corrected);
        task.Outcome = Reasons.Of(ReasonCode.ReasonTaskReversed).Number((ulong)verifiers.Count);
        v.Phase = VerificationPhase.Reversed;
        v.ResultDigest = Bytes(corrected);
        v.Outcome = Reasons.Of(ReasonCode.ReasonVerificationReversed).Number(rewards).Number(slashed);
        _block.Totals.Reversals++;
        _block.TotalsChanged();
        var pool = _block.Pool(Addr(deal.Workerpool))!;
        pool.TasksReversed++;
        _block.Save(pool);
        _block.TouchPool(Addr(deal.Workerpool));
    }
}
