using IExecChain.Core.Primitives;

namespace IExecChain.Core.Content;

/// <summary>
/// Every level of one content's Merkle tree, kept so that the proof of any chunk is a lookup
/// (a store serving chunks builds it once per content from the stored leaf hashes).
/// </summary>
public sealed class ContentTree
{
    // _levels[0] are the leaves; the last level holds the tree root alone.
    private readonly Hash256[][] _levels;

    private ContentTree(long size, int chunkSize, Hash256[][] levels)
    {
        Size = size;
        ChunkSize = chunkSize;
        _levels = levels;
        TreeRoot = levels[^1][0];
        Root = ContentMerkle.ContentRoot(size, chunkSize, TreeRoot);
    }

    public Hash256 Root { get; }
    public Hash256 TreeRoot { get; }
    public long Size { get; }
    public int ChunkSize { get; }
    public long ChunkCount => _levels[0].Length;
    public ContentInfo Info => new(Root, Size, ChunkSize);
    public ReadOnlySpan<Hash256> Leaves => _levels[0];

    /// <summary>Bytes held by the levels (about 64 per chunk), for caches bounded by memory.</summary>
    public long MemoryBytes
    {
        get
        {
            long hashes = 0;
            foreach (Hash256[] level in _levels) hashes += level.Length;
            return hashes * Hash256.Size;
        }
    }

    public static ContentTree Build(ReadOnlySpan<byte> content, int chunkSize = ContentMerkle.DefaultChunkSize)
    {
        long count = ContentMerkle.ChunkCount(content.Length, chunkSize);
        var leaves = new Hash256[count];
        for (int i = 0; i < leaves.Length; i++)
        {
            (long offset, int length) = ContentMerkle.ChunkRange(content.Length, chunkSize, i);
            leaves[i] = ContentMerkle.LeafHash(i, content.Slice((int)offset, length));
        }
        return new ContentTree(content.Length, chunkSize, BuildLevels(leaves));
    }

    /// <summary>The tree of a file, read once in chunk-size pieces: about 64 bytes of memory per chunk, not the content.</summary>
    public static ContentTree FromFile(string path, int chunkSize = ContentMerkle.DefaultChunkSize)
    {
        ContentMerkle.ValidateChunkSize(chunkSize);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        long size = stream.Length;
        var leaves = new Hash256[ContentMerkle.ChunkCount(size, chunkSize)];
        byte[] buffer = new byte[chunkSize];
        for (long i = 0; i < leaves.LongLength; i++)
        {
            (_, int length) = ContentMerkle.ChunkRange(size, chunkSize, i);
            stream.ReadExactly(buffer, 0, length);
            leaves[i] = ContentMerkle.LeafHash(i, buffer.AsSpan(0, length));
        }
        return new ContentTree(size, chunkSize, BuildLevels(leaves));
    }

    /// <summary>From leaf hashes computed elsewhere (a store's metadata); their count must match the size.</summary>
    public static ContentTree FromLeaves(long size, int chunkSize, Hash256[] leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        long count = ContentMerkle.ChunkCount(size, chunkSize);
        if (leaves.Length != count)
            throw new ArgumentException($"content of {size} bytes in {chunkSize}-byte chunks has {count} leaves, got {leaves.Length}", nameof(leaves));
        return new ContentTree(size, chunkSize, BuildLevels(leaves));
    }

    public (long Offset, int Length) ChunkRange(long index) => ContentMerkle.ChunkRange(Size, ChunkSize, index);

    /// <summary>Siblings of chunk <paramref name="index"/> from the leaf up, as <see cref="ContentMerkle.Verify"/> takes them.</summary>
    public Hash256[] Prove(long index)
    {
        if ((ulong)index >= (ulong)ChunkCount)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"the content has {ChunkCount} chunk(s)");
        var proof = new Hash256[ContentMerkle.ProofLength(ChunkCount, index)];
        int used = 0;
        long position = index;
        for (int level = 0; level < _levels.Length - 1; level++, position /= 2)
        {
            long sibling = position ^ 1;
            if (sibling < _levels[level].Length) proof[used++] = _levels[level][sibling];
        }
        return proof;
    }

    private static Hash256[][] BuildLevels(Hash256[] leaves)
    {
        var levels = new List<Hash256[]> { leaves };
        var level = leaves;
        while (level.Length > 1)
        {
            var next = new Hash256[(level.Length + 1) / 2];
            for (int i = 0; i < next.Length; i++)
                next[i] = 2 * i + 1 < level.Length ? ContentMerkle.InnerHash(level[2 * i], level[2 * i + 1]) : level[2 * i];
            levels.Add(next);
            level = next;
        }
        return [.. levels];
    }
}
