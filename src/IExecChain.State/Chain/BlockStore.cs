using System.Buffers.Binary;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Storage;

namespace IExecChain.State.Chain;

/// <summary>
/// Finalized blocks and their indexes. The chain is final at commit, so blocks are keyed by
/// height; hashes and transaction ids are secondary indexes. Everything for one block is written
/// in the caller's batch, so a crash leaves either the whole block or none of it.
/// </summary>
public sealed class BlockStore
{
    private static readonly byte[] HeadKey = "head"u8.ToArray();
    private static readonly byte[] LowestKey = "lowest-block"u8.ToArray();
    private readonly IKeyValueStore _store;
    private readonly ulong _chainId;
    private readonly int _maxTxSize;

    public BlockStore(IKeyValueStore store, ulong chainId, int maxTxSize)
    {
        _store = store;
        _chainId = chainId;
        _maxTxSize = maxTxSize;
    }

    /// <summary>The last committed (height, hash), or null for an empty store.</summary>
    public (ulong Height, Hash256 Hash)? ReadHead()
    {
        var bytes = _store.Get(DbColumn.Meta, HeadKey);
        if (bytes is null) return null;
        if (bytes.Length != 40) throw new InvalidDataException($"head record is {bytes.Length} bytes, expected 40: the database is corrupt");
        return (BinaryPrimitives.ReadUInt64BigEndian(bytes), new Hash256(bytes.AsSpan(8)));
    }

    /// <summary>Adds a block; <paramref name="receiptBytes"/>[i] is the serialized receipt of transaction i.</summary>
    public void AddBlock(IWriteBatch batch, ChainBlock block, Commit commit, IReadOnlyList<byte[]> receiptBytes)
    {
        AddBlockBytes(batch, block.Height, block.Hash, block.ToBytes(), commit);
        Span<byte> txId = stackalloc byte[32];
        for (int i = 0; i < receiptBytes.Count; i++)
        {
            block.Transactions[i].Id.CopyTo(txId);
            batch.Put(DbColumn.Receipts, txId, receiptBytes[i]);
        }
        SetHead(batch, block.Height, block.Hash);
    }

    /// <summary>
    /// Adds a block given as its encoding (<see cref="ChainBlock.ToBytes"/>'s, which the caller vouches for) with its
    /// commit and hash index entry; no receipts, and the head is left as it is.
    /// </summary>
    public static void AddBlockBytes(IWriteBatch batch, ulong blockHeight, Hash256 blockHash, ReadOnlySpan<byte> blockBytes, Commit commit)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(commit);
        Span<byte> height = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(height, blockHeight);
        Span<byte> hash = stackalloc byte[32];
        blockHash.CopyTo(hash);
        batch.Put(DbColumn.Blocks, height, blockBytes);
        batch.Put(DbColumn.HeightIndex, hash, height);
        batch.Put(DbColumn.Commits, height, commit.ToByteArray());
    }

    /// <summary>Records in <paramref name="batch"/> that block <paramref name="height"/> (<paramref name="hash"/>) is the head.</summary>
    public static void SetHead(IWriteBatch batch, ulong height, Hash256 hash)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Span<byte> head = stackalloc byte[40];
        BinaryPrimitives.WriteUInt64BigEndian(head, height);
        hash.CopyTo(head[8..]);
        batch.Put(DbColumn.Meta, HeadKey, head);
    }

    public ChainBlock? GetBlock(ulong height)
    {
        Span<byte> key = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(key, height);
        var bytes = _store.Get(DbColumn.Blocks, key);
        if (bytes is null) return null;
        if (!ChainBlock.TryDecode(bytes, _chainId, _maxTxSize, out var block, out var error))
            throw new InvalidDataException($"stored block {height} does not decode ({error}): the database is corrupt");
        return block;
    }

    /// <summary>
    /// A stored block's header and hash without decoding its transactions (lists of blocks read many
    /// headers of blocks that may hold thousands of transactions each).
    /// </summary>
    public (BlockHeader Header, Hash256 Hash)? GetHeader(ulong height)
    {
        Span<byte> key = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(key, height);
        var bytes = _store.Get(DbColumn.Blocks, key);
        if (bytes is null) return null;
        try
        {
            var headerBytes = Block.Parser.ParseFrom(bytes).Header;
            return (BlockHeader.Parser.ParseFrom(headerBytes), Core.Crypto.Keccak256.Hash(headerBytes.Span));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"stored block {height} does not decode ({e.Message}): the database is corrupt");
        }
    }

    public ulong? GetHeight(Hash256 blockHash)
    {
        Span<byte> key = stackalloc byte[32];
        blockHash.CopyTo(key);
        var bytes = _store.Get(DbColumn.HeightIndex, key);
        return bytes is null ? null : BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    public Commit? GetCommit(ulong height)
    {
        Span<byte> key = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(key, height);
        var bytes = _store.Get(DbColumn.Commits, key);
        return bytes is null ? null : Commit.Parser.ParseFrom(bytes);
    }

    /// <summary>
    /// The lowest block above genesis this store holds (with its commit and receipts); blocks below it,
    /// but for genesis, were pruned, or were never here on a node restored from a snapshot. 1 on a node
    /// that keeps every block.
    /// </summary>
    public ulong LowestHeight
    {
        get
        {
            var bytes = _store.Get(DbColumn.Meta, LowestKey);
            return bytes is null ? 1 : BinaryPrimitives.ReadUInt64BigEndian(bytes);
        }
    }

    /// <summary>Records in <paramref name="batch"/> that the blocks below <paramref name="height"/> (but genesis) are not held.</summary>
    public static void SetLowest(IWriteBatch batch, ulong height)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Span<byte> value = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(value, height);
        batch.Put(DbColumn.Meta, LowestKey, value);
    }

    /// <summary>
    /// Deletes the blocks from <see cref="LowestHeight"/> up to <paramref name="below"/> (excluded) with their
    /// commits, receipts and hash index entries, in one write; genesis and the head are never deleted.
    /// Returns the number of blocks deleted.
    /// </summary>
    public ulong Prune(ulong below)
    {
        var head = ReadHead() ?? throw new InvalidOperationException("the store has no head");
        below = Math.Min(below, head.Height);
        ulong first = LowestHeight, lowest = first;
        Span<byte> key = stackalloc byte[8];
        Span<byte> id = stackalloc byte[32];
        while (lowest < below)
        {
            // At most 1,000 blocks per write, so a first prune of a long chain does not hold it all in one batch.
            ulong end = Math.Min(below, lowest + 1000);
            using var batch = _store.NewBatch();
            for (ulong height = lowest; height < end; height++)
            {
                var block = GetBlock(height);
                BinaryPrimitives.WriteUInt64BigEndian(key, height);
                batch.Delete(DbColumn.Blocks, key);
                batch.Delete(DbColumn.Commits, key);
                if (block is null) continue;
                block.Hash.CopyTo(id);
                batch.Delete(DbColumn.HeightIndex, id);
                foreach (var tx in block.Transactions)
                {
                    tx.Id.CopyTo(id);
                    batch.Delete(DbColumn.Receipts, id);
                }
                QueryIndex.RemoveTransactions(_store, batch, block);
            }
            SetLowest(batch, end);
            _store.Write(batch, sync: false);
            lowest = end;
        }
        return lowest - first;
    }

    public Receipt? GetReceipt(Hash256 txId)
    {
        Span<byte> key = stackalloc byte[32];
        txId.CopyTo(key);
        var bytes = _store.Get(DbColumn.Receipts, key);
        return bytes is null ? null : Receipt.Parser.ParseFrom(bytes);
    }
}
