using BenchmarkDotNet.Attributes;
using IExecChain.Core.Primitives;
using IExecChain.State.Merkle;
using IExecChain.Storage;

namespace IExecChain.Benchmarks;

/// <summary>
/// Pure tree cost of one block's state changes: Prepare (sort, leaf hashes, every touched node hashed
/// once) up to the new root, over a MemoryStore with the nodes cached. Per changed key = Mean / BatchSize.
/// The change set is 80% updates of existing keys, 15% new keys and 5% deletes.
/// </summary>
[MemoryDiagnoser]
public class StateTreeBenchmarks
{
    private StateTree _tree = null!;
    private List<KeyValuePair<Hash256, byte[]?>> _changes = null!;

    [Params(10_000, 100_000, 1_000_000)]
    public int ExistingKeys { get; set; }

    [Params(1_000, 10_000)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var store = new MemoryStore();
        _tree = new StateTree(store, new StateTreeOptions { NodeCacheCapacity = 4_000_000 });
        var keys = StateTreeData.Populate(_tree, store, ExistingKeys, seed: 1);
        _changes = StateTreeData.Changes(keys, BatchSize, seed: 2);
    }

    [Benchmark]
    public Hash256 Prepare_to_root() => _tree.Prepare(_changes).Root;
}

/// <summary>A whole block's state commit on RocksDB: Prepare, Commit into a batch, synced write.</summary>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet releases the store in [GlobalCleanup]")]
public class StateTreeRocksDbBenchmarks
{
    private string _path = "";
    private RocksDbStore _store = null!;
    private StateTree _tree = null!;
    private List<KeyValuePair<Hash256, byte[]?>> _changes = null!;
    private int _round;

    [Params(1_000_000)]
    public int ExistingKeys { get; set; }

    [Params(1_000, 10_000)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), "iexec-bench-state", Guid.NewGuid().ToString("N"));
        _store = new RocksDbStore(_path);
        _tree = new StateTree(_store, new StateTreeOptions { NodeCacheCapacity = 4_000_000 });
        var keys = StateTreeData.Populate(_tree, _store, ExistingKeys, seed: 1);
        var random = new Random(3);
        _changes = new List<KeyValuePair<Hash256, byte[]?>>(BatchSize);
        for (int i = 0; i < BatchSize; i++) _changes.Add(new(keys[random.Next(keys.Count)], new byte[40]));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_path, recursive: true);
    }

    [Benchmark]
    public Hash256 Prepare_commit_and_write()
    {
        // New values every round so every block really changes the tree.
        _round++;
        foreach (var change in _changes) BitConverter.TryWriteBytes(change.Value, _round);
        var update = _tree.Prepare(_changes);
        using var batch = _store.NewBatch();
        _tree.Commit(update, batch);
        _store.Write(batch, sync: true);
        return update.Root;
    }
}

internal static class StateTreeData
{
    public static List<Hash256> Populate(StateTree tree, IKeyValueStore store, int count, int seed)
    {
        var random = new Random(seed);
        var keys = new List<Hash256>(count);
        var bytes = new byte[32];
        const int chunk = 100_000;
        for (int done = 0; done < count; done += chunk)
        {
            var changes = new List<KeyValuePair<Hash256, byte[]?>>(chunk);
            for (int i = done; i < Math.Min(count, done + chunk); i++)
            {
                random.NextBytes(bytes);
                var key = new Hash256(bytes);
                keys.Add(key);
                var value = new byte[40];
                random.NextBytes(value);
                changes.Add(new(key, value));
            }
            var update = tree.Prepare(changes);
            using var batch = store.NewBatch();
            tree.Commit(update, batch);
            store.Write(batch, sync: false);
        }
        return keys;
    }

    public static List<KeyValuePair<Hash256, byte[]?>> Changes(List<Hash256> keys, int count, int seed)
    {
        var random = new Random(seed);
        var changes = new List<KeyValuePair<Hash256, byte[]?>>(count);
        var bytes = new byte[32];
        for (int i = 0; i < count; i++)
        {
            int kind = random.Next(100);
            if (kind < 80) changes.Add(new(keys[random.Next(keys.Count)], RandomValue(random)));
            else if (kind < 95)
            {
                random.NextBytes(bytes);
                changes.Add(new(new Hash256(bytes), RandomValue(random)));
            }
            else changes.Add(new(keys[random.Next(keys.Count)], null));
        }
        return changes;
    }

    private static byte[] RandomValue(Random random)
    {
        var value = new byte[40];
        random.NextBytes(value);
        return value;
    }
}
