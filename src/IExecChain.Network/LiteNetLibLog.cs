using LiteNetLib;
using Microsoft.Extensions.Logging;

namespace IExecChain.Network;

/// <summary>
/// Routes LiteNetLib's own logging (<see cref="NetDebug.Logger"/>, which otherwise writes to the
/// console) into Microsoft.Extensions.Logging, throttled per kind. LiteNetLib writes a line for every
/// datagram it cannot parse ("[NM] DataReceived: bad!") and a stack trace for every exception its
/// receive or logic thread catches: 200,000 random datagrams once wrote 82,425 lines. Those threads
/// catch the exceptions themselves; what escaped was only the text.
/// <para>
/// <see cref="NetDebug.Logger"/> is one static for the whole process, so the lines of every
/// <see cref="NetManager"/> go to the logger of the first attached host that is still running (a node
/// has one host; a test process may have several, and one copy of each line is enough).
/// </para>
/// </summary>
internal sealed class LiteNetLibLog : INetLogger
{
    private const int MaxKindLength = 48;
    private static readonly LiteNetLibLog Instance = new();
    private static readonly Lock AttachLock = new();
    private readonly List<ILogger> _loggers = [];
    private readonly LogThrottle _throttle = new(NetworkOptions.LogSummaryPeriodMs, static () => Environment.TickCount64);

    private LiteNetLibLog()
    {
    }

    /// <summary>Starts routing LiteNetLib's lines to <paramref name="logger"/> (if no earlier host still runs).</summary>
    public static void Attach(ILogger logger)
    {
        lock (AttachLock)
        {
            Instance._loggers.Add(logger);
            NetDebug.Logger = Instance;
        }
    }

    public static void Detach(ILogger logger)
    {
        lock (AttachLock) Instance._loggers.Remove(logger);
    }

    /// <summary>Writes the summaries of suppressed lines whose period is over (called from host housekeeping).</summary>
    public static void Flush()
    {
        var due = Instance._throttle.Flush();
        if (due is null) return;
        var logger = Instance.Current;
        if (logger is null) return;
        foreach (var (kind, suppressed) in due)
            NetworkLog.LiteNetLibSuppressed(logger, suppressed, kind, Instance._throttle.PeriodMs / 1000);
    }

    public void WriteNet(NetLogLevel level, string str, params object[] args)
    {
        var logger = Current;
        if (logger is null) return;
        string text = Format(str, args);
        if (!_throttle.TryWrite(KindOf(text), out _)) return;
        NetworkLog.LiteNetLib(logger, LevelOf(level), text);
    }

    // Runs on LiteNetLib's receive and logic threads, which must never see an exception from us.
    private static string Format(string str, object[] args)
    {
        if (args is not { Length: > 0 }) return str;
        try
        {
            return string.Format(System.Globalization.CultureInfo.InvariantCulture, str, args);
        }
        catch (FormatException)
        {
            return str;
        }
    }

    private ILogger? Current
    {
        get
        {
            lock (AttachLock) return _loggers.Count > 0 ? _loggers[0] : null;
        }
    }

    /// <summary>
    /// The fixed part of a LiteNetLib message: its text up to the first colon ("[NM] DataReceived",
    /// "[NM] SocketReceiveThread error"), so the variable tail (an exception, a packet type) does not make
    /// every line a kind of its own.
    /// </summary>
    internal static string KindOf(string text)
    {
        int colon = text.IndexOf(':');
        int end = Math.Min(colon < 0 ? text.Length : colon, MaxKindLength);
        return text[..end];
    }

    // LiteNetLib's "errors" are about packets from outside, not faults of this node.
    private static LogLevel LevelOf(NetLogLevel level) => level switch
    {
        NetLogLevel.Error or NetLogLevel.Warning => LogLevel.Warning,
        NetLogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };
}
