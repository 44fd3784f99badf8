using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.State.Snapshots;
using IExecChain.State.Tests.Fixture;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.State.Tests.Snapshots;

public class SnapshotTests
{
    private sealed record Taken(SnapshotManifest Manifest, List<byte[]> Chunks, SnapshotTail Tail);

    private static ConsensusFixture _fixture = null!;
    private static readonly List<Taken> Snapshots = [];

    /// <summary>The whole-state-machine fixture chain, with snapshots taken as it is built (small chunks, so a snapshot has many).</summary>
    [OneTimeSetUp]
    public static void BuildChain()
    {
        Snapshots.Clear();
        _fixture = ConsensusFixture.Build((f, executed) =>
        {
            ulong height = executed.Block.Height;
            // At each checkpoint height, and at one height inside each interval (7 blocks past it).
            if (height % ConsensusFixture.CheckpointInterval is not (0 or 7)) return;
            var chunks = new List<byte[]>();
            var manifest = SnapshotWriter.Write(f.Chain.Store.Iterate(DbColumn.StateValues), f.Chain.Spec.ChainId, height, executed.Block.Hash,
                f.Chain.Tree.Root, (_, bytes) => chunks.Add(bytes.ToArray()), chunkBytes: 16 * 1024);
            Snapshots.Add(new Taken(manifest, chunks, SnapshotTails.Read(f.Chain.Processor.Blocks, height, ConsensusFixture.CheckpointInterval)));
        });
        Assert.That(_fixture.Failure, Is.Null, _fixture.Failure?.ToString());
    }

    [Test]
    public void A_node_restored_from_a_snapshot_at_or_between_checkpoints_executes_the_rest_of_the_chain_to_the_same_blocks()
    {
        var original = _fixture.Chain.Processor;
        Assert.That(Snapshots, Has.Count.GreaterThanOrEqualTo(8), "the fixture passes several checkpoints");
        int withOpenOrders = 0, index = 0;
        foreach (var taken in Snapshots)
        {
            // Every other one in batches of 50 entries: many tree updates, each written while the next is hashed.
            var (store, restorer) = Restore(taken, index++ % 2 == 0 ? SnapshotRestorer.BatchEntries : 50);
            if (restorer.OpenOrders > 0) withOpenOrders++;
            var processor = Open(store);
            Assert.That(processor.Head.Height, Is.EqualTo(taken.Manifest.Height));
            Assert.That(processor.IndexLag, Is.EqualTo(QueryIndexLag.Current), "the query index starts at the snapshot");
            Assert.That(processor.Market.Book.Count, Is.EqualTo(restorer.OpenOrders), "the order book holds the open orders found in the state");
            for (ulong h = taken.Manifest.Height + 1; h <= original.Head.Height; h++)
            {
                var block = original.Blocks.GetBlock(h)!;
                var executed = processor.Execute(block, out string? error);
                Assert.That(executed, Is.Not.Null, $"snapshot {taken.Manifest.Height}: block {h} refused: {error}");
                processor.Commit(executed!, original.Blocks.GetCommit(h)!);
                Assert.That(processor.Head.Hash, Is.EqualTo(block.Hash));
            }
            Assert.That(processor.Tree.Root, Is.EqualTo(original.Tree.Root), $"snapshot {taken.Manifest.Height}");
            TestContext.Out.WriteLine($"snapshot at {taken.Manifest.Height}: {taken.Manifest.Entries} entries in {taken.Chunks.Count} chunks, "
                + $"{restorer.OpenOrders} open orders; blocks {taken.Manifest.Height + 1} to {original.Head.Height} replayed to the same hashes");
            Assert.That(processor.Market.Book.Count, Is.EqualTo(original.Market.Book.Count));
        }
        Assert.That(withOpenOrders, Is.GreaterThan(0), "some snapshots were taken with orders open");
    }

    [Test]
    public void A_chunk_that_does_not_hash_to_its_listed_hash_is_refused_as_the_chunk_servers_fault_and_the_right_one_is_then_taken()
    {
        var taken = Snapshots[^1];
        Assert.That(taken.Chunks, Has.Count.GreaterThan(2));
        var store = new MemoryStore();
        using var restorer = new SnapshotRestorer(store, taken.Manifest, _fixture.Chain.Spec.ChainId);
        restorer.Add(0, taken.Chunks[0]);
        var corrupt = (byte[])taken.Chunks[1].Clone();
        corrupt[corrupt.Length / 2] ^= 1;
        Assert.That(restorer.Matches(1, corrupt), Is.False);
        var refused = Assert.Throws<SnapshotRefusedException>(() => restorer.Add(1, corrupt))!;
        Assert.That(refused.Fault, Is.EqualTo(SnapshotFault.Chunk));
        Assert.That(refused.Message, Does.Contain("chunk 1 of snapshot").And.Contain("the manifest lists"));
        Assert.That(restorer.NextChunk, Is.EqualTo(1), "nothing of the refused chunk was applied");
        for (int i = 1; i < taken.Chunks.Count; i++) restorer.Add(i, taken.Chunks[i]);
        Assert.That(restorer.Finish(), Is.EqualTo(new Hash256(taken.Manifest.StateRoot.Span)));
    }

