using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.State.Merkle;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.State.Tests.Merkle;

public sealed class StateTreeTests
{
    // ---- The hash rules, written out again here so the tests do not trust the tree's own code. ----

    private static Hash256 LeafHash(Hash256 key, byte[] value)
    {
        var preimage = new byte[65];
        preimage[0] = 0x00;
        key.CopyTo(preimage.AsSpan(1));
        Keccak256.Hash(value).CopyTo(preimage.AsSpan(33));
        return Keccak256.Hash(preimage);
    }

    private static Hash256 LeafHashFromValueHash(Hash256 key, Hash256 valueHash)
    {
        var preimage = new byte[65];
        key.CopyTo(preimage.AsSpan(1));
        valueHash.CopyTo(preimage.AsSpan(33));
        return Keccak256.Hash(preimage);
    }

    private static Hash256 InternalHash(Hash256 left, Hash256 right)
    {
        var preimage = new byte[65];
        preimage[0] = 0x01;
        left.CopyTo(preimage.AsSpan(1));
        right.CopyTo(preimage.AsSpan(33));
        return Keccak256.Hash(preimage);
    }

    /// <summary>Root of a key set built from scratch: empty = Zero, one key = its leaf, else split on the next bit.</summary>
    internal static Hash256 ReferenceRoot(IReadOnlyList<KeyValuePair<Hash256, byte[]>> entries, int depth = 0)
    {
        if (entries.Count == 0) return Hash256.Zero;
        if (entries.Count == 1) return LeafHash(entries[0].Key, entries[0].Value);
        var left = entries.Where(e => e.Key.Bit(depth) == 0).ToList();
        var right = entries.Where(e => e.Key.Bit(depth) == 1).ToList();
        return InternalHash(ReferenceRoot(left, depth + 1), ReferenceRoot(right, depth + 1));
    }

    /// <summary>An independent verifier of the proof format documented on StateProof.</summary>
    internal static bool VerifyIndependently(Hash256 root, StateProof proof)
    {
        var key = proof.Key;
        int depth = proof.Siblings.Count;
        Hash256 node;
        if (proof.Value is not null) node = LeafHash(key, proof.Value);
        else if (proof.OtherLeafKey is { } other)
        {
            if (other == key || proof.OtherLeafValueHash is null) return false;
            for (int i = 0; i < depth; i++) if (other.Bit(i) != key.Bit(i)) return false;
            node = LeafHashFromValueHash(other, proof.OtherLeafValueHash.Value);
        }
        else node = Hash256.Zero;
        for (int i = depth - 1; i >= 0; i--)
            node = key.Bit(i) == 0 ? InternalHash(node, proof.Siblings[i]) : InternalHash(proof.Siblings[i], node);
        return node == root;
    }

    // ---- Test data ----

    private static Hash256 KeyWithBits(string leadingBits, byte fill = 0)
    {
        var bytes = new byte[32];
        Array.Fill(bytes, fill);
        for (int i = 0; i < leadingBits.Length; i++)
        {
            int mask = 0x80 >> (i % 8);
            if (leadingBits[i] == '1') bytes[i / 8] |= (byte)mask;
            else bytes[i / 8] &= (byte)~mask;
        }
        return new Hash256(bytes);
    }

    private static Hash256 RandomKey(Random random)
    {
        var bytes = new byte[32];
        random.NextBytes(bytes);
        return new Hash256(bytes);
    }

    private static byte[] RandomValue(Random random)
    {
        var value = new byte[random.Next(0, 48)];
        random.NextBytes(value);
        return value;
    }

    private static KeyValuePair<Hash256, byte[]?> Set(Hash256 key, byte[]? value) => new(key, value);

    private static void Apply(StateTree tree, IKeyValueStore store, IReadOnlyList<KeyValuePair<Hash256, byte[]?>> changes)
    {
        var update = tree.Prepare(changes);
        using var batch = store.NewBatch();
        tree.Commit(update, batch);
        store.Write(batch);
    }

    // ---- Tests ----

    [Test]
    public void Root_of_an_empty_tree_is_zero()
    {
        var tree = new StateTree(new MemoryStore());
        Assert.That(tree.Root, Is.EqualTo(Hash256.Zero));
        Assert.That(tree.Get(KeyWithBits("1")), Is.Null);
    }

