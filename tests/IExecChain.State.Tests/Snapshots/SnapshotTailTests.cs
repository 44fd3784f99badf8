using Google.Protobuf;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.State.Snapshots;
using IExecChain.State.Tests.Fixture;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.State.Tests.Snapshots;

/// <summary>
/// The tail's blocks are checked and stored as served, without decoding their transactions: what is stored must be
/// what the node that made them stores, and any other encoding of the same block is refused.
/// </summary>
public sealed class SnapshotTailTests
{
    private static ConsensusFixture _fixture = null!;
    private static SnapshotManifest _manifest = null!;
    private static List<byte[]> _chunks = null!;
    private static SnapshotTail _tail = null!;

    /// <summary>The fixture chain, with a snapshot at height 100 (a checkpoint: its tail is blocks 91–100).</summary>
    [OneTimeSetUp]
    public static void BuildChain()
    {
        _fixture = ConsensusFixture.Build((f, executed) =>
        {
            if (executed.Block.Height != 100) return;
            var chunks = new List<byte[]>();
            _manifest = SnapshotWriter.Write(f.Chain.Store.Iterate(DbColumn.StateValues), f.Chain.Spec.ChainId, 100, executed.Block.Hash,
                f.Chain.Tree.Root, (_, bytes) => chunks.Add(bytes.ToArray()), chunkBytes: 16 * 1024);
            _chunks = chunks;
            _tail = SnapshotTails.Read(f.Chain.Processor.Blocks, 100, ConsensusFixture.CheckpointInterval);
        });
        Assert.That(_fixture.Failure, Is.Null, _fixture.Failure?.ToString());
    }

    [Test]
    public void A_restored_tail_is_stored_byte_for_byte_as_the_node_that_made_it_stores_it()
    {
        var store = RestoreState();
        SnapshotTails.Restore(store, _fixture.Chain.Spec, _manifest, _tail);
        for (ulong h = 91; h <= 100; h++)
        {
            var key = Height(h);
            Assert.That(store.Get(DbColumn.Blocks, key), Is.EqualTo(_fixture.Chain.Store.Get(DbColumn.Blocks, key)), $"block {h}");
            var hash = _fixture.Chain.Processor.Blocks.GetBlock(h)!.Hash.ToArray();
            Assert.That(store.Get(DbColumn.HeightIndex, hash), Is.EqualTo(key), $"block {h}'s hash index entry");
        }
        Assert.That(store.Get(DbColumn.Blocks, Height(90)), Is.Null, "nothing below the tail");
        Assert.That(Open(store).Head.Height, Is.EqualTo(100UL));
    }

    [Test]
    public void Blocks_written_while_the_state_is_restored_make_the_same_store_as_a_tail_restored_after_it()
    {
        var checkedTail = SnapshotTails.Check(_fixture.Chain.Spec, _manifest, _tail);
        var early = new MemoryStore();
        SnapshotTails.WriteBlocks(early, _fixture.Chain.Spec, checkedTail);
        Assert.That(() => Open(early), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("but no head block"),
            "blocks without a head are an interrupted restore, not a database to put genesis in");
        early = RestoreState(early);
        SnapshotTails.Restore(early, _fixture.Chain.Spec, _manifest, checkedTail, blocksWritten: true);
        var late = RestoreState();
        SnapshotTails.Restore(late, _fixture.Chain.Spec, _manifest, _tail);
        foreach (var column in Enum.GetValues<DbColumn>())
            Assert.That(early.Iterate(column).Select(e => Convert.ToHexString(e.Key) + ":" + Convert.ToHexString(e.Value)),
                Is.EqualTo(late.Iterate(column).Select(e => Convert.ToHexString(e.Key) + ":" + Convert.ToHexString(e.Value))), $"column {column}");
    }

