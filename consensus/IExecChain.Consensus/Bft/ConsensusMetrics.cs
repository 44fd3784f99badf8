namespace IExecChain.Consensus.Bft;

/// <summary>Counters and gauges of the consensus driver, read by the node's /metrics endpoint.</summary>
public sealed class ConsensusMetrics
{
    private long _height, _round, _lastRounds, _blockIntervalMs, _lastTxs, _committedTxs, _committedBlocks;
    private long _rejectedMessages, _syncedBlocks, _equivocations, _roundsTotal;

    public long Height => Interlocked.Read(ref _height);
    public long Round => Interlocked.Read(ref _round);
    /// <summary>Rounds the last height needed (1 = decided in its first round).</summary>
    public long LastHeightRounds => Interlocked.Read(ref _lastRounds);
    public long RoundsTotal => Interlocked.Read(ref _roundsTotal);
    public long BlockIntervalMs => Interlocked.Read(ref _blockIntervalMs);
    public long LastBlockTransactions => Interlocked.Read(ref _lastTxs);
    public long CommittedTransactions => Interlocked.Read(ref _committedTxs);
    public long CommittedBlocks => Interlocked.Read(ref _committedBlocks);
    public long RejectedMessages => Interlocked.Read(ref _rejectedMessages);
    public long SyncedBlocks => Interlocked.Read(ref _syncedBlocks);
    public long EquivocationsSeen => Interlocked.Read(ref _equivocations);

    /// <summary>Seconds from local submission to commit of this node's own transactions.</summary>
    public LatencyHistogram Finality { get; } = new([0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10]);

    internal void SetPosition(ulong height, uint round)
    {
        Interlocked.Exchange(ref _height, (long)height);
        Interlocked.Exchange(ref _round, round);
    }

    internal void BlockCommitted(uint round, int txs, long intervalMs, bool synced)
    {
        Interlocked.Exchange(ref _lastRounds, round + 1);
        Interlocked.Add(ref _roundsTotal, round + 1);
        Interlocked.Exchange(ref _lastTxs, txs);
        Interlocked.Exchange(ref _blockIntervalMs, intervalMs);
        Interlocked.Add(ref _committedTxs, txs);
        Interlocked.Increment(ref _committedBlocks);
        if (synced) Interlocked.Increment(ref _syncedBlocks);
    }

    internal void Rejected() => Interlocked.Increment(ref _rejectedMessages);
    internal void Equivocation() => Interlocked.Increment(ref _equivocations);
}

/// <summary>A cumulative histogram with fixed upper bounds (Prometheus style); thread-safe.</summary>
public sealed class LatencyHistogram(double[] bounds)
{
    private readonly long[] _counts = new long[bounds.Length + 1];
    private long _count;
    private long _sumMicros;

    public IReadOnlyList<double> Bounds => bounds;
    public long Count => Interlocked.Read(ref _count);
    public double Sum => Interlocked.Read(ref _sumMicros) / 1e6;

    public void Observe(double seconds)
    {
        int i = 0;
        while (i < bounds.Length && seconds > bounds[i]) i++;
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sumMicros, (long)(seconds * 1e6));
    }

    /// <summary>Observations at or below each bound, cumulative, then the total (+Inf).</summary>
    public long[] Cumulative()
    {
        var result = new long[_counts.Length];
        long running = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            running += Interlocked.Read(ref _counts[i]);
            result[i] = running;
        }
        return result;
    }
}
