using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using IExecChain.Core.Primitives;

namespace IExecChain.State.Merkle;

/// <summary>
/// The in-memory internal nodes, bounded by count: one open-addressing table (linear probing) of
/// plain structs, so a lookup is one probe into one array (no bucket array, no chain) and the GC never
/// traces the entries however many there are. A node's table key is its position packed into 64 bits,
/// so the slot of any position on a key's path can be computed, and prefetched, before its parent is
/// read (<see cref="Prefetch"/>). Nodes deeper than <see cref="MaxDepth"/> (two keys sharing a
/// 56-bit prefix: about never with hashed keys) are not cached; the tree reads them from the store.
/// <para>
/// Each entry carries the epoch it was last used in; when the count exceeds the capacity, the entries
/// unused for longest are dropped until a quarter of the capacity is free (nodes near the root, used
/// by every batch, always stay).
/// </para>
/// <para>
/// Not thread-safe for writers. <see cref="TryGet"/> only reads the table (it stamps the entry's epoch
/// in place, a benign race), so any number of threads may call it while nobody calls
/// <see cref="Set"/>/<see cref="Remove"/>: the tree's lock gives that guarantee.
/// </para>
/// </summary>
internal sealed class NodeCache
{
    /// <summary>Deepest cached position: the path bits and depth + 1 share one 64-bit word.</summary>
    public const int MaxDepth = 55;

    private const int MinimumSize = 1024;

    // 144 bytes: the position and bookkeeping in the first 16, then the children.
    private struct Entry
    {
        public ulong Code;
        public int LastUsed;
        public byte Kinds;
        public Hash256 LeftHash;
        public Hash256 RightHash;
        public Hash256 LeftKey;
        public Hash256 RightKey;
    }

    private readonly int _capacity;
    private Entry[] _entries;
    private int _shift;
    private int _epoch;

    public NodeCache(int capacity)
    {
        _capacity = Math.Max(1, capacity);
        _entries = new Entry[MinimumSize];
        _shift = 64 - 10;
    }

    public int Count { get; private set; }

    /// <summary>Starts a new epoch (call once per batch).</summary>
    public void NextEpoch() => _epoch++;

    /// <summary>Table key of the node at <paramref name="depth"/> on <paramref name="key"/>'s path, or 0 when too deep.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Code(in Hash256 key, int depth)
    {
        if ((uint)depth > MaxDepth) return 0;
        ulong word = Unsafe.As<Hash256, ulong>(ref Unsafe.AsRef(in key));
        ulong path = depth == 0 ? 0 : word & (ulong.MaxValue << (64 - depth));
        return path | (uint)(depth + 1);
    }

    /// <summary>Asks the CPU to start loading the slot where the node at this position would be.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(in Hash256 key, int depth)
    {
        if (!Sse.IsSupported) return;
        ulong code = Code(key, depth);
        if (code == 0) return;
        var entries = _entries;
        // A stale address (the table was replaced, or moved by the GC) only wastes the hint.
        byte* at = (byte*)Unsafe.AsPointer(ref entries[Home(code)]);
        Sse.Prefetch0(at);
        Sse.Prefetch0(at + 64);
        Sse.Prefetch0(at + 128);
    }

    public bool TryGet(in NodeKey position, out InternalNode node)
    {
        ulong code = position.CacheCode;
        if (code != 0)
        {
            var entries = _entries;
            int mask = entries.Length - 1;
            for (int i = Home(code); ; i = (i + 1) & mask)
            {
                ref var entry = ref entries[i];
                if (entry.Code == code)
                {
                    entry.LastUsed = _epoch;
                    node = ToNode(in entry);
                    return true;
                }
                if (entry.Code == 0) break;
            }
        }
        node = default;
        return false;
    }

    public void Set(in NodeKey position, in InternalNode node)
    {
        ulong code = position.CacheCode;
        if (code == 0) return;
        ref var entry = ref Find(_entries, code, out bool found);
        entry.Code = code;
        entry.LastUsed = _epoch;
        entry.Kinds = (byte)((byte)node.Left.Kind | ((byte)node.Right.Kind << 2));
        entry.LeftHash = node.Left.Hash;
        entry.RightHash = node.Right.Hash;
        entry.LeftKey = node.Left.LeafKey;
        entry.RightKey = node.Right.LeafKey;
        if (found) return;
        Count++;
        if (Count > _capacity) Evict();
        else if (Count > _entries.Length / 4 * 3) Resize(_entries.Length * 2);
    }

    public void Remove(in NodeKey position)
    {
        ulong code = position.CacheCode;
        if (code == 0) return;
        var entries = _entries;
        int mask = entries.Length - 1;
        int hole = Home(code);
        while (entries[hole].Code != code)
        {
            if (entries[hole].Code == 0) return;
            hole = (hole + 1) & mask;
        }
        // Backward-shift deletion: move later entries of the probe run into the hole when their home
        // slot allows it, so lookups never need tombstones.
        for (int next = (hole + 1) & mask; entries[next].Code != 0; next = (next + 1) & mask)
        {
            int home = Home(entries[next].Code);
            bool stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
            if (stays) continue;
            entries[hole] = entries[next];
            hole = next;
        }
        entries[hole] = default;
        Count--;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(ulong code) => (int)((code * 0x9E3779B97F4A7C15UL) >> _shift);

    private ref Entry Find(Entry[] entries, ulong code, out bool found)
    {
        int mask = entries.Length - 1;
        for (int i = Home(code); ; i = (i + 1) & mask)
        {
            ref var entry = ref entries[i];
            found = entry.Code == code;
            if (found || entry.Code == 0) return ref entry;
        }
    }

    private static InternalNode ToNode(in Entry entry) =>
        new(ToSlot((SlotKind)(entry.Kinds & 3), entry.LeftHash, entry.LeftKey),
            ToSlot((SlotKind)((entry.Kinds >> 2) & 3), entry.RightHash, entry.RightKey));

    private static Slot ToSlot(SlotKind kind, in Hash256 hash, in Hash256 leafKey) => kind switch
    {
        SlotKind.Leaf => Slot.Leaf(leafKey, hash),
        SlotKind.Internal => Slot.Internal(hash),
        _ => Slot.Empty,
    };

    private void Resize(int size)
    {
        var old = _entries;
        _entries = new Entry[size];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)size);
        foreach (ref readonly var entry in old.AsSpan())
            if (entry.Code != 0) Find(_entries, entry.Code, out _) = entry;
    }

    private void Evict()
    {
        // Histogram of ages (epochs since last use), then drop the oldest until 3/4 of capacity remain.
        const int Buckets = 64;
        Span<int> byAge = stackalloc int[Buckets];
        byAge.Clear();
        foreach (ref readonly var entry in _entries.AsSpan())
            if (entry.Code != 0) byAge[Math.Clamp(_epoch - entry.LastUsed, 0, Buckets - 1)]++;
        int target = Math.Max(1, _capacity - _capacity / 4);
        int kept = 0, maxAge = 0;
        while (maxAge < Buckets && kept + byAge[maxAge] <= target) kept += byAge[maxAge++];
        // maxAge == 0: this epoch alone used more than the capacity, so everything goes.
        var old = _entries;
        _entries = new Entry[old.Length];
        Count = 0;
        foreach (ref readonly var entry in old.AsSpan())
        {
            if (entry.Code == 0 || _epoch - entry.LastUsed >= maxAge) continue;
            Find(_entries, entry.Code, out _) = entry;
            Count++;
        }
    }
}
