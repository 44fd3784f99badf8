using Microsoft.Extensions.Logging;

namespace IExecChain.Rpc;

/// <summary>
/// The one way the RPC server logs what clients get wrong: a summary line per kind per minute
/// (<see cref="LogThrottle{TKind}"/>), never a stack trace for a client's mistake. Shared by the
/// dispatcher and the transports, so every connection of one attacker counts against one budget.
/// </summary>
public sealed class ClientErrorLog
{
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromMinutes(1);

    private readonly ILogger _logger;
    private readonly LogThrottle<ClientErrorKind> _throttle;
    private long _total;

    public ClientErrorLog(ILogger logger, TimeProvider? time = null, TimeSpan? period = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _throttle = new LogThrottle<ClientErrorKind>(time ?? TimeProvider.System, period ?? DefaultPeriod);
    }

    /// <summary>Client errors seen since start, logged or not.</summary>
    public long Total => Interlocked.Read(ref _total);

    public void Report(ClientErrorKind kind, string detail)
    {
        Interlocked.Increment(ref _total);
        if (!_logger.IsEnabled(LogLevel.Warning) || !_throttle.ShouldLog(kind, out long suppressed)) return;
        _logger.ClientError(kind, detail, suppressed, _throttle.Period);
    }

    /// <summary>
    /// A method threw something other than an <see cref="RpcException"/>: a bug, but one a client
    /// may trigger on purpose, so it is throttled like a client error. The first of each period
    /// keeps its stack trace, which is what finding the bug needs.
    /// </summary>
    public void ReportHandlerFailure(string method, Exception exception)
    {
        Interlocked.Increment(ref _total);
        if (!_throttle.ShouldLog(ClientErrorKind.HandlerFailed, out long suppressed)) return;
        _logger.HandlerFailed(method, suppressed, _throttle.Period, exception);
    }
}
