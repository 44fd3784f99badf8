using System.Buffers.Binary;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Market;

/// <summary>
/// The rollback window and verification (docs/market.md, "Rollback window"). With a window W, a
/// completed task's winners keep their stakes and rewards frozen, and their score gains pending, for W
/// blocks. Within W a staked party may challenge the result with a bond, and the chain spot-checks a
/// fraction of tasks drawn from the hash of the block that completed them. Either starts a
/// verification: the task's pool members that were not on it, highest score first, re-run the task and
/// commit then reveal like replicas. If every revealed verifier agrees on a digest other than the
/// accepted one, the result is reversed: the winners' pending rewards and stakes are taken, their scores
/// cut, the challenger rewarded, outvoted honest contributors refunded and the verifiers paid.
/// </summary>
public sealed partial class MarketBlock
{
    private static readonly byte[] SpotCheckDomain = "iexecchain/spot-check"u8.ToArray();

    public static string PhaseName(VerificationPhase phase) => phase switch
    {
        VerificationPhase.Committing => "committing",
        VerificationPhase.Revealing => "revealing",
        VerificationPhase.Upheld => "upheld",
        VerificationPhase.Reversed => "reversed",
        VerificationPhase.Inconclusive => "inconclusive",
        _ => phase.ToString().ToLowerInvariant(),
    };

    private static bool InProgress(Verification? v) => v is { Phase: VerificationPhase.Committing or VerificationPhase.Revealing };

    /// <summary>
    /// A winner's stake and reward stay frozen on its account until the window closes (the settlement has
    /// just credited them, so they are frozen again); its score gain waits too.
    /// </summary>
    private void HoldForWindow(TaskRecord task, Settlement settlement, IReadOnlyList<SettledContribution> contributions, ulong workerStake)
    {
        foreach (var c in contributions)
        {
            if (!c.Winner) continue;
            ulong reward = settlement.CreditedTo(c.Worker, CreditKind.WorkerReward);
            Freeze(c.Worker, checked(workerStake + reward));
            bool gain = false;
            foreach (var s in settlement.ScoreChanges) gain |= s.Worker == c.Worker && s.NewScore > s.OldScore;
            task.Pending.Add(new PendingReward { Worker = Bytes(c.Worker), Stake = workerStake, Reward = reward, ScoreGain = gain });
        }
        task.WindowEnd = Height + Market.RollbackWindowBlocks;
        AddTimer(task.WindowEnd, H(task.Id));
        // The spot-check draw uses the next block's seed: the hash of this block, unknown to whoever revealed.
        // The queue holds ids only, so the next block reads just the tasks it draws.
        if (Market.SpotCheckPpm > 0)
        {
            var key = StateKeys.SpotCheckQueue(Height + 1);
            var queue = Get(key, HashList.Parser) ?? new HashList();
            queue.Hashes.Add(task.Id);
            Put(key, queue);
        }
    }

    /// <summary>Draws this block's spot-checks among the tasks completed in the previous block.</summary>
    private void RunSpotChecks()
    {
        var key = StateKeys.SpotCheckQueue(Height);
        var queue = Get(key, HashList.Parser);
        if (queue is null) return;
        foreach (var raw in queue.Hashes)
        {
            if (!SpotCheckDrawn(H(raw))) continue;
            var task = Task(H(raw));
            if (task is null || task.Status != TaskStatus.Completed || task.Verification is not null || task.Pending.Count == 0) continue;
            Totals.SpotChecks++;
            TotalsChanged();
            StartVerification(task, Deal(H(task.DealId))!, challenger: null, bond: 0);
            Save(task);
        }
        _records.Remove(key);
        _dirty.Remove(key);
        _state.SetRecord(key, null);
    }

    /// <summary>Deadlines and window end of a completed task; returns whether the task changed.</summary>
    private bool CompletedTaskTimers(TaskRecord task, DealRecord deal)
    {
        var v = task.Verification;
        bool changed = false;
        if (InProgress(v))
        {
            changed = true;
            if (Height >= v!.FinalDeadline) Conclude(task, deal);
            else if (v.Phase == VerificationPhase.Committing)
            {
                bool timedOut = false;
                foreach (var r in v.Replicas)
                {
                    if (r.Status != ReplicaStatus.Assigned || r.Deadline > Height) continue;
                    r.Status = ReplicaStatus.TimedOut;
                    Unassign(Addr(r.Worker), task.Id);
                    timedOut = true;
                    Emit("verifier-timeout", task, deal, Addr(r.Worker), PhaseName(v.Phase));
                }
                if (timedOut) AssignVerifiers(task, deal);
                if (!HasOpenVerifier(v)) EndCommitting(task, deal);
            }
            else if (Height >= v.RevealDeadline) Conclude(task, deal);
        }
        if (task.Pending.Count > 0 && Height >= task.WindowEnd && !InProgress(task.Verification))
        {
            ReleasePending(task, deal);
            changed = true;
        }
        return changed;
    }

