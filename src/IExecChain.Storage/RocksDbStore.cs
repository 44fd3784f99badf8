using RocksDbSharp;

namespace IExecChain.Storage;

/// <summary>
/// <see cref="IKeyValueStore"/> on RocksDB: one column family per <see cref="DbColumn"/>, a shared LRU
/// block cache, whole-key bloom filters (most reads are point lookups by hash), LZ4 compression when
/// the native library has it, and the write-ahead log on.
/// </summary>
public sealed class RocksDbStore : IKeyValueStore
{
    private static readonly DbColumn[] AllColumns = Enum.GetValues<DbColumn>();

    private readonly RocksDb _db;
    private readonly ColumnFamilyHandle[] _handles;
    private readonly WriteOptions _syncWrite = new WriteOptions().SetSync(true);
    private readonly WriteOptions _asyncWrite = new WriteOptions().SetSync(false);
    private readonly WriteOptions _unloggedWrite = new WriteOptions().SetSync(false).DisableWal(1);
    private readonly ReadOptions _read = new();
    // The native option objects must outlive the database that was opened with them.
    private readonly object[] _keepAlive;
    private int _disposed;

    public RocksDbStore(string path, RocksDbStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new RocksDbStoreOptions();
        options.Validate();
        Directory.CreateDirectory(path);
        Path = path;

        var cache = Cache.CreateLru(options.BlockCacheBytes);
        RocksDb? db = null;
        ColumnFamilies? families = null;
        DbOptions? dbOptions = null;
        Exception? last = null;
        // Compression support depends on how the native library was built; take the best one it has.
        foreach (var compression in new[] { Compression.Lz4, Compression.Snappy, Compression.No })
        {
            dbOptions = new DbOptions()
                .SetCreateIfMissing(true)
                .SetCreateMissingColumnFamilies(true)
                .SetMaxOpenFiles(options.MaxOpenFiles)
                .SetDbWriteBufferSize(options.TotalWriteBufferBytes)
                .SetMaxTotalWalSize(options.MaxTotalWalBytes)
                .IncreaseParallelism(options.Parallelism)
                .SetParanoidChecks(true);
            families = new ColumnFamilies(ColumnOptions(options, cache, compression));
            foreach (var column in AllColumns) families.Add(column.ToString(), ColumnOptions(options, cache, compression));
            try
            {
                db = RocksDb.Open(dbOptions, path, families);
                break;
            }
            catch (RocksDbException e) when (IsMissingCompression(e))
            {
                last = e;
            }
            catch (RocksDbException e)
            {
                throw Translate(e, path);
            }
        }
        _db = db ?? throw new IOException($"RocksDB at '{path}' could not be opened with any compression", last);
        _handles = new ColumnFamilyHandle[AllColumns.Length];
        foreach (var column in AllColumns) _handles[(int)column] = _db.GetColumnFamily(column.ToString());
        _keepAlive = [cache, dbOptions!, families!];
    }

    public string Path { get; }

    public byte[]? Get(DbColumn column, ReadOnlySpan<byte> key) => _db.Get(key, Handle(column), _read);

