namespace IExecChain.Storage;

/// <summary>A set of puts and deletes over any columns, applied all-or-nothing by <see cref="IKeyValueStore.Write"/>.</summary>
public interface IWriteBatch : IDisposable
{
    void Put(DbColumn column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
    void Delete(DbColumn column, ReadOnlySpan<byte> key);

    /// <summary>Number of operations recorded so far (a put and a delete of the same key count twice).</summary>
    int Count { get; }
}

/// <summary>
/// The node's key-value storage: byte keys and values in a fixed set of columns. Keys are ordered
/// bytewise (unsigned, shorter prefix first) in every implementation.
/// </summary>
public interface IKeyValueStore : IDisposable
{
    /// <summary>The value stored under <paramref name="key"/>, or null when missing.</summary>
    byte[]? Get(DbColumn column, ReadOnlySpan<byte> key);

    /// <summary>
    /// Copies the value into <paramref name="destination"/> without allocating a result array.
    /// Returns false (and <paramref name="length"/> = 0) when the key is missing. When the value is
    /// longer than <paramref name="destination"/>, throws <see cref="ArgumentException"/> and copies nothing:
    /// callers use this for fixed-size records and a longer value means the caller's schema is wrong.
    /// </summary>
    bool TryGet(DbColumn column, ReadOnlySpan<byte> key, Span<byte> destination, out int length);

    IWriteBatch NewBatch();

    /// <summary>
    /// Applies the batch atomically across columns. <paramref name="sync"/> = true waits for the
    /// write-ahead log to reach the disk. The batch may be disposed afterwards; it must not be reused.
    /// </summary>
    void Write(IWriteBatch batch, bool sync = true);

    /// <summary>
    /// Applies the batch atomically, without the write-ahead log: it reaches the disk when its columns'
    /// memory tables are flushed, or the store is closed. A crash before that loses it, together with
    /// every later unlogged write to those columns. Only for data derived from logged data, which the
    /// node writes again after a crash (the query index's transaction entries, <c>QueryIndexWriter</c>):
    /// it spares the next synced write the fsync of these bytes.
    /// </summary>
    void WriteUnlogged(IWriteBatch batch);

    /// <summary>A single write; not synced by default.</summary>
    void Put(DbColumn column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync = false);

    /// <summary>
    /// All entries of a column whose key starts with <paramref name="prefix"/> (all when null), in key
    /// order. The sequence reads a consistent snapshot taken when enumeration starts.
    /// </summary>
    IEnumerable<(byte[] Key, byte[] Value)> Iterate(DbColumn column, byte[]? prefix = null);

    /// <summary>
    /// The entries of a column whose key starts with <paramref name="prefix"/>, in descending key
    /// order, starting just below <paramref name="before"/> (from the last key of the prefix when
    /// null). Reads a consistent snapshot taken when enumeration starts; callers take what they
    /// need and stop, so a page costs what it returns.
    /// </summary>
    IEnumerable<(byte[] Key, byte[] Value)> IterateBackward(DbColumn column, byte[] prefix, byte[]? before = null);
}
