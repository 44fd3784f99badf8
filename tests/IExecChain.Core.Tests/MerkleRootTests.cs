using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Core.Tests;

public class MerkleRootTests
{
    private static Hash256 Leaf(int i) => Keccak256.Hash([(byte)i]);

    private static Hash256 Node(Hash256 left, Hash256 right)
    {
        var buffer = new byte[65];
        buffer[0] = 1;
        left.CopyTo(buffer.AsSpan(1));
        right.CopyTo(buffer.AsSpan(33));
        return Keccak256.Hash(buffer);
    }

    [Test]
    public void Roots_of_small_lists_follow_the_pairing_rule()
    {
        Assert.That(MerkleRoot.Compute([]), Is.EqualTo(Hash256.Zero));
        Assert.That(MerkleRoot.Compute([Leaf(0)]), Is.EqualTo(Leaf(0)));
        Assert.That(MerkleRoot.Compute([Leaf(0), Leaf(1), Leaf(2)]), Is.EqualTo(Node(Node(Leaf(0), Leaf(1)), Leaf(2))));
    }

    [Test]
    public void Every_leaf_has_a_proof_that_verifies_and_a_wrong_leaf_does_not()
    {
        for (int count = 1; count <= 17; count++)
        {
            var leaves = Enumerable.Range(0, count).Select(Leaf).ToArray();
            var root = MerkleRoot.Compute(leaves);
            for (int i = 0; i < count; i++)
            {
                var proof = MerkleRoot.Prove(leaves, i);
                Assert.That(MerkleRoot.Verify(root, leaves[i], i, count, proof), Is.True, $"{i} of {count}");
                Assert.That(MerkleRoot.Verify(root, Leaf(99), i, count, proof), Is.False);
            }
        }
    }
}
