using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using IExecChain.Core.Primitives;
using IExecChain.Storage;

namespace IExecChain.State.Merkle;

/// <summary>
/// The authenticated state: a binary sparse Merkle tree over 256-bit keys with lone leaves lifted to
/// the top of their subtree (hash rules in <see cref="TreeHashes"/> and docs/state-tree.md).
/// Values live flat in <see cref="DbColumn.StateValues"/> (one read per <see cref="Get"/>); internal
/// nodes live in <see cref="DbColumn.StateNodes"/> under their position and are loaded lazily.
/// <para>
/// A block's changes go through <see cref="Prepare"/> (pure: computes the new root, touching each
/// affected node once) and <see cref="Commit"/> (adds the writes to the caller's batch). The caller
/// must write that batch before committing the next update: until then the tree keeps the last
/// commit's nodes and values pinned in memory so nothing it reads can be stale.
/// </para>
/// </summary>
public sealed class StateTree
{
    private static readonly byte[] RootKey = Encoding.ASCII.GetBytes("state-root");
    private static readonly byte[] RootSlotKey = Encoding.ASCII.GetBytes("state-root-slot");

    /// <summary>Positions prefetched down the path of a lone change (about the depth a subtree of one
    /// change has left in a tree of millions of keys).</summary>
    private const int PrefetchChain = 8;

    private readonly IKeyValueStore _store;
    private readonly StateTreeOptions _options;
    private readonly Lock _treeLock = new();
    private readonly NodeCache _nodes;
    private readonly GenerationalCache<Hash256, byte[]> _values;
    // The last commit's nodes until its batch is written: position -> index into that update's
    // NodeWrites, or -1 for a deleted position (an index, not a node copy: ~56 bytes per entry).
    private Dictionary<NodeKey, int> _pendingNodes = [];
    private StateUpdate? _pendingUpdate;
    private Dictionary<Hash256, byte[]?> _pendingValues = [];
    private Slot _root;
    // Scratch of the structure pass, reused by every Prepare (under _treeLock) so a batch does not
    // allocate (and page-fault in) tens of megabytes of fresh lists.
    private readonly Plan _plan = new();
    private readonly Plan _rightPlan = new();

    public StateTree(IKeyValueStore store) : this(store, new StateTreeOptions()) { }

    public StateTree(IKeyValueStore store, StateTreeOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options;
        _nodes = new NodeCache(options.NodeCacheCapacity);
        _values = new GenerationalCache<Hash256, byte[]>(options.ValueCacheBytes, static v => v.Length + 64);
        var rootHash = store.Get(DbColumn.Meta, RootKey);
        if (rootHash is null) return;
        if (rootHash.Length != Hash256.Size) throw new InvalidDataException("state-root is not 32 bytes");
        var hash = new Hash256(rootHash);
        _root = Slot.FromRootRecord(hash, hash.IsZero ? [] : store.Get(DbColumn.Meta, RootSlotKey) ?? []);
    }

    /// <summary>The committed root.</summary>
    public Hash256 Root
    {
        get
        {
            lock (_treeLock) return _root.Hash;
        }
    }

    /// <summary>The committed value of <paramref name="key"/>, or null.</summary>
    public byte[]? Get(Hash256 key)
    {
        var pending = Volatile.Read(ref _pendingValues);
        if (pending.TryGetValue(key, out var value)) return value;
        if (_values.TryGet(key, out value)) return value;
        Span<byte> keyBytes = stackalloc byte[32];
        key.CopyTo(keyBytes);
        value = _store.Get(DbColumn.StateValues, keyBytes);
        if (value is not null) _values.Set(key, value);
        return value;
    }

    /// <summary>
    /// Computes the root after <paramref name="changes"/> (null value = delete; for a key given twice
    /// the last entry wins) without touching the committed tree.
    /// </summary>
    public StateUpdate Prepare(IReadOnlyList<KeyValuePair<Hash256, byte[]?>> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var sorted = SortAndHash(changes);
        lock (_treeLock)
        {
            bool parallel = sorted.Length >= _options.ParallelThreshold;
            _nodes.NextEpoch();
            var plan = _plan;
            plan.Clear();
            _rightPlan.Clear();
            var planned = Update(_root, 0, sorted, 0, sorted.Length, plan, parallel ? _rightPlan : null);
            foreach (var (position, node) in plan.Loaded) _nodes.Set(position, node);

            var hashes = ArrayPool<Hash256>.Shared.Rent(Math.Max(1, plan.Nodes.Count));
            PlanHasher.HashPlan(plan, hashes, parallel);
            var (writes, leafKeys) = ToWrites(plan, hashes);
            var rootSlot = planned.Resolve(hashes);
            ArrayPool<Hash256>.Shared.Return(hashes);
            return new StateUpdate(this, _root, rootSlot, sorted, writes, leafKeys, [.. plan.Deletes]);
        }
    }

