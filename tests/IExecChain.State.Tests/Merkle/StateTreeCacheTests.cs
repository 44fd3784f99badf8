using IExecChain.Core.Primitives;
using IExecChain.State.Merkle;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.State.Tests.Merkle;

/// <summary>
/// The tree against the reference root where the node cache cannot help: positions too deep to cache,
/// a cache far smaller than the tree, and a next block prepared before the last one's batch is written.
/// </summary>
public sealed class StateTreeCacheTests
{
    private static Hash256 KeyWithPrefix(Random random, byte[] prefix, int prefixBits)
    {
        var bytes = new byte[32];
        random.NextBytes(bytes);
        for (int i = 0; i < prefixBits; i++)
        {
            int mask = 0x80 >> (i % 8);
            bytes[i / 8] = (byte)((bytes[i / 8] & ~mask) | (prefix[i / 8] & mask));
        }
        return new Hash256(bytes);
    }

    private static KeyValuePair<Hash256, byte[]?> Set(Hash256 key, byte[]? value) => new(key, value);

    [Test]
    public void Keys_sharing_seventy_bits_get_the_reference_root_and_verifying_proofs_after_reopen()
    {
        var random = new Random(5);
        var prefix = new byte[32];
        random.NextBytes(prefix);
        var store = new MemoryStore();
        var tree = new StateTree(store, new StateTreeOptions { NodeCacheCapacity = 32, ParallelThreshold = 8 });
        var model = new Dictionary<Hash256, byte[]>();
        var keys = new List<Hash256>();
        for (int i = 0; i < 40; i++) keys.Add(KeyWithPrefix(random, prefix, 70));
        for (int i = 0; i < 40; i++) keys.Add(KeyWithPrefix(random, prefix, random.Next(0, 70)));
        for (int block = 0; block < 12; block++)
        {
            var changes = new List<KeyValuePair<Hash256, byte[]?>>();
            for (int i = random.Next(1, 30); i > 0; i--)
            {
                var key = keys[random.Next(keys.Count)];
                byte[]? value = random.Next(4) == 0 ? null : [(byte)block, (byte)i];
                changes.Add(Set(key, value));
                if (value is null) model.Remove(key);
                else model[key] = value;
            }
            var update = tree.Prepare(changes);
            using var batch = store.NewBatch();
            tree.Commit(update, batch);
            store.Write(batch);
            Assert.That(tree.Root, Is.EqualTo(StateTreeTests.ReferenceRoot(model.ToList())), $"block {block}");
        }

        var reopened = new StateTree(store, new StateTreeOptions { NodeCacheCapacity = 8 });
        Assert.That(reopened.Root, Is.EqualTo(tree.Root));
        foreach (var key in keys)
        {
            var proof = reopened.GetProof(key);
            Assert.That(proof.Value, Is.EqualTo(model.GetValueOrDefault(key)));
            Assert.That(StateTreeTests.VerifyIndependently(reopened.Root, proof), Is.True);
        }
    }

    [Test]
    public void The_next_block_prepared_before_the_last_batch_is_written_reads_the_pending_nodes()
    {
        var random = new Random(6);
        var store = new MemoryStore();
        var tree = new StateTree(store, new StateTreeOptions { NodeCacheCapacity = 4 });
        var model = new Dictionary<Hash256, byte[]>();
        var keys = Enumerable.Range(0, 300).Select(_ =>
        {
            var bytes = new byte[32];
            random.NextBytes(bytes);
            return new Hash256(bytes);
        }).ToList();
        IWriteBatch? unwritten = null;
        for (int block = 0; block < 10; block++)
        {
            var changes = new List<KeyValuePair<Hash256, byte[]?>>();
            for (int i = random.Next(1, 120); i > 0; i--)
            {
                var key = keys[random.Next(keys.Count)];
                byte[]? value = random.Next(5) == 0 ? null : [(byte)block, (byte)i, 7];
                changes.Add(Set(key, value));
                if (value is null) model.Remove(key);
                else model[key] = value;
            }
            // Prepared while the previous block's nodes exist only in its unwritten batch.
            var update = tree.Prepare(changes);
            if (unwritten is not null)
            {
                store.Write(unwritten);
                unwritten.Dispose();
            }
            unwritten = store.NewBatch();
            tree.Commit(update, unwritten);
            Assert.That(tree.Root, Is.EqualTo(StateTreeTests.ReferenceRoot(model.ToList())), $"block {block}");
        }
        store.Write(unwritten!);
        unwritten!.Dispose();
        Assert.That(new StateTree(store).Root, Is.EqualTo(tree.Root));
    }
}
