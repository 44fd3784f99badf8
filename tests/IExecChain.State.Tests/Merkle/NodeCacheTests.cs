using IExecChain.Core.Primitives;
using IExecChain.State.Merkle;
using NUnit.Framework;

namespace IExecChain.State.Tests.Merkle;

public sealed class NodeCacheTests
{
    private static Hash256 Key(Random random, int sharedBits)
    {
        // Keys that agree on their first sharedBits bits, so positions crowd into long probe runs.
        var bytes = new byte[32];
        random.NextBytes(bytes);
        for (int i = 0; i < sharedBits; i++) bytes[i / 8] &= (byte)~(0x80 >> (i % 8));
        return new Hash256(bytes);
    }

    private static InternalNode Node(Random random)
    {
        var bytes = new byte[32];
        Slot Child()
        {
            random.NextBytes(bytes);
            var hash = new Hash256(bytes);
            random.NextBytes(bytes);
            return random.Next(3) switch
            {
                0 => Slot.Empty,
                1 => Slot.Leaf(new Hash256(bytes), hash),
                _ => Slot.Internal(hash),
            };
        }
        return new InternalNode(Child(), Child());
    }

    private static void AssertSame(InternalNode actual, InternalNode expected)
    {
        Assert.That(actual.Left.Kind, Is.EqualTo(expected.Left.Kind));
        Assert.That(actual.Left.Hash, Is.EqualTo(expected.Left.Hash));
        Assert.That(actual.Left.LeafKey, Is.EqualTo(expected.Left.LeafKey));
        Assert.That(actual.Right.Kind, Is.EqualTo(expected.Right.Kind));
        Assert.That(actual.Right.Hash, Is.EqualTo(expected.Right.Hash));
        Assert.That(actual.Right.LeafKey, Is.EqualTo(expected.Right.LeafKey));
    }

    [Test]
    public void Random_sets_and_removes_agree_with_a_dictionary_through_growth_and_backward_shifts()
    {
        var random = new Random(11);
        var cache = new NodeCache(1_000_000);
        var model = new Dictionary<NodeKey, InternalNode>();
        var positions = new List<NodeKey>();
        for (int i = 0; i < 3000; i++)
        {
            var key = Key(random, random.Next(0, 12));
            positions.Add(NodeKey.Of(key, random.Next(0, 24)));
        }
        for (int step = 0; step < 40_000; step++)
        {
            var position = positions[random.Next(positions.Count)];
            switch (random.Next(3))
            {
                case 0:
                    var node = Node(random);
                    cache.Set(position, node);
                    model[position] = node;
                    break;
                case 1:
                    cache.Remove(position);
                    model.Remove(position);
                    break;
                default:
                    bool found = cache.TryGet(position, out var cached);
                    Assert.That(found, Is.EqualTo(model.TryGetValue(position, out var expected)), $"step {step}");
                    if (found) AssertSame(cached, expected);
                    break;
            }
        }
        Assert.That(cache.Count, Is.EqualTo(model.Count));
        foreach (var (position, node) in model)
        {
            Assert.That(cache.TryGet(position, out var cached), Is.True);
            AssertSame(cached, node);
        }
    }

    [Test]
    public void Above_capacity_the_entries_unused_for_longest_are_dropped_and_the_rest_stay_exact()
    {
        var random = new Random(12);
        var cache = new NodeCache(100);
        var recent = new Dictionary<NodeKey, InternalNode>();
        for (int epoch = 0; epoch < 10; epoch++)
        {
            cache.NextEpoch();
            recent.Clear();
            for (int i = 0; i < 30; i++)
            {
                var position = NodeKey.Of(Key(random, 0), 20);
                var node = Node(random);
                cache.Set(position, node);
                recent[position] = node;
            }
            Assert.That(cache.Count, Is.LessThanOrEqualTo(100));
        }
        foreach (var (position, node) in recent)
        {
            Assert.That(cache.TryGet(position, out var cached), Is.True, "this epoch's entries are the last to go");
            AssertSame(cached, node);
        }
    }

    [Test]
    public void Positions_deeper_than_the_packed_key_allows_are_not_cached()
    {
        var random = new Random(13);
        var cache = new NodeCache(1000);
        var key = Key(random, 0);
        cache.Set(NodeKey.Of(key, NodeCache.MaxDepth), Node(random));
        cache.Set(NodeKey.Of(key, NodeCache.MaxDepth + 1), Node(random));
        Assert.That(cache.TryGet(NodeKey.Of(key, NodeCache.MaxDepth), out _), Is.True);
        Assert.That(cache.TryGet(NodeKey.Of(key, NodeCache.MaxDepth + 1), out _), Is.False);
        Assert.That(NodeCache.Code(key, NodeCache.MaxDepth + 1), Is.Zero);
        Assert.That(NodeCache.Code(key, 17), Is.EqualTo(NodeKey.Of(key, 17).CacheCode));
    }
}