    // A node stores ChainBlock.ToBytes(): protobuf's own layout. The same block in any other encoding decodes to the same
    // block, but storing it as served would keep bytes no node of this chain wrote; each is refused, naming the problem.
    [TestCase("unknown field", "does not decode: malformed block: unexpected field")]
    [TestCase("non-minimal length", "does not decode: malformed block: non-minimal length")]
    [TestCase("last commit before the transactions", "does not decode: header says")]
    [TestCase("transaction cut short", "does not decode: malformed block: field 2")]
    [TestCase("a transaction less", "does not decode: header says")]
    // Protobuf keeps unknown fields and writes them back, so these re-encode as served: the commit's hash refuses them.
    [TestCase("last commit with an unknown field", "does not carry the hash of the commit it carries")]
    [TestCase("first block's last commit with an unknown field", "does not carry the hash of the commit it carries")]
    public void A_tail_block_in_another_encoding_than_a_nodes_is_refused(string change, string message)
    {
        // A tail block with transactions; not the first, whose last commit is for a block the tail does not hold, unless that is the case.
        bool first = change.StartsWith("first block's", StringComparison.Ordinal);
        int index = first ? 0 : _tail.Blocks.Select((b, i) => (Block: b, Index: i)).First(b => b.Index > 0 && Block.Parser.ParseFrom(b.Block.Block).Transactions.Count >= 2).Index;
        byte[] bytes = _tail.Blocks[index].Block.ToByteArray();
        var wire = Block.Parser.ParseFrom(bytes);
        byte[] changed = change switch
        {
            "unknown field" => [.. bytes, 0x28, 0x01],   // field 5, varint 1
            "non-minimal length" => NonMinimalFirstTransaction(wire),
            "last commit before the transactions" => Concat([Field(1, wire.Header), Field(3, wire.LastCommit.ToByteString()), .. wire.Transactions.Select(t => Field(2, t))]),
            "last commit with an unknown field" or "first block's last commit with an unknown field" => Concat([Field(1, wire.Header), .. wire.Transactions.Select(t => Field(2, t)), Field(3, ByteString.CopyFrom([.. wire.LastCommit.ToByteArray(), 0x78, 0x01]))]),
            "transaction cut short" => bytes[..^((wire.LastCommit?.CalculateSize() ?? 0) + 4)],
            "a transaction less" => Concat([Field(1, wire.Header), .. wire.Transactions.Skip(1).Select(t => Field(2, t)), Field(3, wire.LastCommit.ToByteString())]),
            _ => throw new ArgumentException(change),
        };
        var tail = _tail.Clone();
        tail.Blocks[index].Block = ByteString.CopyFrom(changed);
        var refused = Assert.Throws<SnapshotRefusedException>(() => SnapshotTails.Check(_fixture.Chain.Spec, _manifest, tail))!;
        Assert.That(refused.Message, Does.Contain(message));
    }

    private static byte[] NonMinimalFirstTransaction(Block wire)
    {
        // The first transaction's length as a three-byte varint (a last byte of 0): the same number, one byte longer.
        var tx = wire.Transactions[0];
        Assert.That(tx.Length, Is.InRange(128, 16_383), "a transaction's length takes two bytes");
        byte[] longForm = [0x12, (byte)(0x80 | (tx.Length & 0x7F)), (byte)(0x80 | (tx.Length >> 7)), 0x00, .. tx.ToByteArray()];
        return Concat([Field(1, wire.Header), longForm, .. wire.Transactions.Skip(1).Select(t => Field(2, t)), Field(3, wire.LastCommit.ToByteString())]);
    }

    private static byte[] Field(int number, ByteString bytes)
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(bytes);
        output.Flush();
        return stream.ToArray();
    }

    private static byte[] Concat(IEnumerable<byte[]> parts) => [.. parts.SelectMany(p => p)];

    private static byte[] Height(ulong height)
    {
        var key = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(key, height);
        return key;
    }

    private static BlockProcessor Open(IKeyValueStore store)
    {
        var spec = _fixture.Chain.Spec;
        return new BlockProcessor(spec, store, new StateTree(store), new BlockStore(store, spec.ChainId, spec.Parameters.MaxTransactionBytes), new TransactionVerifier());
    }

    private static MemoryStore RestoreState(MemoryStore? store = null)
    {
        store ??= new MemoryStore();
        using var restorer = new SnapshotRestorer(store, _manifest, _fixture.Chain.Spec.ChainId);
        for (int i = 0; i < _chunks.Count; i++) restorer.Add(i, _chunks[i]);
        restorer.Finish();
        return store;
    }
}
