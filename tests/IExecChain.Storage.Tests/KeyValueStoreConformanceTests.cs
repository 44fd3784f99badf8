using System.Text;
using NUnit.Framework;

namespace IExecChain.Storage.Tests;

/// <summary>The contract of <see cref="IKeyValueStore"/>, run against every implementation.</summary>
public abstract class KeyValueStoreConformanceTests
{
    private IKeyValueStore _store = null!;

    protected abstract IKeyValueStore Open();

    /// <summary>Closes the store and opens it again over the same data; null when the store is not persistent.</summary>
    protected abstract IKeyValueStore? Reopen(IKeyValueStore store);

    protected virtual void Cleanup() { }

    [SetUp]
    public void SetUp() => _store = Open();

    [TearDown]
    public void TearDown()
    {
        _store.Dispose();
        Cleanup();
    }

    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    [Test]
    public void Missing_key_reads_as_null_and_try_get_returns_false()
    {
        Assert.That(_store.Get(DbColumn.Blocks, B("nope")), Is.Null);
        Assert.That(_store.TryGet(DbColumn.Blocks, B("nope"), stackalloc byte[8], out var length), Is.False);
        Assert.That(length, Is.Zero);
    }

    [Test]
    public void Put_then_get_returns_the_value_and_overwrite_replaces_it()
    {
        _store.Put(DbColumn.Commits, B("k"), B("v1"));
        Assert.That(_store.Get(DbColumn.Commits, B("k")), Is.EqualTo(B("v1")));
        _store.Put(DbColumn.Commits, B("k"), B("value-2"), sync: true);
        Assert.That(_store.Get(DbColumn.Commits, B("k")), Is.EqualTo(B("value-2")));
    }

    [Test]
    public void Columns_are_separate_key_spaces()
    {
        _store.Put(DbColumn.Commits, B("k"), B("h"));
        _store.Put(DbColumn.Blocks, B("k"), B("b"));
        Assert.That(_store.Get(DbColumn.Commits, B("k")), Is.EqualTo(B("h")));
        Assert.That(_store.Get(DbColumn.Blocks, B("k")), Is.EqualTo(B("b")));
        Assert.That(_store.Get(DbColumn.Receipts, B("k")), Is.Null);
    }

    [Test]
    public void Empty_value_is_stored_and_is_not_missing()
    {
        _store.Put(DbColumn.Meta, B("empty"), ReadOnlySpan<byte>.Empty);
        Assert.That(_store.Get(DbColumn.Meta, B("empty")), Is.Empty);
        Assert.That(_store.TryGet(DbColumn.Meta, B("empty"), Span<byte>.Empty, out var length), Is.True);
        Assert.That(length, Is.Zero);
    }

    [Test]
    public void Try_get_copies_into_the_span_and_reports_the_length()
    {
        _store.Put(DbColumn.StateValues, [1, 2, 3], [9, 8, 7, 6]);
        Span<byte> destination = stackalloc byte[16];
        Assert.That(_store.TryGet(DbColumn.StateValues, [1, 2, 3], destination, out var length), Is.True);
        Assert.That(destination[..length].ToArray(), Is.EqualTo(new byte[] { 9, 8, 7, 6 }));
    }

    [Test]
    public void Try_get_into_a_too_small_span_throws()
    {
        _store.Put(DbColumn.StateValues, [1], [1, 2, 3, 4]);
        Assert.Throws<ArgumentException>(() => _store.TryGet(DbColumn.StateValues, [1], new byte[3], out _));
    }

    [Test]
    public void Keys_and_values_are_read_from_spans_over_larger_buffers()
    {
        var buffer = B("xxkeyxxvaluexx");
        _store.Put(DbColumn.HeightIndex, buffer.AsSpan(2, 3), buffer.AsSpan(7, 5));
        Assert.That(_store.Get(DbColumn.HeightIndex, B("key")), Is.EqualTo(B("value")));
        buffer[3] = (byte)'Z';
        Assert.That(_store.Get(DbColumn.HeightIndex, B("key")), Is.EqualTo(B("value")), "the store copies what it is given");
    }