    /// <summary>keccak256(domain ‖ seed ‖ task) mod 10⁶ below the rate: the seed is the parent block's hash.</summary>
    private bool SpotCheckDrawn(Hash256 taskId)
    {
        Span<byte> buffer = stackalloc byte[21 + 64];
        SpotCheckDomain.CopyTo(buffer);
        Seed.CopyTo(buffer[21..]);
        taskId.CopyTo(buffer[(21 + 32)..]);
        var draw = Keccak256.Hash(buffer);
        Span<byte> bytes = stackalloc byte[32];
        draw.CopyTo(bytes);
        return BinaryPrimitives.ReadUInt64BigEndian(bytes) % 1_000_000 < Market.SpotCheckPpm;
    }

    /// <summary>The window closed with no verification running: winners get stakes, rewards and score gains.</summary>
    private void ReleasePending(TaskRecord task, DealRecord deal)
    {
        foreach (var p in task.Pending)
        {
            var worker = Addr(p.Worker);
            Unfreeze(worker, checked(p.Stake + p.Reward));
            if (p.ScoreGain) SetScore(worker, checked(Worker(worker)!.Score + 1));
        }
        task.Pending.Clear();
        Emit("released", task, deal, default);
    }

    private Reason? Challenge(Address sender, Hash256 taskId)
    {
        if (Market.RollbackWindowBlocks == 0) return Reasons.Of(ReasonCode.ReasonNoRollbackWindow);
        var task = Task(taskId);
        if (task is null) return Reasons.Of(ReasonCode.ReasonTaskNotFound).Id(taskId);
        if (task.Status != TaskStatus.Completed) return Reasons.Of(ReasonCode.ReasonNotChallengeable).Number(task.Status).Id(taskId);
        if (task.Verification is { } existing)
            return Reasons.Of(ReasonCode.ReasonAlreadyVerified).Number(existing.Challenger.IsEmpty ? 0UL : 1UL).Number(existing.Phase).Id(taskId);
        if (task.Pending.Count == 0 || Height >= task.WindowEnd) return Reasons.Of(ReasonCode.ReasonWindowClosed).Number(task.WindowEnd).Id(taskId);
        var stake = _state.GetStake(sender);
        if (stake.ValidatorStake == 0 && stake.WorkerStake < Math.Max(Parameters.MinWorkerStake, 1))
            return Reasons.Of(ReasonCode.ReasonChallengerNotStaked).Id(sender);
        ulong bond = Market.ChallengeBond;
        var account = _state.GetAccount(sender);
        if (account.Balance < bond) return Reasons.Of(ReasonCode.ReasonCannotLockBond).Number(account.Balance).Number(bond);
        var deal = Deal(H(task.DealId))!;
        Freeze(sender, bond);
        Totals.Challenges++;
        TotalsChanged();
        StartVerification(task, deal, sender, bond);
        Save(task);
        return null;
    }

    private void StartVerification(TaskRecord task, DealRecord deal, Address? challenger, ulong bond)
    {
        var category = Market.Category(deal.Category)!;
        task.Verification = new Verification
        {
            Challenger = challenger is { } c ? Bytes(c) : Google.Protobuf.ByteString.Empty,
            Bond = bond,
            Phase = VerificationPhase.Committing,
            StartedAt = Height,
            FinalDeadline = Height + 10 * category.TimeRefBlocks,
        };
        AddTimer(task.Verification.FinalDeadline, H(task.Id));
        Emit(challenger is null ? "spot-check" : "challenged", task, deal, challenger ?? default, "committing");
        AssignVerifiers(task, deal);
        if (!HasOpenVerifier(task.Verification)) EndCommitting(task, deal);
    }

