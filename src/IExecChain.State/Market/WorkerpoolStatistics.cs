using IExecChain.Core.Primitives;

namespace IExecChain.State.Market;

/// <summary>
/// What the chain knows of a workerpool's track record: SLA counters (tasks completed and failed)
/// and the mean score of its workers. Held in the state; the matchmaker reads it through
/// <see cref="IWorkerpoolStatistics"/>.
/// </summary>
public readonly record struct WorkerpoolStats(ulong TasksCompleted, ulong TasksFailed, ulong MeanWorkerScore)
{
    /// <summary>The scale of every ranking criterion: criteria are integers in 0..Scale.</summary>
    public const long Scale = 1_000_000;

    /// <summary>(completed + 1) × Scale / (completed + failed + 2): Laplace's rule, so a new pool starts at one half.</summary>
    public long Reliability => (long)((UInt128)(TasksCompleted + 1UL) * Scale / ((UInt128)TasksCompleted + TasksFailed + 2));

    /// <summary>Scale − Scale / w with w the credibility weight of a worker of the mean score: one half for fresh workers, towards Scale as scores grow.</summary>
    public long Trust => Scale - Scale / (long)Math.Min(Credibility.Weight(MeanWorkerScore), (ulong)Scale);
}

public interface IWorkerpoolStatistics
{
    WorkerpoolStats Get(Address workerpool);
}

/// <summary>Statistics held in memory (tests, benchmarks, simulations; the state machine supplies its own).</summary>
public sealed class InMemoryWorkerpoolStatistics : IWorkerpoolStatistics
{
    private readonly Dictionary<Address, WorkerpoolStats> _stats = [];

    public WorkerpoolStats Get(Address workerpool) => _stats.TryGetValue(workerpool, out var s) ? s : default;

    public void Set(Address workerpool, WorkerpoolStats stats) => _stats[workerpool] = stats;
}
