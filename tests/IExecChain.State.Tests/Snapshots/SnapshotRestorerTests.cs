using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Merkle;
using IExecChain.State.Snapshots;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.State.Tests.Snapshots;

/// <summary>The restorer's answers at its edges: keys that break the order across chunks, and a second <see cref="SnapshotRestorer.Finish"/>.</summary>
public sealed class SnapshotRestorerTests
{
    private const ulong ChainId = 77;

    private static byte[] Key(byte first, byte last)
    {
        var key = new byte[32];
        key[0] = first;
        key[31] = last;
        return key;
    }

    /// <summary>Chunks of one entry each (the writer cuts at the first entry past its 64-byte target), and a manifest listing their hashes.</summary>
    private static (SnapshotManifest Manifest, List<byte[]> Chunks) OneEntryPerChunk(params byte[][] keys)
    {
        // The writer refuses keys out of order, so the chunks are written one by one and the manifest lists them all.
        var chunks = new List<byte[]>();
        SnapshotManifest? manifest = null;
        ulong total = 0;
        foreach (var key in keys)
        {
            var one = SnapshotWriter.Write([(key, new byte[40])], ChainId, 1, Hash256.Zero, Hash256.Zero, (_, bytes) => chunks.Add(bytes.ToArray()), chunkBytes: 64);
            total += one.TotalBytes;
            if (manifest is null) manifest = one;
            else manifest.ChunkHashes.Add(one.ChunkHashes);
        }
        manifest!.Entries = (ulong)keys.Length;
        manifest.TotalBytes = total;
        return (manifest, chunks);
    }

    [TestCase(0x20, 0x20, TestName = "A_key_repeated_across_a_chunk_boundary_is_refused")]
    [TestCase(0x20, 0x10, TestName = "A_key_lower_than_the_previous_chunks_last_is_refused")]
    public void Keys_out_of_order_across_a_chunk_boundary_are_refused(byte previous, byte next)
    {
        var (manifest, chunks) = OneEntryPerChunk(Key(0x01, 0), Key(previous, 7), Key(next, 7));
        Assert.That(chunks, Has.Count.EqualTo(3), "one entry per chunk, so the bad pair sits across a boundary");
        var store = new MemoryStore();
        using var restorer = new SnapshotRestorer(store, manifest, ChainId);
        restorer.Add(0, chunks[0]);
        restorer.Add(1, chunks[1]);
        var refused = Assert.Throws<SnapshotRefusedException>(() => restorer.Add(2, chunks[2]))!;
        Assert.That(refused.Fault, Is.EqualTo(SnapshotFault.Snapshot), "the chunk hashes right: the snapshot is wrong, not the peer that served it");
        Assert.That(refused.Message, Does.Contain("chunk 2").And.Contain("malformed at byte 0: keys are not in increasing order"));
        Assert.That(restorer.NextChunk, Is.EqualTo(2), "the chunk is not taken");
    }

    [Test]
    public void Finish_called_again_after_a_refusal_gives_the_same_refusal()
    {
        var (manifest, chunks) = OneEntryPerChunk(Key(0x01, 0), Key(0x02, 0));   // the manifest's root is zero: not this state's
        var store = new MemoryStore();
        using var restorer = new SnapshotRestorer(store, manifest, ChainId);
        for (int i = 0; i < chunks.Count; i++) restorer.Add(i, chunks[i]);
        var first = Assert.Throws<SnapshotRefusedException>(() => restorer.Finish())!;
        Assert.That(first.Message, Does.Contain("has root"));
        var second = Assert.Throws<SnapshotRefusedException>(() => restorer.Finish())!;
        Assert.That((second.Fault, second.Message), Is.EqualTo((first.Fault, first.Message)));
        Assert.That(store.Get(DbColumn.Meta, "state-root"u8), Is.Null, "no root records, after either call");
    }

    [Test]
    public void Finish_called_again_after_success_gives_the_same_root()
    {
        var state = new List<(byte[] Key, byte[] Value)> { (Key(0x01, 0), [1]), (Key(0x02, 0), [2]) };
        var referenceStore = new MemoryStore();
        var reference = new StateTree(referenceStore);
        var update = reference.Prepare([.. state.Select(e => new KeyValuePair<Hash256, byte[]?>(new Hash256(e.Key), e.Value))]);
        using (var batch = referenceStore.NewBatch())
        {
            reference.Commit(update, batch);
            referenceStore.Write(batch);
        }
        var chunks = new List<byte[]>();
        var manifest = SnapshotWriter.Write(state, ChainId, 1, Hash256.Zero, reference.Root, (_, bytes) => chunks.Add(bytes.ToArray()));
        using var restorer = new SnapshotRestorer(new MemoryStore(), manifest, ChainId);
        for (int i = 0; i < chunks.Count; i++) restorer.Add(i, chunks[i]);
        Assert.That(restorer.Finish(), Is.EqualTo(reference.Root));
        Assert.That(restorer.Finish(), Is.EqualTo(reference.Root));
    }
}
