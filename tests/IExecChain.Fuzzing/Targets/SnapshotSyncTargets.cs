using Google.Protobuf;
using Google.Protobuf.Collections;
using IExecChain.Core.Blocks;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Node.StateSync;
using IExecChain.State.Chain;
using IExecChain.State.Checkpoints;
using IExecChain.State.Snapshots;
using IExecChain.Storage;

namespace IExecChain.Fuzzing.Targets;

/// <summary>
/// The answers a joining node takes from its peers on the snapshot channel (docs/state-sync.md):
/// offers and their manifests, checkpoint records, tails and chunks. The checks are made by the node's
/// <see cref="StateSyncer"/>, an async loop over a live P2P host whose steps are private, so this
/// target repeats their sequence over the library calls they make (SnapshotFormat, CheckpointLedger,
/// CheckpointChain, ChainBlock, SnapshotTails, SnapshotRestorer). Where the node compares an answer
/// with something a fuzzer cannot forge (the trusted checkpoint, the blocks root it signs, the chunk
/// hashes of a verified manifest), the target takes the input's own value instead, so the checks behind
/// the comparison are reached. Not reached: requests, which a joining node ignores and
/// <see cref="SnapshotServer"/> answers from the snapshot files of its data directory.
/// </summary>
public static class SnapshotSyncTargets
{
    /// <summary>Blocks per checkpoint on this target's chain: a tail holds one interval of blocks, so a short one keeps the seeds small.</summary>
    public const ulong CheckpointInterval = 4;

