using System.Diagnostics;

namespace IExecChain.Node.Snapshots;

/// <summary>
/// Holds a background snapshot writer to a share of one core, so it leaves the block path its CPU
/// (docs/state-sync.md "Taking snapshots while running"): after every <see cref="Every"/> entries it
/// sleeps for the time it has just worked × (1 − share) / share. At share 1 it never sleeps.
/// </summary>
public sealed class SnapshotPacer
{
    /// <summary>Entries between pauses: about 8 ms of work at the writer's full speed, so a pause never holds the iterator long.</summary>
    public const int Every = 8_192;

    private readonly double _share;
    private readonly Func<long> _timestamp;
    private readonly Action<TimeSpan, CancellationToken> _sleep;

    /// <param name="share">The writer's share of one core while it runs, in (0, 1].</param>
    public SnapshotPacer(double share) : this(share, Stopwatch.GetTimestamp, SleepOrCancel) { }

    /// <param name="timestamp">Clock in <see cref="Stopwatch"/> ticks (tests pass their own).</param>
    /// <param name="sleep">Waits the given time unless cancelled (tests pass their own).</param>
    public SnapshotPacer(double share, Func<long> timestamp, Action<TimeSpan, CancellationToken> sleep)
    {
        if (!(share > 0 && share <= 1)) throw new ArgumentOutOfRangeException(nameof(share), share, "the writer's share of a core must be in (0, 1]");
        _share = share;
        _timestamp = timestamp;
        _sleep = sleep;
    }

    /// <summary>Total time slept by <see cref="Pace{T}"/> enumerations of this pacer.</summary>
    public TimeSpan Slept { get; private set; }

    /// <summary>The items, with a pause after every <see cref="Every"/> of them in proportion to the time spent since the last pause.</summary>
    public IEnumerable<T> Pace<T>(IEnumerable<T> items, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (_share >= 1) return items;
        return Paced();

        IEnumerable<T> Paced()
        {
            int count = 0;
            long resumed = _timestamp();
            foreach (var item in items)
            {
                yield return item;
                if (++count % Every != 0) continue;
                long worked = _timestamp() - resumed;
                var pause = TimeSpan.FromTicks((long)(worked * (1 - _share) / _share * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
                if (pause > TimeSpan.Zero)
                {
                    _sleep(pause, ct);
                    Slept += pause;
                }
                resumed = _timestamp();
            }
        }
    }

    /// <summary>The default pause: returns early when <paramref name="ct"/> is cancelled, so a stopping node does not wait it out.</summary>
    public static void SleepOrCancel(TimeSpan pause, CancellationToken ct) => ct.WaitHandle.WaitOne(pause);
}