    [Test]
    public void A_snapshot_whose_state_is_not_the_one_its_manifest_names_is_refused_at_the_end()
    {
        var taken = Snapshots[^1];
        // A forger lists the hashes of chunks it made, but cannot make them hash to the header's root.
        var forged = taken.Manifest.Clone();
        var chunks = taken.Chunks.Select(c => (byte[])c.Clone()).ToList();
        int last = chunks[^1].Length - 1;
        chunks[^1][last] ^= 1;    // the last byte of the last value
        forged.ChunkHashes[^1] = ByteString.CopyFrom(Core.Crypto.Keccak256.Hash(chunks[^1]).ToArray());
        var refused = Assert.Throws<SnapshotRefusedException>(() => Restore(forged, chunks))!;
        Assert.That(refused.Fault, Is.EqualTo(SnapshotFault.Snapshot));
        Assert.That(refused.Message, Does.Contain("has root").And.Contain("its manifest says"));

        // A truncated snapshot: the last chunk left out of the manifest.
        var truncated = taken.Manifest.Clone();
        truncated.ChunkHashes.RemoveAt(truncated.ChunkHashes.Count - 1);
        refused = Assert.Throws<SnapshotRefusedException>(() => Restore(truncated, taken.Chunks.SkipLast(1).ToList()))!;
        Assert.That(refused.Message, Does.Contain("entries, its manifest says"));
    }

    [TestCase(2, "format 2 is not supported")]
    [TestCase(3, "it is for chain 78")]
    [TestCase(4, "its state root is 31 bytes")]
    [TestCase(5, "it lists no chunks")]
    public void A_malformed_manifest_is_refused_before_anything_is_written(int defect, string message)
    {
        var manifest = Snapshots[0].Manifest.Clone();
        switch (defect)
        {
            case 2: manifest.Format = 2; break;
            case 3: manifest.ChainId = _fixture.Chain.Spec.ChainId + 1; break;
            case 4: manifest.StateRoot = ByteString.CopyFrom(new byte[31]); break;
            case 5: manifest.ChunkHashes.Clear(); break;
        }
        var store = new MemoryStore();
        var refused = Assert.Throws<SnapshotRefusedException>(() => new SnapshotRestorer(store, manifest, _fixture.Chain.Spec.ChainId))!;
        Assert.That(refused.Message, Does.Contain(message));
        Assert.That(store.Iterate(DbColumn.StateValues).Any(), Is.False);
    }

    [Test]
    public void A_tail_that_does_not_lead_to_the_snapshots_block_is_refused()
    {
        var taken = Snapshots.Single(t => t.Manifest.Height == 100);
        var store = new MemoryStore();
        using var restorer = new SnapshotRestorer(store, taken.Manifest, _fixture.Chain.Spec.ChainId);
        for (int i = 0; i < taken.Chunks.Count; i++) restorer.Add(i, taken.Chunks[i]);
        restorer.Finish();
        var other = Snapshots.Single(t => t.Manifest.Height == 150).Tail;
        var refused = Assert.Throws<SnapshotRefusedException>(() => SnapshotTails.Restore(store, _fixture.Chain.Spec, taken.Manifest, other))!;
        Assert.That(refused.Message, Does.Contain("the tail ends at block"));
        var gap = taken.Tail.Clone();
        gap.Blocks.RemoveAt(gap.Blocks.Count / 2);
        gap.Blocks.Insert(0, Snapshots.Single(t => t.Manifest.Height == 50).Tail.Blocks[^1]);
        refused = Assert.Throws<SnapshotRefusedException>(() => SnapshotTails.Restore(store, _fixture.Chain.Spec, taken.Manifest, gap))!;
        Assert.That(refused.Message, Does.Contain("does not follow block"));
        Assert.That(store.Get(DbColumn.Meta, "head"u8), Is.Null, "nothing written");
    }

