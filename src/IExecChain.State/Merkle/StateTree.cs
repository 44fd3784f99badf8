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

    private readonly IKeyValueStore _store;
    private readonly StateTreeOptions _options;
    private readonly Lock _treeLock = new();
    private readonly GenerationalCache<NodeKey, InternalNode> _nodes;
    private readonly GenerationalCache<Hash256, byte[]> _values;
    private Dictionary<NodeKey, InternalNode?> _pendingNodes = [];
    private Dictionary<Hash256, byte[]?> _pendingValues = [];
    private Slot _root;

    public StateTree(IKeyValueStore store) : this(store, new StateTreeOptions()) { }

    public StateTree(IKeyValueStore store, StateTreeOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options;
        _nodes = new GenerationalCache<NodeKey, InternalNode>(options.NodeCacheCapacity, static _ => 1);
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
            var writes = new List<(NodeKey, InternalNode?)>();
            var root = Update(_root, 0, sorted, 0, sorted.Length, writes, parallel: sorted.Length >= _options.ParallelThreshold);
            return new StateUpdate(this, _root, root, sorted, writes);
        }
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

            var pendingNodes = new Dictionary<NodeKey, InternalNode?>(update.NodeWrites.Count);
            Span<byte> key = stackalloc byte[33];
            Span<byte> record = stackalloc byte[129];
            foreach (var (position, node) in update.NodeWrites)
            {
                int keyLength = position.EncodedLength;
                position.Encode(key);
                if (node is null)
                {
                    batch.Delete(DbColumn.StateNodes, key[..keyLength]);
                    _nodes.Remove(position);
                }
                else
                {
                    node.Encode(record);
                    batch.Put(DbColumn.StateNodes, key[..keyLength], record[..node.EncodedLength]);
                    _nodes.Set(position, node);
                }
                pendingNodes[position] = node;
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
            root.Hash.CopyTo(key);
            batch.Put(DbColumn.Meta, RootKey, key[..32]);
            root.WriteRootRecord(record);
            batch.Put(DbColumn.Meta, RootSlotKey, record[..33]);

            _pendingNodes = pendingNodes;
            Volatile.Write(ref _pendingValues, pendingValues);
            _root = root;
            update.Committed = true;
        }
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
                HashLeaves(all, from, to);
            });
        }
        else
        {
            HashLeaves(all, 0, all.Length);
        }
        return all;
    }

    private static void HashLeaves(StateChange[] changes, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            ref var change = ref changes[i];
            if (change.Value is not null) change.LeafHash = TreeHashes.Leaf(change.Key, TreeHashes.Value(change.Value));
        }
    }

    /// <summary>
    /// The slot at <paramref name="depth"/> after applying changes[from..to) (sorted, all under this
    /// slot's path) to <paramref name="slot"/>. Each touched node is loaded and hashed once.
    /// </summary>
    private Slot Update(Slot slot, int depth, StateChange[] changes, int from, int to, List<(NodeKey, InternalNode?)> writes, bool parallel)
    {
        if (from == to) return slot;
        if (slot.Kind != SlotKind.Internal)
        {
            // Nothing is stored below a leaf or an empty slot: build the subtree from the changes and
            // the lone leaf (unless a change replaces or deletes it).
            bool keepLeaf = slot.Kind == SlotKind.Leaf && !Contains(changes, from, to, slot.LeafKey);
            return Build(depth, changes, from, to, keepLeaf, slot, writes, parallel);
        }

        var position = NodeKey.Of(changes[from].Key, depth);
        var node = LoadNode(position);
        int split = Split(changes, from, to, depth);
        Slot left, right;
        if (parallel && split - from > 0 && to - split > 0)
        {
            var rightWrites = new List<(NodeKey, InternalNode?)>();
            var rightTask = Task.Run(() => Update(node.Right, depth + 1, changes, split, to, rightWrites, parallel: false));
            left = Update(node.Left, depth + 1, changes, from, split, writes, parallel: false);
            right = rightTask.GetAwaiter().GetResult();
            writes.AddRange(rightWrites);
        }
        else
        {
            left = Update(node.Left, depth + 1, changes, from, split, writes, parallel);
            right = Update(node.Right, depth + 1, changes, split, to, writes, parallel);
        }
        if (left.SameAs(node.Left) && right.SameAs(node.Right)) return slot;
        return Combine(position, left, right, existed: true, writes);
    }

    /// <summary>
    /// Builds a subtree where nothing is stored yet from the inserts in changes[from..to) plus, when
    /// <paramref name="withLeaf"/>, the existing lone <paramref name="leaf"/>.
    /// </summary>
    private static Slot Build(int depth, StateChange[] changes, int from, int to, bool withLeaf, Slot leaf, List<(NodeKey, InternalNode?)> writes, bool parallel)
    {
        int count = withLeaf ? 1 : 0;
        int single = -1;
        for (int i = from; i < to && count < 2; i++)
        {
            if (changes[i].IsDelete) continue;
            count++;
            single = i;
        }
        if (count == 0) return Slot.Empty;
        if (count == 1) return withLeaf ? leaf : Slot.Leaf(changes[single].Key, changes[single].LeafHash);

        int split = Split(changes, from, to, depth);
        bool leafGoesLeft = withLeaf && leaf.LeafKey.Bit(depth) == 0;
        bool leafGoesRight = withLeaf && !leafGoesLeft;
        Slot left, right;
        if (parallel && split - from > 0 && to - split > 0)
        {
            var rightWrites = new List<(NodeKey, InternalNode?)>();
            var rightTask = Task.Run(() => Build(depth + 1, changes, split, to, leafGoesRight, leaf, rightWrites, parallel: false));
            left = Build(depth + 1, changes, from, split, leafGoesLeft, leaf, writes, parallel: false);
            right = rightTask.GetAwaiter().GetResult();
            writes.AddRange(rightWrites);
        }
        else
        {
            left = Build(depth + 1, changes, from, split, leafGoesLeft, leaf, writes, parallel);
            right = Build(depth + 1, changes, split, to, leafGoesRight, leaf, writes, parallel);
        }
        var anyKey = from < to ? changes[from].Key : leaf.LeafKey;
        return Combine(NodeKey.Of(anyKey, depth), left, right, existed: false, writes);
    }

    private static Slot Combine(NodeKey position, Slot left, Slot right, bool existed, List<(NodeKey, InternalNode?)> writes)
    {
        // A lone leaf (or nothing) under this position rises to it; the stored node goes away.
        if ((left.Kind == SlotKind.Empty && right.Kind != SlotKind.Internal) || (right.Kind == SlotKind.Empty && left.Kind != SlotKind.Internal))
        {
            if (existed) writes.Add((position, null));
            return left.Kind == SlotKind.Empty ? right : left;
        }
        var node = new InternalNode(left, right);
        writes.Add((position, node));
        return Slot.Internal(node.ComputeHash());
    }

    /// <summary>First index in [from, to) whose key has bit <paramref name="depth"/> set (keys are sorted).</summary>
    private static int Split(StateChange[] changes, int from, int to, int depth)
    {
        int lo = from, hi = to;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (changes[mid].Key.Bit(depth) == 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static bool Contains(StateChange[] changes, int from, int to, Hash256 key)
    {
        int lo = from, hi = to - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = changes[mid].Key.CompareTo(key);
            if (c == 0) return true;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return false;
    }

    private InternalNode LoadNode(NodeKey position)
    {
        if (_pendingNodes.TryGetValue(position, out var pending))
            return pending ?? throw new InvalidDataException($"state node at depth {position.Depth} was deleted but is still referenced");
        if (_nodes.TryGet(position, out var node)) return node;
        Span<byte> key = stackalloc byte[33];
        position.Encode(key);
        var record = _store.Get(DbColumn.StateNodes, key[..position.EncodedLength])
            ?? throw new InvalidDataException($"state node at depth {position.Depth} is missing from the store");
        node = InternalNode.Decode(record);
        _nodes.Set(position, node);
        return node;
    }
}