    /// <summary>The planned nodes with their children's hashes resolved, in the update's compact form.</summary>
    private static (NodeWrite[] Writes, Hash256[] LeafKeys) ToWrites(Plan plan, Hash256[] hashes)
    {
        var nodes = CollectionsMarshal.AsSpan(plan.Nodes);
        var writes = GC.AllocateUninitializedArray<NodeWrite>(nodes.Length);
        int leaves = 0;
        foreach (ref readonly var node in nodes)
        {
            if (node.Left.Slot.Kind == SlotKind.Leaf) leaves++;
            if (node.Right.Slot.Kind == SlotKind.Leaf) leaves++;
        }
        var leafKeys = new Hash256[leaves];
        leaves = 0;
        for (int i = 0; i < nodes.Length; i++)
        {
            ref readonly var node = ref nodes[i];
            ref var write = ref writes[i];
            write.KeyIndex = node.KeyIndex;
            write.Depth = (byte)node.Depth;
            write.LeftKind = node.Left.Slot.Kind;
            write.RightKind = node.Right.Slot.Kind;
            write.LeftHash = node.Left.HashIn(hashes);
            write.RightHash = node.Right.HashIn(hashes);
            write.LeftLeaf = write.LeftKind == SlotKind.Leaf ? leaves : -1;
            if (write.LeftKind == SlotKind.Leaf) leafKeys[leaves++] = node.Left.Slot.LeafKey;
            write.RightLeaf = write.RightKind == SlotKind.Leaf ? leaves : -1;
            if (write.RightKind == SlotKind.Leaf) leafKeys[leaves++] = node.Right.Slot.LeafKey;
        }
        return (writes, leafKeys);
    }

    /// <summary>
    /// Adds the update's node writes, values and new root to <paramref name="batch"/> and makes it the
    /// committed tree in memory. Throws when the update was prepared on another root.
    /// </summary>
    public void Commit(StateUpdate update, IWriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(batch);
        if (update.Tree != this) throw new ArgumentException("the update was prepared by another tree", nameof(update));
        lock (_treeLock)
        {
            if (update.Committed) throw new InvalidOperationException("the update is already committed");
            if (!update.BaseSlot.SameAs(_root))
                throw new InvalidOperationException($"the update was prepared on root {update.BaseRoot}, the committed root is {_root.Hash}");

            var pendingNodes = new Dictionary<NodeKey, int>(update.NodeWrites.Length + update.NodeDeletes.Length);
            Span<byte> key = stackalloc byte[33];
            Span<byte> record = stackalloc byte[129];
            var writes = update.NodeWrites;
            for (int i = 0; i < writes.Length; i++)
            {
                var (position, node) = update.Node(writes[i]);
                position.Encode(key);
                node.Encode(record);
                batch.Put(DbColumn.StateNodes, key[..position.EncodedLength], record[..node.EncodedLength]);
                _nodes.Set(position, node);
                pendingNodes[position] = i;
            }
            foreach (var position in update.NodeDeletes)
            {
                position.Encode(key);
                batch.Delete(DbColumn.StateNodes, key[..position.EncodedLength]);
                _nodes.Remove(position);
                pendingNodes[position] = -1;
            }

            var pendingValues = new Dictionary<Hash256, byte[]?>(update.Changes.Length);
            foreach (ref readonly var change in update.Changes.AsSpan())
            {
                change.Key.CopyTo(key);
                if (change.Value is null)
                {
                    batch.Delete(DbColumn.StateValues, key[..32]);
                    _values.Remove(change.Key);
                }
                else
                {
                    batch.Put(DbColumn.StateValues, key[..32], change.Value);
                    _values.Set(change.Key, change.Value);
                }
                pendingValues[change.Key] = change.Value;
            }

            var root = update.RootSlot;
            PutRoot(batch, root);

            _pendingNodes = pendingNodes;
            _pendingUpdate = update;
            Volatile.Write(ref _pendingValues, pendingValues);
            _root = root;
            update.Committed = true;
        }
    }

    /// <summary>The root's records in <see cref="DbColumn.Meta"/>: its hash, and its slot (so a one-key tree can be reopened).</summary>
    internal static void PutRoot(IWriteBatch batch, in Slot root)
    {
        Span<byte> hash = stackalloc byte[32];
        root.Hash.CopyTo(hash);
        batch.Put(DbColumn.Meta, RootKey, hash);
        Span<byte> record = stackalloc byte[33];
        root.WriteRootRecord(record);
        batch.Put(DbColumn.Meta, RootSlotKey, record);
    }

