namespace IExecChain.Network;

/// <summary>
/// A token bucket refilled lazily from a millisecond clock: <see cref="Rate"/> tokens per second,
/// at most <see cref="Capacity"/> saved up. Not thread-safe; each peer's buckets are used only on
/// the network thread.
/// </summary>
internal sealed class TokenBucket
{
    private double _tokens;
    private long _lastRefillMs;

    public TokenBucket(double ratePerSecond, double capacity, long nowMs)
    {
        Rate = ratePerSecond;
        Capacity = capacity;
        _tokens = capacity;
        _lastRefillMs = nowMs;
    }

    public double Rate { get; }
    public double Capacity { get; }

    /// <summary>Takes <paramref name="amount"/> tokens if there are that many; otherwise takes none.</summary>
    public bool TryTake(double amount, long nowMs)
    {
        long elapsed = nowMs - _lastRefillMs;
        if (elapsed > 0)
        {
            _tokens = Math.Min(Capacity, _tokens + elapsed * Rate / 1000.0);
            _lastRefillMs = nowMs;
        }
        if (_tokens < amount) return false;
        _tokens -= amount;
        return true;
    }
}
