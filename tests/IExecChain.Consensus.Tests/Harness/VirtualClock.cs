using IExecChain.Consensus.Bft;

namespace IExecChain.Consensus.Tests.Harness;

/// <summary>One clock for every driver of a harness network; only the harness moves it.</summary>
public sealed class VirtualClock(ulong unixOrigin) : IConsensusClock
{
    public long MonotonicMs { get; private set; }

    public ulong UnixMs => unixOrigin + (ulong)MonotonicMs;

    public void AdvanceTo(long ms)
    {
        if (ms > MonotonicMs) MonotonicMs = ms;
    }
}