    /// <summary>A proof of inclusion or non-inclusion of <paramref name="key"/> against <see cref="Root"/>.</summary>
    public StateProof GetProof(Hash256 key)
    {
        lock (_treeLock)
        {
            var siblings = new List<Hash256>(32);
            var slot = _root;
            for (int depth = 0; slot.Kind == SlotKind.Internal; depth++)
            {
                var node = LoadNode(NodeKey.Of(key, depth));
                int bit = key.Bit(depth);
                siblings.Add(node.Child(1 - bit).Hash);
                slot = node.Child(bit);
            }
            var root = _root.Hash;
            if (slot.Kind == SlotKind.Empty) return new StateProof(key, null, siblings) { Root = root };
            if (slot.LeafKey == key)
                return new StateProof(key, Get(key) ?? throw new InvalidDataException($"state value of {key} is missing"), siblings) { Root = root };
            var otherValue = Get(slot.LeafKey) ?? throw new InvalidDataException($"state value of {slot.LeafKey} is missing");
            return new StateProof(key, null, siblings, slot.LeafKey, TreeHashes.Value(otherValue)) { Root = root };
        }
    }

    private StateChange[] SortAndHash(IReadOnlyList<KeyValuePair<Hash256, byte[]?>> changes)
    {
        var all = new StateChange[changes.Count];
        for (int i = 0; i < all.Length; i++)
        {
            var (key, value) = changes[i];
            all[i] = new StateChange { Key = key, Value = value, Order = i };
        }
        Array.Sort(all, static (a, b) =>
        {
            int c = a.Key.CompareTo(b.Key);
            return c != 0 ? c : a.Order.CompareTo(b.Order);
        });

        // Keep the last change of each key.
        int kept = 0;
        for (int i = 0; i < all.Length; i++)
        {
            if (i + 1 < all.Length && all[i + 1].Key == all[i].Key) continue;
            all[kept++] = all[i];
        }
        if (kept != all.Length) Array.Resize(ref all, kept);

        if (all.Length >= _options.ParallelThreshold)
        {
            int chunks = Environment.ProcessorCount * 4;
            Parallel.For(0, chunks, chunk =>
            {
                int from = (int)((long)all.Length * chunk / chunks), to = (int)((long)all.Length * (chunk + 1) / chunks);
                PlanHasher.HashLeaves(all, from, to);
            });
        }
        else
        {
            PlanHasher.HashLeaves(all, 0, all.Length);
        }
        return all;
    }

    /// <summary>
    /// Structure pass: the slot at <paramref name="depth"/> after applying changes[from..to) (sorted,
    /// all under this slot's path) to <paramref name="slot"/>. Each touched node is loaded once; new
    /// internal nodes are recorded in <paramref name="plan"/> and hashed afterwards, level by level.
    /// </summary>
    private PlanSlot Update(in Slot slot, int depth, StateChange[] changes, int from, int to, Plan plan, Plan? rightPlan)
    {
        if (from == to) return PlanSlot.Known(slot);
        if (slot.Kind != SlotKind.Internal)
        {
            // Nothing is stored below a leaf or an empty slot: build the subtree from the changes and
            // the lone leaf (unless a change replaces or deletes it).
            bool keepLeaf = slot.Kind == SlotKind.Leaf && !SortedChanges.Contains(changes, from, to, slot.LeafKey);
            return Build(depth, changes, from, to, keepLeaf, slot, plan, rightPlan);
        }

        var position = NodeKey.Of(changes[from].Key, depth);
        var node = LoadNode(position, plan);
        int split = SortedChanges.Split(changes, from, to, depth);
        // Start loading the children (and, under a single change, the rest of its path) while this
        // thread works on the left side: the lookups are memory-latency bound, not compute bound.
        if (node.Left.Kind == SlotKind.Internal && split > from) PrefetchPath(changes, from, split, depth + 1);
        if (node.Right.Kind == SlotKind.Internal && to > split) PrefetchPath(changes, split, to, depth + 1);
        PlanSlot left, right;
        if (rightPlan is not null && split - from > 0 && to - split > 0)
        {
            var rightTask = Task.Run(() => Update(node.Right, depth + 1, changes, split, to, rightPlan, null));
            left = Update(node.Left, depth + 1, changes, from, split, plan, null);
            right = plan.Append(rightTask.GetAwaiter().GetResult(), rightPlan);
        }
        else
        {
            left = Update(node.Left, depth + 1, changes, from, split, plan, rightPlan);
            right = Update(node.Right, depth + 1, changes, split, to, plan, rightPlan);
        }
        if (left.Unchanged(node.Left) && right.Unchanged(node.Right)) return PlanSlot.Known(slot);
        return Combine(changes, from, depth, left, right, existed: true, plan);
    }