    [Test]
    public void Root_of_a_one_key_tree_is_its_leaf_hash()
    {
        var store = new MemoryStore();
        var tree = new StateTree(store);
        var key = KeyWithBits("0110", 0x5A);
        Apply(tree, store, [Set(key, [1, 2, 3])]);
        Assert.That(tree.Root, Is.EqualTo(LeafHash(key, [1, 2, 3])));
        Assert.That(tree.Get(key), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public void Two_keys_that_differ_in_the_first_bit_hang_from_the_root()
    {
        var store = new MemoryStore();
        var tree = new StateTree(store);
        var a = KeyWithBits("0", 0x11);
        var b = KeyWithBits("1", 0x22);
        Apply(tree, store, [Set(b, [2]), Set(a, [1])]);
        Assert.That(tree.Root, Is.EqualTo(InternalHash(LeafHash(a, [1]), LeafHash(b, [2]))));
    }

    [Test]
    public void Keys_sharing_a_prefix_hang_under_a_chain_of_internal_nodes_with_empty_siblings()
    {
        var store = new MemoryStore();
        var tree = new StateTree(store);
        var a = KeyWithBits("110");
        var b = KeyWithBits("111");
        var c = KeyWithBits("0");
        Apply(tree, store, [Set(a, [0xA]), Set(b, [0xB]), Set(c, [0xC])]);

        // depth 2 splits a and b; depth 1 has only the "11" side; c sits alone on the left of the root.
        var depth2 = InternalHash(LeafHash(a, [0xA]), LeafHash(b, [0xB]));
        var depth1 = InternalHash(Hash256.Zero, depth2);
        var expected = InternalHash(LeafHash(c, [0xC]), depth1);
        Assert.That(tree.Root, Is.EqualTo(expected));

        // Deleting b lifts a to the top of the right subtree: the chain disappears.
        Apply(tree, store, [Set(b, null)]);
        Assert.That(tree.Root, Is.EqualTo(InternalHash(LeafHash(c, [0xC]), LeafHash(a, [0xA]))));
    }

    [Test]
    public void Keys_differing_only_in_the_last_bit_are_handled()
    {
        var store = new MemoryStore();
        var tree = new StateTree(store);
        var a = KeyWithBits(new string('1', 255) + "0");
        var b = KeyWithBits(new string('1', 256));
        Apply(tree, store, [Set(a, [1]), Set(b, [2])]);
        Assert.That(tree.Root, Is.EqualTo(ReferenceRoot([new(a, [1]), new(b, [2])])));
        var proof = tree.GetProof(b);
        Assert.That(proof.Siblings, Has.Count.EqualTo(256));
        Assert.That(VerifyIndependently(tree.Root, proof), Is.True);
    }

    [Test]
    public void Random_inserts_updates_and_deletes_give_the_root_of_a_fresh_build_of_the_final_set()
    {
        var random = new Random(20240601);
        for (int round = 0; round < 40; round++)
        {
            var store = new MemoryStore();
            var tree = new StateTree(store, new StateTreeOptions { NodeCacheCapacity = 64, ParallelThreshold = round % 2 == 0 ? 16 : int.MaxValue });
            var model = new Dictionary<Hash256, byte[]>();
            var keys = Enumerable.Range(0, random.Next(1, 120)).Select(_ => RandomKey(random)).ToList();
            for (int block = 0; block < 8; block++)
            {
                var changes = new List<KeyValuePair<Hash256, byte[]?>>();
                for (int i = random.Next(0, 60); i > 0; i--)
                {
                    var key = keys[random.Next(keys.Count)];
                    var value = random.Next(4) == 0 ? null : RandomValue(random);
                    changes.Add(Set(key, value));
                    if (value is null) model.Remove(key);
                    else model[key] = value;
                }
                Apply(tree, store, changes);

                Assert.That(tree.Root, Is.EqualTo(ReferenceRoot(model.ToList())), $"round {round} block {block}");
                var fresh = new StateTree(new MemoryStore());
                var freshUpdate = fresh.Prepare(model.Select(e => Set(e.Key, e.Value)).ToList());
                Assert.That(freshUpdate.Root, Is.EqualTo(tree.Root), "incremental and fresh build agree");
            }
            foreach (var key in keys) Assert.That(tree.Get(key), Is.EqualTo(model.GetValueOrDefault(key)));
        }
    }

    [Test]
    public void Deleting_every_key_returns_the_root_to_zero_and_leaves_no_nodes_behind()
    {
        var random = new Random(7);
        var store = new MemoryStore();
        var tree = new StateTree(store);
        var keys = Enumerable.Range(0, 500).Select(_ => RandomKey(random)).ToList();
        Apply(tree, store, keys.Select(k => Set(k, RandomValue(random))).ToList());
        Assert.That(store.Iterate(DbColumn.StateNodes), Is.Not.Empty);

        Apply(tree, store, keys.Take(250).Select(k => Set(k, null)).ToList());
        Apply(tree, store, keys.Skip(250).Select(k => Set(k, null)).ToList());

        Assert.That(tree.Root, Is.EqualTo(Hash256.Zero));
        Assert.That(store.Iterate(DbColumn.StateNodes), Is.Empty);
        Assert.That(store.Iterate(DbColumn.StateValues), Is.Empty);
    }

    [Test]
    public void Values_longer_than_one_keccak_block_mixed_with_short_ones_give_the_reference_root()
    {
        var random = new Random(11);
        var store = new MemoryStore();
        var tree = new StateTree(store, new StateTreeOptions { ParallelThreshold = 16 });
        var model = new Dictionary<Hash256, byte[]>();
        for (int i = 0; i < 300; i++)
        {
            var value = new byte[random.Next(3) == 0 ? random.Next(136, 400) : random.Next(0, 136)];
            random.NextBytes(value);
            model[RandomKey(random)] = value;
        }
        Apply(tree, store, model.Select(e => Set(e.Key, e.Value)).ToList());
        Assert.That(tree.Root, Is.EqualTo(ReferenceRoot(model.ToList())));
    }

    [Test]
    public void The_last_change_of_a_key_in_one_batch_wins()
    {
        var store = new MemoryStore();
        var tree = new StateTree(store);
        var key = KeyWithBits("1010");
        var update = tree.Prepare([Set(key, [1]), Set(key, null), Set(key, [3])]);
        Assert.That(update.ChangedKeys, Is.EqualTo(1));
        Assert.That(update.Root, Is.EqualTo(LeafHash(key, [3])));
    }

    [Test]
    public void Proofs_of_inclusion_and_non_inclusion_verify_for_random_keys()
    {
        var random = new Random(99);
        var store = new MemoryStore();
        var tree = new StateTree(store, new StateTreeOptions { NodeCacheCapacity = 128 });
        var model = new Dictionary<Hash256, byte[]>();
        for (int i = 0; i < 2000; i++) model[RandomKey(random)] = RandomValue(random);
        Apply(tree, store, model.Select(e => Set(e.Key, e.Value)).ToList());

        int withOtherLeaf = 0, withEmptySlot = 0;
        foreach (var (key, value) in model.Take(300))
        {
            var proof = tree.GetProof(key);
            Assert.That(proof.Value, Is.EqualTo(value));
            Assert.That(VerifyIndependently(tree.Root, proof), Is.True);
            Assert.That(proof.Verify(tree.Root), Is.True);
        }
        for (int i = 0; i < 300; i++)
        {
            var absent = RandomKey(random);
            var proof = tree.GetProof(absent);
            Assert.That(proof.Value, Is.Null);
            Assert.That(VerifyIndependently(tree.Root, proof), Is.True);
            Assert.That(proof.Verify(tree.Root), Is.True);
            if (proof.OtherLeafKey is null) withEmptySlot++;
            else withOtherLeaf++;
        }
        Assert.That(withOtherLeaf, Is.Positive, "some absent keys end at another key's leaf");
        Assert.That(withEmptySlot, Is.Positive, "some absent keys end at an empty slot");
    }

    [Test]
    public void Proofs_in_empty_and_one_key_trees_verify()
    {
        var store = new MemoryStore();
        var tree = new StateTree(store);
        var key = KeyWithBits("1");
        Assert.That(VerifyIndependently(tree.Root, tree.GetProof(key)), Is.True);
        Apply(tree, store, [Set(key, [7])]);
        var inclusion = tree.GetProof(key);
        var exclusion = tree.GetProof(KeyWithBits("0"));
        Assert.That(inclusion.Siblings, Is.Empty);
        Assert.That(VerifyIndependently(tree.Root, inclusion), Is.True);
        Assert.That(exclusion.OtherLeafKey, Is.EqualTo(key));
        Assert.That(VerifyIndependently(tree.Root, exclusion), Is.True);
    }

    [Test]
    public void Tampered_proofs_fail()
    {
        var random = new Random(5);
        var store = new MemoryStore();
        var tree = new StateTree(store);
        var keys = Enumerable.Range(0, 300).Select(_ => RandomKey(random)).ToList();
        Apply(tree, store, keys.Select(k => Set(k, RandomValue(random))).ToList());
        var root = tree.Root;
        var proof = tree.GetProof(keys[3]);
        Assert.That(proof.Verify(root), Is.True);

        var otherValue = new StateProof(proof.Key, [.. proof.Value!, 0x01], proof.Siblings);
        var claimedAbsent = new StateProof(proof.Key, null, proof.Siblings);
        var siblings = proof.Siblings.ToArray();
        siblings[^1] = Keccak256.Hash(siblings[^1].ToArray());
        var wrongSibling = new StateProof(proof.Key, proof.Value, siblings);
        var shortened = new StateProof(proof.Key, proof.Value, proof.Siblings.Skip(1).ToList());
        var lyingOtherLeaf = new StateProof(proof.Key, null, proof.Siblings, keys[4], Keccak256.Hash([1]));

        foreach (var bad in new[] { otherValue, claimedAbsent, wrongSibling, shortened, lyingOtherLeaf })
        {
            Assert.That(bad.Verify(root), Is.False);
            Assert.That(VerifyIndependently(root, bad), Is.False);
        }
        Assert.That(proof.Verify(Keccak256.Hash([0])), Is.False, "a valid proof fails against another root");
    }

    [Test]
    public void Prepare_without_commit_leaves_the_committed_tree_unchanged()
    {
        var store = new MemoryStore();
        var tree = new StateTree(store);
        var key = KeyWithBits("01");
        Apply(tree, store, [Set(key, [1])]);
        var root = tree.Root;

        var update = tree.Prepare([Set(key, [2]), Set(KeyWithBits("11"), [3])]);

        Assert.That(update.BaseRoot, Is.EqualTo(root));
        Assert.That(update.Root, Is.Not.EqualTo(root));
        Assert.That(tree.Root, Is.EqualTo(root));
        Assert.That(tree.Get(key), Is.EqualTo(new byte[] { 1 }));
        Assert.That(tree.GetProof(key).Verify(root), Is.True);
    }

    [Test]
    public void Committing_an_update_prepared_on_a_stale_root_throws()
    {
        var store = new MemoryStore();
        var tree = new StateTree(store);
        var first = tree.Prepare([Set(KeyWithBits("0"), [1])]);
        var second = tree.Prepare([Set(KeyWithBits("1"), [2])]);
        using var batch = store.NewBatch();
        tree.Commit(first, batch);
        Assert.Throws<InvalidOperationException>(() => tree.Commit(second, batch));
        Assert.Throws<InvalidOperationException>(() => tree.Commit(first, batch));
    }

    [Test]
    public void Reopening_on_rocksdb_keeps_the_root_values_and_proofs()
    {
        var path = Path.Combine(Path.GetTempPath(), "iexec-state-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var random = new Random(3);
            var model = new Dictionary<Hash256, byte[]>();
            for (int i = 0; i < 1500; i++) model[RandomKey(random)] = RandomValue(random);
            Hash256 root;
            using (var store = new RocksDbStore(path))
            {
                var tree = new StateTree(store);
                Apply(tree, store, model.Select(e => Set(e.Key, e.Value)).ToList());
                var removed = model.Keys.Take(100).ToList();
                Apply(tree, store, removed.Select(k => Set(k, null)).ToList());
                foreach (var key in removed) model.Remove(key);
                root = tree.Root;
            }
            using (var store = new RocksDbStore(path))
            {
                var tree = new StateTree(store, new StateTreeOptions { NodeCacheCapacity = 16 });
                Assert.That(tree.Root, Is.EqualTo(root));
                Assert.That(tree.Root, Is.EqualTo(ReferenceRoot(model.ToList())));
                foreach (var (key, value) in model.Take(200))
                {
                    Assert.That(tree.Get(key), Is.EqualTo(value));
                    Assert.That(VerifyIndependently(root, tree.GetProof(key)), Is.True);
                }
                Assert.That(VerifyIndependently(root, tree.GetProof(RandomKey(random))), Is.True);

                // And it keeps working incrementally from what it loaded.
                var extra = RandomKey(random);
                Apply(tree, store, [Set(extra, [42])]);
                model[extra] = [42];
                Assert.That(tree.Root, Is.EqualTo(ReferenceRoot(model.ToList())));
            }
        }
        finally
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
    }

    [Test]
    public void Reopening_a_one_key_tree_keeps_its_lone_leaf()
    {
        var store = new MemoryStore();
        var key = KeyWithBits("101");
        Apply(new StateTree(store), store, [Set(key, [5])]);
        var reopened = new StateTree(store);
        Assert.That(reopened.Root, Is.EqualTo(LeafHash(key, [5])));
        var other = KeyWithBits("100");
        Apply(reopened, store, [Set(other, [6])]);
        Assert.That(reopened.Root, Is.EqualTo(ReferenceRoot([new(key, [5]), new(other, [6])])));
    }
}