    public bool TryGet(DbColumn column, ReadOnlySpan<byte> key, Span<byte> destination, out int length)
    {
        var value = _db.Get(key, Handle(column), _read);
        if (value is null)
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

    public IWriteBatch NewBatch() => new RocksWriteBatch(this);

    public void Write(IWriteBatch batch, bool sync = true)
    {
        if (batch is not RocksWriteBatch rocksBatch || rocksBatch.Owner != this)
            throw new ArgumentException("the batch was not created by this store", nameof(batch));
        _db.Write(rocksBatch.Native, sync ? _syncWrite : _asyncWrite);
    }

    // Unlogged data is flushed when the database closes (RocksDB's avoid_flush_during_shutdown is false).
    public void WriteUnlogged(IWriteBatch batch)
    {
        if (batch is not RocksWriteBatch rocksBatch || rocksBatch.Owner != this)
            throw new ArgumentException("the batch was not created by this store", nameof(batch));
        _db.Write(rocksBatch.Native, _unloggedWrite);
    }

    public void Put(DbColumn column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync = false) =>
        _db.Put(key, value, Handle(column), sync ? _syncWrite : _asyncWrite);

    public IEnumerable<(byte[] Key, byte[] Value)> Iterate(DbColumn column, byte[]? prefix = null)
    {
        var handle = Handle(column);
        return Enumerate();

        IEnumerable<(byte[] Key, byte[] Value)> Enumerate()
        {
            using var iterator = _db.NewIterator(handle, _read);
            if (prefix is null) iterator.SeekToFirst();
            else iterator.Seek(prefix);
            for (; iterator.Valid(); iterator.Next())
            {
                var key = iterator.Key();
                if (prefix is not null && !key.AsSpan().StartsWith(prefix)) yield break;
                yield return (key, iterator.Value());
            }
        }
    }

    public IEnumerable<(byte[] Key, byte[] Value)> IterateBackward(DbColumn column, byte[] prefix, byte[]? before = null)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var handle = Handle(column);
        return Enumerate();

        IEnumerable<(byte[] Key, byte[] Value)> Enumerate()
        {
            using var iterator = _db.NewIterator(handle, _read);
            var bound = before ?? KeyOrder.Successor(prefix);
            if (bound is null) iterator.SeekToLast();
            else
            {
                iterator.SeekForPrev(bound);
                // SeekForPrev lands on the last key <= bound; the bound itself is excluded.
                if (iterator.Valid() && iterator.Key().AsSpan().SequenceEqual(bound)) iterator.Prev();
            }
            for (; iterator.Valid(); iterator.Prev())
            {
                var key = iterator.Key();
                if (!key.AsSpan().StartsWith(prefix)) yield break;
                yield return (key, iterator.Value());
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _db.Dispose();
        GC.KeepAlive(_keepAlive);
    }

    internal ColumnFamilyHandle Handle(DbColumn column)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return (uint)column < (uint)_handles.Length ? _handles[(int)column] : throw new ArgumentOutOfRangeException(nameof(column));
    }

    private static ColumnFamilyOptions ColumnOptions(RocksDbStoreOptions options, Cache cache, Compression compression)
    {
        var table = new BlockBasedTableOptions()
            .SetBlockCache(cache)
            .SetBlockSize(16 * 1024)
            .SetCacheIndexAndFilterBlocks(true)
            .SetPinL0FilterAndIndexBlocksInCache(true)
            .SetFormatVersion(5);
        if (options.BloomBitsPerKey > 0) table.SetFilterPolicy(BloomFilterPolicy.Create(options.BloomBitsPerKey, false));
        return new ColumnFamilyOptions()
            .SetBlockBasedTableFactory(table)
            .SetWriteBufferSize(options.WriteBufferBytes)
            .SetLevelCompactionDynamicLevelBytes(true)
            .SetCompression(compression);
    }

    private static bool IsMissingCompression(RocksDbException e) =>
        e.Message.Contains("not linked", StringComparison.OrdinalIgnoreCase) ||
        e.Message.Contains("Compression type", StringComparison.OrdinalIgnoreCase);

    private static Exception Translate(RocksDbException e, string path)
    {
        var message = e.Message;
        if (message.Contains("lock", StringComparison.OrdinalIgnoreCase))
            return new DatabaseLockedException($"the database at '{path}' is locked: another process (or another store in this process) has it open. RocksDB said: {message}", e);
        if (message.Contains("Corruption", StringComparison.OrdinalIgnoreCase))
            return new InvalidDataException($"the database at '{path}' is corrupt; restore it from a backup or resync. RocksDB said: {message}", e);
        return new IOException($"could not open the database at '{path}': {message}", e);
    }

    private sealed class RocksWriteBatch(RocksDbStore owner) : IWriteBatch
    {
        internal readonly RocksDbStore Owner = owner;
        internal readonly WriteBatch Native = new();

        public int Count { get; private set; }

        public void Put(DbColumn column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            Native.Put(key, value, Owner.Handle(column));
            Count++;
        }

        public void Delete(DbColumn column, ReadOnlySpan<byte> key)
        {
            Native.Delete(key, Owner.Handle(column));
            Count++;
        }

        public void Dispose() => Native.Dispose();
    }
}

/// <summary>The database is open in another process (or another store of this one).</summary>
public sealed class DatabaseLockedException(string message, Exception inner) : IOException(message, inner);