    [Test]
    public void Returned_arrays_are_copies()
    {
        _store.Put(DbColumn.Meta, B("k"), B("v"));
        _store.Get(DbColumn.Meta, B("k"))![0] = (byte)'X';
        Assert.That(_store.Get(DbColumn.Meta, B("k")), Is.EqualTo(B("v")));
    }

    [Test]
    public void Batch_delete_removes_a_key()
    {
        _store.Put(DbColumn.Receipts, B("gone"), B("v"));
        using var batch = _store.NewBatch();
        batch.Delete(DbColumn.Receipts, B("gone"));
        batch.Delete(DbColumn.Receipts, B("never-there"));
        _store.Write(batch);
        Assert.That(_store.Get(DbColumn.Receipts, B("gone")), Is.Null);
    }

    [Test]
    public void Batch_is_invisible_until_written_then_applies_across_columns()
    {
        using var batch = _store.NewBatch();
        batch.Put(DbColumn.Blocks, B("b1"), B("block"));
        batch.Put(DbColumn.HeightIndex, B("h1"), B("b1"));
        batch.Put(DbColumn.StateNodes, B("n"), B("node"));
        Assert.That(batch.Count, Is.EqualTo(3));
        Assert.That(_store.Get(DbColumn.Blocks, B("b1")), Is.Null);

        _store.Write(batch);

        Assert.That(_store.Get(DbColumn.Blocks, B("b1")), Is.EqualTo(B("block")));
        Assert.That(_store.Get(DbColumn.HeightIndex, B("h1")), Is.EqualTo(B("b1")));
        Assert.That(_store.Get(DbColumn.StateNodes, B("n")), Is.EqualTo(B("node")));
    }

    [Test]
    public void Later_operations_in_a_batch_win_over_earlier_ones()
    {
        using var batch = _store.NewBatch();
        batch.Put(DbColumn.Meta, B("a"), B("1"));
        batch.Delete(DbColumn.Meta, B("a"));
        batch.Put(DbColumn.Meta, B("b"), B("1"));
        batch.Put(DbColumn.Meta, B("b"), B("2"));
        _store.Write(batch, sync: false);
        Assert.That(_store.Get(DbColumn.Meta, B("a")), Is.Null);
        Assert.That(_store.Get(DbColumn.Meta, B("b")), Is.EqualTo(B("2")));
    }

