using IExecChain.Core.Primitives;

namespace IExecChain.Core.Content;

/// <summary>
/// Computes a content root from bytes that arrive in pieces of any length, holding one partial
/// chunk and O(log n) subtree hashes. Optionally keeps the leaf hashes (a store needs them for proofs).
/// </summary>
/// <remarks>
/// The carry-up rule of <see cref="ContentMerkle"/> makes the tree of n leaves the tree of the largest
/// power of two below n on the left and the tree of the rest on the right, so a binary-counter stack
/// of complete subtrees, folded right to left at the end, gives the same root as hashing level by level.
/// </remarks>
public sealed class ContentRootBuilder
{
    private readonly int _chunkSize;
    private readonly byte[] _partial;
    private readonly List<(Hash256 Hash, int Height)> _stack = [];
    private readonly List<Hash256>? _leaves;
    private int _buffered;
    private long _size;
    private long _index;
    private bool _finished;

    public ContentRootBuilder(int chunkSize = ContentMerkle.DefaultChunkSize, bool keepLeaves = false)
    {
        ContentMerkle.ValidateChunkSize(chunkSize);
        _chunkSize = chunkSize;
        _partial = new byte[chunkSize];
        if (keepLeaves) _leaves = [];
    }

    public long Size => _size;

    public int ChunkSize => _chunkSize;

    /// <summary>The leaf hashes so far, in order; only when built with keepLeaves.</summary>
    public IReadOnlyList<Hash256> Leaves => _leaves ?? throw new InvalidOperationException("this builder was not asked to keep its leaves");

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_finished) throw new InvalidOperationException("the root has already been computed");
        _size += data.Length;
        if (_buffered > 0)
        {
            int take = Math.Min(_chunkSize - _buffered, data.Length);
            data[..take].CopyTo(_partial.AsSpan(_buffered));
            _buffered += take;
            data = data[take..];
            if (_buffered < _chunkSize) return;
            AddLeaf(_partial);
            _buffered = 0;
        }
        while (data.Length >= _chunkSize)
        {
            AddLeaf(data[.._chunkSize]);
            data = data[_chunkSize..];
        }
        data.CopyTo(_partial);
        _buffered = data.Length;
    }

    public ContentInfo Finish()
    {
        if (_finished) throw new InvalidOperationException("the root has already been computed");
        _finished = true;
        // The last short chunk, or the single empty chunk of empty content.
        if (_buffered > 0 || _index == 0) AddLeaf(_partial.AsSpan(0, _buffered));
        Hash256 acc = _stack[^1].Hash;
        for (int i = _stack.Count - 2; i >= 0; i--) acc = ContentMerkle.InnerHash(_stack[i].Hash, acc);
        return new ContentInfo(ContentMerkle.ContentRoot(_size, _chunkSize, acc), _size, _chunkSize);
    }

    private void AddLeaf(ReadOnlySpan<byte> chunk)
    {
        Hash256 hash = ContentMerkle.LeafHash(_index++, chunk);
        _leaves?.Add(hash);
        int height = 0;
        while (_stack.Count > 0 && _stack[^1].Height == height)
        {
            hash = ContentMerkle.InnerHash(_stack[^1].Hash, hash);
            _stack.RemoveAt(_stack.Count - 1);
            height++;
        }
        _stack.Add((hash, height));
    }
}
