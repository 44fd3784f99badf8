using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Market;
using IExecChain.State.Tests.Market;
using NUnit.Framework;

namespace IExecChain.State.Tests;

/// <summary>
/// A transaction applies whole or not at all. Seeded random blocks mix valid and failing transactions
/// of every family, including transfers that overflow the recipient after the sender was debited.
/// Each block is executed twice on the same parent: as it is, and as a reference in which every
/// transaction that failed is replaced by one from the same sender, nonce and fee whose payload
/// fails before it writes anything. The two state roots must be equal: a failed transaction may
/// have paid its fee and used its nonce, nothing else.
/// </summary>
public sealed class AtomicTransactionTests
{
    private const int Blocks = 500;

    /// <summary>Holds almost 2^64 nRLC: any sizeable transfer to it overflows after the sender was debited.</summary>
    private static readonly Address Whale = MarketBuild.Addr("whale");

    private static readonly MarketParameters Market = new()
    {
        Categories = [new TaskCategory(0, "XS", TimeRefBlocks: 2, MaxFuel: 1_000_000, MaxMemoryMb: 64)],
        RollbackWindowBlocks = 8,
        ChallengeBond = 50_000,
        ChallengeRewardPercent = 50,
        SpotCheckPpm = 200_000,
        SpotCheckReward = 1_000,
        Verifiers = 2,
    };

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void Every_failed_transaction_leaves_the_state_as_if_it_had_only_paid_its_fee(int seed)
    {
        var m = new MarketChain(workers: 5, market: Market, adjustSpec: s => s with { Accounts = [.. s.Accounts, new GenesisAccount(Whale, ulong.MaxValue - 1_000_000)] });
        m.SetUp(poolVolume: 10_000, poolTrust: 1000, appVolume: 10_000);
        var random = new RandomTransactions(m, new Random(seed));
        var failures = new Dictionary<string, int>();

        for (int b = 0; b < Blocks; b++)
        {
            var txs = random.NextBlock();
            var executed = m.Chain.Propose(txs);
            var failed = new HashSet<Hash256>();
            foreach (var receipt in executed.Receipts)
            {
                if (receipt.Status == ReceiptStatus.Success) continue;
                failed.Add(new Hash256(receipt.TxId.Span));
                string kind = txs.First(t => t.Id == new Hash256(receipt.TxId.Span)).Kind.ToString();
                failures[kind] = failures.GetValueOrDefault(kind) + 1;
            }
            var reference = m.Chain.Propose([.. txs.Select(t => failed.Contains(t.Id) ? random.FailsBeforeWriting(t) : t)]);
            Assert.That(Root(executed), Is.EqualTo(Root(reference)),
                $"seed {seed}, block {executed.Block.Height}: failed transactions changed the state beyond their fees ({failed.Count} failed: "
                + string.Join("; ", executed.Receipts.Where(r => r.Status != ReceiptStatus.Success).Select(r => r.ErrorText())) + ")");

            var committed = m.Produce(txs);
            Assert.That(Root(committed), Is.EqualTo(Root(executed)), "executing the same block twice on one parent gives one state");
            random.Observe(committed);
        }

        // The blocks really mixed failures of every family, the mid-handler overflow among them.
        TestContext.Out.WriteLine($"seed {seed}: failures by kind: {string.Join(", ", failures.OrderBy(f => f.Key).Select(f => $"{f.Key} {f.Value}"))}; "
            + $"tasks started {random.TasksStarted}, overflowing transfers {random.OverflowingTransfers}");
        foreach (var kind in new[] { "Transfer", "Stake", "Unstake", "PlaceOrder", "CancelOrder", "Contribute", "Reveal", "Challenge", "JoinPool", "RegisterDataset", "Propose", "AnchorReceipt" })
            Assert.That(failures.GetValueOrDefault(kind), Is.GreaterThan(0), $"no failed {kind} in seed {seed}");
        Assert.That(random.OverflowingTransfers, Is.GreaterThan(10));
        Assert.That(random.TasksStarted, Is.GreaterThan(20), "the market ran: tasks were matched, started and contributed to");
    }

    private static Hash256 Root(ExecutedBlock executed) => new(executed.Block.Header.StateRoot.Span);

    /// <summary>Random transactions of every family from the market cast, with the nonces they need.</summary>
    private sealed class RandomTransactions(MarketChain m, Random random)
    {
        private readonly List<Hash256> _orders = [];
        private readonly List<Hash256> _tasks = [];
        private readonly Dictionary<Address, PrivateKey> _keys = Enumerable.Range(0, MarketChain.FirstWorker + m.Workers)
            .Select(MarketChain.Key).ToDictionary(k => k.Address);
        private Dictionary<int, ulong> _nonces = [];

        public int TasksStarted => _tasks.Count;
        public int OverflowingTransfers { get; private set; }

        public Transaction[] NextBlock()
        {
            _nonces = [];
            int count = random.Next(5, 30);
            var txs = new Transaction[count];
            for (int i = 0; i < count; i++) txs[i] = Next();
            return txs;
        }

        public void Observe(ExecutedBlock committed)
        {
            foreach (var e in committed.Market!.Events)
                if (e.Kind == "started" && !_tasks.Contains(e.TaskId)) _tasks.Add(e.TaskId);
        }

