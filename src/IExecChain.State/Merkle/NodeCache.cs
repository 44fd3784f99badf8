using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace IExecChain.State.Merkle;

/// <summary>
/// The in-memory internal nodes, bounded by count. Entries are plain structs (no object per node, no
/// reference inside an entry), so the GC never traces them however many there are. Each entry carries
/// the epoch it was last used in; when the count exceeds the capacity, the entries unused for longest
/// are dropped until a quarter of the capacity is free (nodes near the root, used by every batch,
/// always stay).
/// <para>
/// Not thread-safe for writers. <see cref="TryGet"/> only reads the table (it stamps the entry's epoch
/// in place, a benign race), so any number of threads may call it while nobody calls
/// <see cref="Set"/>/<see cref="Remove"/>: the tree's lock gives that guarantee.
/// </para>
/// </summary>
internal sealed class NodeCache(int capacity)
{
    private struct Entry
    {
        public InternalNode Node;
        public int LastUsed;
    }

    private readonly Dictionary<NodeKey, Entry> _entries = [];
    private int _epoch;

    public int Count => _entries.Count;

    /// <summary>Starts a new epoch (call once per batch).</summary>
    public void NextEpoch() => _epoch++;

    public bool TryGet(in NodeKey key, out InternalNode node)
    {
        ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
        if (Unsafe.IsNullRef(ref entry))
        {
            node = default;
            return false;
        }
        entry.LastUsed = _epoch;
        node = entry.Node;
        return true;
    }

    public void Set(in NodeKey key, in InternalNode node)
    {
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, key, out _);
        entry.Node = node;
        entry.LastUsed = _epoch;
        if (_entries.Count > capacity) Evict();
    }

    public void Remove(in NodeKey key) => _entries.Remove(key);

    private void Evict()
    {
        // Histogram of ages (epochs since last use), then drop the oldest until 3/4 of capacity remain.
        const int Buckets = 64;
        Span<int> byAge = stackalloc int[Buckets];
        byAge.Clear();
        foreach (var entry in _entries.Values) byAge[Math.Clamp(_epoch - entry.LastUsed, 0, Buckets - 1)]++;
        int target = Math.Max(1, capacity - capacity / 4);
        int kept = 0, maxAge = 0;
        while (maxAge < Buckets && kept + byAge[maxAge] <= target) kept += byAge[maxAge++];
        if (maxAge == 0)
        {
            // This epoch alone used more than the capacity: start over.
            _entries.Clear();
            return;
        }
        foreach (var (key, entry) in _entries)
            if (_epoch - entry.LastUsed >= maxAge) _entries.Remove(key);
    }
}