    private void PrefetchPath(StateChange[] changes, int from, int to, int depth)
    {
        // A lone change's path below here is a chain whose positions are all known up front.
        int last = to - from == 1 ? depth + PrefetchChain - 1 : depth;
        for (int d = depth; d <= last; d++) _nodes.Prefetch(changes[from].Key, d);
    }

    /// <summary>
    /// Builds a subtree where nothing is stored yet from the inserts in changes[from..to) plus, when
    /// <paramref name="withLeaf"/>, the existing lone <paramref name="leaf"/>.
    /// </summary>
    private static PlanSlot Build(int depth, StateChange[] changes, int from, int to, bool withLeaf, in Slot leaf, Plan plan, Plan? rightPlan)
    {
        int count = withLeaf ? 1 : 0;
        int single = -1;
        for (int i = from; i < to && count < 2; i++)
        {
            if (changes[i].IsDelete) continue;
            count++;
            single = i;
        }
        if (count == 0) return PlanSlot.Known(Slot.Empty);
        if (count == 1) return PlanSlot.Known(withLeaf ? leaf : Slot.Leaf(changes[single].Key, changes[single].LeafHash));

        int split = SortedChanges.Split(changes, from, to, depth);
        bool leafGoesLeft = withLeaf && leaf.LeafKey.Bit(depth) == 0;
        bool leafGoesRight = withLeaf && !leafGoesLeft;
        PlanSlot left, right;
        if (rightPlan is not null && split - from > 0 && to - split > 0)
        {
            var leafCopy = leaf;
            var rightTask = Task.Run(() => Build(depth + 1, changes, split, to, leafGoesRight, leafCopy, rightPlan, null));
            left = Build(depth + 1, changes, from, split, leafGoesLeft, leaf, plan, null);
            right = plan.Append(rightTask.GetAwaiter().GetResult(), rightPlan);
        }
        else
        {
            left = Build(depth + 1, changes, from, split, leafGoesLeft, leaf, plan, rightPlan);
            right = Build(depth + 1, changes, split, to, leafGoesRight, leaf, plan, rightPlan);
        }
        // Two or more leaves here, so at least one change (from < to): its key gives the position.
        return Combine(changes, from, depth, left, right, existed: false, plan);
    }

    /// <summary>The slot at the position of changes[keyIndex] at <paramref name="depth"/> with these children.</summary>
    private static PlanSlot Combine(StateChange[] changes, int keyIndex, int depth, in PlanSlot left, in PlanSlot right, bool existed, Plan plan)
    {
        // A lone leaf (or nothing) under this position rises to it; the stored node goes away.
        var leftKind = left.Slot.Kind;
        var rightKind = right.Slot.Kind;
        if ((leftKind == SlotKind.Empty && rightKind != SlotKind.Internal) || (rightKind == SlotKind.Empty && leftKind != SlotKind.Internal))
        {
            if (existed) plan.Deletes.Add(NodeKey.Of(changes[keyIndex].Key, depth));
            return leftKind == SlotKind.Empty ? right : left;
        }
        return plan.AddNode(keyIndex, depth, left, right);
    }

    private InternalNode LoadNode(in NodeKey position, Plan? plan = null)
    {
        // Commit puts every written node in the cache and removes every deleted one, so a cached node
        // is never older than a pending one: the cache is asked first, and the pending nodes only
        // matter for what the cache has dropped (or cannot hold) before the batch is written.
        if (_nodes.TryGet(position, out var node)) return node;
        if (_pendingNodes.TryGetValue(position, out int pending))
        {
            if (pending < 0) throw new InvalidDataException($"state node at depth {position.Depth} was deleted but is still referenced");
            return _pendingUpdate!.Node(_pendingUpdate.NodeWrites[pending]).Node;
        }
        Span<byte> key = stackalloc byte[33];
        position.Encode(key);
        var record = _store.Get(DbColumn.StateNodes, key[..position.EncodedLength])
            ?? throw new InvalidDataException($"state node at depth {position.Depth} is missing from the store");
        node = InternalNode.Decode(record);
        // During Prepare the cache is read from two threads: cache what was loaded afterwards.
        if (plan is null) _nodes.Set(position, node);
        else plan.Loaded.Add((position, node));
        return node;
    }
}
