using IExecChain.Core.Primitives;

namespace IExecChain.State.Market;

/// <summary>Per-task money terms of a deal, fixed when the orders matched (all nRLC).</summary>
public sealed record DealTerms(
    Address Requester,
    Address AppOwner,
    ulong AppPrice,
    Address DatasetOwner,
    ulong DatasetPrice,
    Address PoolOwner,
    ulong PoolPrice,
    ulong PoolStake,
    ulong WorkerStake,
    uint SchedulerRewardPercent)
{
    /// <summary>What the requester locks per task: app + dataset + workerpool price.</summary>
    public ulong RequesterLock => checked(AppPrice + DatasetPrice + PoolPrice);

    /// <summary>The pool owner's stake per task: 30% of the workerpool price (iExec's WORKERPOOL_STAKE_RATIO), rounded down.</summary>
    public static ulong PoolStakeFor(ulong poolPrice) => (ulong)((UInt128)poolPrice * 30 / 100);
}

/// <summary>One contribution to a finished task. <see cref="Weight"/> is the worker's weight when it contributed.</summary>
public readonly record struct SettledContribution(Address Worker, ulong Weight, ulong Score, bool Winner);

public enum CreditKind : byte
{
    AppReward,
    DatasetReward,
    SchedulerReward,
    WorkerReward,
    StakeReturn,
    Refund,
    /// <summary>Seized pool stake of a failed task, kept by the chain (iExec's kitty); the address is zero.</summary>
    Kitty,
}

public readonly record struct Credit(Address To, ulong Amount, CreditKind Kind);

/// <summary>A lock released from escrow (the account's frozen amount goes down by it).</summary>
public readonly record struct Release(Address From, ulong Amount);

public readonly record struct ScoreChange(Address Worker, ulong OldScore, ulong NewScore);

/// <summary>
/// What settling one task does: every lock of the task is released and the same total is
/// credited, so no nRLC is created or lost (<see cref="ReleasedTotal"/> == <see cref="CreditedTotal"/>).
/// </summary>
public sealed record Settlement(IReadOnlyList<Release> Releases, IReadOnlyList<Credit> Credits, IReadOnlyList<ScoreChange> ScoreChanges)
{
    public ulong ReleasedTotal { get { ulong s = 0; foreach (var r in Releases) s = checked(s + r.Amount); return s; } }
    public ulong CreditedTotal { get { ulong s = 0; foreach (var c in Credits) s = checked(s + c.Amount); return s; } }

    /// <summary>Sum of credits of one kind to one address (test and receipt helper).</summary>
    public ulong CreditedTo(Address to, CreditKind kind)
    {
        ulong s = 0;
        foreach (var c in Credits) if (c.To == to && c.Kind == kind) s = checked(s + c.Amount);
        return s;
    }
}

