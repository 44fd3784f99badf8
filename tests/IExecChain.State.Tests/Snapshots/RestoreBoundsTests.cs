using IExecChain.Core.Primitives;
using IExecChain.State.Merkle;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.State.Tests.Snapshots;

/// <summary>What a restore holds in memory per batch, and what a database left by an interrupted restore is taken for.</summary>
public sealed class RestoreBoundsTests
{
    private static Hash256 Key(byte[] bytes) => new(bytes);

    [Test]
    public void The_node_estimate_stays_near_one_per_entry_for_random_keys_and_grows_with_crafted_shared_prefixes()
    {
        var random = new Random(15);
        var keys = Enumerable.Range(0, 10_000).Select(_ => { var k = new byte[32]; random.NextBytes(k); return Key(k); }).Order().ToList();
        var honest = new SortedTreeBuilder();
        foreach (var key in keys) honest.Add(key, [1]);
        Assert.That(honest.BufferedNodes, Is.InRange(keys.Count, 4L * keys.Count), "random keys: a few nodes per entry");

        // Pairs of keys that differ only in their last bit: 255 shared bits each, 255 internal nodes above each pair.
        var crafted = new SortedTreeBuilder();
        for (int i = 0; i < 100; i++)
        {
            var a = new byte[32];
            a[0] = (byte)i;
            var b = (byte[])a.Clone();
            b[31] = 1;
            crafted.Add(Key(a), [1]);
            crafted.Add(Key(b), [1]);
        }
        Assert.That(crafted.BufferedNodes, Is.GreaterThanOrEqualTo(100L * 200), "crafted keys: the estimate follows the nodes they force");
        Assert.That(crafted.BufferedBytes, Is.EqualTo(200));
        crafted.Flush(new MemoryStore().NewBatch());
        Assert.That((crafted.Buffered, crafted.BufferedBytes, crafted.BufferedNodes), Is.EqualTo((0, 0L, 0L)), "a flush starts the next batch's counts");
    }

    [Test]
    public void A_database_with_state_but_no_head_is_refused_instead_of_taking_genesis_over_it()
    {
        // What a snapshot import killed before its last write leaves: state entries, no head.
        var store = new MemoryStore();
        using (var batch = store.NewBatch())
        {
            batch.Put(DbColumn.StateValues, new byte[32], [0x0A]);
            store.Write(batch, sync: true);
        }
        var refused = Assert.Throws<InvalidDataException>(() => new TestChain(store))!;
        Assert.That(refused.Message, Does.Contain("but no head block"));
        Assert.That(() => new TestChain(new MemoryStore()), Throws.Nothing, "an empty database takes genesis");
    }
}
