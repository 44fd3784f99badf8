using System.Globalization;
using IExecChain.Core.Wire;

namespace IExecChain.State.TxPool;

/// <summary>Settings of admission control (docs/rpc.md "Admission under load").</summary>
public sealed class AdmissionOptions
{
    /// <summary>How long an admitted transaction may expect to wait in the pool: pending ≤ capacity × this.</summary>
    public int TargetQueueMs { get; set; } = 1_000;

    /// <summary>Pending transactions always admitted whatever the measured capacity, so an idle node takes a burst.</summary>
    public int MinBudget { get; set; } = 2_000;

    /// <summary>Committed transactions per second are counted over this window.</summary>
    public int RateWindowMs { get; set; } = 3_000;

    /// <summary>Once the load falls the capacity the chain showed is forgotten slowly, halving in this time.</summary>
    public int CapacityHalfLifeMs { get; set; } = 30_000;

    /// <summary>Protocol duties (contributions, reveals, challenges, governance, anchor receipts) may go this far above the budget, in percent.</summary>
    public int DutyReservePercent { get; set; } = 50;

    /// <summary>A sender may hold at most this share of the budget (1/N) while the pool is over half full; never less than <see cref="MinSenderLimit"/>.</summary>
    public int SenderShareDivisor { get; set; } = 16;

    public int MinSenderLimit { get; set; } = 64;

    /// <summary>The shortest wait a refusal suggests (the devnet sets the chain's block interval).</summary>
    public int MinRetryAfterMs { get; set; } = 200;

    public const int MaxRetryAfterMs = 10_000;

    /// <summary>What is wrong with these settings, one message per field (empty when they are usable).</summary>
    public List<string> Validate()
    {
        var errors = new List<string>();
        if (TargetQueueMs < 1) errors.Add($"admission targetQueueMs {TargetQueueMs}: must be positive");
        if (MinBudget < 1) errors.Add($"admission minBudget {MinBudget}: must be positive");
        if (RateWindowMs < 100) errors.Add($"admission rateWindowMs {RateWindowMs}: must be at least 100");
        if (CapacityHalfLifeMs < 1) errors.Add($"admission capacityHalfLifeMs {CapacityHalfLifeMs}: must be positive");
        if (DutyReservePercent < 0) errors.Add($"admission dutyReservePercent {DutyReservePercent}: must not be negative");
        if (SenderShareDivisor < 1) errors.Add($"admission senderShareDivisor {SenderShareDivisor}: must be positive");
        if (MinSenderLimit < 1) errors.Add($"admission minSenderLimit {MinSenderLimit}: must be positive");
        if (MinRetryAfterMs is < 1 or > MaxRetryAfterMs) errors.Add($"admission minRetryAfterMs {MinRetryAfterMs}: must be from 1 to {MaxRetryAfterMs}");
        return errors;
    }
}

/// <summary>
/// The answer of <see cref="AdmissionControl.Check"/>: admitted (with the most transactions its sender may
/// hold pending, <see cref="int.MaxValue"/> when the pool is not busy), or refused with the reason and a wait.
/// </summary>
public readonly record struct Admission(bool Admitted, int SenderLimit, string? Refusal, int RetryAfterMs);

/// <summary>
/// Refuses transactions submitted to this node beyond what the chain can commit soon, so that those it
/// admits are final quickly whatever the offered load. The budget of pending transactions is the
/// committed rate the chain has shown (counted over a few seconds, remembered with a half-life once the
/// load falls) times a target wait; an idle node always takes <see cref="AdmissionOptions.MinBudget"/>.
/// Refusals carry a retry hint: the time the chain needs to commit half the budget's excess.
/// Only submissions are checked: a transaction gossiped by a peer was admitted there.
/// </summary>
public sealed class AdmissionControl
{
    private readonly AdmissionOptions _options;
    private readonly Func<int> _pending;
    private readonly Func<long> _clockMs;
    private readonly object _lock = new();
    private readonly Queue<(long AtMs, int Transactions)> _commits = new();
    private long _inWindow;
    private double _capacity;
    private long _capacityAtMs;
    private long _refusedBusy, _refusedSender;

    public AdmissionControl(AdmissionOptions options, Func<int> pending, Func<long>? clockMs = null)
    {
        _options = options;
        _pending = pending;
        _clockMs = clockMs ?? (() => Environment.TickCount64);
        _capacityAtMs = _clockMs();
    }

