namespace IExecChain.Storage;

/// <summary>Operator-tunable RocksDB settings. Defaults suit a validator on a small machine.</summary>
public sealed class RocksDbStoreOptions
{
    /// <summary>Shared LRU block cache for all columns.</summary>
    public ulong BlockCacheBytes { get; init; } = 256UL << 20;

    /// <summary>Memtable size per column family.</summary>
    public ulong WriteBufferBytes { get; init; } = 32UL << 20;

    /// <summary>Cap across all memtables, so nine columns do not each grow to their own limit.</summary>
    public ulong TotalWriteBufferBytes { get; init; } = 192UL << 20;

    /// <summary>
    /// Cap on the write-ahead log files kept: past it, the columns whose memtables still need the oldest file
    /// are flushed so it can go. RocksDB's own default (0) is four times all memtables (11 column families, the
    /// ten columns and RocksDB's default, × 2 × 32 MiB × 4 ≈ 2.75 GiB here), and a column written rarely keeps
    /// every later file alive until then: on a devnet node at 1,000 transfers/s the log grew by ~33 MB a
    /// minute and was most of the database, pruned or not (benchmarks/RESULTS.md, "Pruned node: disk use").
    /// </summary>
    public ulong MaxTotalWalBytes { get; init; } = 128UL << 20;

    /// <summary>Bits per key of the bloom filter used for point lookups (0 disables it).</summary>
    public int BloomBitsPerKey { get; init; } = 10;

    public int MaxOpenFiles { get; init; } = 512;

    /// <summary>Background compaction and flush threads.</summary>
    public int Parallelism { get; init; } = Math.Max(2, Environment.ProcessorCount);

    internal void Validate()
    {
        if (BlockCacheBytes < (1UL << 20)) throw new ArgumentOutOfRangeException(nameof(BlockCacheBytes), "at least 1 MiB");
        if (MaxTotalWalBytes < (1UL << 20)) throw new ArgumentOutOfRangeException(nameof(MaxTotalWalBytes), "at least 1 MiB");
        if (WriteBufferBytes < (1UL << 20)) throw new ArgumentOutOfRangeException(nameof(WriteBufferBytes), "at least 1 MiB");
        if (BloomBitsPerKey is < 0 or > 32) throw new ArgumentOutOfRangeException(nameof(BloomBitsPerKey), "0..32");
        if (MaxOpenFiles is < -1 or 0) throw new ArgumentOutOfRangeException(nameof(MaxOpenFiles), "-1 (unlimited) or positive");
        if (Parallelism < 1) throw new ArgumentOutOfRangeException(nameof(Parallelism), "at least 1");
    }
}
