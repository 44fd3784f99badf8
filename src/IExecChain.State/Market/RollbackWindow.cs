using System.Buffers.Binary;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

using static IExecChain.State.Market.MarketBlock;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Market;

/// <summary>
/// The rollback window (docs/market.md, "Rollback window"). With a window W, a completed task's winners
/// keep their stakes and rewards frozen, and their score gains pending, for W blocks. Within W a staked
/// party may challenge the result with a bond, and the chain spot-checks a fraction of tasks drawn from
/// the hash of the block that completed them. Either starts a verification (<see cref="VerificationWorkflow"/>);
/// when the window closes with none running, the winners get what was held.
/// </summary>
internal sealed class RollbackWindow
{
    private static readonly byte[] SpotCheckDomain = "iexecchain/spot-check"u8.ToArray();

    private readonly MarketBlock _block;
    private readonly WorldState _state;

    internal RollbackWindow(MarketBlock block, WorldState state)
    {
        _block = block;
        _state = state;
    }

    private ulong Height => _block.Height;

    private MarketParameters Market => _block.Market;

    internal static bool InProgress(Verification? v) => v is { Phase: VerificationPhase.Committing or VerificationPhase.Revealing };

    /// <summary>
    /// A winner's stake and reward stay frozen on its account until the window closes (the settlement has
    /// just credited them, so they are frozen again); its score gain waits too.
    /// </summary>
    public void Hold(TaskRecord task, Settlement settlement, IReadOnlyList<SettledContribution> contributions, ulong workerStake)
    {
        foreach (var c in contributions)
        {
            if (!c.Winner) continue;
            ulong reward = settlement.CreditedTo(c.Worker, CreditKind.WorkerReward);
            _block.Escrow.Freeze(c.Worker, checked(workerStake + reward));
            bool gain = false;
            foreach (var s in settlement.ScoreChanges) gain |= s.Worker == c.Worker && s.NewScore > s.OldScore;
            task.Pending.Add(new PendingReward { Worker = Bytes(c.Worker), Stake = workerStake, Reward = reward, ScoreGain = gain });
        }
        task.WindowEnd = Height + Market.RollbackWindowBlocks;
        _block.AddTimer(task.WindowEnd, H(task.Id));
        // The spot-check draw uses the next block's seed: the hash of this block, unknown to whoever revealed.
        // The queue holds ids only, so the next block reads just the tasks it draws.
        if (Market.SpotCheckPpm > 0)
        {
            var key = StateKeys.SpotCheckQueue(Height + 1);
            var queue = _block.Get(key, HashList.Parser) ?? new HashList();
            queue.Hashes.Add(task.Id);
            _block.Put(key, queue);
        }
    }

    /// <summary>Draws this block's spot-checks among the tasks completed in the previous block.</summary>
    public void RunSpotChecks()
    {
        var key = StateKeys.SpotCheckQueue(Height);
        var queue = _block.Get(key, HashList.Parser);
        if (queue is null) return;
        foreach (var raw in queue.Hashes)
        {
            if (!SpotCheckDrawn(H(raw))) continue;
            var task = _block.Task(H(raw));
            if (task is null || task.Status != TaskStatus.Completed || task.Verification is not null || task.Pending.Count == 0) continue;
            _block.Totals.SpotChecks++;
            _block.TotalsChanged();
            _block.Verifications.Start(task, _block.Deal(H(task.DealId))!, challenger: null, bond: 0);
            _block.Save(task);
        }
        _block.Drop(key);
    }

    /// <summary>keccak256(domain ‖ seed ‖ task) mod 10⁶ below the rate: the seed is the parent block's hash.</summary>
    private bool SpotCheckDrawn(Hash256 taskId)
    {
        Span<byte> buffer = stackalloc byte[21 + 64];
        SpotCheckDomain.CopyTo(buffer);
        _block.Seed.CopyTo(buffer[21..]);
        taskId.CopyTo(buffer[(21 + 32)..]);
        var draw = Keccak256.Hash(buffer);
        Span<byte> bytes = stackalloc byte[32];
        draw.CopyTo(bytes);
        return BinaryPrimitives.ReadUInt64BigEndian(bytes) % 1_000_000 < Market.SpotCheckPpm;
    }

    /// <summary>Deadlines and window end of a completed task; returns whether the task changed.</summary>
    public bool CompletedTaskTimers(TaskRecord task, DealRecord deal)
    {
        bool changed = false;
        if (InProgress(task.Verification))
        {
            changed = true;
            _block.Verifications.RunTimers(task, deal);
        }
        if (task.Pending.Count > 0 && Height >= task.WindowEnd && !InProgress(task.Verification))
        {
            Release(task, deal);
            changed = true;
        }
        return changed;
    }

    /// <summary>The window closed with no verification running: winners get stakes, rewards and score gains.</summary>
    public void Release(TaskRecord task, DealRecord deal)
    {
        foreach (var p in task.Pending)
        {
            var worker = Addr(p.Worker);
            _block.Escrow.Unfreeze(worker, checked(p.Stake + p.Reward));
            if (p.ScoreGain) _block.Tasks.SetScore(worker, checked(_block.Worker(worker)!.Score + 1));
        }
        task.Pending.Clear();
        _block.Emit("released", task, deal, default);
    }

    public Reason? Challenge(Address sender, Hash256 taskId)
    {
        if (Market.RollbackWindowBlocks == 0) return Reasons.Of(ReasonCode.ReasonNoRollbackWindow);
        var task = _block.Task(taskId);
        if (task is null) return Reasons.Of(ReasonCode.ReasonTaskNotFound).Id(taskId);
        if (task.Status != TaskStatus.Completed) return Reasons.Of(ReasonCode.ReasonNotChallengeable).Number(task.Status).Id(taskId);
        if (task.Verification is { } existing)
            return Reasons.Of(ReasonCode.ReasonAlreadyVerified).Number(existing.Challenger.IsEmpty ? 0UL : 1UL).Number(existing.Phase).Id(taskId);
        if (task.Pending.Count == 0 || Height >= task.WindowEnd) return Reasons.Of(ReasonCode.ReasonWindowClosed).Number(task.WindowEnd).Id(taskId);
        var stake = _state.GetStake(sender);
        if (stake.ValidatorStake == 0 && stake.WorkerStake < Math.Max(_block.Parameters.MinWorkerStake, 1))
            return Reasons.Of(ReasonCode.ReasonChallengerNotStaked).Id(sender);
        ulong bond = Market.ChallengeBond;
        ulong balance = _block.Escrow.Balance(sender);
        if (balance < bond) return Reasons.Of(ReasonCode.ReasonCannotLockBond).Number(balance).Number(bond);
        var deal = _block.Deal(H(task.DealId))!;
        _block.Escrow.Freeze(sender, bond);
        _block.Totals.Challenges++;
        _block.TotalsChanged();
        _block.Verifications.Start(task, deal, sender, bond);
        _block.Save(task);
        return null;
    }
}