    [Test]
    public void Concurrent_readers_never_see_half_of_a_batch()
    {
        const int rounds = 300;
        using var stop = new CancellationTokenSource();
        int torn = 0;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Read the later-written column first: if it shows round n, the other must show at least n.
                var second = _store.Get(DbColumn.Blocks, B("x"));
                var first = _store.Get(DbColumn.Commits, B("x"));
                if (second is not null && (first is null || BitConverter.ToInt32(first) < BitConverter.ToInt32(second)))
                    Interlocked.Increment(ref torn);
            }
        });
        for (int i = 0; i < rounds; i++)
        {
            using var batch = _store.NewBatch();
            batch.Put(DbColumn.Commits, B("x"), BitConverter.GetBytes(i));
            batch.Put(DbColumn.Blocks, B("x"), BitConverter.GetBytes(i));
            _store.Write(batch, sync: false);
        }
        stop.Cancel();
        reader.Wait();
        Assert.That(torn, Is.Zero);
    }

    [Test]
    public void Iteration_is_in_bytewise_key_order()
    {
        byte[][] keys = [[0x02], [0x01, 0xFF], [0x01], [0xFF], [0x01, 0x00], [0x80]];
        foreach (var key in keys) _store.Put(DbColumn.Commits, key, key);
        _store.Put(DbColumn.Blocks, [0x00], [0]);

        var seen = _store.Iterate(DbColumn.Commits).Select(e => Convert.ToHexString(e.Key)).ToList();

        Assert.That(seen, Is.EqualTo(new[] { "01", "0100", "01FF", "02", "80", "FF" }));
    }

    [Test]
    public void Iteration_with_a_prefix_returns_only_matching_keys()
    {
        foreach (var key in new[] { "a", "ab", "abc", "abd", "ac", "b" }) _store.Put(DbColumn.HeightIndex, B(key), B(key.ToUpperInvariant()));

        var seen = _store.Iterate(DbColumn.HeightIndex, B("ab")).ToList();

        Assert.That(seen.Select(e => Encoding.ASCII.GetString(e.Key)), Is.EqualTo(new[] { "ab", "abc", "abd" }));
        Assert.That(seen.Select(e => Encoding.ASCII.GetString(e.Value)), Is.EqualTo(new[] { "AB", "ABC", "ABD" }));
        Assert.That(_store.Iterate(DbColumn.HeightIndex, B("zz")), Is.Empty);
        Assert.That(_store.Iterate(DbColumn.ConsensusWal), Is.Empty);
    }

    [Test]
    public void Backward_iteration_returns_the_prefix_in_descending_order_strictly_below_the_bound()
    {
        byte[][] keys = [[0x01], [0x01, 0x00], [0x01, 0x05], [0x01, 0xFF], [0x01, 0xFF, 0xFF], [0x02], [0x00, 0xFF], [0xFF], [0xFF, 0xFF]];
        foreach (var key in keys) _store.Put(DbColumn.QueryIndex, key, key);
        _store.Put(DbColumn.Commits, [0x01, 0x03], [0]);
        string Seen(byte[] prefix, byte[]? before = null) =>
            string.Join(",", _store.IterateBackward(DbColumn.QueryIndex, prefix, before).Select(e => Convert.ToHexString(e.Key)));

        Assert.That(Seen([0x01]), Is.EqualTo("01FFFF,01FF,0105,0100,01"));
        Assert.That(Seen([0x01], [0x01, 0xFF]), Is.EqualTo("0105,0100,01"), "the bound itself is excluded");
        Assert.That(Seen([0x01], [0x01, 0x04]), Is.EqualTo("0100,01"), "a bound between keys");
        Assert.That(Seen([0x01], [0x01]), Is.Empty, "nothing below the smallest key of the prefix");
        Assert.That(Seen([0xFF]), Is.EqualTo("FFFF,FF"), "a prefix of 0xFF has no successor: from the last key");
        Assert.That(Seen([0x03]), Is.Empty);
        Assert.That(Seen([0x01, 0x03]), Is.Empty, "other columns are not read");
        Assert.That(_store.IterateBackward(DbColumn.QueryIndex, [0x01]).Take(2).Count(), Is.EqualTo(2), "a caller can stop early");
    }

    [Test]
    public void Data_survives_reopening_the_store()
    {
        using (var batch = _store.NewBatch())
        {
            batch.Put(DbColumn.Blocks, B("b"), B("block"));
            batch.Put(DbColumn.ConsensusWal, B("w"), B("wal"));
            _store.Write(batch);
        }
        _store.Put(DbColumn.Meta, B("m"), B("meta"), sync: true);

        var reopened = Reopen(_store);
        if (reopened is null)
        {
            Assert.Ignore("this store is not persistent");
            return;
        }
        _store = reopened;

        Assert.That(_store.Get(DbColumn.Blocks, B("b")), Is.EqualTo(B("block")));
        Assert.That(_store.Get(DbColumn.ConsensusWal, B("w")), Is.EqualTo(B("wal")));
        Assert.That(_store.Get(DbColumn.Meta, B("m")), Is.EqualTo(B("meta")));
    }

    [Test]
    public void An_unlogged_batch_is_read_at_once_and_survives_closing_the_store()
    {
        using (var batch = _store.NewBatch())
        {
            batch.Put(DbColumn.QueryIndex, B("u"), B("unlogged"));
            batch.Put(DbColumn.QueryIndex, B("v"), B("too"));
            _store.WriteUnlogged(batch);
        }
        // A logged write after it, as the next block's commit: the unlogged entries are not in its log.
        using (var batch = _store.NewBatch())
        {
            batch.Put(DbColumn.Blocks, B("b"), B("block"));
            _store.Write(batch);
        }
        Assert.That(_store.Get(DbColumn.QueryIndex, B("u")), Is.EqualTo(B("unlogged")));

        var reopened = Reopen(_store);
        if (reopened is null)
        {
            Assert.Ignore("this store is not persistent");
            return;
        }
        _store = reopened;
        Assert.That(_store.Get(DbColumn.QueryIndex, B("u")), Is.EqualTo(B("unlogged")), "closing flushes what the log does not hold");
        Assert.That(_store.Get(DbColumn.QueryIndex, B("v")), Is.EqualTo(B("too")));
        Assert.That(_store.Get(DbColumn.Blocks, B("b")), Is.EqualTo(B("block")));
    }
}

