using System.Text;
using IExecChain.Consensus.Bft;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.TxPool;
using NUnit.Framework;

namespace IExecChain.Consensus.Tests;

/// <summary>
/// A peer that drops a batch (its inbound queue was full) must not lose the transaction for good:
/// one lost nonce blocks every later transaction of its sender. Local transactions still pending after
/// <see cref="TransactionGossip.RebroadcastAfterMs"/> are sent again; committed ones are not.
/// </summary>
public sealed class TransactionGossipTests
{
    private const ulong ChainId = 9;

    private sealed class RecordingTransport : IConsensusTransport
    {
        public List<byte[]> Broadcasts { get; } = [];
        public void Broadcast(ConsensusChannel channel, byte[] payload) { lock (Broadcasts) Broadcasts.Add(payload); }
        public void Send(Address peer, ConsensusChannel channel, byte[] payload) { }
        public void Penalize(Address peer, string reason, int points) { }

        public List<Hash256> SentIds()
        {
            lock (Broadcasts)
                return Broadcasts.SelectMany(b => TransactionBatch.Parser.ParseFrom(b).Transactions)
                    .Select(t => TransactionCodec.TryDecode(t.ToByteArray(), ChainId, 4096, out var tx, out _) ? tx!.Id : throw new AssertionException("bad tx")).ToList();
        }
    }

    private static readonly PrivateKey Sender = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("gossip-test")));

    private static Transaction Transfer(ulong nonce)
    {
        var body = new TransactionBody { ChainId = ChainId, Nonce = nonce, Fee = 100, Transfer = new Transfer { To = Google.Protobuf.ByteString.CopyFrom(new byte[20]), Amount = 1 } };
        Assert.That(TransactionCodec.TryDecode(TransactionCodec.Sign(body, Sender), ChainId, 4096, out var tx, out var error), Is.True, error);
        return tx!;
    }

    /// <summary>The sender's committed nonce, as the chain would report it.</summary>
    private ulong _committedNonce;

    private Mempool NewMempool()
    {
        _committedNonce = 0; // NUnit reuses the fixture instance across tests

        var parameters = new ChainParameters
        {
            BlockIntervalMs = 100, MaxBlockTransactions = 100, MaxBlockBytes = 1 << 20, MaxTransactionBytes = 4096, UnbondingPeriodBlocks = 1,
            MinValidatorStake = 1, MinWorkerStake = 1, EpochLength = 10, CheckpointInterval = 10, Fees = new FeeSchedule { Transfer = 100, Stake = 100, Unstake = 100 },
        };
        return new Mempool(new MempoolOptions(), new TransactionExecutor(parameters), new TransactionVerifier(), _ => new AccountRecord { Balance = 1_000_000, Nonce = _committedNonce });
    }

    [Test]
    public void Local_transactions_still_pending_are_sent_again_and_committed_ones_are_not()
    {
        var mempool = NewMempool();
        var transport = new RecordingTransport();
        using var gossip = new TransactionGossip(mempool, transport, ChainId, 4096);
        var first = Transfer(0);
        var second = Transfer(1);
        Assert.That(mempool.Add(first).IsAccepted && mempool.Add(second).IsAccepted, Is.True);
        long sentAt = Environment.TickCount64;

        Assert.That(gossip.RebroadcastStale(sentAt + TransactionGossip.RebroadcastAfterMs - 100), Is.Zero, "too early");
        // The first is committed: only the second is still pending.
        _committedNonce = 1;
        mempool.OnBlockCommitted([first]);
        Assert.That(mempool.Contains(first.Id), Is.False);
        Assert.That(gossip.RebroadcastStale(sentAt + TransactionGossip.RebroadcastAfterMs + 100), Is.EqualTo(1));
        Assert.That(gossip.Rebroadcast, Is.EqualTo(1));

        // Batches are flushed by the gossip's timer; take the pending one by sending enough to close it.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        gossip.Start();
        while (transport.SentIds().Count(id => id == second.Id) < 2 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        var ids = transport.SentIds();
        Assert.That(ids.Count(id => id == second.Id), Is.EqualTo(2), "sent when submitted, and once again");
        Assert.That(ids.Count(id => id == first.Id), Is.EqualTo(1), "a committed transaction is not sent again");
    }

    [Test]
    public void A_transaction_is_sent_again_at_most_the_limit()
    {
        var mempool = NewMempool();
        using var gossip = new TransactionGossip(mempool, new RecordingTransport(), ChainId, 4096);
        Assert.That(mempool.Add(Transfer(0)).IsAccepted, Is.True);
        long now = Environment.TickCount64;
        int total = 0;
        for (int i = 1; i <= TransactionGossip.MaxRebroadcasts + 5; i++)
            total += gossip.RebroadcastStale(now + i * (TransactionGossip.RebroadcastAfterMs << TransactionGossip.MaxBackoffShift));
        Assert.That(total, Is.EqualTo(TransactionGossip.MaxRebroadcasts));
    }

    [Test]
    public void The_wait_between_sends_doubles()
    {
        var mempool = NewMempool();
        using var gossip = new TransactionGossip(mempool, new RecordingTransport(), ChainId, 4096);
        Assert.That(mempool.Add(Transfer(0)).IsAccepted, Is.True);
        long t = Environment.TickCount64 + TransactionGossip.RebroadcastAfterMs;
        Assert.That(gossip.RebroadcastStale(t), Is.EqualTo(1), "first re-send after the base wait");
        Assert.That(gossip.RebroadcastStale(t + TransactionGossip.RebroadcastAfterMs), Is.Zero, "the second waits twice as long");
        Assert.That(gossip.RebroadcastStale(t + 2 * TransactionGossip.RebroadcastAfterMs), Is.EqualTo(1));
        Assert.That(gossip.RebroadcastStale(t + 5 * TransactionGossip.RebroadcastAfterMs), Is.Zero, "the third waits four times as long");
        Assert.That(gossip.RebroadcastStale(t + 6 * TransactionGossip.RebroadcastAfterMs), Is.EqualTo(1));
    }

    /// <summary>
    /// A backlog must not feed itself: transactions queued behind their sender's next nonce are not
    /// re-sent (a loss of the next one is what blocks the sender, and it is re-sent); once the next one
    /// is committed, the following one becomes next and is re-sent if it is still pending.
    /// </summary>
    [Test]
    public void Only_a_senders_next_executable_transaction_is_sent_again()
    {
        var mempool = NewMempool();
        using var gossip = new TransactionGossip(mempool, new RecordingTransport(), ChainId, 4096);
        var txs = Enumerable.Range(0, 5).Select(n => Transfer((ulong)n)).ToList();
        foreach (var tx in txs) Assert.That(mempool.Add(tx).IsAccepted, Is.True);
        Assert.That(mempool.IsNextExecutable(txs[0]), Is.True);
        Assert.That(mempool.IsNextExecutable(txs[1]), Is.False);
        long t = Environment.TickCount64 + TransactionGossip.RebroadcastAfterMs;
        Assert.That(gossip.RebroadcastStale(t), Is.EqualTo(1), "only nonce 0 of five pending");

        _committedNonce = 1;
        mempool.OnBlockCommitted([txs[0]]);
        Assert.That(mempool.IsNextExecutable(txs[1]), Is.True);
        Assert.That(gossip.RebroadcastStale(t + TransactionGossip.RebroadcastAfterMs), Is.EqualTo(1), "now nonce 1, checked again after the base wait");
    }
}