    /// <summary>
    /// Verifiers up to the chain spec's count: members of the task's pool that never had a replica of it
    /// nor verified it and are not the challenger, with the minimum stake and a free slot; highest score first, then least loaded,
    /// then the per-block keccak draw.
    /// </summary>
    private void AssignVerifiers(TaskRecord task, DealRecord deal)
    {
        var v = task.Verification!;
        int active = 0;
        foreach (var r in v.Replicas) if (r.Status is ReplicaStatus.Assigned or ReplicaStatus.Contributed) active++;
        int needed = Market.Verifiers - active;
        if (needed <= 0 || v.Replicas.Count >= Market.MaxReplicasPerTask) return;
        var taskId = H(task.Id);
        var pool = Pool(Addr(deal.Workerpool))!;
        var challenger = v.Challenger.IsEmpty ? (Address?)null : Addr(v.Challenger);
        var candidates = FreeMembers(pool, taskId, address => FindReplica(task, address) is not null || FindVerifier(v, address) is not null || address == challenger);
        candidates.Sort((a, b) =>
        {
            int c = b.Score.CompareTo(a.Score);
            if (c != 0) return c;
            c = a.Load.CompareTo(b.Load);
            return c != 0 ? c : a.Draw.CompareTo(b.Draw);
        });
        var category = Market.Category(deal.Category)!;
        foreach (var (address, _, _, _) in candidates)
        {
            if (needed == 0 || v.Replicas.Count >= Market.MaxReplicasPerTask) break;
            Assign(task, v.Replicas, address, Math.Min(Height + 2 * category.TimeRefBlocks, v.FinalDeadline));
            needed--;
            Emit("verifier-assigned", task, deal, address, PhaseName(v.Phase));
        }
    }

    private static Replica? FindVerifier(Verification v, Address worker)
    {
        var raw = worker.ToArray();
        foreach (var r in v.Replicas) if (r.Worker.Span.SequenceEqual(raw)) return r;
        return null;
    }

    private static bool HasOpenVerifier(Verification v)
    {
        foreach (var r in v.Replicas) if (r.Status == ReplicaStatus.Assigned) return true;
        return false;
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
        v.RevealDeadline = Math.Min(Height + 2 * category.TimeRefBlocks, v.FinalDeadline);
        AddTimer(v.RevealDeadline, H(task.Id));
        Emit("verification-revealing", task, deal, default, PhaseName(v.Phase));
    }

    private Reason? VerifierContribute(Address sender, TaskRecord task, Contribute contribution)
    {
        var taskId = H(task.Id);
        var v = task.Verification!;
        var replica = FindVerifier(v, sender);
        if (replica is null) return Reasons.Of(ReasonCode.ReasonNotAVerifier).Id(sender).Id(taskId);
        var deal = Deal(H(task.DealId))!;
        if (Commit(sender, task, deal, replica, contribution, verifier: true) is { } refused) return refused;
        Emit("verifier-committed", task, deal, sender, PhaseName(v.Phase));
        if (!HasOpenVerifier(v)) EndCommitting(task, deal);
        Save(task);
        return null;
    }

