using System.Globalization;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// Progress of block sync catch-up, for the node's log: blocks done of the target, the rate over the
/// catch-up so far and the time left at that rate. A line is due at most every
/// <see cref="IntervalMs"/> and only while the node is at least <see cref="MinimumGap"/> blocks behind,
/// so a node that merely follows the chain a block late never logs it. Driven by the consensus thread.
/// </summary>
public sealed class CatchUpProgress(long intervalMs = CatchUpProgress.IntervalMs)
{
    public const long IntervalMs = 5_000;
    public const ulong MinimumGap = 64;

    private long _startMs = -1, _lastMs;
    private ulong _startHeight;

    /// <summary>
    /// Records that the head is at <paramref name="head"/> with peers at <paramref name="target"/>;
    /// returns the line to log now, or null. Call after each synced block.
    /// </summary>
    public string? Report(ulong head, ulong target, long nowMs)
    {
        if (_startMs < 0)
        {
            if (target < head + MinimumGap) return null;
            (_startMs, _lastMs, _startHeight) = (nowMs, nowMs, head);
            return $"catching up: block {head} of {target}, {target - head} behind";
        }
        if (head >= target)
        {
            var line = $"caught up at block {head}: {head - _startHeight} blocks in {Seconds(nowMs - _startMs)}";
            _startMs = -1;
            return line;
        }
        if (nowMs - _lastMs < intervalMs) return null;
        _lastMs = nowMs;
        double rate = (head - _startHeight) / Math.Max((nowMs - _startMs) / 1000.0, 0.001);
        string eta = rate > 0 ? $", about {Seconds((long)((target - head) / rate * 1000))} left" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"catching up: block {head} of {target} ({100.0 * head / target:0.0}%), {rate:0.0} blocks/s{eta}");
    }

    private static string Seconds(long ms) =>
        ms >= 120_000 ? string.Create(CultureInfo.InvariantCulture, $"{ms / 60_000.0:0.0} min") : string.Create(CultureInfo.InvariantCulture, $"{ms / 1000.0:0.0} s");
}
