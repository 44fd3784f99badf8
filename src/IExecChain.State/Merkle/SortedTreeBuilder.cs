using System.Numerics;
using System.Runtime.CompilerServices;
using IExecChain.Core.Primitives;
using IExecChain.Storage;

namespace IExecChain.State.Merkle;

/// <summary>
/// Builds the stored tree of a state given as entries in strictly increasing key order, into an empty
/// store: what a snapshot restore does. It writes what <see cref="StateTree.Commit"/> would leave for
/// the same entries (the same node records under the same positions, the values, the root records),
/// without the update machinery: no node is looked up, cached, planned twice or rewritten.
/// <para>
/// With keys in order, only the nodes on the last key's path can still gain keys. When the next key
/// arrives sharing its first L bits with the last one, every node of the last key's path deeper than L
/// is complete: those are closed, deepest first, each becoming a child of the one above, and the
/// subtree they form becomes the left child of the node at depth L (where the next key goes right).
/// A node's hash is not computed when it closes: the nodes closed by a batch of entries are hashed
/// together at the batch's end, level by level, deepest first, eight per Keccak call
/// (<see cref="BatchKeccak"/>), so the work is the same as <see cref="StateTree.Prepare"/>'s hash pass
/// without its structure pass.
/// </para>
/// </summary>
internal sealed class SortedTreeBuilder
{
    /// <summary>Nodes sit at depths 0..255 (two keys sharing 255 bits meet at depth 255).</summary>
    private const int Depths = 256;

    /// <summary>Batches at least this large hash their leaves and wide levels on two threads.</summary>
    private const int ParallelThreshold = 1024;

    /// <summary>A child of a node being built. <see cref="Pending"/> > 0: the node closed at index Pending − 1 of this batch, hash not known yet.</summary>
    private struct Child
    {
        public Hash256 Hash;
        public Hash256 LeafKey;
        public int Pending;
        public SlotKind Kind;
    }

    private struct OpenNode
    {
        public Child Left;
        public Child Right;
    }

    /// <summary>A node complete but not hashed yet: at depth <see cref="Depth"/> on the path of <see cref="Path"/>.</summary>
    private struct ClosedNode
    {
        public Child Left;
        public Child Right;
        public Hash256 Path;
        public int Depth;
    }

    private struct Entry
    {
        public Hash256 Key;
        public Hash256 LeafHash;
        public int ValueOffset;
        public int ValueLength;
    }

    // The nodes at depths 0.._openTop on the last key's path (Right is set only as a node closes).
    /// <summary>The most value bytes one batch buffers (a value is at most a chunk, 16 MiB): past 1 GiB the doubling of the buffer would overflow.</summary>
    public const int MaxBufferedBytes = 1 << 30;

    private readonly OpenNode[] _open = new OpenNode[Depths];
    private int _openTop = -1;
    private bool _hasLast;
    private Hash256 _last;
    private Hash256 _lastLeafHash;

    // This batch: its entries (values copied into one buffer), the nodes it closed and their hashes.
    private Entry[] _entries = new Entry[1024];
    private int _count;
    private byte[] _values = new byte[64 * 1024];
    private int _valueBytes;
    private ClosedNode[] _closed = new ClosedNode[1024];
    private int _closedCount;
    private Hash256[] _hashes = new Hash256[1024];
    private readonly int[] _levelStarts = new int[Depths + 1];
    private int[] _order = new int[1024];

    /// <summary>Entries added since the last <see cref="Flush"/>.</summary>
    public int Buffered => _count;

    /// <summary>Bytes of the values added since the last <see cref="Flush"/>.</summary>
    public long BufferedBytes => _valueBytes;

    /// <summary>
    /// An upper estimate of the nodes the buffered entries will close at the next <see cref="Flush"/>: each key
    /// adds the depth by which its shared prefix with the previous key goes past the previous pair's, plus one.
    /// Random keys close ~1.4 nodes each; keys crafted to share long prefixes up to 256, so a caller bounding its
    /// memory flushes on this as well as on <see cref="Buffered"/>.
    /// </summary>
    public long BufferedNodes { get; private set; }

    private int _lastShared;

    /// <summary>Adds an entry; its key must be greater than every key added before. The value is copied.</summary>
    public void Add(in Hash256 key, ReadOnlySpan<byte> value)
    {
        Hash256 previous = _count > 0 ? _entries[_count - 1].Key : _last;
        if ((_count > 0 || _hasLast) && key.CompareTo(previous) <= 0)
            throw new ArgumentException("keys must be given in strictly increasing order", nameof(key));
        if ((long)_valueBytes + value.Length > MaxBufferedBytes)
            throw new InvalidOperationException($"more than {MaxBufferedBytes} bytes of values buffered: flush first");
        if (_count > 0 || _hasLast)
        {
            int shared = CommonPrefixBits(previous, key);
            BufferedNodes += Math.Max(0, shared - _lastShared) + 1;
            _lastShared = shared;
        }
        if (_count == _entries.Length) Array.Resize(ref _entries, _entries.Length * 2);
        if (_valueBytes + value.Length > _values.Length)
            Array.Resize(ref _values, (int)Math.Min(MaxBufferedBytes, Math.Max(2L * _values.Length, (long)_valueBytes + value.Length)));
        value.CopyTo(_values.AsSpan(_valueBytes));
        ref var entry = ref _entries[_count++];
        entry.Key = key;
        entry.ValueOffset = _valueBytes;
        entry.ValueLength = value.Length;
        _valueBytes += value.Length;
    }

