using System.Buffers.Binary;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Content;

/// <summary>
/// The content-addressing format of apps' code and datasets (docs/content.md): content is cut into
/// fixed-size chunks, each chunk is a leaf of a binary Merkle tree, and the content root commits to
/// the total size, the chunk size and the tree root, so a root names exactly one byte string and
/// one way of cutting it.
/// </summary>
/// <remarks>
/// leaf = keccak256(0x00 ‖ uint64-BE index ‖ chunk); inner = keccak256(0x01 ‖ left ‖ right);
/// an odd last node of a level is carried up unchanged (as in <see cref="Blocks.MerkleRoot"/>);
/// root = keccak256(0x02 ‖ uint64-BE size ‖ uint32-BE chunk size ‖ tree root). Empty content is
/// one empty chunk, so every content has at least one leaf and one provable chunk.
/// </remarks>
public static class ContentMerkle
{
    public const int DefaultChunkSize = 65_536;

    /// <summary>Upper bound on the chunk size, so a chunk and its proof fit one RPC answer.</summary>
    public const int MaxChunkSize = 16 * 1024 * 1024;

    public const byte LeafTag = 0x00;
    public const byte InnerTag = 0x01;
    public const byte RootTag = 0x02;

    public static void ValidateChunkSize(int chunkSize)
    {
        if (chunkSize is < 1 or > MaxChunkSize)
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, $"a chunk size is 1..{MaxChunkSize} bytes");
    }

    /// <summary>Number of chunks (leaves): ceil(size / chunkSize), and 1 for empty content.</summary>
    public static long ChunkCount(long size, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ValidateChunkSize(chunkSize);
        return size == 0 ? 1 : (size - 1) / chunkSize + 1;
    }

    /// <summary>Byte range of chunk <paramref name="index"/>: every chunk is full except the last.</summary>
    public static (long Offset, int Length) ChunkRange(long size, int chunkSize, long index)
    {
        long count = ChunkCount(size, chunkSize);
        if ((ulong)index >= (ulong)count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"content of {size} bytes in {chunkSize}-byte chunks has {count} chunk(s)");
        long offset = index * chunkSize;
        return (offset, (int)Math.Min(chunkSize, size - offset));
    }

    public static Hash256 LeafHash(long index, ReadOnlySpan<byte> chunk)
    {
        Span<byte> prefix = stackalloc byte[9];
        prefix[0] = LeafTag;
        BinaryPrimitives.WriteUInt64BigEndian(prefix[1..], (ulong)index);
        var hasher = new Keccak256.Incremental();
        hasher.Append(prefix);
        hasher.Append(chunk);
        return hasher.Finish();
    }

    public static Hash256 InnerHash(in Hash256 left, in Hash256 right)
    {
        Span<byte> buffer = stackalloc byte[1 + 2 * Hash256.Size];
        buffer[0] = InnerTag;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Hash256.Size)..]);
        return Keccak256.Hash(buffer);
    }

    /// <summary>The content root: what the chain records for an app or a dataset, with the size.</summary>
    public static Hash256 ContentRoot(long size, int chunkSize, in Hash256 treeRoot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ValidateChunkSize(chunkSize);
        Span<byte> buffer = stackalloc byte[1 + 8 + 4 + Hash256.Size];
        buffer[0] = RootTag;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[1..], (ulong)size);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[9..], (uint)chunkSize);
        treeRoot.CopyTo(buffer[13..]);
        return Keccak256.Hash(buffer);
    }

    public static Hash256 ComputeRoot(ReadOnlySpan<byte> content, int chunkSize = DefaultChunkSize)
    {
        var builder = new ContentRootBuilder(chunkSize);
        builder.Append(content);
        return builder.Finish().Root;
    }

    /// <summary>Reads <paramref name="content"/> to its end; holds O(log n) hashes, not the content.</summary>
    public static ContentInfo ComputeRoot(Stream content, int chunkSize = DefaultChunkSize)
    {
        ArgumentNullException.ThrowIfNull(content);
        var builder = new ContentRootBuilder(chunkSize);
        byte[] buffer = new byte[Math.Max(chunkSize, 81_920)];
        int read;
        while ((read = content.Read(buffer, 0, buffer.Length)) > 0) builder.Append(buffer.AsSpan(0, read));
        return builder.Finish();
    }

    public static ContentInfo ComputeFileRoot(string path, int chunkSize = DefaultChunkSize)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return ComputeRoot(file, chunkSize);
    }

    /// <summary>Number of sibling hashes in the proof of chunk <paramref name="index"/>.</summary>
    public static int ProofLength(long chunkCount, long index)
    {
        int length = 0;
        for (long count = chunkCount; count > 1; count = (count + 1) / 2, index /= 2)
            if ((index ^ 1) < count) length++;
        return length;
    }

    /// <summary>
    /// True when <paramref name="chunk"/> is chunk <paramref name="index"/> of the content named by
    /// <paramref name="root"/>, <paramref name="size"/> and <paramref name="chunkSize"/>.
    /// <paramref name="proof"/> holds the siblings from the leaf up; a level where the node is
    /// carried up has no sibling and contributes nothing. Never throws on bad input.
    /// </summary>
    public static bool Verify(in Hash256 root, long size, int chunkSize, long index, ReadOnlySpan<byte> chunk, ReadOnlySpan<Hash256> proof) =>
        Check(root, size, chunkSize, index, chunk, proof) is null;

    /// <summary>Like <see cref="Verify"/>, but says why a chunk is rejected; null when it is accepted.</summary>
    public static string? Check(in Hash256 root, long size, int chunkSize, long index, ReadOnlySpan<byte> chunk, ReadOnlySpan<Hash256> proof)
    {
        if (size < 0) return $"size {size} is negative";
        if (chunkSize is < 1 or > MaxChunkSize) return $"chunk size {chunkSize} is outside 1..{MaxChunkSize}";
        long count = size == 0 ? 1 : (size - 1) / chunkSize + 1;
        if (index < 0 || index >= count) return $"index {index} is outside the content's {count} chunk(s)";
        long expectedLength = Math.Min(chunkSize, size - index * chunkSize);
        if (chunk.Length != expectedLength) return $"chunk {index} is {chunk.Length} bytes, expected {expectedLength}";
        int expectedProof = ProofLength(count, index);
        if (proof.Length != expectedProof) return $"proof of chunk {index} has {proof.Length} hash(es), expected {expectedProof}";

        Hash256 current = LeafHash(index, chunk);
        int used = 0;
        long position = index;
        for (long levelCount = count; levelCount > 1; levelCount = (levelCount + 1) / 2, position /= 2)
        {
            if ((position ^ 1) >= levelCount) continue;
            current = (position & 1) == 0 ? InnerHash(current, proof[used]) : InnerHash(proof[used], current);
            used++;
        }
        return ContentRoot(size, chunkSize, current) == root ? null : $"chunk {index} and its proof do not hash to root {root}";
    }
}

/// <summary>Root, size and chunk size of one content: the root alone names it; the other two are needed to read it.</summary>
public readonly record struct ContentInfo(Hash256 Root, long Size, int ChunkSize)
{
    public long ChunkCount => ContentMerkle.ChunkCount(Size, ChunkSize);
}
