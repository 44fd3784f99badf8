using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Merkle;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.State.Tests;

public class ExecutionTests
{
    private static readonly Address Proposer = TestChain.Validator.Address;

    [Test]
    public void Transfer_moves_the_amount_and_pays_the_fee_to_the_proposer()
    {
        var chain = new TestChain();
        var alice = TestChain.Account(0);
        var bob = TestChain.Account(1).Address;
        var executed = chain.Produce(chain.Transfer(alice, bob, 12_345, nonce: 0));

        Assert.That(executed.Receipts, Has.Count.EqualTo(1));
        Assert.That(executed.Receipts[0].Status, Is.EqualTo(ReceiptStatus.Success));
        Assert.That(chain.AccountOf(alice.Address).Balance, Is.EqualTo(TestChain.InitialBalance - 12_345 - TestChain.TransferFee));
        Assert.That(chain.AccountOf(alice.Address).Nonce, Is.EqualTo(1));
        Assert.That(chain.AccountOf(bob).Balance, Is.EqualTo(TestChain.InitialBalance + 12_345));
        Assert.That(chain.AccountOf(Proposer).Balance, Is.EqualTo(TestChain.TransferFee));
        Assert.That(chain.Processor.Head.StateRoot, Is.EqualTo(chain.Tree.Root));
    }

    [Test]
    public void Overdraft_is_included_as_failed_and_still_pays_its_fee()
    {
        var chain = new TestChain();
        var alice = TestChain.Account(0);
        var executed = chain.Produce(chain.Transfer(alice, TestChain.Account(1).Address, TestChain.InitialBalance, nonce: 0));

        Assert.That(executed.Receipts[0].Status, Is.EqualTo(ReceiptStatus.Failed));
        Assert.That(executed.Receipts[0].ErrorText(), Does.Contain("insufficient balance"));
        Assert.That(chain.AccountOf(alice.Address).Balance, Is.EqualTo(TestChain.InitialBalance - TestChain.TransferFee));
        Assert.That(chain.AccountOf(alice.Address).Nonce, Is.EqualTo(1));
    }

    [Test]
    public void Nonce_gap_replay_and_unpayable_fee_are_left_out_of_the_block_with_reasons()
    {
        var chain = new TestChain();
        var alice = TestChain.Account(0);
        var bob = TestChain.Account(1).Address;
        var first = chain.Transfer(alice, bob, 1, nonce: 0);
        chain.Produce(first);

        var poor = TestChain.Account(9); // not in genesis: balance 0
        var executed = chain.Produce(first, chain.Transfer(alice, bob, 1, nonce: 5), chain.Transfer(poor, bob, 1, nonce: 0),
            chain.Transfer(alice, bob, 1, nonce: 1, fee: 1));

        Assert.That(executed.Block.Transactions, Is.Empty);
        var reasons = executed.Excluded.Select(e => e.Reason).ToArray();
        Assert.That(reasons[0], Does.Contain("already used"));
        Assert.That(reasons[1], Does.Contain("ahead of account nonce"));
        Assert.That(reasons[2], Does.Contain("cannot pay fee"));
        Assert.That(reasons[3], Does.Contain("below the required"));
    }

    [Test]
    public void Unstaked_funds_return_exactly_after_the_unbonding_period()
    {
        var chain = new TestChain(unbondingPeriod: 3);
        var carol = TestChain.Account(2);
        chain.Produce(chain.Stake(carol, StakeRole.Worker, 500, nonce: 0));
        Assert.That(chain.StakeOf(carol.Address).WorkerStake, Is.EqualTo(500));

        var unstake = chain.Produce(chain.Unstake(carol, StakeRole.Worker, 500, nonce: 1));
        ulong release = unstake.Block.Height + 3;
        ulong balanceAfterUnstake = chain.AccountOf(carol.Address).Balance;
        Assert.That(chain.StakeOf(carol.Address).Unbonding.Single().ReleaseHeight, Is.EqualTo(release));

        while (chain.Processor.Head.Height < release - 1) chain.Produce();
        Assert.That(chain.AccountOf(carol.Address).Balance, Is.EqualTo(balanceAfterUnstake), "not released before the period ends");
        chain.Produce();
        Assert.That(chain.AccountOf(carol.Address).Balance, Is.EqualTo(balanceAfterUnstake + 500));
        Assert.That(chain.StakeOf(carol.Address).Unbonding, Is.Empty);
    }

    [Test]
    public void Unstaking_more_than_staked_or_staking_below_minimum_fails()
    {
        var chain = new TestChain();
        var dave = TestChain.Account(3);
        var executed = chain.Produce(
            chain.Stake(dave, StakeRole.Validator, 10, nonce: 0),
            chain.Unstake(dave, StakeRole.Worker, 1, nonce: 1));
        Assert.That(executed.Receipts[0].ErrorText(), Does.Contain("below the minimum"));
        Assert.That(executed.Receipts[1].ErrorText(), Does.Contain("cannot unstake"));
    }