    private Reason? VerifierReveal(Address sender, TaskRecord task, Reveal reveal)
    {
        var taskId = H(task.Id);
        var v = task.Verification!;
        if (Height > v.RevealDeadline) return Reasons.Of(ReasonCode.ReasonVerifierRevealDeadlinePassed).Number(v.RevealDeadline).Id(taskId);
        var replica = FindVerifier(v, sender);
        if (replica is null) return Reasons.Of(ReasonCode.ReasonNotAVerifier).Id(sender).Id(taskId);
        if (replica.Status == ReplicaStatus.Revealed) return Reasons.Of(ReasonCode.ReasonVerifierAlreadyRevealed).Id(sender).Id(taskId);
        if (replica.Status != ReplicaStatus.Contributed) return Reasons.Of(ReasonCode.ReasonVerifierDidNotCommit).Id(sender).Id(taskId);
        var digest = H(reveal.ResultDigest);
        if (!Opens(replica, sender, taskId, digest)) return Reasons.Of(ReasonCode.ReasonVerifierDigestDoesNotOpen).Id(sender).Id(taskId);
        replica.Status = ReplicaStatus.Revealed;
        replica.ResultDigest = reveal.ResultDigest;
        var deal = Deal(H(task.DealId))!;
        Emit("verifier-revealed", task, deal, sender, PhaseName(v.Phase));
        bool waiting = false;
        foreach (var r in v.Replicas) waiting |= r.Status == ReplicaStatus.Contributed;
        if (!waiting) Conclude(task, deal);
        Save(task);
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
        foreach (var r in v.Replicas)
        {
            if (r.Status == ReplicaStatus.Assigned)
            {
                r.Status = ReplicaStatus.Cancelled;
                Unassign(Addr(r.Worker), task.Id);
            }
        }
        var verifiers = new List<Address>();
        Hash256? agreed = null;
        bool disagree = false;
        foreach (var r in v.Replicas)
        {
            var address = Addr(r.Worker);
            if (r.Status == ReplicaStatus.Contributed) SeizeToKitty(address, deal.WorkerStake);
            if (r.Status != ReplicaStatus.Revealed) continue;
            Unfreeze(address, deal.WorkerStake);
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
            if (challenger is { } c) Unfreeze(c, v.Bond);
        }
        else if (agreed.Value == H(task.ResultDigest))
        {
            v.Phase = VerificationPhase.Upheld;
            v.ResultDigest = Bytes(agreed.Value);
            if (challenger is { } c)
            {
                // The bond pays the verifiers' work; the rounding remainder goes to the kitty.
                SeizeFrozen(c, v.Bond);
                ulong share = v.Bond / (ulong)verifiers.Count;
                foreach (var verifier in verifiers) Credit(verifier, share);
                AddToKitty(v.Bond - share * (ulong)verifiers.Count);
                v.Outcome = Reasons.Of(ReasonCode.ReasonUpheldPaidByBond).Number((ulong)verifiers.Count).Number(v.Bond);
            }
            else
            {
                ulong paid = 0;
                foreach (var verifier in verifiers)
                {
                    ulong reward = Math.Min(Market.SpotCheckReward, Totals.Kitty);
                    Totals.Kitty -= reward;
                    Credit(verifier, reward);
                    paid += reward;
                }
                TotalsChanged();
                v.Outcome = Reasons.Of(ReasonCode.ReasonUpheldPaidByKitty).Number((ulong)verifiers.Count).Number(paid);
            }
        }
        else
        {
            Reverse(task, deal, agreed.Value, verifiers, challenger, v.Bond);
        }
        v.ConcludedAt = Height;
        Emit("verified", task, deal, default, PhaseName(v.Phase));
        if (task.Pending.Count > 0 && Height >= task.WindowEnd) ReleasePending(task, deal);
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
        var taskId = H(task.Id);
        ulong rewards = 0, slashed = 0;
        foreach (var p in task.Pending)
        {
            var address = Addr(p.Worker);
            SeizeFrozen(address, checked(p.Stake + p.Reward));
            rewards = checked(rewards + p.Reward);
            slashed = checked(slashed + p.Stake);
            var worker = Worker(address)!;
            SetScore(address, TaskSettlement.MulDiv(worker.Score, 2, 3));
            worker = Worker(address)!;
            if (worker.Wins > 0) worker.Wins--;
            worker.Losses++;
            Save(address, worker);
        }
        task.Pending.Clear();
        ulong pot = checked(rewards + slashed);
        if (challenger is { } c)
        {
            Unfreeze(c, bond);
            ulong reward = TaskSettlement.MulDiv(slashed, Market.ChallengeRewardPercent, 100);
            Credit(c, reward);
            pot -= reward;
        }
        var correctHash = Bytes(ResultHash(taskId, corrected));
        foreach (var r in task.Replicas)
        {
            if (r.Status is not (ReplicaStatus.Contributed or ReplicaStatus.Rejected) || r.ResultHash != correctHash) continue;
            ulong refund = Math.Min(deal.WorkerStake, pot);
            Credit(Addr(r.Worker), refund);
            pot -= refund;
        }
        ulong share = pot / (ulong)verifiers.Count;
        foreach (var verifier in verifiers) Credit(verifier, share);
        AddToKitty(pot - share * (ulong)verifiers.Count);

        task.OriginalDigest = task.ResultDigest;
        task.ResultDigest = Bytes(corrected);
        task.Outcome = Reasons.Of(ReasonCode.ReasonTaskReversed).Number((ulong)verifiers.Count);
        v.Phase = VerificationPhase.Reversed;
        v.ResultDigest = Bytes(corrected);
        v.Outcome = Reasons.Of(ReasonCode.ReasonVerificationReversed).Number(rewards).Number(slashed);
        Totals.Reversals++;
        TotalsChanged();
        var pool = Pool(Addr(deal.Workerpool))!;
        pool.TasksReversed++;
        Save(pool);
        TouchPool(Addr(deal.Workerpool));
    }

    /// <summary>Takes frozen funds off an account (they leave it: the caller credits them elsewhere).</summary>
    private void SeizeFrozen(Address owner, ulong amount)
    {
        if (amount == 0) return;
        var account = _state.GetAccount(owner);
        account.Frozen = checked(account.Frozen - amount);
        _state.MarkAccountDirty(owner);
    }

    private void SeizeToKitty(Address owner, ulong amount)
    {
        SeizeFrozen(owner, amount);
        AddToKitty(amount);
    }

    private void AddToKitty(ulong amount)
    {
        if (amount == 0) return;
        Totals.Kitty = checked(Totals.Kitty + amount);
        TotalsChanged();
    }

    private void Credit(Address to, ulong amount)
    {
        if (amount == 0) return;
        var account = _state.GetAccount(to);
        account.Balance = checked(account.Balance + amount);
        _state.MarkAccountDirty(to);
    }
}