/// <summary>
/// iExec's reward split and score policy in exact integers (IexecPoco successWork, failedWork,
/// distributeRewards). Remainders: every rounding remainder of the workers' share goes to the
/// pool owner with the scheduler reward, as in iExec.
/// </summary>
public static class TaskSettlement
{
    /// <summary>
    /// A completed task. Winners contributed the consensus result and revealed it; everyone else
    /// (a different result, or the consensus result not revealed) is a loser. App and dataset owners
    /// get their prices; the reward pot is the workerpool price plus the losers' stakes; winners share
    /// pot × (100 − scheduler%) / 100 in proportion to floor(log2(weight)), each share rounded down;
    /// the pool owner gets the rest of the pot (its scheduler ratio plus all rounding remainders) and
    /// its stake back. Winners' scores +1 if the task had more than one contribution; losers' scores
    /// become floor(2 × score / 3).
    /// </summary>
    public static Settlement Complete(DealTerms deal, IReadOnlyList<SettledContribution> contributions)
    {
        if (deal.SchedulerRewardPercent > 100) throw new ArgumentException("scheduler reward ratio is a percentage", nameof(deal));
        var releases = new List<Release>(contributions.Count + 2) { new(deal.Requester, deal.RequesterLock), new(deal.PoolOwner, deal.PoolStake) };
        var credits = new List<Credit>(contributions.Count + 4);
        var scores = new List<ScoreChange>(contributions.Count);

        if (deal.AppPrice > 0) credits.Add(new Credit(deal.AppOwner, deal.AppPrice, CreditKind.AppReward));
        if (deal.DatasetPrice > 0) credits.Add(new Credit(deal.DatasetOwner, deal.DatasetPrice, CreditKind.DatasetReward));
        credits.Add(new Credit(deal.PoolOwner, deal.PoolStake, CreditKind.StakeReturn));

        ulong pot = deal.PoolPrice;
        ulong totalLogWeight = 0;
        foreach (var c in contributions)
        {
            releases.Add(new Release(c.Worker, deal.WorkerStake));
            if (c.Winner) totalLogWeight = checked(totalLogWeight + (ulong)Credibility.LogWeight(c.Weight));
            else pot = checked(pot + deal.WorkerStake);
        }
        if (totalLogWeight == 0) throw new ArgumentException("a completed task has at least one winner", nameof(contributions));

        ulong workersPot = MulDiv(pot, 100 - deal.SchedulerRewardPercent, 100);
        ulong paid = 0;
        bool replicated = contributions.Count > 1;
        foreach (var c in contributions)
        {
            if (c.Winner)
            {
                ulong reward = MulDiv(workersPot, (ulong)Credibility.LogWeight(c.Weight), totalLogWeight);
                paid = checked(paid + reward);
                credits.Add(new Credit(c.Worker, deal.WorkerStake, CreditKind.StakeReturn));
                if (reward > 0) credits.Add(new Credit(c.Worker, reward, CreditKind.WorkerReward));
                if (replicated) scores.Add(new ScoreChange(c.Worker, c.Score, checked(c.Score + 1)));
            }
            else
            {
                scores.Add(new ScoreChange(c.Worker, c.Score, MulDiv(c.Score, 2, 3)));
            }
        }
        credits.Add(new Credit(deal.PoolOwner, pot - paid, CreditKind.SchedulerReward));
        return new Settlement(releases, credits, scores);
    }

    /// <summary>
    /// A task that missed its final deadline: the requester gets its lock back, the pool owner's
    /// stake is seized (to the kitty, as in iExec), contributors get their stakes back, and no
    /// score changes.
    /// </summary>
    public static Settlement Fail(DealTerms deal, IReadOnlyList<SettledContribution> contributions) =>
        Refund(deal, contributions, new Credit(Address.Zero, deal.PoolStake, CreditKind.Kitty));

    /// <summary>
    /// A task its pool's workers agreed cannot run (failure reports reaching the deal's trust): the requester
    /// gets its lock back, the pool owner its stake (not seized: the pool did what it could, and a broken app
    /// is not its fault), every contributor and reporter its stake, and no score changes.
    /// </summary>
    public static Settlement CannotRun(DealTerms deal, IReadOnlyList<SettledContribution> contributions) =>
        Refund(deal, contributions, new Credit(deal.PoolOwner, deal.PoolStake, CreditKind.StakeReturn));

    /// <summary>Every lock of the task released: the requester refunded, the workers' stakes returned, the pool stake as <paramref name="poolStake"/> says.</summary>
    private static Settlement Refund(DealTerms deal, IReadOnlyList<SettledContribution> contributions, Credit poolStake)
    {
        var releases = new List<Release>(contributions.Count + 2) { new(deal.Requester, deal.RequesterLock), new(deal.PoolOwner, deal.PoolStake) };
        var credits = new List<Credit>(contributions.Count + 2) { new(deal.Requester, deal.RequesterLock, CreditKind.Refund), poolStake };
        foreach (var c in contributions)
        {
            releases.Add(new Release(c.Worker, deal.WorkerStake));
            credits.Add(new Credit(c.Worker, deal.WorkerStake, CreditKind.StakeReturn));
        }
        return new Settlement(releases, credits, []);
    }

    /// <summary>floor(value × numerator / denominator) without intermediate overflow.</summary>
    public static ulong MulDiv(ulong value, ulong numerator, ulong denominator) =>
        checked((ulong)((UInt128)value * numerator / denominator));
}
