using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using IExecChain.Core.Primitives;

namespace IExecChain.State.Merkle;

/// <summary>
/// The hashing half of <see cref="StateTree.Prepare"/>: leaves of a block's changes and the planned
/// internal nodes, eight Keccak permutations at a time (<see cref="BatchKeccak"/>).
/// </summary>
internal static class PlanHasher
{
    /// <summary>Value hashes then leaf hashes of changes[from..to), eight at a time.</summary>
    [SkipLocalsInit]
    public static void HashLeaves(StateChange[] changes, int from, int to)
    {
        Span<ulong> lanes = stackalloc ulong[BatchKeccak.LaneBufferLength];
        Span<Hash256> hashes = stackalloc Hash256[BatchKeccak.Ways];
        Span<int> index = stackalloc int[BatchKeccak.Ways];
        int i = from;
        while (i < to)
        {
            // Up to eight present values that fit one Keccak block; longer ones are hashed alone.
            int n = 0;
            for (; i < to && n < BatchKeccak.Ways; i++)
            {
                var value = changes[i].Value;
                if (value is null) continue;
                if (value.Length > BatchKeccak.MaxMessageLength)
                {
                    changes[i].LeafHash = TreeHashes.Value(value);
                    index[n] = ~i;
                }
                else
                {
                    index[n] = i;
                }
                n++;
            }
            if (n == 0) break;
            int shortCount = 0;
            for (int j = 0; j < n; j++)
                if (index[j] >= 0) BatchKeccak.SetMessage(lanes, shortCount++, changes[index[j]].Value);
            BatchKeccak.Hash(lanes, shortCount, hashes);
            for (int j = 0, s = 0; j < n; j++)
            {
                int at = index[j] >= 0 ? index[j] : ~index[j];
                var valueHash = index[j] >= 0 ? hashes[s++] : changes[at].LeafHash;
                BatchKeccak.SetPreimage65(lanes, j, TreeHashes.LeafPrefix, changes[at].Key, valueHash);
            }
            BatchKeccak.Hash(lanes, n, hashes);
            for (int j = 0; j < n; j++) changes[index[j] >= 0 ? index[j] : ~index[j]].LeafHash = hashes[j];
        }
    }

    /// <summary>
    /// Hash pass: hashes every planned node, deepest level first (a level's nodes only depend on
    /// deeper ones), eight at a time, the two halves of a wide level on two threads.
    /// </summary>
    public static void HashPlan(Plan plan, Hash256[] hashes, bool parallel)
    {
        var nodes = CollectionsMarshal.AsSpan(plan.Nodes);
        if (nodes.Length == 0) return;

        // Counting sort of node indices by depth.
        int maxDepth = 0;
        foreach (ref readonly var node in nodes) maxDepth = Math.Max(maxDepth, node.Depth);
        var starts = new int[maxDepth + 2];
        foreach (ref readonly var node in nodes) starts[node.Depth + 1]++;
        for (int d = 1; d < starts.Length; d++) starts[d] += starts[d - 1];
        var order = ArrayPool<int>.Shared.Rent(nodes.Length);
        var fill = (int[])starts.Clone();
        for (int i = 0; i < nodes.Length; i++) order[fill[nodes[i].Depth]++] = i;

        for (int depth = maxDepth; depth >= 0; depth--)
        {
            int from = starts[depth], to = starts[depth + 1];
            int count = to - from;
            if (count == 0) continue;
            if (parallel && count >= 256)
            {
                // Split on a multiple of eight so no 8-way group is cut short.
                int mid = from + (count / 2 + 7) / 8 * 8;
                var nodeList = plan.Nodes;
                var other = Task.Run(() => HashLevel(CollectionsMarshal.AsSpan(nodeList), hashes, order, mid, to));
                HashLevel(nodes, hashes, order, from, mid);
                other.GetAwaiter().GetResult();
            }
            else
            {
                HashLevel(nodes, hashes, order, from, to);
            }
        }
        ArrayPool<int>.Shared.Return(order);
    }

    [SkipLocalsInit]
    private static void HashLevel(ReadOnlySpan<PlannedNode> nodes, Hash256[] hashes, int[] order, int from, int to)
    {
        Span<ulong> lanes = stackalloc ulong[BatchKeccak.LaneBufferLength];
        Span<Hash256> output = stackalloc Hash256[BatchKeccak.Ways];
        for (int i = from; i < to; i += BatchKeccak.Ways)
        {
            int n = Math.Min(BatchKeccak.Ways, to - i);
            for (int j = 0; j < n; j++)
            {
                ref readonly var node = ref nodes[order[i + j]];
                BatchKeccak.SetPreimage65(lanes, j, TreeHashes.InternalPrefix, node.Left.HashIn(hashes), node.Right.HashIn(hashes));
            }
            BatchKeccak.Hash(lanes, n, output);
            for (int j = 0; j < n; j++) hashes[order[i + j]] = output[j];
        }
    }
}
