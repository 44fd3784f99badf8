namespace IExecChain.State.Merkle;

public sealed class StateTreeOptions
{
    /// <summary>
    /// Internal nodes kept in memory. A tree of n keys has about 1.45 n internal nodes; about 200 bytes
    /// each in the cache. Nodes near the root are hit by every update and always stay.
    /// </summary>
    public int NodeCacheCapacity { get; init; } = 2_000_000;

    /// <summary>Bytes of committed values kept in memory for <see cref="StateTree.Get"/>.</summary>
    public long ValueCacheBytes { get; init; } = 64L << 20;

    /// <summary>Change sets at least this large hash leaves and the two top subtrees in parallel.</summary>
    public int ParallelThreshold { get; init; } = 512;
}
