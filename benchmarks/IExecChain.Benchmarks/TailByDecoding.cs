using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.Storage;

namespace IExecChain.Benchmarks;

/// <summary>
/// The tail's check and write as <c>SnapshotTails</c> did them before the blocks were kept as served
/// (commit b8060bf): every block decoded with its transactions (<see cref="ChainBlock.TryDecode"/>), the
/// transaction roots from the decoded ids, every block re-encoded by <see cref="BlockStore.AddBlock"/>.
/// Kept as the baseline <see cref="SnapshotBenchmarks"/> measures in the same run as the new path.
/// </summary>
internal static class TailByDecoding
{
    public static void Run(IKeyValueStore store, ChainSpec spec, SnapshotManifest manifest, SnapshotTail tail)
    {
        var blocks = new List<ChainBlock>(tail.Blocks.Count);
        foreach (var item in tail.Blocks)
        {
            if (!ChainBlock.TryDecode(item.Block.Span, spec.ChainId, spec.Parameters.MaxTransactionBytes, out var block, out var error))
                throw new InvalidOperationException(error);
            if (ChainBlock.ComputeTxRoot(block!.Transactions) != new Hash256(block.Header.TxRoot.Span))
                throw new InvalidOperationException($"block {block.Height}: transaction root");
            blocks.Add(block);
        }
        if (blocks[^1].Hash != new Hash256(manifest.BlockHash.Span)) throw new InvalidOperationException("the tail's last block");
        var commits = new Commit[blocks.Count];
        for (int i = 1; i < blocks.Count; i++)
            if (blocks[i].Height != blocks[i - 1].Height + 1 || blocks[i].ParentHash != blocks[i - 1].Hash)
                throw new InvalidOperationException($"block {blocks[i].Height} does not follow");
        for (int i = 0; i < blocks.Count; i++)
        {
            commits[i] = i + 1 < blocks.Count && blocks[i + 1].LastCommit is { } carried ? carried : tail.Blocks[i].Commit;
            if (new Hash256(commits[i].BlockHash.Span) != blocks[i].Hash) throw new InvalidOperationException($"commit of block {blocks[i].Height}");
            if (i > 0 && new Hash256(blocks[i].Header.LastCommitHash.Span) != VoteDigest.CommitHash(commits[i - 1]))
                throw new InvalidOperationException($"last commit hash of block {blocks[i].Height}");
        }
        var blockStore = new BlockStore(store, spec.ChainId, spec.Parameters.MaxTransactionBytes);
        using var batch = store.NewBatch();
        var (genesis, _) = Genesis.Build(spec, new StateTree(new MemoryStore()));
        blockStore.AddBlock(batch, genesis, new Commit { Height = 0, BlockHash = ByteString.CopyFrom(genesis.Hash.ToArray()) }, []);
        for (int i = 0; i < blocks.Count; i++) blockStore.AddBlock(batch, blocks[i], commits[i], []);
        QueryIndex.StartAt(batch, manifest.Height);
        BlockStore.SetLowest(batch, blocks[0].Height);
        store.Write(batch, sync: true);
    }
}
