namespace IExecChain.Network;

/// <summary>
/// Rate-limits log lines caused by input nobody authenticated (random datagrams, failed handshakes,
/// LiteNetLib's complaints about bad packets): per kind, the first line of each period is written,
/// the rest are only counted, and <see cref="Flush"/> reports the count once the period is over.
/// So an attacker gets at most two lines per kind per period into the log, however fast it sends.
/// <para>
/// Kinds are fixed strings chosen by the caller (never attacker text); their number is capped, and
/// anything past the cap shares one kind, so the table cannot grow without bound either. Thread-safe:
/// LiteNetLib logs from its receive and logic threads, the host from its network thread.
/// </para>
/// </summary>
internal sealed class LogThrottle(long periodMs, Func<long> clockMs)
{
    /// <summary>The kind every kind past <see cref="MaxKinds"/> is counted under.</summary>
    public const string OverflowKind = "other";
    public const int MaxKinds = 64;

    private readonly Dictionary<string, Window> _windows = [];
    private readonly Lock _lock = new();

    public long PeriodMs => periodMs;

    /// <summary>
    /// True if a line of <paramref name="kind"/> may be written now; false if it is counted as
    /// suppressed. <paramref name="kindCounted"/> is the kind it was counted under.
    /// </summary>
    public bool TryWrite(string kind, out string kindCounted)
    {
        long now = clockMs();
        lock (_lock)
        {
            if (!_windows.TryGetValue(kind, out var window))
            {
                if (_windows.Count >= MaxKinds)
                {
                    kind = OverflowKind;
                    _windows.TryGetValue(kind, out window);
                }
                if (window is null)
                {
                    _windows[kind] = new Window { StartMs = now };
                    kindCounted = kind;
                    return true;
                }
            }
            kindCounted = kind;
            if (now - window.StartMs >= periodMs && window.Suppressed == 0)
            {
                window.StartMs = now;
                return true;
            }
            window.Suppressed++;
            return false;
        }
    }

    /// <summary>
    /// Kinds whose period ended with lines suppressed, and how many; their windows restart empty.
    /// Call it regularly (the host does, from its housekeeping) and write one summary line for each.
    /// </summary>
    public List<(string Kind, long Suppressed)>? Flush()
    {
        long now = clockMs();
        List<(string, long)>? due = null;
        lock (_lock)
        {
            foreach (var (kind, window) in _windows)
            {
                if (window.Suppressed == 0 || now - window.StartMs < periodMs) continue;
                (due ??= []).Add((kind, window.Suppressed));
                window.Suppressed = 0;
                window.StartMs = now;
            }
        }
        return due;
    }

    private sealed class Window
    {
        public long StartMs;
        public long Suppressed;
    }
}
