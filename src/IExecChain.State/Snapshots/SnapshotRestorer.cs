using System.Runtime.ExceptionServices;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Market;
using IExecChain.State.Merkle;
using IExecChain.Storage;

namespace IExecChain.State.Snapshots;

/// <summary>Whose fault a refused snapshot is: the peer that served one chunk, or the snapshot itself.</summary>
public enum SnapshotFault
{
    /// <summary>A chunk does not hash to what the manifest lists: fetch it from another peer.</summary>
    Chunk,

    /// <summary>The manifest describes a state that is not the one its header commits to (or is malformed): drop the snapshot.</summary>
    Snapshot,
}

/// <summary>A snapshot or one of its chunks refused, with what was wrong.</summary>
public sealed class SnapshotRefusedException(SnapshotFault fault, string message) : Exception(message)
{
    public SnapshotFault Fault { get; } = fault;
}

/// <summary>
/// Rebuilds the state of a snapshot in an empty store, chunk by chunk in order, checking each chunk
/// against the manifest as it arrives and the whole state against the manifest's root at the end
/// (<see cref="Finish"/>). The open-order index the market keeps beside the state
/// (<see cref="DbColumn.MarketOrders"/>) is derived from the restored entries themselves, so it needs
/// no trust either. Until <see cref="Finish"/> succeeds the store holds a partial state and must be
/// discarded on failure.
/// <para>
/// The entries come in increasing key order, so the tree is built in one pass from the bottom up
/// (<see cref="SortedTreeBuilder"/>: each node built, hashed and written once) instead of through
/// <see cref="StateTree"/> updates, which would look up, cache and plan every node. A batch is written
/// to the store on a background task while the next is parsed and hashed; dispose the restorer (which
/// waits for that write) before the store.
/// </para>
/// </summary>
public sealed class SnapshotRestorer : IDisposable
{
    /// <summary>Entries per store write: large enough to amortize a write, small enough to overlap the next batch's hashing with it.</summary>
    public const int BatchEntries = 100_000;

    /// <summary>Value bytes per batch at most (~64 MiB, plus one value of at most a chunk).</summary>
    public const long BatchBytes = 64L << 20;

    /// <summary>Tree nodes per batch at most, as <see cref="SortedTreeBuilder.BufferedNodes"/> estimates them (~200 MB of node records and hashes).</summary>
    public const long BatchNodes = 1_000_000;

    private readonly IKeyValueStore _store;
    private readonly SortedTreeBuilder _tree = new();
    private readonly SnapshotManifest _manifest;
    private readonly Hash256 _id;
    private readonly int _batchEntries;
    private readonly List<Hash256> _openOrders = [];
    private Hash256 _lastKey;
    private ulong _entries, _bytes;
    private Hash256? _root;
    // Finish consumes the builder, so a second call could only compute something else: it gives the first answer again.
    private ExceptionDispatchInfo? _finishFailure;
    // The previous batch's write, one in flight at a time (a batch of 100,000 entries is ~25 MB of native memory).
    private Task _writing = Task.CompletedTask;

