using Microsoft.Extensions.Logging;

namespace IExecChain.Rpc.Tests.Hostile;

/// <summary>Keeps every line logged through it, with its exception.</summary>
internal sealed class CapturingLogger : ILogger, ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly List<(LogLevel Level, string Text, Exception? Exception)> _lines = [];

    public IReadOnlyList<(LogLevel Level, string Text, Exception? Exception)> Lines
    {
        get { lock (_lock) return [.. _lines]; }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock) _lines.Add((logLevel, formatter(state, exception), exception));
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }
}

/// <summary>A clock that moves only when told.</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
