using IExecChain.State.TxPool;
using NUnit.Framework;

namespace IExecChain.State.Tests;

public class MempoolTests
{
    [Test]
    public void Accepted_transaction_is_offered_for_the_next_block_and_gone_after_it()
    {
        var chain = new TestChain();
        var tx = chain.Transfer(TestChain.Account(0), TestChain.Account(1).Address, 5, nonce: 0);
        Assert.That(chain.Mempool.Add(tx), Is.EqualTo(MempoolResult.Accepted));
        Assert.That(chain.Mempool.SelectForBlock(100, 1 << 20), Is.EqualTo(new[] { tx }));
        chain.Produce([.. chain.Mempool.SelectForBlock(100, 1 << 20)]);
        Assert.That(chain.Mempool.Count, Is.EqualTo(0));
        Assert.That(chain.Mempool.Bytes, Is.EqualTo(0));
    }

    [Test]
    public void Duplicates_replays_far_nonces_low_fees_and_bad_signatures_are_refused_with_reasons()
    {
        var chain = new TestChain(mempool: new MempoolOptions { MaxNonceGap = 4 });
        var alice = TestChain.Account(0);
        var bob = TestChain.Account(1).Address;
        var first = chain.Transfer(alice, bob, 5, nonce: 0);
        chain.Mempool.Add(first);
        Assert.That(chain.Mempool.Add(first).Kind, Is.EqualTo(MempoolResultKind.Duplicate));
        Assert.That(chain.Mempool.Add(chain.Transfer(alice, bob, 5, nonce: 9)).Reason, Does.Contain("too far ahead"));
        Assert.That(chain.Mempool.Add(chain.Transfer(alice, bob, 5, nonce: 1, fee: 1)).Reason, Does.Contain("below the required"));

        chain.Produce([.. chain.Mempool.SelectForBlock(10, 1 << 20)]);
        Assert.That(chain.Mempool.Add(chain.Transfer(alice, bob, 6, nonce: 0)).Reason, Does.Contain("already used"));

        var forged = Google.Protobuf.ByteString.CopyFrom(new byte[65]);
        var signed = Core.Wire.SignedTransaction.Parser.ParseFrom(chain.Transfer(alice, bob, 7, nonce: 1).SignedBytes);
        signed.Signature = forged;
        Assert.That(Core.Transactions.TransactionCodec.TryDecode(Google.Protobuf.MessageExtensions.ToByteArray(signed), TestChain.ChainId, 4096, out var bad, out _), Is.True);
        Assert.That(chain.Mempool.Add(bad!).Reason, Is.EqualTo("invalid signature"));
    }

    [Test]
    public void Pending_spending_beyond_the_balance_is_refused()
    {
        var chain = new TestChain();
        var alice = TestChain.Account(0);
        var bob = TestChain.Account(1).Address;
        Assert.That(chain.Mempool.Add(chain.Transfer(alice, bob, TestChain.InitialBalance / 2, 0)).IsAccepted, Is.True);
        var second = chain.Mempool.Add(chain.Transfer(alice, bob, TestChain.InitialBalance / 2, 1));
        Assert.That(second.Kind, Is.EqualTo(MempoolResultKind.Rejected));
        Assert.That(second.Reason, Does.Contain("cannot cover"));
    }

    [Test]
    public void Full_pool_pushes_back_instead_of_growing()
    {
        var chain = new TestChain(mempool: new MempoolOptions { MaxTransactions = 3 });
        var bob = TestChain.Account(1).Address;
        for (ulong n = 0; n < 3; n++) Assert.That(chain.Mempool.Add(chain.Transfer(TestChain.Account(0), bob, 1, n)).IsAccepted, Is.True);
        var refused = chain.Mempool.Add(chain.Transfer(TestChain.Account(2), bob, 1, 0));
        Assert.That(refused.Kind, Is.EqualTo(MempoolResultKind.Full));
        Assert.That(refused.Reason, Does.Contain("full"));
    }

    [Test]
    public void Replacement_needs_a_higher_fee_and_then_replaces()
    {
        var chain = new TestChain();
        var alice = TestChain.Account(0);
        var bob = TestChain.Account(1).Address;
        chain.Mempool.Add(chain.Transfer(alice, bob, 1, 0, fee: 1000));
        Assert.That(chain.Mempool.Add(chain.Transfer(alice, bob, 2, 0, fee: 1050)).Reason, Does.Contain("10% higher"));
        var replacement = chain.Transfer(alice, bob, 3, 0, fee: 1100);
        Assert.That(chain.Mempool.Add(replacement).IsAccepted, Is.True);
        Assert.That(chain.Mempool.SelectForBlock(10, 1 << 20), Is.EqualTo(new[] { replacement }));
    }

    [Test]
    public void Selection_prefers_higher_fees_but_keeps_each_senders_nonce_order()
    {
        var chain = new TestChain();
        var bob = TestChain.Account(4).Address;
        var a0 = chain.Transfer(TestChain.Account(0), bob, 1, 0, fee: 100);
        var a1 = chain.Transfer(TestChain.Account(0), bob, 1, 1, fee: 900);
        var b0 = chain.Transfer(TestChain.Account(1), bob, 1, 0, fee: 500);
        var c1 = chain.Transfer(TestChain.Account(2), bob, 1, 1, fee: 999); // gap: nonce 0 missing, not executable
        foreach (var tx in new[] { a1, c1, a0, b0 }) Assert.That(chain.Mempool.Add(tx).IsAccepted, Is.True);

        var selected = chain.Mempool.SelectForBlock(10, 1 << 20);
        Assert.That(selected, Is.EqualTo(new[] { b0, a0, a1 }));
        var executed = chain.Produce([.. selected]);
        Assert.That(executed.Excluded, Is.Empty);
        Assert.That(chain.Mempool.Count, Is.EqualTo(1), "the gapped transaction waits");
    }

    [Test]
    public void A_sender_at_its_limit_is_refused_a_new_nonce_but_may_still_replace_one()
    {
        var chain = new TestChain();
        var alice = TestChain.Account(0);
        var bob = TestChain.Account(1).Address;
        Assert.That(chain.Mempool.Add(chain.Transfer(alice, bob, 1, 0, fee: 1000), senderLimit: 2).IsAccepted, Is.True);
        Assert.That(chain.Mempool.Add(chain.Transfer(alice, bob, 1, 1, fee: 1000), senderLimit: 2).IsAccepted, Is.True);
        var third = chain.Mempool.Add(chain.Transfer(alice, bob, 1, 2, fee: 1000), senderLimit: 2);
        Assert.That(third.Kind, Is.EqualTo(MempoolResultKind.SenderLimit));
        Assert.That(third.Reason, Is.EqualTo($"sender {alice.Address} already has 2 transactions pending, the most one sender may queue while the node is busy"));
        Assert.That(chain.Mempool.Add(chain.Transfer(alice, bob, 2, 1, fee: 1100), senderLimit: 2).IsAccepted, Is.True, "a replacement adds nothing");
        Assert.That(chain.Mempool.Add(chain.Transfer(TestChain.Account(2), bob, 1, 0, fee: 1000), senderLimit: 2).IsAccepted, Is.True, "another sender has its own count");
        Assert.That(chain.Mempool.Count, Is.EqualTo(3));
    }
}
