using IExecChain.Core.Primitives;
using IExecChain.State.Merkle;
using IExecChain.State.Snapshots;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.State.Tests.Snapshots;

/// <summary>
/// A restored node goes on with normal block processing on what the restore wrote, so the restore must
/// leave exactly what tree updates would: every value, every node record under its position and the
/// root records, byte for byte. The reference is built through <see cref="StateTree"/> updates in a
/// shuffled order, in several batches, with keys inserted and deleted again on the way.
/// </summary>
public sealed class SnapshotRestoreLayoutTests
{
    private const ulong ChainId = 77;

    public enum Shape
    {
        Empty,
        Single,
        TwoAtOppositeEnds,
        Random,
        LongSharedPrefixes,
    }

    [TestCase(Shape.Random, 3000, 100_000, 4096)]
    [TestCase(Shape.Random, 3000, 1, 1024)]
    [TestCase(Shape.Random, 3000, 7, 512)]
    [TestCase(Shape.Random, 5000, 1000, 64 * 1024)]
    [TestCase(Shape.LongSharedPrefixes, 2000, 100_000, 4096)]
    [TestCase(Shape.LongSharedPrefixes, 2000, 3, 256)]
    [TestCase(Shape.LongSharedPrefixes, 2000, 64, 2048)]
    [TestCase(Shape.Single, 1, 100_000, 4096)]
    [TestCase(Shape.Single, 1, 1, 64)]
    [TestCase(Shape.TwoAtOppositeEnds, 2, 1, 64)]
    [TestCase(Shape.TwoAtOppositeEnds, 2, 100_000, 4096)]
    [TestCase(Shape.Empty, 0, 100_000, 4096)]
    public void A_restored_state_is_stored_byte_for_byte_as_the_same_state_built_by_tree_updates(Shape shape, int entries, int batchEntries, int chunkBytes)
    {
        var state = Make(shape, entries, seed: entries * 31 + batchEntries);
        var reference = new MemoryStore();
        var root = BuildByUpdates(reference, state, seed: batchEntries);

        var restored = new MemoryStore();
        Assert.That(Restore(restored, state, root, batchEntries, chunkBytes), Is.EqualTo(root));
        AssertSameStateColumns(restored, reference);
    }

    [Test]
    public void A_state_with_levels_wide_enough_to_hash_on_two_threads_is_stored_byte_for_byte_as_tree_updates_store_it()
    {
        // SortedTreeBuilder hashes a level of 1,024 closed nodes or more on two threads (the 1M-account restore does);
        // 3,000–5,000 random keys stay under that at every depth. A node where two adjacent keys part is closed in the
        // batch at the depth of their common prefix, so the widest depth has at least as many nodes as pairs part there.
        var state = Make(Shape.Random, 20_000, seed: 1024);
        int widest = state.Zip(state.Skip(1)).GroupBy(pair => CommonPrefixBits(pair.First.Key, pair.Second.Key)).Max(depth => depth.Count());
        Assert.That(widest, Is.GreaterThanOrEqualTo(1024), "one batch closes a level of at least 1,024 nodes");
        var reference = new MemoryStore();
        var root = BuildByUpdates(reference, state, seed: 3);
        var restored = new MemoryStore();
        Assert.That(Restore(restored, state, root, SnapshotRestorer.BatchEntries, SnapshotFormat.DefaultChunkBytes), Is.EqualTo(root));
        AssertSameStateColumns(restored, reference);
    }

    private static int CommonPrefixBits(byte[] a, byte[] b)
    {
        for (int i = 0; i < a.Length; i++)
            if (a[i] != b[i]) return i * 8 + System.Numerics.BitOperations.LeadingZeroCount((uint)(a[i] ^ b[i])) - 24;
        return a.Length * 8;
    }