    /// <summary>
    /// Puts the buffered entries' values and every node they completed into <paramref name="batch"/>.
    /// The nodes on the last key's path stay open (in memory) until a later key or <see cref="Finish"/>
    /// closes them.
    /// </summary>
    public void Flush(IWriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        AddBuffered(batch);
        WriteClosed(batch);
    }

    /// <summary>
    /// Flushes, closes the last path up to the root, puts the root records (those of the empty tree when
    /// nothing was added, as a tree's commit writes them) and returns the root hash.
    /// </summary>
    public Hash256 Finish(IWriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        AddBuffered(batch);
        var slot = Slot.Empty;
        if (_hasLast)
        {
            var root = CloseLastPath(-1);
            WriteClosed(batch);
            slot = ToSlot(root);
        }
        StateTree.PutRoot(batch, slot);
        _hasLast = false;
        return slot.Hash;
    }

    /// <summary>Leaf hashes and values of the buffered entries, then the nodes each new key completes.</summary>
    private void AddBuffered(IWriteBatch batch)
    {
        if (_count == 0) return;
        if (_count >= ParallelThreshold)
        {
            int parts = Environment.ProcessorCount * 4;
            Parallel.For(0, parts, part => HashLeaves((int)((long)_count * part / parts), (int)((long)_count * (part + 1) / parts)));
        }
        else
        {
            HashLeaves(0, _count);
        }

        Span<byte> key = stackalloc byte[Hash256.Size];
        for (int i = 0; i < _count; i++)
        {
            ref readonly var entry = ref _entries[i];
            entry.Key.CopyTo(key);
            batch.Put(DbColumn.StateValues, key, _values.AsSpan(entry.ValueOffset, entry.ValueLength));
            if (_hasLast) CloseLastPath(CommonPrefixBits(_last, entry.Key));
            _last = entry.Key;
            _lastLeafHash = entry.LeafHash;
            _hasLast = true;
        }
        _count = 0;
        _valueBytes = 0;
        BufferedNodes = 0;
    }

    /// <summary>
    /// The next key shares <paramref name="shared"/> bits with the last one (−1: there is no next key).
    /// Closes the last key's path below that depth and hangs what it formed to the left of the node at
    /// that depth; with no next key, returns the root.
    /// </summary>
    private Child CloseLastPath(int shared)
    {
        // The last key's leaf sits just below the deepest node it shares with a neighbour: the one before
        // (_openTop) or the next (shared). Nodes not yet open down there are opened empty.
        int deepest = Math.Max(_openTop, shared);
        for (int d = _openTop + 1; d <= deepest; d++) _open[d] = default;
        var carry = new Child { Kind = SlotKind.Leaf, Hash = _lastLeafHash, LeafKey = _last };
        for (int d = deepest; d > shared; d--)
        {
            ref var node = ref _open[d];
            if (_last.Bit(d) == 0) node.Left = carry;
            else node.Right = carry;
            carry = Close(d, node);
        }
        if (shared < 0)
        {
            _openTop = -1;
            return carry;
        }
        // The next key is the first of this node's subtree with bit `shared` set: nothing is on its right yet.
        _open[shared].Left = carry;
        _openTop = shared;
        return default;
    }

    private Child Close(int depth, in OpenNode node)
    {
        if (_closedCount == _closed.Length) Array.Resize(ref _closed, _closed.Length * 2);
        ref var closed = ref _closed[_closedCount++];
        closed.Left = node.Left;
        closed.Right = node.Right;
        closed.Path = _last;
        closed.Depth = depth;
        return new Child { Kind = SlotKind.Internal, Pending = _closedCount };
    }

    /// <summary>Hashes the nodes closed since the last call, puts them into the batch and resolves the open nodes' references to them.</summary>
    private void WriteClosed(IWriteBatch batch)
    {
        if (_closedCount == 0) return;
        HashClosed();
        for (int d = 0; d <= _openTop; d++)
        {
            Resolve(ref _open[d].Left);
            Resolve(ref _open[d].Right);
        }

        Span<byte> key = stackalloc byte[33];
        Span<byte> record = stackalloc byte[129];
        for (int i = 0; i < _closedCount; i++)
        {
            ref readonly var closed = ref _closed[i];
            var position = NodeKey.Of(closed.Path, closed.Depth);
            var node = new InternalNode(ToSlot(closed.Left), ToSlot(closed.Right));
            position.Encode(key);
            node.Encode(record);
            batch.Put(DbColumn.StateNodes, key[..position.EncodedLength], record[..node.EncodedLength]);
        }
        _closedCount = 0;
    }

