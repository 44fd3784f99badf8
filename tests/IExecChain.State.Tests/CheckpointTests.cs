using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using NUnit.Framework;

namespace IExecChain.State.Tests;

[TestFixture]
public sealed class CheckpointTests
{
    private static CheckpointRecord? Record(TestChain chain, ulong number) =>
        chain.Tree.Get(StateKeys.Checkpoint(number)) is { } bytes ? CheckpointRecord.Parser.ParseFrom(bytes) : null;

    [Test]
    public void The_block_after_a_checkpoint_range_records_it_with_the_signatures_its_commit_carries()
    {
        var chain = new TestChain(checkpointInterval: 3);
        while (chain.Processor.Head.Height < 7) chain.Produce();

        Assert.That(StateReader.Totals(chain.Tree).LatestCheckpoint, Is.EqualTo(2), "checkpoints end at 3 and 6; 6's is recorded by block 7");
        var second = Record(chain, 2)!;
        Assert.That((second.FirstHeight, second.LastHeight, second.RecordedAtHeight), Is.EqualTo((4UL, 6UL, 7UL)));
        var hashes = Enumerable.Range(4, 3).Select(h => chain.Processor.Blocks.GetBlock((ulong)h)!.Hash).ToArray();
        Assert.That(new Hash256(second.BlocksRoot.Span), Is.EqualTo(MerkleRoot.Compute(hashes)));
        Assert.That(new Hash256(second.StateRoot.Span), Is.EqualTo(chain.Processor.Blocks.GetBlock(6)!.StateRoot));

        var powers = second.NextValidators.Select(v => new ValidatorPower(new Address(v.Address.Span), v.Power)).ToList();
        Assert.That(powers.Select(p => p.Address), Is.EqualTo(new[] { TestChain.Validator.Address }));
        Assert.That(new Hash256(second.NextValidatorSetHash.Span), Is.EqualTo(ValidatorSetDigest.Compute(powers)));

        var checkpoint = new Checkpoint(TestChain.ChainId, 2, 4, 6, MerkleRoot.Compute(hashes),
            new Hash256(second.StateRoot.Span), new Hash256(second.NextValidatorSetHash.Span), Hash256.Zero);
        Assert.That(new Hash256(second.WithdrawalsRoot.Span), Is.EqualTo(Hash256.Zero), "no withdrawal in the period");
        Assert.That(second.Signatures, Has.Count.EqualTo(1));
        Assert.That(Secp256k1.TryRecoverAddress(checkpoint.Digest(), second.Signatures[0].Signature.Span, out var signer), Is.True);
        Assert.That(signer, Is.EqualTo(TestChain.Validator.Address), "the signature is over the Ethereum-verifiable digest");
        Assert.That(Record(chain, 3), Is.Null);
    }

    [Test]
    public void A_block_whose_commit_carries_a_forged_checkpoint_signature_is_invalid()
    {
        var proposer = new TestChain(checkpointInterval: 2);
        var follower = new TestChain(checkpointInterval: 2);
        for (int i = 0; i < 2; i++)
        {
            var produced = proposer.Produce();
            follower.Processor.Commit(follower.Processor.Execute(produced.Block, out _)!, proposer.Processor.Blocks.GetCommit(produced.Block.Height)!);
        }
        var third = proposer.Produce();   // carries block 2's commit, with its checkpoint signature
        Assert.That(follower.Processor.Execute(third.Block, out var error), Is.Not.Null, error);

        var forged = third.Block.LastCommit!.Clone();
        forged.Signatures[0].CheckpointSignature = ByteString.CopyFrom(TestChain.Account(0).Sign(Keccak256.Hash("other"u8)));
        var header = third.Block.Header.Clone();
        header.LastCommitHash = ByteString.CopyFrom(VoteDigest.CommitHash(forged).ToArray());
        Assert.That(follower.Processor.Execute(new ChainBlock(header, third.Block.Transactions, forged), out error), Is.Null);
        Assert.That(error, Does.Contain("checkpoint 1 signature of"));
    }

    [Test]
    public void An_anchor_receipt_is_kept_with_its_checkpoint_once_and_refused_for_an_unknown_one()
    {
        var chain = new TestChain(checkpointInterval: 3);
        while (chain.Processor.Head.Height < 4) chain.Produce();
        AnchorReceipt Receipt(ulong number, byte tx) => new()
        {
            CheckpointNumber = number,
            EthChainId = 1,
            AnchorContract = ByteString.CopyFrom(new byte[20]),
            EthTxHash = ByteString.CopyFrom(Enumerable.Repeat(tx, 32).ToArray()),
            EthBlockNumber = 99,
        };
        var relayer = TestChain.Account(0);
        var executed = chain.Produce(
            chain.Sign(relayer, 0, b => b.AnchorReceipt = Receipt(1, 7), 1000),
            chain.Sign(relayer, 1, b => b.AnchorReceipt = Receipt(1, 7), 1000),
            chain.Sign(relayer, 2, b => b.AnchorReceipt = Receipt(5, 8), 1000));
        Assert.That(executed.Receipts.Select(r => r.ErrorText()), Is.EqualTo(new[]
        {
            "",
            "Ethereum transaction 0x0707070707070707070707070707070707070707070707070707070707070707 is already recorded for checkpoint 1",
            "checkpoint 5 is not recorded on this chain",
        }));
        var anchors = Record(chain, 1)!.Anchors;
        Assert.That(anchors, Has.Count.EqualTo(1));
        Assert.That(new Address(anchors[0].Relayer.Span), Is.EqualTo(relayer.Address));
        Assert.That(anchors[0].Receipt.EthBlockNumber, Is.EqualTo(99));
    }
}