    [Test]
    public void A_state_restored_into_RocksDB_is_stored_byte_for_byte_as_the_same_state_built_by_tree_updates()
    {
        var state = Make(Shape.LongSharedPrefixes, 3000, seed: 5);
        var reference = new MemoryStore();
        var root = BuildByUpdates(reference, state, seed: 6);
        string path = Path.Combine(Path.GetTempPath(), "iexec-restore-layout-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var restored = new RocksDbStore(path);
            Assert.That(Restore(restored, state, root, batchEntries: 500, chunkBytes: 8192), Is.EqualTo(root));
            AssertSameStateColumns(restored, reference);
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }

    [Test]
    public void A_restore_whose_root_is_not_the_manifests_writes_no_root_records()
    {
        var state = Make(Shape.Random, 500, seed: 9);
        var store = new MemoryStore();
        var refused = Assert.Throws<SnapshotRefusedException>(() => Restore(store, state, Hash256.Parse("0x" + new string('1', 64)), 100, 4096))!;
        Assert.That(refused.Message, Does.Contain("has root"));
        Assert.That(store.Get(DbColumn.Meta, "state-root"u8), Is.Null);
    }

    /// <summary>Sorted, distinct keys; values of 0 to 300 bytes (over and under one Keccak block, and empty ones).</summary>
    private static List<(byte[] Key, byte[] Value)> Make(Shape shape, int entries, int seed)
    {
        var random = new Random(seed);
        var keys = new SortedSet<Hash256>();
        switch (shape)
        {
            case Shape.Single:
                keys.Add(RandomKey(random));
                break;
            case Shape.TwoAtOppositeEnds:
                keys.Add(Hash256.Zero);
                keys.Add(Hash256.Parse("0x" + new string('f', 64)));
                break;
            case Shape.LongSharedPrefixes:
                // The extremes, pairs differing only in the last bit (a node at depth 255), groups under
                // prefixes of 8 to 250 bits (long chains of one-sided nodes above them), the rest random.
                keys.Add(Hash256.Zero);
                keys.Add(Hash256.Parse("0x" + new string('f', 64)));
                while (keys.Count < entries)
                {
                    var bytes = new byte[32];
                    random.NextBytes(bytes);
                    int shared = random.Next(4) switch { 0 => 255, 1 => random.Next(8, 251), 2 => 64 * random.Next(1, 4), _ => 0 };
                    int group = shared == 255 ? 2 : random.Next(2, 9);
                    for (int i = 0; i < group && keys.Count < entries; i++)
                    {
                        var member = (byte[])bytes.Clone();
                        if (shared > 0)
                        {
                            // Keep the first `shared` bits, draw the rest.
                            var tail = new byte[32];
                            random.NextBytes(tail);
                            for (int bit = shared; bit < 256; bit++)
                            {
                                int mask = 0x80 >> (bit % 8);
                                member[bit / 8] = (byte)((member[bit / 8] & ~mask) | (tail[bit / 8] & mask));
                            }
                        }
                        else
                        {
                            random.NextBytes(member);
                        }
                        keys.Add(new Hash256(member));
                    }
                }
                break;
            case Shape.Random:
                while (keys.Count < entries) keys.Add(RandomKey(random));
                break;
        }
        var state = new List<(byte[] Key, byte[] Value)>(keys.Count);
        foreach (var key in keys)
        {
            int length = random.Next(6) switch { 0 => 0, 1 => random.Next(136, 301), 2 => 135, _ => random.Next(1, 80) };
            var value = new byte[length];
            random.NextBytes(value);
            state.Add((key.ToArray(), value));
        }
        return state;
    }

    private static Hash256 RandomKey(Random random)
    {
        var bytes = new byte[32];
        random.NextBytes(bytes);
        return new Hash256(bytes);
    }

    /// <summary>The state through ordinary tree updates: shuffled, in batches, with extra keys inserted then deleted. Returns the root.</summary>
    private static Hash256 BuildByUpdates(IKeyValueStore store, List<(byte[] Key, byte[] Value)> state, int seed)
    {
        var random = new Random(seed);
        var tree = new StateTree(store);
        var order = state.Select(e => new KeyValuePair<Hash256, byte[]?>(new Hash256(e.Key), e.Value)).OrderBy(_ => random.Next()).ToList();
        var extra = Enumerable.Range(0, Math.Max(1, state.Count / 10)).Select(_ => RandomKey(random)).ToList();
        int batches = Math.Max(1, Math.Min(5, order.Count));
        for (int b = 0; b < batches; b++)
        {
            var changes = order.Skip(b * order.Count / batches).Take((b + 1) * order.Count / batches - b * order.Count / batches).ToList();
            // Extra keys come in with the first batch and go with the last one, splitting and merging nodes on the way.
            if (b == 0) changes.AddRange(extra.Select(k => new KeyValuePair<Hash256, byte[]?>(k, [1, 2, 3])));
            if (b == batches - 1) changes.AddRange(extra.Select(k => new KeyValuePair<Hash256, byte[]?>(k, null)));
            Apply(tree, store, changes);
        }
        return tree.Root;
    }

    private static void Apply(StateTree tree, IKeyValueStore store, List<KeyValuePair<Hash256, byte[]?>> changes)
    {
        var update = tree.Prepare(changes);
        using var batch = store.NewBatch();
        tree.Commit(update, batch);
        store.Write(batch);
    }

    private static Hash256 Restore(IKeyValueStore store, List<(byte[] Key, byte[] Value)> state, Hash256 root, int batchEntries, int chunkBytes)
    {
        var chunks = new List<byte[]>();
        var manifest = SnapshotWriter.Write(state, ChainId, 1, Hash256.Zero, root, (_, bytes) => chunks.Add(bytes.ToArray()), chunkBytes);
        using var restorer = new SnapshotRestorer(store, manifest, ChainId, batchEntries);
        for (int i = 0; i < chunks.Count; i++) restorer.Add(i, chunks[i]);
        return restorer.Finish();
    }

    private static void AssertSameStateColumns(IKeyValueStore restored, IKeyValueStore reference)
    {
        foreach (var column in new[] { DbColumn.StateValues, DbColumn.StateNodes, DbColumn.Meta })
        {
            var got = restored.Iterate(column).ToList();
            var expected = reference.Iterate(column).ToList();
            for (int i = 0; i < Math.Min(got.Count, expected.Count); i++)
            {
                Assert.That(Hex.Encode(got[i].Key), Is.EqualTo(Hex.Encode(expected[i].Key)), $"{column}: key #{i}");
                Assert.That(Hex.Encode(got[i].Value), Is.EqualTo(Hex.Encode(expected[i].Value)), $"{column}: value under {Hex.Encode(expected[i].Key)}");
            }
            Assert.That(got, Has.Count.EqualTo(expected.Count), $"{column}: entries");
        }
    }
}
