using IExecChain.Core.Primitives;
using IExecChain.State.Chain;
using NUnit.Framework;

namespace IExecChain.State.Tests;

public class BlockPruningTests
{
    [Test]
    public void Pruning_deletes_the_blocks_their_commits_receipts_hash_and_query_index_entries_below_the_height_and_keeps_genesis_and_the_rest()
    {
        // No checkpoint in these 31 blocks: one is built from the commits of its range, which this test
        // prunes to the head (a node keeps at least two checkpoint intervals, ChainNode).
        var chain = new TestChain(checkpointInterval: 100);
        var recipient = new Address(Enumerable.Repeat((byte)0x0A, Address.Size).ToArray());
        var transfers = new List<Hash256>();
        for (ulong nonce = 0; nonce < 30; nonce++)
        {
            var tx = chain.Transfer(TestChain.Account(0), recipient, 1, nonce);
            chain.Produce(tx);
            transfers.Add(tx.Id);
        }
        var blocks = chain.Processor.Blocks;
        var hashOf5 = blocks.GetBlock(5)!.Hash;
        Assert.That(blocks.LowestHeight, Is.EqualTo(1UL), "a node that keeps every block");

        Assert.That(blocks.Prune(20), Is.EqualTo(19UL));
        Assert.That(blocks.LowestHeight, Is.EqualTo(20UL));
        for (ulong h = 1; h < 20; h++)
            Assert.That((blocks.GetBlock(h), blocks.GetCommit(h)), Is.EqualTo(((Core.Blocks.ChainBlock?)null, (Core.Wire.Commit?)null)), $"block {h}");
        Assert.That(blocks.GetHeight(hashOf5), Is.Null);
        Assert.That(blocks.GetReceipt(transfers[3]), Is.Null, "block 4's transfer");
        Assert.That(blocks.GetReceipt(transfers[19]), Is.Not.Null, "block 20's transfer");
        Assert.That(blocks.GetBlock(0), Is.Not.Null, "genesis is kept");
        Assert.That(blocks.GetBlock(20), Is.Not.Null);
        Assert.That(blocks.GetCommit(30), Is.Not.Null);

        // The query index lists only what the node still holds, so it stops growing with the chain.
        var index = chain.Processor.Index;
        var listed = index.Transactions(100, null).Items.Select(t => t.Id).ToList();
        Assert.That(listed, Is.EqualTo(transfers.Skip(19).Reverse()), "the chain's list: blocks 20 to 30, newest first");
        Assert.That(index.Transactions(TestChain.Account(0).Address, null, 100, null).Items.Select(t => t.Tx.Id), Is.EqualTo(listed), "the sender's list");
        Assert.That(index.Transactions(recipient, null, 100, null).Items.Select(t => t.Tx.Id), Is.EqualTo(listed), "the recipient's list");
        Assert.That(index.Figures(1, 30).Select(f => f.Height), Is.EqualTo(Enumerable.Range(20, 11).Select(h => (ulong)h)), "per-block figures");
        var kept = index.Entries().Select(e => e.Key[0]).ToList();
        Assert.That(kept.Count(kind => kind is 0x01 or 0x02 or 0x03), Is.EqualTo(3 * 11), "one summary, one sent and one received entry per kept transfer");

        Assert.That(blocks.Prune(10), Is.Zero, "nothing below what is already pruned");
        Assert.That(blocks.Prune(1_000), Is.EqualTo(10UL), "never the head");
        Assert.That((blocks.LowestHeight, blocks.GetBlock(30)?.Height), Is.EqualTo((30UL, (ulong?)30)));

        // The chain goes on over a pruned store.
        chain.Produce(chain.Transfer(TestChain.Account(0), recipient, 1, 30));
        Assert.That(chain.Processor.Head.Height, Is.EqualTo(31UL));
    }
}
