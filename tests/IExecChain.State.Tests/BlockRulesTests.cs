using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using NUnit.Framework;

namespace IExecChain.State.Tests;

/// <summary>
/// A block from another validator is refused when it breaks any one rule, with that rule's reason;
/// each case breaks exactly one rule of an otherwise valid block.
/// </summary>
public sealed class BlockRulesTests
{
    private static readonly ByteString Junk = ByteString.CopyFrom(Keccak256.HashToArray([7]));

    private static (TestChain Chain, ChainBlock Valid) ValidNextBlock()
    {
        var chain = new TestChain();
        chain.Produce(chain.Transfer(TestChain.Account(0), TestChain.Account(1).Address, 5, 0));
        var proposed = chain.Propose(chain.Transfer(TestChain.Account(0), TestChain.Account(1).Address, 5, 1));
        return (chain, proposed.Block);
    }

    private static ChainBlock With(ChainBlock block, Action<BlockHeader> change, Commit? lastCommit = null)
    {
        var header = block.Header.Clone();
        change(header);
        return new ChainBlock(header, block.Transactions, lastCommit ?? block.LastCommit, block.Evidence);
    }

    private static IEnumerable<(string Rule, Func<TestChain, ChainBlock, ChainBlock> Break, string Reason)> Breakers()
    {
        yield return Case("chain id is ours", (_, b) => With(b, h => h.ChainId = 99), "chain id 99 is not");
        yield return Case("height follows the head", (_, b) => With(b, h => h.Height += 1), "does not follow head");
        yield return Case("parent is the head", (_, b) => With(b, h => h.ParentHash = Junk), "is not head");
        yield return Case("time increases", (c, b) => With(b, h => h.TimeUnixMs = c.Processor.Head.TimeUnixMs), "block time does not increase");
        yield return Case("proposer is a validator", (_, b) => With(b, h => h.Proposer = ByteString.CopyFrom(TestChain.Account(3).Address.ToArray())), "proposer is not a validator");
        yield return Case("transaction root matches", (_, b) => With(b, h => h.TxRoot = Junk), "transaction root does not match");
        yield return Case("last commit hash matches", (_, b) => With(b, h => h.LastCommitHash = Junk), "last commit hash does not match");
        yield return Case("last commit finalizes the parent", (_, b) =>
        {
            // A commit of the parent whose only signature is not the validator's, with a header that hashes it.
            var forged = b.LastCommit!.Clone();
            forged.Signatures[0].Signature = ByteString.CopyFrom(TestChain.Account(3).Sign(Keccak256.Hash([1])));
            return With(b, h => h.LastCommitHash = ByteString.CopyFrom(VoteDigest.CommitHash(forged).ToArray()), forged);
        }, "signature of");
        yield return Case("state root matches the execution", (_, b) => With(b, h => h.StateRoot = Junk), "does not match executed");
        yield return Case("receipt root matches the execution", (_, b) => With(b, h => h.ReceiptRoot = Junk), "receipt root does not match");
        yield return Case("validator set matches the execution", (_, b) => With(b, h => h.NextValidatorSetHash = Junk), "validator set hash does not match");

        static (string, Func<TestChain, ChainBlock, ChainBlock>, string) Case(string rule, Func<TestChain, ChainBlock, ChainBlock> breakIt, string reason) =>
            (rule, breakIt, reason);
    }

    public static IEnumerable<string> BrokenRules() => Breakers().Select(b => b.Rule);

    [Test]
    public void The_valid_block_passes_every_rule()
    {
        var (chain, valid) = ValidNextBlock();
        Assert.That(chain.Processor.Execute(valid, out var error), Is.Not.Null, error);
    }

    [TestCaseSource(nameof(BrokenRules))]
    public void A_block_breaking_one_rule_is_refused_with_its_reason(string rule)
    {
        var (_, breakIt, reason) = Breakers().Single(b => b.Rule == rule);
        var (chain, valid) = ValidNextBlock();
        var broken = breakIt(chain, valid);
        Assert.That(chain.Processor.Execute(broken, out var error), Is.Null, "the broken block must be refused");
        Assert.That(error, Is.Not.Null.And.Not.Empty);
        Assert.That(error, Does.Contain(reason));
        Assert.That(chain.Processor.Execute(valid, out var validError), Is.Not.Null, $"the valid block still passes after the refusal: {validError}");
    }

    [Test]
    public void Every_header_rule_has_a_case()
    {
        foreach (var rule in BlockRules.HeaderRules)
            Assert.That(BrokenRules(), Does.Contain(rule.Name), $"no test breaks '{rule.Name}'");
    }
}