    /// <summary>The closed nodes' hashes, deepest level first (a node's children are deeper), eight per call, wide levels on two threads.</summary>
    private void HashClosed()
    {
        if (_hashes.Length < _closedCount) _hashes = new Hash256[_closed.Length];
        if (_order.Length < _closedCount) _order = new int[_closed.Length];
        var starts = _levelStarts;
        Array.Clear(starts);
        for (int i = 0; i < _closedCount; i++) starts[_closed[i].Depth + 1]++;
        for (int d = 1; d < starts.Length; d++) starts[d] += starts[d - 1];
        Span<int> fill = stackalloc int[Depths];
        starts.AsSpan(0, Depths).CopyTo(fill);
        for (int i = 0; i < _closedCount; i++) _order[fill[_closed[i].Depth]++] = i;

        for (int depth = Depths - 1; depth >= 0; depth--)
        {
            int from = starts[depth], to = starts[depth + 1];
            if (to - from >= ParallelThreshold)
            {
                // Split on a multiple of eight so no 8-way group is cut short.
                int mid = from + ((to - from) / 2 + 7) / 8 * 8;
                var other = Task.Run(() => HashLevel(mid, to));
                HashLevel(from, mid);
                other.GetAwaiter().GetResult();
            }
            else if (to > from)
            {
                HashLevel(from, to);
            }
        }
    }

    [SkipLocalsInit]
    private void HashLevel(int from, int to)
    {
        Span<ulong> lanes = stackalloc ulong[BatchKeccak.LaneBufferLength];
        Span<Hash256> output = stackalloc Hash256[BatchKeccak.Ways];
        for (int i = from; i < to; i += BatchKeccak.Ways)
        {
            int n = Math.Min(BatchKeccak.Ways, to - i);
            for (int j = 0; j < n; j++)
            {
                ref readonly var node = ref _closed[_order[i + j]];
                BatchKeccak.SetPreimage65(lanes, j, TreeHashes.InternalPrefix, HashOf(node.Left), HashOf(node.Right));
            }
            BatchKeccak.Hash(lanes, n, output);
            for (int j = 0; j < n; j++) _hashes[_order[i + j]] = output[j];
        }
    }

    /// <summary>Value hashes then leaf hashes of entries [from, to), eight at a time (values over one Keccak block alone).</summary>
    [SkipLocalsInit]
    private void HashLeaves(int from, int to)
    {
        Span<ulong> lanes = stackalloc ulong[BatchKeccak.LaneBufferLength];
        Span<Hash256> hashes = stackalloc Hash256[BatchKeccak.Ways];
        Span<int> shortOnes = stackalloc int[BatchKeccak.Ways];
        for (int i = from; i < to; i += BatchKeccak.Ways)
        {
            int n = Math.Min(BatchKeccak.Ways, to - i);
            int shortCount = 0;
            for (int j = 0; j < n; j++)
            {
                ref var entry = ref _entries[i + j];
                var value = _values.AsSpan(entry.ValueOffset, entry.ValueLength);
                if (value.Length > BatchKeccak.MaxMessageLength) entry.LeafHash = TreeHashes.Value(value);
                else
                {
                    shortOnes[shortCount] = i + j;
                    BatchKeccak.SetMessage(lanes, shortCount++, value);
                }
            }
            BatchKeccak.Hash(lanes, shortCount, hashes);
            for (int s = 0; s < shortCount; s++) _entries[shortOnes[s]].LeafHash = hashes[s];
            for (int j = 0; j < n; j++)
            {
                ref readonly var entry = ref _entries[i + j];
                BatchKeccak.SetPreimage65(lanes, j, TreeHashes.LeafPrefix, entry.Key, entry.LeafHash);
            }
            BatchKeccak.Hash(lanes, n, hashes);
            for (int j = 0; j < n; j++) _entries[i + j].LeafHash = hashes[j];
        }
    }

    private Hash256 HashOf(in Child child) => child.Pending > 0 ? _hashes[child.Pending - 1] : child.Hash;

    private void Resolve(ref Child child)
    {
        if (child.Pending <= 0) return;
        child.Hash = _hashes[child.Pending - 1];
        child.Pending = 0;
    }

    private Slot ToSlot(in Child child) => child.Kind switch
    {
        SlotKind.Leaf => Slot.Leaf(child.LeafKey, child.Hash),
        SlotKind.Internal => Slot.Internal(HashOf(child)),
        _ => Slot.Empty,
    };

    /// <summary>How many leading bits two different keys share.</summary>
    private static int CommonPrefixBits(in Hash256 a, in Hash256 b)
    {
        // Hash256 holds its bytes as four big-endian words, in order (as NodeKey.Of reads them).
        ref readonly ulong wa = ref Unsafe.As<Hash256, ulong>(ref Unsafe.AsRef(in a));
        ref readonly ulong wb = ref Unsafe.As<Hash256, ulong>(ref Unsafe.AsRef(in b));
        for (int w = 0; w < 4; w++)
        {
            ulong diff = Unsafe.Add(ref Unsafe.AsRef(in wa), w) ^ Unsafe.Add(ref Unsafe.AsRef(in wb), w);
            if (diff != 0) return 64 * w + BitOperations.LeadingZeroCount(diff);
        }
        throw new ArgumentException("the keys are equal");
    }
}