    /// <summary>Transactions per second the chain has shown it commits (decaying once the load falls).</summary>
    public double Capacity
    {
        get { lock (_lock) return Decayed(_clockMs()); }
    }

    /// <summary>Pending transactions admitted: capacity × target wait, at least the minimum.</summary>
    public int Budget => BudgetFor(Capacity);

    public long RefusedBusy => Interlocked.Read(ref _refusedBusy);
    public long RefusedSender => Interlocked.Read(ref _refusedSender);

    /// <summary>Counts a committed block's transactions into the rate; the capacity is the highest rate seen, decaying.</summary>
    public void OnBlockCommitted(int transactions)
    {
        long now = _clockMs();
        lock (_lock)
        {
            _commits.Enqueue((now, transactions));
            _inWindow += transactions;
            while (_commits.Count > 1 && now - _commits.Peek().AtMs > _options.RateWindowMs) _inWindow -= _commits.Dequeue().Transactions;
            // Transactions committed after the oldest block kept, over the time since it: the rate of the window.
            var (oldestAt, oldestCount) = _commits.Peek();
            long span = now - oldestAt;
            double rate = span < _options.RateWindowMs / 4 ? 0 : (_inWindow - oldestCount) * 1000.0 / span;
            _capacity = Math.Max(rate, Decayed(now));
            _capacityAtMs = now;
        }
    }

    /// <summary>Whether a submitted transaction of this kind may enter the pool now.</summary>
    public Admission Check(TransactionBody.PayloadOneofCase kind)
    {
        double capacity = Capacity;
        int budget = BudgetFor(capacity);
        int pending = _pending();
        if (IsDuty(kind))
        {
            long dutyLimit = budget + (long)budget * _options.DutyReservePercent / 100;
            if (pending < dutyLimit) return new Admission(true, int.MaxValue, null, 0);
        }
        else if (pending < budget)
        {
            int senderLimit = pending * 2 < budget ? int.MaxValue : Math.Max(_options.MinSenderLimit, budget / _options.SenderShareDivisor);
            return new Admission(true, senderLimit, null, 0);
        }
        Interlocked.Increment(ref _refusedBusy);
        int retry = RetryAfterMs(pending, budget, capacity);
        return new Admission(false, 0, string.Create(CultureInfo.InvariantCulture,
            $"node is busy: {pending} transactions pending, over its admission budget of {budget} ({capacity:F0} tx/s committed × {_options.TargetQueueMs} ms); retry in {retry} ms"), retry);
    }

    /// <summary>Counts a sender refused for holding its share of a busy pool; the wait to suggest to it.</summary>
    public int SenderRefused()
    {
        Interlocked.Increment(ref _refusedSender);
        double capacity = Capacity;
        // Its transactions go at the chain's pace with everyone else's: the time to commit the pool down to half the budget.
        return RetryAfterMs(_pending(), BudgetFor(capacity), capacity);
    }

    private int RetryAfterMs(int pending, int budget, double capacity)
    {
        if (capacity < 1) return Math.Max(_options.MinRetryAfterMs, 1000);
        double ms = (pending - budget / 2.0) * 1000.0 / capacity;
        return (int)Math.Clamp(Math.Ceiling(ms), _options.MinRetryAfterMs, AdmissionOptions.MaxRetryAfterMs);
    }

    private int BudgetFor(double capacity) => (int)Math.Clamp(capacity * _options.TargetQueueMs / 1000.0, _options.MinBudget, int.MaxValue / 2);

    private double Decayed(long now) => _capacity * Math.Pow(0.5, Math.Max(0, now - _capacityAtMs) / (double)_options.CapacityHalfLifeMs);

    /// <summary>
    /// Transactions the protocol needs from workers, validators and relayers to make progress; their number is
    /// bounded by assignments, the validator set and checkpoints, so they keep a reserve above the budget.
    /// </summary>
    public static bool IsDuty(TransactionBody.PayloadOneofCase kind) => kind is TransactionBody.PayloadOneofCase.Contribute
        or TransactionBody.PayloadOneofCase.Reveal or TransactionBody.PayloadOneofCase.ReportFailure or TransactionBody.PayloadOneofCase.Challenge
        or TransactionBody.PayloadOneofCase.Propose or TransactionBody.PayloadOneofCase.Vote
        or TransactionBody.PayloadOneofCase.AnchorReceipt or TransactionBody.PayloadOneofCase.AttestDeposits;
}