    /// <param name="store">An empty store: no state and no blocks.</param>
    /// <param name="batchEntries">Entries per store write (<see cref="BatchEntries"/>; smaller only in tests, to make many batches).</param>
    public SnapshotRestorer(IKeyValueStore store, SnapshotManifest manifest, ulong chainId, int batchEntries = BatchEntries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchEntries, 1);
        _batchEntries = batchEntries;
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(manifest);
        if (SnapshotFormat.Problem(manifest, chainId) is { } problem)
            throw new SnapshotRefusedException(SnapshotFault.Snapshot, $"snapshot refused: {problem}");
        if (store.Iterate(DbColumn.StateValues).Any() || store.Get(DbColumn.Meta, "head"u8) is not null)
            throw new InvalidOperationException("a snapshot is restored into an empty database only");
        _store = store;
        _manifest = manifest;
        _id = SnapshotFormat.Id(manifest);
    }

    /// <summary>The chunk <see cref="Add"/> takes next.</summary>
    public int NextChunk { get; private set; }

    public int ChunkCount => _manifest.ChunkHashes.Count;

    public bool IsComplete => NextChunk == ChunkCount;

    /// <summary>Whether <paramref name="chunk"/> is chunk <paramref name="index"/> of this snapshot (its hash), without applying it.</summary>
    public bool Matches(int index, ReadOnlySpan<byte> chunk) =>
        (uint)index < (uint)ChunkCount && chunk.Length <= SnapshotFormat.MaxChunkBytes
        && Keccak256.Hash(chunk) == new Hash256(_manifest.ChunkHashes[index].Span);

    /// <summary>Applies chunk <see cref="NextChunk"/>; chunks arrive in order (a caller fetching in parallel holds the early ones).</summary>
    public void Add(int index, ReadOnlySpan<byte> chunk)
    {
        if (index != NextChunk) throw new InvalidOperationException($"chunk {index} given while chunk {NextChunk} is next");
        if (chunk.Length > SnapshotFormat.MaxChunkBytes)
            throw new SnapshotRefusedException(SnapshotFault.Chunk, $"chunk {index} of snapshot {_id} is {chunk.Length} bytes, more than {SnapshotFormat.MaxChunkBytes}");
        var hash = Keccak256.Hash(chunk);
        var listed = new Hash256(_manifest.ChunkHashes[index].Span);
        if (hash != listed)
            throw new SnapshotRefusedException(SnapshotFault.Chunk, $"chunk {index} of snapshot {_id} hashes to {hash}, the manifest lists {listed}");

        int offset = 0;
        while (offset < chunk.Length)
        {
            if (chunk.Length - offset < 33) throw Bad(index, offset, "an entry is cut short");
            var key = new Hash256(chunk.Slice(offset, 32));
            if (_entries > 0 && key.CompareTo(_lastKey) <= 0) throw Bad(index, offset, "keys are not in increasing order");
            _lastKey = key;
            offset += 32;
            if (!TryReadVarint(chunk[offset..], out ulong length, out int read)) throw Bad(index, offset, "a value length is malformed");
            offset += read;
            if (length > (ulong)(chunk.Length - offset)) throw Bad(index, offset, $"a value of {length} bytes runs past the chunk's end");
            var value = chunk.Slice(offset, (int)length);
            offset += (int)length;
            if (IsOpenOrder(key, value, out var orderHash))
            {
                _openOrders.Add(orderHash);
                OpenOrders++;
            }
            _tree.Add(key, value);
            _entries++;
            // Entries, bytes or nodes: a hostile snapshot of huge values, or of keys crafted to share long
            // prefixes (up to 256 nodes each), must not grow one batch without bound before the root check.
            if (_tree.Buffered >= _batchEntries || _tree.BufferedBytes >= BatchBytes || _tree.BufferedNodes >= BatchNodes)
                Write(NewBatch(_tree.Flush));
        }
        _bytes += (ulong)chunk.Length;
        NextChunk++;
    }

    /// <summary>
    /// Applies what is left and checks the restored state against the manifest: the number of entries,
    /// the size and the root. Returns the root, which the caller compares with the verified header's.
    /// The root records are written last, and only when the root is the manifest's. Called again, it answers
    /// the same: the root, or the first call's exception.
    /// </summary>
    public Hash256 Finish()
    {
        if (!IsComplete) throw new InvalidOperationException($"{ChunkCount - NextChunk} chunk(s) of snapshot {_id} not added yet");
        if (_root is { } finished) return finished;
        _finishFailure?.Throw();
        try
        {
            _root = Complete();
            return _root.Value;
        }
        catch (Exception e)
        {
            _finishFailure = ExceptionDispatchInfo.Capture(e);
            throw;
        }
    }

    private Hash256 Complete()
    {
        Hash256 root = default;
        using var batch = NewBatch(b => root = _tree.Finish(b));
        if (_entries != _manifest.Entries)
            throw new SnapshotRefusedException(SnapshotFault.Snapshot, $"snapshot {_id} holds {_entries} entries, its manifest says {_manifest.Entries}");
        if (_bytes != _manifest.TotalBytes)
            throw new SnapshotRefusedException(SnapshotFault.Snapshot, $"snapshot {_id} is {_bytes} bytes, its manifest says {_manifest.TotalBytes}");
        var expected = new Hash256(_manifest.StateRoot.Span);
        if (root != expected)
            throw new SnapshotRefusedException(SnapshotFault.Snapshot, $"the state of snapshot {_id} has root {root}, its manifest says {expected}");
        _writing.GetAwaiter().GetResult();
        _store.Write(batch, sync: true);
        return root;
    }

    /// <summary>A batch holding <paramref name="fill"/>'s writes and the open orders found since the last one.</summary>
    private IWriteBatch NewBatch(Action<IWriteBatch> fill)
    {
        var batch = _store.NewBatch();
        try
        {
            fill(batch);
            foreach (var hash in _openOrders) batch.Put(DbColumn.MarketOrders, hash.ToArray(), []);
            _openOrders.Clear();
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    /// <summary>Writes the batch in the background once the previous one is written: it overlaps building the next.</summary>
    private void Write(IWriteBatch batch)
    {
        try
        {
            _writing.GetAwaiter().GetResult();
        }
        catch
        {
            batch.Dispose();
            throw;
        }
        _writing = Task.Run(() =>
        {
            using (batch) _store.Write(batch, sync: false);
        });
    }

    /// <summary>Open orders found among the restored entries (<see cref="DbColumn.MarketOrders"/> holds them too).</summary>
    public int OpenOrders { get; private set; }

    /// <summary>Waits for the batch being written, so the store can be closed (or deleted) safely.</summary>
    public void Dispose()
    {
        try
        {
            _writing.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // Reached only when the restore failed or was abandoned (a successful one waited in Finish), and
            // the caller discards the partial store: this write's own error would only hide the first one.
        }
        _writing = Task.CompletedTask;
    }

    private SnapshotRefusedException Bad(int index, int offset, string what) =>
        new(SnapshotFault.Snapshot, $"chunk {index} of snapshot {_id} is malformed at byte {offset}: {what}");

    /// <summary>
    /// Whether the entry is an open order's record: the value reads as an <see cref="OrderRecord"/> whose
    /// order hashes to the key's preimage. Keys are keccak-256 of a domain and an id, so a value at the
    /// key <c>StateKeys.Order(h)</c> with <c>h = keccak256(kind ‖ order)</c> is that order's record and
    /// nothing else. A record's encoding starts with its kind (field 1, never 0) then its order
    /// (field 2): other values are passed over without a parse.
    /// </summary>
    private static bool IsOpenOrder(Hash256 key, ReadOnlySpan<byte> value, out Hash256 orderHash)
    {
        orderHash = default;
        if (value.Length < 4 || value[0] != 0x08 || value[2] != 0x12) return false;
        OrderRecord record;
        try
        {
            record = OrderRecord.Parser.ParseFrom(value);
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
        if (record.Status != OrderStatus.Open || record.Order.IsEmpty) return false;
        orderHash = OrderCodec.HashOf(record);
        return StateKeys.Order(orderHash) == key;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> span, out ulong value, out int read)
    {
        value = 0;
        for (read = 0; read < Math.Min(span.Length, 10); read++)
        {
            value |= (ulong)(span[read] & 0x7F) << (7 * read);
            if ((span[read] & 0x80) == 0)
            {
                read++;
                return read == 1 || span[read - 1] != 0;   // the shortest encoding only
            }
        }
        return false;
    }
}