    [Test]
    public void A_tail_block_whose_transactions_are_not_the_ones_its_header_commits_to_is_refused()
    {
        // The header (and so the block hash, the links and the commits) stays; one transaction is replaced by
        // another block's, a validly signed one of the same chain.
        var taken = Snapshots.Single(t => t.Manifest.Height == 100);
        var withTransactions = taken.Tail.Blocks.Select((b, i) => (Index: i, Wire: Block.Parser.ParseFrom(b.Block))).Where(b => b.Wire.Transactions.Count > 0).ToList();
        Assert.That(withTransactions, Has.Count.GreaterThanOrEqualTo(2), "the fixture's tail has blocks with transactions");
        var tail = taken.Tail.Clone();
        var wire = withTransactions[0].Wire.Clone();
        wire.Transactions[0] = withTransactions[1].Wire.Transactions[0];
        tail.Blocks[withTransactions[0].Index].Block = wire.ToByteString();
        var refused = Assert.Throws<SnapshotRefusedException>(() => SnapshotTails.Check(_fixture.Chain.Spec, taken.Manifest, tail))!;
        Assert.That(refused.Message, Does.Contain("do not match its header's transaction root"));
        Assert.That(() => SnapshotTails.Check(_fixture.Chain.Spec, taken.Manifest, taken.Tail), Throws.Nothing, "the tail as served");
    }

    [Test]
    public void A_tail_whose_stored_commits_are_not_the_ones_the_next_blocks_carry_is_restored_with_the_carried_ones()
    {
        // A validator stores the precommits it gathered itself, which need not be the set the next proposer
        // put in its block; the carried one is the one the next block's hash covers.
        var taken = Snapshots.Single(t => t.Manifest.Height == 100);
        var tail = taken.Tail.Clone();
        for (int i = 0; i + 1 < tail.Blocks.Count; i++) tail.Blocks[i].Commit.Round += 1;   // another commit of the same block
        var store = new MemoryStore();
        using var restorer = new SnapshotRestorer(store, taken.Manifest, _fixture.Chain.Spec.ChainId);
        for (int i = 0; i < taken.Chunks.Count; i++) restorer.Add(i, taken.Chunks[i]);
        restorer.Finish();
        SnapshotTails.Restore(store, _fixture.Chain.Spec, taken.Manifest, tail);
        var blocks = new BlockStore(store, _fixture.Chain.Spec.ChainId, _fixture.Chain.Spec.Parameters.MaxTransactionBytes);
        for (ulong h = 91; h < 100; h++)
            Assert.That(blocks.GetCommit(h), Is.EqualTo(blocks.GetBlock(h + 1)!.LastCommit), $"block {h} is kept with the commit block {h + 1} carries");
        Assert.That(blocks.GetCommit(100), Is.EqualTo(taken.Tail.Blocks[^1].Commit), "the snapshot's block with the commit given for it");
    }

    [Test]
    public void The_chunk_encoding_is_key_then_length_then_value_and_an_empty_state_is_one_empty_chunk()
    {
        var chunks = new List<byte[]>();
        byte[] a = Enumerable.Repeat((byte)0x01, 32).ToArray(), b = Enumerable.Repeat((byte)0x02, 32).ToArray();
        var manifest = SnapshotWriter.Write([(a, [0xAA]), (b, new byte[200])], 9, 3, Hash256.Zero, Hash256.Zero, (_, c) => chunks.Add(c.ToArray()), chunkBytes: 64);
        Assert.That(chunks, Has.Count.EqualTo(2), "the second entry does not fit the first chunk's 64 bytes");
        Assert.That(Hex.Encode(chunks[0]), Is.EqualTo(Hex.Encode([.. a, 0x01, 0xAA])));
        Assert.That(Hex.Encode(chunks[1].AsSpan(0, 35)), Is.EqualTo(Hex.Encode([.. b, 0xC8, 0x01, 0x00])), "200 as a uvarint is C8 01");
        Assert.That((manifest.Entries, manifest.TotalBytes, manifest.Height), Is.EqualTo((2UL, (ulong)(34 + 234), 3UL)));

        chunks.Clear();
        var empty = SnapshotWriter.Write([], 9, 0, Hash256.Zero, Hash256.Zero, (_, c) => chunks.Add(c.ToArray()));
        Assert.That((chunks.Count, chunks[0].Length, empty.ChunkHashes.Count), Is.EqualTo((1, 0, 1)));
    }

    /// <summary>Every checkpoint the fixture recorded, from its state: what a peer serves (iex_getCheckpoint) to a joining node.</summary>
    private static List<Core.Checkpoints.SignedCheckpoint> Checkpoints()
    {
        var tree = _fixture.Chain.Tree;
        ulong latest = Execution.StateReader.Totals(tree).LatestCheckpoint;
        var list = new List<Core.Checkpoints.SignedCheckpoint>();
        for (ulong n = 1; n <= latest; n++)
            list.Add(State.Checkpoints.CheckpointLedger.ToSigned(_fixture.Chain.Spec.ChainId, CheckpointRecord.Parser.ParseFrom(tree.Get(Execution.StateKeys.Checkpoint(n))!)));
        return list;
    }

