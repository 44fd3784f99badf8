using IExecChain.Core.Blocks;
using IExecChain.Core.Content;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Core.Tests.Content;

public class ContentMerkleTests
{
    private static byte[] Bytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    // The layouts written out byte by byte, independently of the helpers under test.
    private static Hash256 ExpectedLeaf(long index, byte[] chunk) =>
        Keccak256.Hash([0x00, .. BigEndian((ulong)index, 8), .. chunk]);

    private static Hash256 ExpectedRoot(long size, int chunkSize, Hash256 treeRoot) =>
        Keccak256.Hash([0x02, .. BigEndian((ulong)size, 8), .. BigEndian((uint)chunkSize, 4), .. treeRoot.ToArray()]);

    private static byte[] BigEndian(ulong value, int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[length - 1 - i] = (byte)(value >> (8 * i));
        return bytes;
    }

    [Test]
    public void One_chunk_content_root_is_the_root_tag_over_size_chunk_size_and_its_leaf()
    {
        byte[] data = Bytes(100);

        Hash256 root = ContentMerkle.ComputeRoot(data, chunkSize: 128);

        Assert.That(root, Is.EqualTo(ExpectedRoot(100, 128, ExpectedLeaf(0, data))));
    }

    [Test]
    public void Empty_content_is_one_empty_chunk_that_can_be_proven()
    {
        Hash256 root = ContentMerkle.ComputeRoot([], chunkSize: 64);

        Assert.That(root, Is.EqualTo(ExpectedRoot(0, 64, ExpectedLeaf(0, []))));
        Assert.That(ContentMerkle.ChunkCount(0, 64), Is.EqualTo(1));
        var tree = ContentTree.Build([], 64);
        Assert.That(tree.Root, Is.EqualTo(root));
        Assert.That(tree.Prove(0), Is.Empty);
        Assert.That(ContentMerkle.Verify(root, 0, 64, 0, [], []), Is.True);
        Assert.That(ContentMerkle.Verify(root, 0, 64, 0, [0], []), Is.False, "the empty chunk has no bytes");
        Assert.That(ContentMerkle.Verify(root, 0, 64, 1, [], []), Is.False, "there is no second chunk");
    }

    [Test]
    public void Tree_root_is_the_block_merkle_rule_over_the_leaves_for_every_count()
    {
        // MerkleRoot (blocks) pairs with the same 0x01 tag and carries odd nodes up: an independent
        // implementation of the same tree.
        const int chunkSize = 3;
        for (int size = 1; size <= 3 * 70; size += 1)
        {
            byte[] data = Bytes(size, size);
            var leaves = new List<Hash256>();
            for (int i = 0; i * chunkSize < size; i++)
                leaves.Add(ExpectedLeaf(i, data.AsSpan(i * chunkSize, Math.Min(chunkSize, size - i * chunkSize)).ToArray()));

            Hash256 expected = ExpectedRoot(size, chunkSize, MerkleRoot.Compute(leaves));

            Assert.That(ContentMerkle.ComputeRoot(data, chunkSize), Is.EqualTo(expected), $"streaming builder, size {size}");
            Assert.That(ContentTree.Build(data, chunkSize).Root, Is.EqualTo(expected), $"tree, size {size}");
        }
    }

    [Test]
    public void Every_chunk_of_many_chunk_content_verifies_including_the_last_short_one()
    {
        byte[] data = Bytes(1000);
        var tree = ContentTree.Build(data, chunkSize: 7);
        Assert.That(tree.ChunkCount, Is.EqualTo(143));

        for (long i = 0; i < tree.ChunkCount; i++)
        {
            (long offset, int length) = tree.ChunkRange(i);
            Assert.That(ContentMerkle.Verify(tree.Root, 1000, 7, i, data.AsSpan((int)offset, length), tree.Prove(i)), Is.True, $"chunk {i}");
        }
        Assert.That(tree.ChunkRange(142), Is.EqualTo((994L, 6)));
    }

    [Test]
    public void Tampered_chunk_wrong_index_size_or_chunk_size_are_rejected()
    {
        byte[] data = Bytes(1000);
        var tree = ContentTree.Build(data, chunkSize: 64);
        byte[] chunk = data.AsSpan(128, 64).ToArray();
        Hash256[] proof = tree.Prove(2);
        Assert.That(ContentMerkle.Verify(tree.Root, 1000, 64, 2, chunk, proof), Is.True);

        byte[] tampered = (byte[])chunk.Clone();
        tampered[10] ^= 1;
        Assert.That(ContentMerkle.Verify(tree.Root, 1000, 64, 2, tampered, proof), Is.False, "tampered chunk");
        Assert.That(ContentMerkle.Verify(tree.Root, 1000, 64, 3, chunk, proof), Is.False, "right chunk, wrong index");
        Assert.That(ContentMerkle.Verify(tree.Root, 1001, 64, 2, chunk, proof), Is.False, "wrong size, same chunk count");
        Assert.That(ContentMerkle.Verify(tree.Root, 1000, 128, 1, data.AsSpan(128, 128), tree.Prove(1)), Is.False, "wrong chunk size");
    }

