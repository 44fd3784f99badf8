namespace IExecChain.Rpc;

/// <summary>
/// At most one log line per kind per period for events a remote party can cause at will (bad
/// JSON, bad ids, refused hosts): the first event of a period is logged with the number of
/// events of its kind left unlogged since the previous line; the others are only counted.
/// </summary>
/// <remarks>
/// No timer: the count of a quiet period is reported by the next line of its kind. Before this,
/// each malformed request could write a line and a stack trace, so anyone who could reach the
/// port decided the size of the log.
/// </remarks>
public sealed class LogThrottle<TKind>
    where TKind : struct, Enum
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<TKind, (long LastLogged, long Suppressed)> _kinds = [];

    public LogThrottle(TimeProvider time, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (period <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(period), period, "must be positive");
        _time = time;
        Period = period;
    }

    public TimeSpan Period { get; }

    /// <summary>Counts one event; true when it should be logged, with the events not logged since the last line.</summary>
    public bool ShouldLog(TKind kind, out long suppressed)
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_kinds.TryGetValue(kind, out var state) && _time.GetElapsedTime(state.LastLogged, now) < Period)
            {
                _kinds[kind] = (state.LastLogged, state.Suppressed + 1);
                suppressed = 0;
                return false;
            }
            suppressed = state.Suppressed;
            _kinds[kind] = (now, 0);
            return true;
        }
    }
}

/// <summary>What a client did wrong, for <see cref="LogThrottle{TKind}"/>.</summary>
public enum ClientErrorKind
{
    ParseError,
    InvalidRequest,
    BatchTooLarge,
    RequestTooLarge,
    ResponseTooLarge,
    HostRefused,
    WebSocketRefused,
    ServerBusy,
    SlowWebSocketClient,
    HandlerFailed,
}