    private static readonly Lazy<FuzzChain> Chain = new(() => new FuzzChain(CheckpointInterval));
    private static readonly ByteString ZeroHash = ByteString.CopyFrom(new byte[Hash256.Size]);

    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget("snapshot-sync", "state sync messages from a peer: offers, manifests, checkpoint records, tails, chunks", Message);
    }

    private static void Message(byte[] input)
    {
        StallRecorder.Phase("parse");
        SnapshotSyncMessage message;
        try
        {
            message = SnapshotSyncMessage.Parser.ParseFrom(input);
        }
        catch (InvalidProtocolBufferException)
        {
            return;
        }
        switch (message.BodyCase)
        {
            case SnapshotSyncMessage.BodyOneofCase.Offers:
                StallRecorder.Phase("offers");
                Offers(message.Offers);
                break;
            case SnapshotSyncMessage.BodyOneofCase.Checkpoints:
                StallRecorder.Phase("checkpoints");
                Checkpoints(message.Checkpoints.Records);
                break;
            case SnapshotSyncMessage.BodyOneofCase.TailPart when !message.TailPart.Gone && !message.TailPart.Data.IsEmpty:
                // The node joins the parts of a tail before it parses it; one part here is the whole tail.
                StallRecorder.Phase("tail");
                Tail(message.TailPart.Data.ToByteArray());
                break;
            case SnapshotSyncMessage.BodyOneofCase.Chunk when !message.Chunk.Gone:
                StallRecorder.Phase("chunk");
                Chunk(message.Chunk.Data.Span);
                break;
        }
        StallRecorder.Phase("done");
    }

    /// <summary>Discovery: each offered manifest parsed, its shape checked and its id taken; a sound one is what a restorer is later built over.</summary>
    private static void Offers(SnapshotOffers offers)
    {
        foreach (var offer in offers.Offers.Take(SnapshotServer.MaxOffers))
        {
            SnapshotManifest manifest;
            try
            {
                manifest = SnapshotManifest.Parser.ParseFrom(offer.Manifest);
            }
            catch (InvalidProtocolBufferException)
            {
                continue;
            }
            if (SnapshotFormat.Problem(manifest, FuzzChain.ChainId) is { } problem)
            {
                SaysWhy(problem, "manifest");
                continue;
            }
            SnapshotFormat.Id(manifest);
            using var restorer = new SnapshotRestorer(new MemoryStore(), manifest, FuzzChain.ChainId);
        }
    }

    /// <summary>
    /// The chain of checkpoints from the trust root: consecutive numbers as the syncer asks for them, each
    /// record of a shape it can read, then verified. The node starts from the checkpoint its operator trusts; here the first record stands in
    /// for it, so the next set it names and the signatures of the following records are checked.
    /// </summary>
    private static void Checkpoints(RepeatedField<CheckpointRecord> records)
    {
        if (records.Count == 0) return;
        ulong from = records[0].Number;
        for (int i = 0; i < records.Count; i++)
        {
            if (records[i].Number != from + (ulong)i) return;
            if (CheckpointLedger.Problem(records[i]) is { } problem)
            {
                SaysWhy(problem, "checkpoint record");
                return;
            }
        }
        var chain = records.Select(r => CheckpointLedger.ToSigned(FuzzChain.ChainId, r)).ToList();
        var first = chain[0].Checkpoint;
        try
        {
            CheckpointChain.Verify(FuzzChain.ChainId, new TrustedCheckpoint(first.Number, first.Digest()), chain);
        }
        catch (CheckpointChainException)
        {
        }
    }

    /// <summary>
    /// A tail: parsed, one interval of blocks, each decoded and hashed. The node then needs the blocks root
    /// to be the verified checkpoint's and the last block to be the manifest's; the target takes both from
    /// the tail itself, so the linking checks of <see cref="SnapshotTails.Restore"/> and the verification
    /// of the snapshot block's commit are reached.
    /// </summary>
    private static void Tail(byte[] bytes)
    {
        var chain = Chain.Value;
        var parameters = chain.Spec.Parameters;
        SnapshotTail tail;
        try
        {
            tail = SnapshotTail.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return;
        }
        if ((ulong)tail.Blocks.Count != CheckpointInterval) return;
        var hashes = new List<Hash256>(tail.Blocks.Count);
        ChainBlock? last = null;
        foreach (var item in tail.Blocks)
        {
            if (!ChainBlock.TryDecode(item.Block.Span, FuzzChain.ChainId, parameters.MaxTransactionBytes, out last, out var error))
            {
                SaysWhy(error, "tail block");
                return;
            }
            hashes.Add(last!.Hash);
        }
        MerkleRoot.Compute(hashes);
        // Only a snapshot at a checkpoint's last block can be tied to a checkpoint: the syncer tries no other.
        if (last!.Height < CheckpointInterval || last.Height % CheckpointInterval != 0) return;
        var manifest = new SnapshotManifest
        {
            Format = SnapshotFormat.Version, ChainId = FuzzChain.ChainId, Height = last.Height,
            BlockHash = ByteString.CopyFrom(last.Hash.ToArray()), StateRoot = ByteString.CopyFrom(last.StateRoot.ToArray()), ChunkHashes = { ZeroHash },
        };
        var store = new MemoryStore();
        try
        {
            SnapshotTails.Restore(store, chain.Spec, manifest, tail);
        }
        catch (SnapshotRefusedException)
        {
            return;
        }
        // The node verifies the stored commit of the snapshot's block against the restored state's
        // validators; this chain's validators are the genesis set, which signed the seeds.
        var commit = new BlockStore(store, FuzzChain.ChainId, parameters.MaxTransactionBytes).GetCommit(last.Height)
            ?? throw new InvalidOperationException("a restored tail must leave the snapshot block's commit");
        chain.Processor.VerifyCommit(commit, last.Height, last.Hash, chain.Processor.Validators);
    }

    /// <summary>
    /// A chunk, restored into an empty store. The node applies only a chunk that hashes to what the
    /// verified manifest lists; the manifest here lists the chunk's own hash, so its entries are decoded
    /// and applied to the state tree, and the end-of-snapshot checks run.
    /// </summary>
    private static void Chunk(ReadOnlySpan<byte> data)
    {
        var manifest = new SnapshotManifest
        {
            Format = SnapshotFormat.Version, ChainId = FuzzChain.ChainId, Height = CheckpointInterval, BlockHash = ZeroHash, StateRoot = ZeroHash,
            TotalBytes = (ulong)data.Length, ChunkHashes = { ByteString.CopyFrom(Keccak256.Hash(data).ToArray()) },
        };
        try
        {
            using var restorer = new SnapshotRestorer(new MemoryStore(), manifest, FuzzChain.ChainId);
            if (!restorer.Matches(0, data)) throw new InvalidOperationException("a chunk must match the manifest that lists its hash");
            restorer.Add(0, data);
            restorer.Finish();
        }
        catch (SnapshotRefusedException)
        {
        }
    }

    private static void SaysWhy(string? problem, string what)
    {
        if (string.IsNullOrEmpty(problem)) throw new InvalidOperationException($"a refused {what} must say why");
    }
}