        /// <summary>Same sender, nonce and fee; the payload (a transfer of more than anyone holds) fails on its first check.</summary>
        public Transaction FailsBeforeWriting(Transaction tx) => m.Chain.Sign(_keys[tx.Sender], tx.Nonce,
            b => b.Transfer = new Transfer { To = MarketChain.Bytes(tx.Sender), Amount = ulong.MaxValue }, tx.Fee);

        private Transaction Next()
        {
            int account = random.Next(MarketChain.FirstWorker + m.Workers);
            int worker = random.Next(m.Workers);
            return random.Next(14) switch
            {
                0 => Transfer(account),
                1 => Sign(account, b => b.Stake = new Stake { Role = StakeRole.Worker, Amount = Amount() }),
                2 => Sign(account, b => b.Unstake = new Unstake { Role = StakeRole.Worker, Amount = Amount() }),
                3 or 4 => PlaceRequest(account),
                5 => Sign(account, b => b.CancelOrder = new CancelOrder { OrderHash = MarketChain.Bytes(Pick(_orders)) }),
                6 or 7 => Contribute(worker),
                8 => Reveal(worker),
                9 => Sign(account, b => b.Challenge = new Challenge { TaskId = MarketChain.Bytes(Pick(_tasks)) }),
                10 => random.Next(2) == 0
                    ? Sign(MarketChain.FirstWorker + worker, b => b.JoinPool = new JoinPool { Workerpool = MarketChain.Bytes(m.PoolId), Endpoint = "http://127.0.0.1:9000" })
                    : Sign(MarketChain.FirstWorker + worker, b => b.LeavePool = new LeavePool()),
                11 => Sign(account, b => b.RegisterDataset = new RegisterDataset
                {
                    Name = "data", ContentRoot = ByteString.CopyFrom(new byte[32]), Size = (ulong)random.Next(2), Endpoint = "http://127.0.0.1:8645",
                }),
                12 => Sign(account, b => b.Propose = new GovernancePropose
                {
                    DescriptionHash = ByteString.CopyFrom(new byte[32]),
                    ChangeParameter = new ChangeParameter { Name = "fees.transfer", Value = 1 },
                }),
                _ => Sign(account, b => b.AnchorReceipt = new AnchorReceipt { CheckpointNumber = (ulong)random.Next(1, 1000), EthChainId = 1, AnchorContract = ByteString.CopyFrom(new byte[20]), EthTxHash = ByteString.CopyFrom(new byte[32]) }),
            };
        }

        private Transaction Transfer(int account)
        {
            int choice = random.Next(3);
            if (choice == 0)
            {
                // Debits the sender, then overflows the whale: only a rollback takes the debit back.
                OverflowingTransfers++;
                return Sign(account, b => b.Transfer = new Transfer { To = MarketChain.Bytes(Whale), Amount = 1_000_001 + (ulong)random.Next(1_000_000) });
            }
            var to = MarketChain.Key(random.Next(MarketChain.FirstWorker + m.Workers)).Address;
            ulong amount = choice == 1 ? Amount() : ulong.MaxValue / 2;
            return Sign(account, b => b.Transfer = new Transfer { To = MarketChain.Bytes(to), Amount = amount });
        }

        private Transaction PlaceRequest(int account)
        {
            // Mostly affordable; sometimes a volume whose lock overflows or exceeds the balance.
            ulong volume = random.Next(10) switch { 0 => ulong.MaxValue / 3, 1 => 100_000, _ => (ulong)random.Next(1, 3) };
            ulong trust = random.Next(2) == 0 ? 1UL : 3UL;
            var tx = m.PlaceRequest(volume, trust, NextNonce(account), account);
            _orders.Add(OrderCodec.HashOf(OrderCodec.Kind.Request, tx.Body.PlaceOrder.Request));
            return tx;
        }

        private Transaction Contribute(int worker)
        {
            var taskId = Pick(_tasks);
            string result = random.Next(4) == 0 ? "wrong" : "right";
            return m.Contribute(worker, taskId, MarketChain.Digest(taskId, result), NextNonce(MarketChain.FirstWorker + worker));
        }

        private Transaction Reveal(int worker)
        {
            var taskId = Pick(_tasks);
            return m.Reveal(worker, taskId, MarketChain.Digest(taskId, "right"), NextNonce(MarketChain.FirstWorker + worker));
        }

        private ulong Amount() => random.Next(4) switch
        {
            0 or 1 => (ulong)random.Next(1, 100),
            2 => (ulong)random.Next(100, 100_000),
            _ => 10_000_000_000,
        };

        private Hash256 Pick(List<Hash256> from) => from.Count == 0 || random.Next(8) == 0 ? Keccak256.Hash(BitConverter.GetBytes(random.Next())) : from[random.Next(from.Count)];

        private Transaction Sign(int account, Action<TransactionBody> payload) => m.Tx(account, payload, NextNonce(account));

        private ulong NextNonce(int account)
        {
            if (!_nonces.TryGetValue(account, out var next)) next = m.Nonce(account);
            _nonces[account] = next + 1;
            return next;
        }
    }
}