    [Test]
    public void Chunk_swapped_with_its_sibling_is_rejected_even_with_a_matching_proof_shape()
    {
        // The leaf commits to its index, so chunk 3 presented as chunk 2 fails even if its bytes
        // and the proof's hashes all belong to the tree.
        byte[] data = Bytes(256);
        var tree = ContentTree.Build(data, chunkSize: 64);

        Assert.That(ContentMerkle.Verify(tree.Root, 256, 64, 2, data.AsSpan(192, 64), tree.Prove(3)), Is.False);
    }

    [Test]
    public void Truncated_extended_or_altered_proof_is_rejected_with_a_reason()
    {
        byte[] data = Bytes(1000);
        var tree = ContentTree.Build(data, chunkSize: 64);
        byte[] chunk = data.AsSpan(0, 64).ToArray();
        Hash256[] proof = tree.Prove(0);
        Assert.That(proof, Has.Length.EqualTo(4));

        Assert.That(ContentMerkle.Check(tree.Root, 1000, 64, 0, chunk, proof.AsSpan(0, 3)), Does.Contain("proof of chunk 0 has 3 hash(es), expected 4"));
        Assert.That(ContentMerkle.Check(tree.Root, 1000, 64, 0, chunk, [.. proof, Hash256.Zero]), Does.Contain("expected 4"));
        Hash256[] altered = (Hash256[])proof.Clone();
        altered[2] = Keccak256.Hash([1]);
        Assert.That(ContentMerkle.Check(tree.Root, 1000, 64, 0, chunk, altered), Does.Contain("do not hash to root"));
    }

    [Test]
    public void Last_chunk_padded_to_full_length_is_rejected()
    {
        byte[] data = Bytes(100);
        var tree = ContentTree.Build(data, chunkSize: 64);
        byte[] padded = new byte[64];
        data.AsSpan(64).CopyTo(padded);

        Assert.That(ContentMerkle.Check(tree.Root, 100, 64, 1, padded, tree.Prove(1)), Is.EqualTo("chunk 1 is 64 bytes, expected 36"));
    }

    [Test]
    public void Root_commits_to_the_chunking()
    {
        byte[] data = Bytes(300);

        Assert.That(ContentMerkle.ComputeRoot(data, 64), Is.Not.EqualTo(ContentMerkle.ComputeRoot(data, 128)));
        Assert.That(ContentMerkle.ComputeRoot(data, 300), Is.Not.EqualTo(ContentMerkle.ComputeRoot(data, 301)), "one chunk either way, still different");
    }

    [Test]
    public void Stream_read_in_odd_pieces_file_and_span_give_the_same_root()
    {
        byte[] data = Bytes(200_000);
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, data);
            Hash256 expected = ContentTree.Build(data).Root;

            Assert.That(ContentMerkle.ComputeRoot(data), Is.EqualTo(expected));
            Assert.That(ContentMerkle.ComputeRoot(new TrickleStream(data, 1_001)), Is.EqualTo(new ContentInfo(expected, 200_000, ContentMerkle.DefaultChunkSize)));
            Assert.That(ContentMerkle.ComputeFileRoot(path).Root, Is.EqualTo(expected));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Builder_keeps_the_leaves_a_tree_can_be_rebuilt_from()
    {
        byte[] data = Bytes(5000);
        var builder = new ContentRootBuilder(512, keepLeaves: true);
        builder.Append(data.AsSpan(0, 1234));
        builder.Append(data.AsSpan(1234));
        ContentInfo info = builder.Finish();

        var rebuilt = ContentTree.FromLeaves(info.Size, info.ChunkSize, [.. builder.Leaves]);

        Assert.That(rebuilt.Root, Is.EqualTo(info.Root));
        Assert.That(rebuilt.Root, Is.EqualTo(ContentTree.Build(data, 512).Root));
        Assert.Throws<ArgumentException>(() => ContentTree.FromLeaves(info.Size + 512, info.ChunkSize, [.. builder.Leaves]));
    }

    [Test]
    public void Out_of_range_parameters_are_rejected_not_crashed_on()
    {
        Assert.That(ContentMerkle.Verify(Hash256.Zero, -1, 64, 0, [], []), Is.False);
        Assert.That(ContentMerkle.Verify(Hash256.Zero, 10, 0, 0, [], []), Is.False);
        Assert.That(ContentMerkle.Verify(Hash256.Zero, 10, 64, -1, [], []), Is.False);
        Assert.Throws<ArgumentOutOfRangeException>(() => ContentMerkle.ChunkCount(10, ContentMerkle.MaxChunkSize + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ContentTree.Build(Bytes(10), 4).Prove(3));
    }

    /// <summary>A stream that returns at most a fixed number of bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int piece) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, piece));
    }
}
