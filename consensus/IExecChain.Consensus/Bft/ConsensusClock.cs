using System.Diagnostics;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// The driver's only source of time. Timers, ticks and throttles read <see cref="MonotonicMs"/>;
/// block and vote times read <see cref="UnixMs"/>. A test hands every driver of a simulated network
/// one virtual clock and steps it, so sync, WAL replay and late votes run deterministically in one
/// process instead of as slow multi-process tests.
/// </summary>
public interface IConsensusClock
{
    /// <summary>Milliseconds on a clock that never goes back (its origin means nothing).</summary>
    long MonotonicMs { get; }

    /// <summary>Wall-clock time, Unix milliseconds: what a block header and a vote carry.</summary>
    ulong UnixMs { get; }
}

/// <summary>The machine's clocks: a <see cref="Stopwatch"/> started with the clock, and UTC now.</summary>
public sealed class SystemConsensusClock : IConsensusClock
{
    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();

    public long MonotonicMs => _stopwatch.ElapsedMilliseconds;

    public ulong UnixMs => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
