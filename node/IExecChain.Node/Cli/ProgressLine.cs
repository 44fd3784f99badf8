using System.Diagnostics;
using System.Globalization;

namespace IExecChain.Node.Cli;

/// <summary>
/// A progress display on stderr for long CLI work: done of total, percent, rate and time left at that
/// rate. On a terminal one line is rewritten in place (at most 5 times a second); redirected, a line is
/// written every few seconds, so logs stay short. The last report (done = total) ends the line.
/// </summary>
public sealed class ProgressLine(string label, long total, Func<double, string> format, TimeProvider? time = null) : IProgress<long>
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly long _start = (time ?? TimeProvider.System).GetTimestamp();
    private TimeSpan? _lastPrinted;
    private bool _done;

    /// <summary>Formats a quantity of bytes as MiB.</summary>
    public static string Bytes(double bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

    /// <summary>Formats a count of items.</summary>
    public static Func<double, string> Items(string unit) => n => n.ToString("0", CultureInfo.InvariantCulture) + " " + unit;

    /// <summary>Where the lines go; stderr unless a test says otherwise.</summary>
    public TextWriter Output { get; init; } = Console.Error;

    /// <summary>Whether the output is a terminal (rewrite in place) or a log (one line every few seconds).</summary>
    public bool Terminal { get; init; } = !Console.IsErrorRedirected;

    public void Report(long done)
    {
        if (_done) return;
        var elapsed = _time.GetElapsedTime(_start);
        bool finished = _done = done >= total;
        if (!finished && _lastPrinted is { } last && elapsed - last < (Terminal ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(5))) return;
        _lastPrinted = elapsed;
        Output.Write(Terminal ? "\r" + Line(done, elapsed).PadRight(100) + (finished ? "\n" : "") : Line(done, elapsed) + "\n");
    }

    /// <summary>The text of one report.</summary>
    public string Line(long done, TimeSpan elapsed)
    {
        double rate = done / Math.Max(elapsed.TotalSeconds, 0.001);
        string tail = done >= total ? $"done in {elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s"
            : rate > 0 ? $"about {((total - done) / rate).ToString("0", CultureInfo.InvariantCulture)} s left" : "";
        string percent = (100.0 * done / Math.Max(1, total)).ToString("0", CultureInfo.InvariantCulture);
        return $"{label}: {format(done)} of {format(total)} ({percent}%), {format(rate)}/s, {tail}";
    }
}
