using IExecChain.Core.Blocks;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.Storage;
using Google.Protobuf;

namespace IExecChain.State.Snapshots;

/// <summary>The blocks below a snapshot that a restored node keeps (<see cref="SnapshotTail"/>): reading them from a store, checking and writing them into another.</summary>
public static class SnapshotTails
{
    /// <summary>
    /// The first block a snapshot at <paramref name="height"/> carries: one checkpoint interval of blocks
    /// up to the snapshot. That holds every block of the interval the snapshot falls in (the next
    /// checkpoint is built, and signed, from their hashes and commits) whether or not the snapshot is at
    /// a checkpoint height.
    /// </summary>
    public static ulong FirstHeight(ulong height, ulong checkpointInterval)
    {
        ArgumentOutOfRangeException.ThrowIfZero(checkpointInterval);
        return height > checkpointInterval ? height - checkpointInterval + 1 : 1;
    }

    /// <summary>The blocks from <see cref="FirstHeight"/> up to <paramref name="height"/>, with their commits.</summary>
    public static SnapshotTail Read(BlockStore blocks, ulong height, ulong checkpointInterval)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ulong first = FirstHeight(height, checkpointInterval);
        var tail = new SnapshotTail();
        for (ulong h = first; h <= height; h++)
        {
            var block = blocks.GetBlock(h) ?? throw new InvalidOperationException($"block {h} is not in this node's store");
            var commit = blocks.GetCommit(h) ?? throw new InvalidOperationException($"the commit of block {h} is not in this node's store");
            tail.Blocks.Add(new CommittedBlock { Block = ByteString.CopyFrom(block.ToBytes()), Commit = commit });
        }
        return tail;
    }

    /// <summary>
    /// The tail's blocks, as served, and the commit each is kept with, once <see cref="CheckLinks"/> accepted them: the
    /// headers and commits are checked, the transactions not yet (<see cref="VerifyTransactions"/>).
    /// </summary>
    public sealed record Linked(IReadOnlyList<EncodedBlock> Blocks, IReadOnlyList<Commit> Commits);

    /// <summary>A tail that passed every check of <see cref="Check"/>: only such a tail is written.</summary>
    public sealed record Checked(IReadOnlyList<EncodedBlock> Blocks, IReadOnlyList<Commit> Commits);

    /// <summary>
    /// Checks <paramref name="tail"/> whole: <see cref="CheckLinks"/> then <see cref="VerifyTransactions"/>. Throws
    /// <see cref="SnapshotRefusedException"/> naming what is wrong.
    /// <para>
    /// The blocks are kept as served (<see cref="EncodedBlock"/>): their transactions are hashed for the roots,
    /// not decoded, and they are stored without being encoded again. Decoding 500,000 transfers and encoding
    /// them back took most of a 100-block tail's two seconds (benchmarks/RESULTS.md, "State sync").
    /// </para>
    /// </summary>
    public static Checked Check(ChainSpec spec, SnapshotManifest manifest, SnapshotTail tail) => VerifyTransactions(CheckLinks(spec, manifest, tail));

    /// <summary>
    /// Checks <paramref name="tail"/> against the manifest (its last block is the snapshot's block, with its
    /// state root) and itself (each block in the layout a node stores, the heights from <see cref="FirstHeight"/>,
    /// linked by parent and last-commit hashes, each commit for its block), without writing anything and without
    /// the transactions (<see cref="VerifyTransactions"/>): a joining node checks this much of a tail before it
    /// fetches the chunks. Throws <see cref="SnapshotRefusedException"/> naming what is wrong.
    /// </summary>
    public static Linked CheckLinks(ChainSpec spec, SnapshotManifest manifest, SnapshotTail tail)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(tail);
        if (manifest.Height == 0) throw Refused("a snapshot of the genesis state is the chain spec itself");
        ulong expected = manifest.Height - FirstHeight(manifest.Height, spec.Parameters.CheckpointInterval) + 1;
        if ((ulong)tail.Blocks.Count != expected)
            throw Refused($"the tail holds {tail.Blocks.Count} blocks, a snapshot at height {manifest.Height} needs {expected}");
        var blocks = new List<EncodedBlock>(tail.Blocks.Count);
        foreach (var item in tail.Blocks)
        {
            if (!EncodedBlock.TryRead(item.Block.Memory, spec.ChainId, spec.Parameters.MaxTransactionBytes, out var block, out var error))
                throw Refused($"a block of the tail does not decode: {error}");
            blocks.Add(block!);
        }
        var last = blocks[^1];
        if (last.Height != manifest.Height || last.Hash != new Hash256(manifest.BlockHash.Span))
            throw Refused($"the tail ends at block {last.Height} ({last.Hash}), the snapshot is of block {manifest.Height} ({new Hash256(manifest.BlockHash.Span)})");
        if (last.StateRoot != new Hash256(manifest.StateRoot.Span))
            throw Refused($"block {last.Height} has state root {last.StateRoot}, the manifest says {new Hash256(manifest.StateRoot.Span)}");
        // Each block but the last is kept with the commit the next block carries: the one its header's
        // last-commit hash names, so covered by the next block's hash. (The commit a node stored for a
        // block is the set of precommits it gathered itself, which need not be the proposer's.)
        var commits = new Commit[blocks.Count];
        for (int i = 1; i < blocks.Count; i++)
            if (blocks[i].Height != blocks[i - 1].Height + 1 || blocks[i].ParentHash != blocks[i - 1].Hash)
                throw Refused($"block {blocks[i].Height} of the tail does not follow block {blocks[i - 1].Height}");
        for (int i = 0; i < blocks.Count; i++)
        {
            commits[i] = i + 1 < blocks.Count && blocks[i + 1].LastCommit is { } carried ? carried : tail.Blocks[i].Commit;
            var commit = commits[i];
            // The commits are the peer's: a carried one is matched with the next block's last-commit hash only below, the last one
            // with nothing, so a block hash of the wrong length is refused before it is read.
            if (commit is null || commit.Height != blocks[i].Height || commit.BlockHash.Length != Hash256.Size
                || new Hash256(commit.BlockHash.Span) != blocks[i].Hash)
                throw Refused($"the commit given for block {blocks[i].Height} is not for that block");
            if (i == 0)
            {
                // The first block's last commit is for a block the tail does not hold; its header names it all the same (a
                // block rule), and it is stored with the block.
                if (new Hash256(blocks[0].Header.LastCommitHash.Span) != VoteDigest.CommitHash(blocks[0].LastCommit))
                    throw Refused($"block {blocks[0].Height} does not carry the hash of the commit it carries for block {blocks[0].Height - 1}");
                continue;
            }
            if (new Hash256(blocks[i].Header.LastCommitHash.Span) != VoteDigest.CommitHash(commits[i - 1]))
                throw Refused($"block {blocks[i].Height} does not carry the hash of the commit it carries for block {blocks[i - 1].Height}");
        }
        return new Linked(blocks, commits);
    }

    /// <summary>
    /// Checks that each block's transactions are the ones its header's transaction root commits to, and returns the
    /// tail as fully checked. A block's hash covers its header only: its transactions are its own by the header's
    /// root. Tail blocks are stored and served, never executed, so no block rule would catch altered ones. The
    /// costly check (a Keccak permutation per transaction and per pair: ~1M for 100 blocks of 5,000 transfers), one
    /// block per task. Throws <see cref="SnapshotRefusedException"/> naming the first block that does not match.
    /// </summary>
    /// <param name="onEveryCore">
    /// False for a check that runs beside a state restore (a joining node's): the restore keeps both cores of a 2-core
    /// machine busy, and a second parallel loop only got in its way (a 1M-account join took 0.37–0.40 s more than the
    /// state alone with it, 0.25–0.27 s on one thread; benchmarks/RESULTS.md "State sync").
    /// </param>
    public static Checked VerifyTransactions(Linked tail, bool onEveryCore = true)
    {
        ArgumentNullException.ThrowIfNull(tail);
        var (blocks, commits) = tail;
        var matches = new bool[blocks.Count];
        if (onEveryCore) Parallel.For(0, blocks.Count, i => matches[i] = blocks[i].TransactionsMatchHeader());
        else for (int i = 0; i < blocks.Count; i++) matches[i] = blocks[i].TransactionsMatchHeader();
        int wrong = Array.IndexOf(matches, false);
        if (wrong >= 0)
            throw Refused($"the transactions of block {blocks[wrong].Height} in the tail do not match its header's transaction root");
        return new Checked(blocks, commits);
    }

    /// <summary>
    /// Checks the tail (<see cref="Check"/>) and restores it (<see cref="Restore(IKeyValueStore, ChainSpec, SnapshotManifest, Checked, bool)"/>).
    /// </summary>
    public static void Restore(IKeyValueStore store, ChainSpec spec, SnapshotManifest manifest, SnapshotTail tail) =>
        Restore(store, spec, manifest, Check(spec, manifest, tail));

    /// <summary>
    /// Verifies a checked tail's last commit (block H's) against the validator set that signed block H, as
    /// recorded in the state already restored into <paramref name="store"/>, then writes the genesis block and
    /// the tail's blocks, the last as the head, and starts the query index there. The head is written last, and
    /// only when all of it holds, so a crash leaves no head on an unverified commit.
    /// </summary>
    /// <param name="blocksWritten">The tail's blocks were written already, by <see cref="WriteBlocks"/> while the state was restored.</param>
    public static void Restore(IKeyValueStore store, ChainSpec spec, SnapshotManifest manifest, Checked tail, bool blocksWritten = false)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(tail);
        var (blocks, commits) = tail;
        if (blocks[^1].Height != manifest.Height || blocks[^1].Hash != new Hash256(manifest.BlockHash.Span))
            throw new ArgumentException($"the tail was checked against another snapshot than the one of block {manifest.Height}", nameof(tail));
        var signers = new StateTree(store).Get(Execution.StateKeys.LastValidatorSet) is { } bytes
            ? ValidatorSet.Parser.ParseFrom(bytes)
            : throw Refused($"the restored state records no validator set for block {manifest.Height}");
        if (BlockProcessor.VerifyCommit(spec.ChainId, commits[^1], manifest.Height, blocks[^1].Hash, signers) is { } problem)
            throw Refused($"the commit of block {manifest.Height} does not verify against the validators of the restored state: {problem}");
        if (!blocksWritten) WriteBlocks(store, spec, tail);
        WriteHead(store, spec, manifest, tail);
    }

    /// <summary>
    /// Writes a checked tail: its blocks with their commits (<see cref="WriteBlocks"/>), then the genesis block
    /// (recomputed from the chain spec), the last block as the head, the lowest block held, and the query
    /// index's start. Only for a tail whose last commit the caller verified (<see cref="Restore(IKeyValueStore, ChainSpec, SnapshotManifest, Checked, bool)"/> does both).
    /// </summary>
    public static void Write(IKeyValueStore store, ChainSpec spec, SnapshotManifest manifest, Checked tail)
    {
        WriteBlocks(store, spec, tail);
        WriteHead(store, spec, manifest, tail);
    }

    /// <summary>
    /// Writes a checked tail's blocks, exactly as served, with their commits and hash index entries, but no
    /// head: it can run while the state is restored (a store with blocks or state and no head is an interrupted
    /// restore, which a node refuses to open). Not synced: the head's write that follows is.
    /// </summary>
    public static void WriteBlocks(IKeyValueStore store, ChainSpec spec, Checked tail)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(tail);
        var (blocks, commits) = tail;
        using var batch = store.NewBatch();
        for (int i = 0; i < blocks.Count; i++) BlockStore.AddBlockBytes(batch, blocks[i].Height, blocks[i].Hash, blocks[i].Bytes.Span, commits[i]);
        store.Write(batch, sync: false);
    }

    private static void WriteHead(IKeyValueStore store, ChainSpec spec, SnapshotManifest manifest, Checked tail)
    {
        var blockStore = new BlockStore(store, spec.ChainId, spec.Parameters.MaxTransactionBytes);
        using var batch = store.NewBatch();
        var (genesis, _) = Genesis.Build(spec, new StateTree(new MemoryStore()));
        blockStore.AddBlock(batch, genesis, new Commit { Height = 0, BlockHash = ByteString.CopyFrom(genesis.Hash.ToArray()) }, []);
        BlockStore.SetHead(batch, tail.Blocks[^1].Height, tail.Blocks[^1].Hash);
        QueryIndex.StartAt(batch, manifest.Height);
        BlockStore.SetLowest(batch, tail.Blocks[0].Height);
        store.Write(batch, sync: true);
    }

    private static SnapshotRefusedException Refused(string message) => new(SnapshotFault.Snapshot, $"snapshot refused: {message}");
}
