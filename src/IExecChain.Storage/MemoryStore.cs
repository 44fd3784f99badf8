namespace IExecChain.Storage;

/// <summary>
/// An in-memory <see cref="IKeyValueStore"/> for tests and benchmarks. One lock guards all columns,
/// so a batch is atomic across columns exactly as in RocksDB. Keys and values are copied in and out:
/// a caller can never mutate what the store holds.
/// </summary>
public sealed class MemoryStore : IKeyValueStore
{
    private readonly Dictionary<byte[], byte[]>[] _columns;
    private readonly Lock _lock = new();
    private bool _disposed;

    public MemoryStore()
    {
        var count = Enum.GetValues<DbColumn>().Length;
        _columns = new Dictionary<byte[], byte[]>[count];
        for (int i = 0; i < count; i++) _columns[i] = new Dictionary<byte[], byte[]>(ByteArrayComparer.Instance);
    }

    public byte[]? Get(DbColumn column, ReadOnlySpan<byte> key)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            var lookup = Column(column).GetAlternateLookup<ReadOnlySpan<byte>>();
            return lookup.TryGetValue(key, out var value) ? (byte[])value.Clone() : null;
        }
    }

    public bool TryGet(DbColumn column, ReadOnlySpan<byte> key, Span<byte> destination, out int length)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            var lookup = Column(column).GetAlternateLookup<ReadOnlySpan<byte>>();
            if (!lookup.TryGetValue(key, out var value))
            {
                length = 0;
                return false;
            }
            if (value.Length > destination.Length)
                throw new ArgumentException($"value is {value.Length} bytes, destination holds {destination.Length}", nameof(destination));
            value.CopyTo(destination);
            length = value.Length;
            return true;
        }
    }

    public IWriteBatch NewBatch() => new MemoryWriteBatch();

    public void Write(IWriteBatch batch, bool sync = true)
    {
        if (batch is not MemoryWriteBatch memoryBatch)
            throw new ArgumentException("the batch was not created by this store", nameof(batch));
        lock (_lock)
        {
            ThrowIfDisposed();
            foreach (var op in memoryBatch.Operations)
            {
                if (op.Value is null) Column(op.Column).Remove(op.Key);
                else Column(op.Column)[op.Key] = op.Value;
            }
        }
    }

    /// <summary>Nothing here is logged or durable: the same as <see cref="Write"/>.</summary>
    public void WriteUnlogged(IWriteBatch batch) => Write(batch, sync: false);

    public void Put(DbColumn column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync = false)
    {
        var keyCopy = key.ToArray();
        var valueCopy = value.ToArray();
        lock (_lock)
        {
            ThrowIfDisposed();
            Column(column)[keyCopy] = valueCopy;
        }
    }

    public IEnumerable<(byte[] Key, byte[] Value)> Iterate(DbColumn column, byte[]? prefix = null)
    {
        // Snapshot under the lock when enumeration starts (as a RocksDB iterator would), then yield outside it.
        return Enumerate();

        IEnumerable<(byte[] Key, byte[] Value)> Enumerate()
        {
            List<(byte[] Key, byte[] Value)> snapshot = [];
            lock (_lock)
            {
                ThrowIfDisposed();
                foreach (var (key, value) in Column(column))
                {
                    if (prefix is null || key.AsSpan().StartsWith(prefix))
                        snapshot.Add(((byte[])key.Clone(), (byte[])value.Clone()));
                }
            }
            snapshot.Sort(static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
            foreach (var entry in snapshot) yield return entry;
        }
    }

    public IEnumerable<(byte[] Key, byte[] Value)> IterateBackward(DbColumn column, byte[] prefix, byte[]? before = null)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return Enumerate();

        IEnumerable<(byte[] Key, byte[] Value)> Enumerate()
        {
            var entries = Iterate(column, prefix).ToList();
            for (int i = entries.Count - 1; i >= 0; i--)
            {
                if (before is not null && entries[i].Key.AsSpan().SequenceCompareTo(before) >= 0) continue;
                yield return entries[i];
            }
        }
    }

    public void Dispose()
    {
        lock (_lock) _disposed = true;
    }

    private Dictionary<byte[], byte[]> Column(DbColumn column) =>
        (uint)column < (uint)_columns.Length ? _columns[(int)column] : throw new ArgumentOutOfRangeException(nameof(column));

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private sealed class MemoryWriteBatch : IWriteBatch
    {
        internal readonly List<(DbColumn Column, byte[] Key, byte[]? Value)> Operations = [];

        public int Count => Operations.Count;

        public void Put(DbColumn column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
            Operations.Add((column, key.ToArray(), value.ToArray()));

        public void Delete(DbColumn column, ReadOnlySpan<byte> key) => Operations.Add((column, key.ToArray(), null));

        public void Dispose() => Operations.Clear();
    }
}
