using IExecChain.Fuzzing.Targets;

namespace IExecChain.Fuzzing;

/// <summary>Every fuzz target, by name.</summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyList<FuzzTarget> All =
        [.. ChainTargets.All(), .. RpcTargets.All(), .. TextTargets.All(), .. EthereumTargets.All(), .. WorkerTargets.All(), .. SnapshotSyncTargets.All()];

    public static FuzzTarget? Find(string name)
    {
        foreach (var target in All)
            if (target.Name == name) return target;
        return null;
    }

    public static string Names => string.Join(", ", All.Select(t => t.Name));
}