    [Test]
    public void From_a_trusted_checkpoint_the_following_ones_are_verified_across_the_validator_set_change_and_name_the_snapshots_state_root()
    {
        var chain = Checkpoints();
        Assert.That(chain, Has.Count.GreaterThanOrEqualTo(4));
        Assert.That(chain.Select(c => c.Checkpoint.NextValidatorSetHash).Distinct().Count(), Is.GreaterThan(1), "the set changes along the fixture");
        var trusted = new Core.Checkpoints.TrustedCheckpoint(chain[0].Checkpoint.Number, chain[0].Checkpoint.Digest());
        var last = Core.Checkpoints.CheckpointChain.Verify(_fixture.Chain.Spec.ChainId, trusted, chain);
        Assert.That(last.Number, Is.EqualTo(chain[^1].Checkpoint.Number));
        var snapshot = Snapshots.Single(t => t.Manifest.Height == last.LastHeight);
        Assert.That(new Hash256(snapshot.Manifest.StateRoot.Span), Is.EqualTo(last.StateRoot), "the verified checkpoint names the snapshot's state root");
    }

    [Test]
    public void A_checkpoint_chain_with_a_bad_signature_too_little_power_a_forged_next_set_a_gap_or_another_root_is_refused()
    {
        var chainId = _fixture.Chain.Spec.ChainId;
        var chain = Checkpoints();
        var trusted = new Core.Checkpoints.TrustedCheckpoint(chain[0].Checkpoint.Number, chain[0].Checkpoint.Digest());
        string Refusal(List<Core.Checkpoints.SignedCheckpoint> c, Core.Checkpoints.TrustedCheckpoint? root = null) =>
            Assert.Throws<Core.Checkpoints.CheckpointChainException>(() => Core.Checkpoints.CheckpointChain.Verify(chainId, root ?? trusted, c))!.Message;

        var badSignature = chain.ToList();
        var signatures = badSignature[2].Signatures.Select(s => s with { Signature = (byte[])s.Signature.Clone() }).ToList();
        signatures[0].Signature[10] ^= 1;
        badSignature[2] = badSignature[2] with { Signatures = signatures };
        Assert.That(Refusal(badSignature), Does.StartWith($"checkpoint {chain[2].Checkpoint.Number} refused: the signature of").Or.Contain("more than 2/3"));

        var unsigned = chain.ToList();
        unsigned[1] = unsigned[1] with { Signatures = [] };
        Assert.That(Refusal(unsigned), Is.EqualTo($"checkpoint {chain[1].Checkpoint.Number} refused: signatures hold 0 of the signing set's "
            + $"{chain[0].NextValidatorSet.Aggregate(0UL, (sum, v) => sum + v.Power)} power; more than 2/3 is needed"));

        var forgedSet = chain.ToList();
        forgedSet[1] = forgedSet[1] with { NextValidatorSet = [new Core.Checkpoints.ValidatorPower(ConsensusFixture.Alice.Address, 1)] };
        Assert.That(Refusal(forgedSet), Does.Contain("the next validator set it carries does not hash to the one its digest names"));

        var gap = chain.ToList();
        gap.RemoveAt(1);
        Assert.That(Refusal(gap), Does.Contain("does not follow checkpoint"));

        Assert.That(Refusal(chain, trusted with { Digest = Hash256.Zero }), Does.Contain("is not the trusted checkpoint"));
    }

    private static (MemoryStore Store, SnapshotRestorer Restorer) Restore(Taken taken, int batchEntries = SnapshotRestorer.BatchEntries)
    {
        var store = new MemoryStore();
        using var restorer = new SnapshotRestorer(store, taken.Manifest, _fixture.Chain.Spec.ChainId, batchEntries);
        for (int i = 0; i < taken.Chunks.Count; i++)
        {
            Assert.That(restorer.Matches(i, taken.Chunks[i]));
            restorer.Add(i, taken.Chunks[i]);
        }
        Assert.That(restorer.Finish(), Is.EqualTo(new Hash256(taken.Manifest.StateRoot.Span)));
        SnapshotTails.Restore(store, _fixture.Chain.Spec, taken.Manifest, taken.Tail);
        return (store, restorer);
    }

    private static void Restore(SnapshotManifest manifest, List<byte[]> chunks)
    {
        using var restorer = new SnapshotRestorer(new MemoryStore(), manifest, _fixture.Chain.Spec.ChainId);
        for (int i = 0; i < chunks.Count; i++) restorer.Add(i, chunks[i]);
        restorer.Finish();
    }

    private static BlockProcessor Open(IKeyValueStore store)
    {
        var spec = _fixture.Chain.Spec;
        return new BlockProcessor(spec, store, new StateTree(store), new BlockStore(store, spec.ChainId, spec.Parameters.MaxTransactionBytes), new TransactionVerifier());
    }
}