    [Test]
    public void Another_node_re_executes_the_block_to_the_same_roots()
    {
        var proposer = new TestChain();
        var follower = new TestChain();
        var alice = TestChain.Account(0);
        for (int b = 0; b < 3; b++)
        {
            var txs = Enumerable.Range(0, 10).Select(i => proposer.Transfer(alice, TestChain.Account(1 + i % 3).Address, 7, nonce: (ulong)(b * 10 + i))).ToArray();
            var executed = proposer.Produce(txs);
            var block = Core.Blocks.ChainBlock.TryDecode(executed.Block.ToBytes(), TestChain.ChainId, 4096, out var decoded, out var decodeError) ? decoded! : throw new AssertionException(decodeError!);
            var replayed = follower.Processor.Execute(block, out var error);
            Assert.That(replayed, Is.Not.Null, error);
            follower.Processor.Commit(replayed!, TestChain.CommitFor(replayed!));
        }
        Assert.That(follower.Processor.Head.Hash, Is.EqualTo(proposer.Processor.Head.Hash));
        Assert.That(follower.Tree.Root, Is.EqualTo(proposer.Tree.Root));
    }

    [Test]
    public void Block_with_a_wrong_state_root_is_refused()
    {
        var proposer = new TestChain();
        var follower = new TestChain();
        var executed = proposer.Produce(proposer.Transfer(TestChain.Account(0), TestChain.Account(1).Address, 5, 0));
        var header = executed.Block.Header.Clone();
        header.StateRoot = Google.Protobuf.ByteString.CopyFrom(new byte[32]);
        var forged = new Core.Blocks.ChainBlock(header, executed.Block.Transactions, executed.Block.LastCommit);
        Assert.That(follower.Processor.Execute(forged, out var error), Is.Null);
        Assert.That(error, Does.Contain("state root"));
        Assert.That(follower.Processor.Head.Height, Is.EqualTo(0));
    }

    [Test]
    public void Total_supply_is_conserved_over_a_long_random_run()
    {
        var chain = new TestChain(accounts: 8);
        var random = new Random(20261124);
        var keys = Enumerable.Range(0, 8).Select(TestChain.Account).ToArray();
        var everyone = keys.Select(k => k.Address).Append(Proposer).ToArray();
        ulong supply = chain.TotalSupply(everyone) ;
        var nonces = new ulong[keys.Length];
        for (int block = 0; block < 40; block++)
        {
            var txs = new List<Core.Transactions.Transaction>();
            for (int i = 0; i < 25; i++)
            {
                int from = random.Next(keys.Length);
                var tx = random.Next(10) switch
                {
                    0 => chain.Stake(keys[from], StakeRole.Worker, (ulong)random.Next(1, 5000), nonces[from]),
                    1 => chain.Unstake(keys[from], StakeRole.Worker, (ulong)random.Next(1, 5000), nonces[from]),
                    _ => chain.Transfer(keys[from], keys[random.Next(keys.Length)].Address, (ulong)random.Next(1, 300_000_000), nonces[from]),
                };
                nonces[from]++;
                txs.Add(tx);
            }
            chain.Produce([.. txs]);
            Assert.That(chain.TotalSupply(everyone), Is.EqualTo(supply), $"after block {block + 1}");
        }
    }

    [Test]
    public void Reopened_rocksdb_chain_has_the_same_head_root_and_balances()
    {
        var dir = Path.Combine(Path.GetTempPath(), "iexec-state-" + Guid.NewGuid().ToString("N"));
        try
        {
            Core.Primitives.Hash256 head, root;
            ulong balance;
            using (var store = new RocksDbStore(dir))
            {
                var chain = new TestChain(store);
                for (ulong n = 0; n < 5; n++) chain.Produce(chain.Transfer(TestChain.Account(0), TestChain.Account(1).Address, 10, n));
                (head, root, balance) = (chain.Processor.Head.Hash, chain.Tree.Root, chain.AccountOf(TestChain.Account(1).Address).Balance);
            }
            using (var store = new RocksDbStore(dir))
            {
                var chain = new TestChain(store);
                Assert.That(chain.Processor.Head.Height, Is.EqualTo(5));
                Assert.That(chain.Processor.Head.Hash, Is.EqualTo(head));
                Assert.That(chain.Tree.Root, Is.EqualTo(root));
                Assert.That(chain.AccountOf(TestChain.Account(1).Address).Balance, Is.EqualTo(balance));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Genesis_of_another_spec_on_the_same_database_is_refused()
    {
        var store = new MemoryStore();
        _ = new TestChain(store, accounts: 5);
        var e = Assert.Throws<InvalidOperationException>(() => _ = new TestChain(store, accounts: 6))!;
        Assert.That(e.Message, Does.Contain("genesis"));
    }
}
