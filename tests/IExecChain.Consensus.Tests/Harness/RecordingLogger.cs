using IExecChain.Consensus.Bft;
using Microsoft.Extensions.Logging;

namespace IExecChain.Consensus.Tests.Harness;

/// <summary>
/// Keeps what a driver logs at <see cref="LogLevel.Error"/> and above: on an honest network there
/// must be none (an unprovable equivocation report, say, is logged as an error and counted nowhere else).
/// </summary>
public sealed class RecordingLogger(List<string> errors, int node) : ILogger<BftDriver>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel)) errors.Add($"node {node}: {formatter(state, exception)}");
    }
}