[TestFixture]
public sealed class MemoryStoreTests : KeyValueStoreConformanceTests
{
    protected override IKeyValueStore Open() => new MemoryStore();

    protected override IKeyValueStore? Reopen(IKeyValueStore store) => null;
}

[TestFixture]
public sealed class RocksDbStoreTests : KeyValueStoreConformanceTests
{
    private string _path = "";

    protected override IKeyValueStore Open()
    {
        _path = Path.Combine(Path.GetTempPath(), "iexec-storage-tests", Guid.NewGuid().ToString("N"));
        return new RocksDbStore(_path);
    }

    protected override IKeyValueStore? Reopen(IKeyValueStore store)
    {
        store.Dispose();
        return new RocksDbStore(_path);
    }

    protected override void Cleanup()
    {
        if (Directory.Exists(_path)) Directory.Delete(_path, recursive: true);
    }

    [Test]
    public void An_unlogged_batch_does_not_grow_the_write_ahead_log_and_a_logged_one_does()
    {
        using var store = new RocksDbStore(_path + "-wal");
        try
        {
            long before = LogBytes(_path + "-wal");
            Write(store, unlogged: true);
            long afterUnlogged = LogBytes(_path + "-wal");
            Write(store, unlogged: false);
            long afterLogged = LogBytes(_path + "-wal");
            Assert.That(afterUnlogged - before, Is.LessThan(64 * 1024), "1 MiB written without the log");
            Assert.That(afterLogged - afterUnlogged, Is.GreaterThan(1024 * 1024), "1 MiB written with it");
        }
        finally
        {
            store.Dispose();
            Directory.Delete(_path + "-wal", recursive: true);
        }

        static void Write(RocksDbStore store, bool unlogged)
        {
            using var batch = store.NewBatch();
            for (int i = 0; i < 256; i++) batch.Put(DbColumn.QueryIndex, Encoding.ASCII.GetBytes($"{unlogged}-{i}"), new byte[4096]);
            if (unlogged) store.WriteUnlogged(batch);
            else store.Write(batch, sync: true);
        }

        static long LogBytes(string path) => Directory.GetFiles(path, "*.log").Sum(f => new FileInfo(f).Length);
    }

    [Test]
    public void Opening_a_directory_already_open_fails_with_a_clear_error()
    {
        // Its own type (an IOException), so a caller such as `bridge exit` can tell "in use" from other failures.
        var error = Assert.Throws<DatabaseLockedException>(() => new RocksDbStore(_path).Dispose());
        Assert.That(error, Is.InstanceOf<IOException>());
        Assert.That(error!.Message, Does.Contain("locked"));
    }

    [Test]
    public void A_corrupt_database_fails_with_a_clear_error()
    {
        var path = Path.Combine(Path.GetTempPath(), "iexec-storage-tests", Guid.NewGuid().ToString("N"));
        try
        {
            new RocksDbStore(path).Dispose();
            foreach (var manifest in Directory.GetFiles(path, "MANIFEST-*"))
                File.WriteAllBytes(manifest, Enumerable.Repeat((byte)0xAB, 4096).ToArray());
            Assert.That(() => new RocksDbStore(path).Dispose(), Throws.InstanceOf<InvalidDataException>().Or.InstanceOf<IOException>());
        }
        finally
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
    }
}
