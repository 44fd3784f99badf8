using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Market;
using IExecChain.Storage;
using NUnit.Framework;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Tests.Market;

/// <summary>A one-validator chain with a market cast: app owner, pool owner, requester and workers.</summary>
internal sealed class MarketChain
{
    public const int AppOwner = 0, PoolOwner = 1, Requester = 2, FirstWorker = 3;
    public const ulong AppPrice = 1_000, PoolPrice = 10_000, WorkerStake = 1_000;

    public MarketChain(int workers, IKeyValueStore? store = null, bool requireAppApproval = false, MarketParameters? market = null, Func<ChainSpec, ChainSpec>? adjustSpec = null)
    {
        Workers = workers;
        Chain = new TestChain(store, accounts: FirstWorker + workers, requireAppApproval: requireAppApproval, market: market, adjustSpec: adjustSpec);
    }

    public TestChain Chain { get; }
    public int Workers { get; }
    public Address AppId { get; private set; }
    public Address PoolId { get; private set; }
    public List<Hash256> Orders { get; } = [];
    public List<MarketEvent> Events { get; } = [];

    public static PrivateKey Key(int i) => TestChain.Account(i);
    public PrivateKey WorkerKey(int w) => Key(FirstWorker + w);

    public ulong Nonce(int account) => Chain.AccountOf(Key(account).Address).Nonce;

    public Transaction Tx(int account, Action<TransactionBody> payload, ulong? nonce = null, ulong fee = 10_000) =>
        Chain.Sign(Key(account), nonce ?? Nonce(account), payload, fee);

    public ExecutedBlock Produce(params Transaction[] txs)
    {
        var executed = Chain.Produce(txs);
        Events.AddRange(executed.Market!.Events);
        return executed;
    }

    /// <summary>Registers the app and the pool, stakes and joins every worker, and offers app and pool.</summary>
    public void SetUp(ulong poolVolume = 100, ulong poolTrust = 1000, ulong appVolume = 100)
    {
        AppId = MarketBlock.ResourceId(MarketBlock.AppIdKind, Key(AppOwner).Address, Nonce(AppOwner));
        PoolId = MarketBlock.ResourceId(MarketBlock.WorkerpoolIdKind, Key(PoolOwner).Address, Nonce(PoolOwner));
        var txs = new List<Transaction>
        {
            Tx(AppOwner, b => b.RegisterApp = new RegisterApp { Name = "echo", Runtime = AppRuntime.Wasm, ContentRoot = ByteString.CopyFrom(new byte[32]), ContentSize = 100, Endpoint = "http://127.0.0.1:8645" }),
            Tx(PoolOwner, b => b.RegisterWorkerpool = new RegisterWorkerpool { Description = "pool", WorkerStakeRatio = 10, SchedulerRewardRatio = 10 }),
        };
        for (int w = 0; w < Workers; w++) txs.Add(Chain.Stake(WorkerKey(w), StakeRole.Worker, 100, Nonce(FirstWorker + w)));
        Produce([.. txs]);
        txs.Clear();
        for (int w = 0; w < Workers; w++)
            txs.Add(Tx(FirstWorker + w, b => b.JoinPool = new JoinPool { Workerpool = Bytes(PoolId), Endpoint = $"http://127.0.0.1:{9000 + w}" }));
        txs.Add(PlaceApp(appVolume));
        txs.Add(PlacePool(poolVolume, poolTrust));
        AssertAllSucceeded(Produce([.. txs]));
    }

    public Transaction PlaceApp(ulong volume, ulong? nonce = null) => Tx(AppOwner, b => b.PlaceOrder = new PlaceOrder
    {
        App = new AppOrder { App = Bytes(AppId), Price = AppPrice, Volume = volume, Salt = Salt() },
    }, nonce);

    public Transaction PlacePool(ulong volume, ulong trust, ulong? nonce = null) => Tx(PoolOwner, b => b.PlaceOrder = new PlaceOrder
    {
        Workerpool = new WorkerpoolOrder { Workerpool = Bytes(PoolId), Price = PoolPrice, Volume = volume, Category = 0, Trust = trust, Salt = Salt() },
    }, nonce);

    public Transaction PlaceRequest(ulong volume, ulong trust, ulong? nonce = null, int requester = Requester) => Tx(requester, b => b.PlaceOrder = new PlaceOrder
    {
        Request = new RequestOrder
        {
            App = Bytes(AppId), AppMaxPrice = AppPrice * 2, WorkerpoolMaxPrice = PoolPrice * 2, Requester = Bytes(Key(requester).Address),
            Volume = volume, Category = 0, Trust = trust, Params = "hello", Salt = Salt(),
        },
    }, nonce);

    private int _salt;
    private ByteString Salt() => ByteString.CopyFrom(BitConverter.GetBytes(++_salt));

    public static Hash256 Digest(Hash256 taskId, string result) => Keccak256.HashConcat(taskId.ToArray(), System.Text.Encoding.ASCII.GetBytes(result));

    public Transaction Contribute(int worker, Hash256 taskId, Hash256 digest, ulong? nonce = null) => Tx(FirstWorker + worker, b => b.Contribute = new Contribute
    {
        TaskId = Bytes(taskId),
        ResultHash = Bytes(MarketBlock.ResultHash(taskId, digest)),
        ResultSeal = Bytes(MarketBlock.ResultSeal(WorkerKey(worker).Address, taskId, digest)),
    }, nonce, 100);

    public Transaction ReportFailure(int worker, Hash256 taskId, ReplicaFailure failure, ulong? nonce = null) => Tx(FirstWorker + worker, b => b.ReportFailure = new ReportFailure
    {
        TaskId = Bytes(taskId),
        Failure = failure,
    }, nonce, fee: 100);

    public Transaction Reveal(int worker, Hash256 taskId, Hash256 digest, ulong? nonce = null) => Tx(FirstWorker + worker, b => b.Reveal = new Reveal
    {
        TaskId = Bytes(taskId),
        ResultDigest = Bytes(digest),
    }, nonce, 100);

    public int WorkerIndex(ByteString address)
    {
        for (int w = 0; w < Workers; w++) if (WorkerKey(w).Address == new Address(address.Span)) return w;
        throw new InvalidOperationException("not a worker");
    }

    public TaskRecord Task(Hash256 id) => MarketReader.Task(Chain.Tree, id)!;

    public List<Hash256> StartedTasks() => Events.Where(e => e.Kind == "started").Select(e => e.TaskId).Distinct().ToList();

    public static ByteString Bytes(Address a) => ByteString.CopyFrom(a.ToArray());
    public static ByteString Bytes(Hash256 h) => ByteString.CopyFrom(h.ToArray());

    public static void AssertAllSucceeded(ExecutedBlock executed)
    {
        foreach (var r in executed.Receipts)
            Assert.That(r.Status, Is.EqualTo(ReceiptStatus.Success), $"receipt error: {r.ErrorText()}");
    }

    public IEnumerable<Address> Everyone() =>
        Enumerable.Range(0, FirstWorker + Workers).Select(i => Key(i).Address).Append(TestChain.Validator.Address);

    /// <summary>Balances, frozen funds, stakes, unbonding and the kitty: the whole supply.</summary>
    public ulong Supply()
    {
        ulong total = MarketReader.Totals(Chain.Tree).Kitty;
        foreach (var a in Everyone())
        {
            var account = Chain.AccountOf(a);
            total += account.Balance + account.Frozen;
            var s = Chain.StakeOf(a);
            total += s.ValidatorStake + s.WorkerStake + (ulong)s.Unbonding.Sum(u => (decimal)u.Amount);
        }
        return total;
    }

    /// <summary>What must be frozen: open orders' locks, unsettled tasks' escrow and pool stakes, and contributed worker stakes.</summary>
    public ulong ExpectedFrozen(IEnumerable<Hash256> orders)
    {
        ulong total = 0;
        foreach (var hash in orders)
        {
            var o = MarketReader.Order(Chain.Tree, hash);
            if (o is { Status: OrderStatus.Open }) total += o.Remaining * o.LockPerUnit;
        }
        var queued = MarketReader.Totals(Chain.Tree).DealsToStart.Select(d => new Hash256(d.Span));
        foreach (var dealId in Events.Select(e => e.DealId).Concat(DealIds()).Concat(queued).Distinct())
        {
            var d = MarketReader.Deal(Chain.Tree, dealId);
            if (d is null) continue;
            total += (d.Volume - d.Completed - d.Failed) * (d.AppPrice + d.DatasetPrice + d.PoolPrice + d.PoolStake);
        }
        foreach (var taskId in StartedTasks())
        {
            var t = Task(taskId);
            // Rollback window: winners' stakes and rewards; a running verification: the bond and verifier stakes.
            foreach (var p in t.Pending) total += p.Stake + p.Reward;
            if (t.Verification is { Phase: VerificationPhase.Committing or VerificationPhase.Revealing } v)
            {
                var deal = MarketReader.Deal(Chain.Tree, new Hash256(t.DealId.Span))!;
                total += v.Bond + (ulong)v.Replicas.Count(r => r.Status is ReplicaStatus.Contributed or ReplicaStatus.Revealed) * deal.WorkerStake;
            }
            if (t.Status is TaskStatus.Completed or TaskStatus.Failed) continue;
            var d = MarketReader.Deal(Chain.Tree, new Hash256(t.DealId.Span))!;
            total += (ulong)t.Replicas.Count(r => r.Status is ReplicaStatus.Contributed or ReplicaStatus.Revealed or ReplicaStatus.Rejected or ReplicaStatus.Failed) * d.WorkerStake;
        }
        return total;
    }

    public IEnumerable<Hash256> DealIds()
    {
        foreach (var hash in Orders)
        {
            var o = MarketReader.Order(Chain.Tree, hash);
            if (o is null) continue;
            foreach (var d in o.Deals) yield return new Hash256(d.Span);
        }
    }

    public ulong Frozen() => Everyone().Aggregate(0UL, (s, a) => s + Chain.AccountOf(a).Frozen);
}

public sealed class MarketChainTests
{
    [Test]
    public void A_trust_1_task_runs_from_match_to_payment_in_three_blocks()
    {
        var m = new MarketChain(workers: 3);
        m.SetUp();
        ulong supply = m.Supply();
        var requester = MarketChain.Key(MarketChain.Requester).Address;
        ulong before = m.Chain.AccountOf(requester).Balance;

        MarketChain.AssertAllSucceeded(m.Produce(m.PlaceRequest(volume: 1, trust: 1)));
        var taskId = m.StartedTasks().Single();
        var task = m.Task(taskId);
        Assert.That(task.Status, Is.EqualTo(TaskStatus.Active));
        Assert.That(task.Replicas, Has.Count.EqualTo(1), "trust 1: one contribution is enough");
        // The request locked twice the prices; the match returned the difference.
        Assert.That(m.Chain.AccountOf(requester).Frozen, Is.EqualTo(MarketChain.AppPrice + MarketChain.PoolPrice));
        Assert.That(m.Chain.AccountOf(requester).Balance, Is.EqualTo(before - 10_000 - MarketChain.AppPrice - MarketChain.PoolPrice));

        int w = m.WorkerIndex(task.Replicas[0].Worker);
        var digest = MarketChain.Digest(taskId, "ok");
        MarketChain.AssertAllSucceeded(m.Produce(m.Contribute(w, taskId, digest)));
        Assert.That(m.Task(taskId).Status, Is.EqualTo(TaskStatus.Revealing));
        MarketChain.AssertAllSucceeded(m.Produce(m.Reveal(w, taskId, digest)));

        task = m.Task(taskId);
        Assert.That(task.Status, Is.EqualTo(TaskStatus.Completed));
        Assert.That(new Hash256(task.ResultDigest.Span), Is.EqualTo(digest));
        Assert.That(m.Chain.AccountOf(requester).Frozen, Is.Zero);
        Assert.That(m.Chain.AccountOf(MarketChain.Key(MarketChain.AppOwner).Address).Frozen, Is.Zero);
        var worker = MarketReader.Worker(m.Chain.Tree, m.WorkerKey(w).Address)!;
        Assert.That(worker.Assignments, Is.Empty);
        Assert.That(worker.Score, Is.Zero, "a task with a single contribution does not raise the score");
        // Worker: 90% of the pool price (scheduler keeps 10%), log2(weight 2) = 1 of 1.
        ulong workerGain = MarketChain.PoolPrice * 90 / 100;
        Assert.That(m.Chain.AccountOf(m.WorkerKey(w).Address).Balance, Is.EqualTo(1_000_000_000 - 200 - 100 - 10_000 - 100 - 100 + workerGain), "fees: stake 200 + 100 staked, join 10,000, contribute and reveal 100 each");
        Assert.That(m.Supply(), Is.EqualTo(supply));
        var pool = MarketReader.Workerpool(m.Chain.Tree, m.PoolId)!;
        Assert.That(pool.TasksCompleted, Is.EqualTo(1));
    }

    [Test]
    public void Disagreement_brings_more_replicas_and_the_saboteur_loses_its_stake_and_score()
    {
        var m = new MarketChain(workers: 5);
        m.SetUp();
        ulong supply = m.Supply();
        m.Produce(m.PlaceRequest(volume: 1, trust: 5));
        var taskId = m.StartedTasks().Single();
        var task = m.Task(taskId);
        // Fresh workers weigh 2: trust 5 needs 2^k > 4, so three agreeing replicas.
        Assert.That(task.Replicas, Has.Count.EqualTo(3));
        var good = MarketChain.Digest(taskId, "ok");
        var bad = MarketChain.Digest(taskId, "wrong");
        int saboteur = m.WorkerIndex(task.Replicas[1].Worker);
        m.Produce(task.Replicas.Select((r, i) => m.Contribute(m.WorkerIndex(r.Worker), taskId, i == 1 ? bad : good)).ToArray());
        task = m.Task(taskId);
        Assert.That(task.Status, Is.EqualTo(TaskStatus.Active), "2 of 3 agreeing fresh workers are not enough for trust 5");
        // Good group 4, total 7; two more agreeing fresh workers give 16 x 5 > 19 x 4.
        Assert.That(task.Replicas, Has.Count.EqualTo(5));
        Assert.That(task.Replicas.Skip(3).All(r => r.Status == ReplicaStatus.Assigned));
        m.Produce(task.Replicas.Skip(3).Select(r => m.Contribute(m.WorkerIndex(r.Worker), taskId, good)).ToArray());
        task = m.Task(taskId);
        Assert.That(task.Status, Is.EqualTo(TaskStatus.Revealing));
        var winners = task.Replicas.Where(r => r.ResultHash == task.ConsensusHash).Select(r => m.WorkerIndex(r.Worker)).ToList();
        Assert.That(winners, Has.Count.EqualTo(4));
        ulong saboteurBefore = m.Chain.AccountOf(m.WorkerKey(saboteur).Address).Balance;
        m.Produce(winners.Select(w => m.Reveal(w, taskId, good)).ToArray());

        task = m.Task(taskId);
        Assert.That(task.Status, Is.EqualTo(TaskStatus.Completed));
        var sab = m.Chain.AccountOf(m.WorkerKey(saboteur).Address);
        Assert.That(sab.Frozen, Is.Zero);
        Assert.That(sab.Balance, Is.EqualTo(saboteurBefore), "the saboteur's stake is seized: nothing comes back");
        foreach (var w in winners)
        {
            Assert.That(MarketReader.Worker(m.Chain.Tree, m.WorkerKey(w).Address)!.Score, Is.EqualTo(1), "replicated task: winners gain a point");
            Assert.That(m.Chain.AccountOf(m.WorkerKey(w).Address).Frozen, Is.Zero);
        }
        // Pot = pool price + the seized stake; workers share 90% equally (all weigh 2).
        ulong pot = MarketChain.PoolPrice + MarketChain.PoolPrice * 10 / 100;
        ulong each = pot * 90 / 100 / 4;
        var first = m.Chain.AccountOf(m.WorkerKey(winners[0]).Address);
        Assert.That(first.Balance, Is.EqualTo(1_000_000_000 - 200 - 100 - 10_000 - 100 - 100 + each));
        Assert.That(m.Supply(), Is.EqualTo(supply));
    }

    [Test]
    public void A_task_nobody_contributes_to_times_out_replicas_then_fails_and_refunds()
    {
        var m = new MarketChain(workers: 2);
        m.SetUp();
        ulong supply = m.Supply();
        var requester = MarketChain.Key(MarketChain.Requester).Address;
        m.Produce(m.PlaceRequest(volume: 1, trust: 1));
        ulong afterLock = m.Chain.AccountOf(requester).Balance;
        var taskId = m.StartedTasks().Single();
        var first = m.Task(taskId).Replicas[0].Worker;
        ulong t = m.Chain.Spec.Parameters.Market.Categories[0].TimeRefBlocks;
        while (m.Chain.Processor.Head.Height < m.Task(taskId).StartHeight + 2 * t) m.Produce();
        var task = m.Task(taskId);
        Assert.That(task.Replicas[0].Status, Is.EqualTo(ReplicaStatus.TimedOut));
        Assert.That(task.Replicas, Has.Count.EqualTo(2), "the timed-out replica was replaced");
        Assert.That(task.Replicas[1].Worker, Is.Not.EqualTo(first), "never the same worker twice on a task");
        Assert.That(m.Events.Any(e => e.Kind == "timeout"));
        while (m.Chain.Processor.Head.Height < task.FinalDeadline) m.Produce();
        task = m.Task(taskId);
        Assert.That(task.Status, Is.EqualTo(TaskStatus.Failed));
        Assert.That(m.Chain.AccountOf(requester).Frozen, Is.Zero);
        Assert.That(m.Chain.AccountOf(requester).Balance, Is.EqualTo(afterLock + MarketChain.AppPrice + MarketChain.PoolPrice), "refunded");
        Assert.That(MarketReader.Totals(m.Chain.Tree).Kitty, Is.EqualTo(MarketChain.PoolPrice * 30 / 100), "the pool owner's stake is seized");
        Assert.That(m.Supply(), Is.EqualTo(supply));
        Assert.That(MarketReader.Workerpool(m.Chain.Tree, m.PoolId)!.TasksFailed, Is.EqualTo(1));
    }

    [Test]
    public void Bad_market_transactions_fail_with_the_reason_and_change_nothing_but_the_fee()
    {
        var m = new MarketChain(workers: 2);
        m.SetUp();
        var requester = MarketChain.Key(MarketChain.Requester).Address;
        var unknownApp = new Address(Enumerable.Repeat((byte)7, 20).ToArray());
        var executed = m.Produce(
            m.Tx(MarketChain.Requester, b => b.PlaceOrder = new PlaceOrder { Request = new RequestOrder { App = MarketChain.Bytes(unknownApp), Requester = MarketChain.Bytes(requester), Volume = 1 } }),
            m.Tx(MarketChain.Requester, b => b.PlaceOrder = new PlaceOrder { Request = new RequestOrder { App = MarketChain.Bytes(m.AppId), Requester = MarketChain.Bytes(requester), Volume = 1, AppMaxPrice = 2_000_000_000 } }, m.Nonce(MarketChain.Requester) + 1),
            m.Tx(MarketChain.Requester, b => b.PlaceOrder = new PlaceOrder { Request = new RequestOrder { App = MarketChain.Bytes(m.AppId), Requester = MarketChain.Bytes(requester), Volume = 1, Requirements = "other.gpu & true" } }, m.Nonce(MarketChain.Requester) + 2),
            m.Tx(MarketChain.Requester, b => b.PlaceOrder = new PlaceOrder { App = new AppOrder { App = MarketChain.Bytes(m.AppId), Volume = 1, Price = 1 } }, m.Nonce(MarketChain.Requester) + 3),
            m.Contribute(0, Keccak256.Hash([1, 2, 3]), Keccak256.Hash([4])),
            m.Tx(MarketChain.Requester, b => b.CancelOrder = new CancelOrder { OrderHash = MarketChain.Bytes(Keccak256.Hash([9])) }, m.Nonce(MarketChain.Requester) + 4));
        var errors = executed.Receipts.Select((r, i) => r.ErrorText(executed.Block.Transactions[i].Body)).ToList();
        Assert.That(executed.Receipts.All(r => r.Status == ReceiptStatus.Failed));
        Assert.That(errors[0], Does.Contain("does not exist"));
        Assert.That(errors[1], Does.Contain("cannot lock the order's maximum cost"));
        Assert.That(errors[2], Does.Contain("requirements").And.Contain("position"));
        Assert.That(errors[3], Does.Contain("only the owner"));
        Assert.That(errors[4], Does.Contain("does not exist"));
        Assert.That(errors[5], Does.Contain("does not exist"));
        Assert.That(m.Chain.AccountOf(requester).Frozen, Is.Zero);
    }

    [Test]
    public void Contributions_and_reveals_that_break_the_rules_are_refused_with_the_reason()
    {
        var m = new MarketChain(workers: 3);
        m.SetUp();
        m.Produce(m.PlaceRequest(volume: 1, trust: 5));
        var taskId = m.StartedTasks().Single();
        var task = m.Task(taskId);
        Assert.That(task.Replicas, Has.Count.EqualTo(3));
        var good = MarketChain.Digest(taskId, "ok");
        // Everyone is assigned (3 workers, 3 replicas): an outsider is a fourth account.
        var outsider = m.Tx(MarketChain.Requester, b => b.Contribute = new Contribute
        {
            TaskId = MarketChain.Bytes(taskId), ResultHash = MarketChain.Bytes(MarketBlock.ResultHash(taskId, good)),
            ResultSeal = MarketChain.Bytes(MarketBlock.ResultSeal(MarketChain.Key(MarketChain.Requester).Address, taskId, good)),
        }, fee: 100);
        int w0 = m.WorkerIndex(task.Replicas[0].Worker), w1 = m.WorkerIndex(task.Replicas[1].Worker), w2 = m.WorkerIndex(task.Replicas[2].Worker);
        var first = m.Produce(outsider, m.Contribute(w0, taskId, good), m.Contribute(w0, taskId, good, m.Nonce(MarketChain.FirstWorker + w0) + 1),
            m.Reveal(w1, taskId, good));
        Assert.That(first.Receipts[0].ErrorText(), Does.Contain("is not assigned to task"));
        Assert.That(first.Receipts[1].Status, Is.EqualTo(ReceiptStatus.Success));
        Assert.That(first.Receipts[2].ErrorText(), Does.Contain("cannot contribute").And.Contain("Contributed"));
        Assert.That(first.Receipts[3].ErrorText(), Does.Contain("nothing to reveal"));

        m.Produce(m.Contribute(w1, taskId, good), m.Contribute(w2, taskId, good));
        Assert.That(m.Task(taskId).Status, Is.EqualTo(TaskStatus.Revealing));
        var wrongDigest = MarketChain.Digest(taskId, "not what was committed");
        var second = m.Produce(m.Reveal(w0, taskId, wrongDigest), m.Contribute(w1, taskId, good, m.Nonce(MarketChain.FirstWorker + w1)));
        Assert.That(second.Receipts[0].ErrorText(), Does.Contain("does not open"));
        Assert.That(second.Receipts[1].ErrorText(), Does.Contain("contributions are closed"));
        Assert.That(m.Task(taskId).Replicas[0].Status, Is.EqualTo(ReplicaStatus.Contributed), "a failed reveal changes nothing");
    }

    [Test]
    public void A_contribution_after_the_replica_deadline_is_refused_and_the_replica_replaced()
    {
        var m = new MarketChain(workers: 2);
        m.SetUp();
        m.Produce(m.PlaceRequest(volume: 1, trust: 1));
        var taskId = m.StartedTasks().Single();
        var late = m.WorkerIndex(m.Task(taskId).Replicas[0].Worker);
        ulong deadline = m.Task(taskId).Replicas[0].Deadline;
        while (m.Chain.Processor.Head.Height < deadline) m.Produce();
        var executed = m.Produce(m.Contribute(late, taskId, MarketChain.Digest(taskId, "ok")));
        Assert.That(executed.Receipts[0].ErrorText(), Does.Contain("cannot contribute").Or.Contain("timed out"));
        Assert.That(m.Task(taskId).Replicas.Select(r => r.Status), Is.EqualTo(new[] { ReplicaStatus.TimedOut, ReplicaStatus.Assigned }));
        Assert.That(m.Chain.AccountOf(m.WorkerKey(late).Address).Frozen, Is.Zero, "no stake was locked by the refused contribution");
    }

    [Test]
    public void Governance_approves_an_app_before_it_is_offered_and_a_revoked_app_no_longer_matches()
    {
        var m = new MarketChain(workers: 2, requireAppApproval: true);
        var appId = MarketBlock.ResourceId(MarketBlock.AppIdKind, MarketChain.Key(MarketChain.AppOwner).Address, 0);
        m.Produce(m.Tx(MarketChain.AppOwner, b => b.RegisterApp = new RegisterApp { Name = "echo", Runtime = AppRuntime.Wasm, ContentRoot = ByteString.CopyFrom(new byte[32]), ContentSize = 1, Endpoint = "http://127.0.0.1:1" }));
        Assert.That(MarketReader.App(m.Chain.Tree, appId)!.Status, Is.EqualTo(AppStatus.PendingApproval));
        var offer = m.Tx(MarketChain.AppOwner, b => b.PlaceOrder = new PlaceOrder { App = new AppOrder { App = MarketChain.Bytes(appId), Price = 1, Volume = 5 } });
        Assert.That(m.Produce(offer).Receipts[0].ErrorText(), Does.Contain("not approved yet"));

        // The single validator holds all the power: its proposal passes at once.
        ulong validatorNonce = m.Chain.AccountOf(TestChain.Validator.Address).Nonce;
        var approve = m.Chain.Sign(TestChain.Validator, validatorNonce, b => b.Propose = new GovernancePropose
        {
            ApproveApp = new AppDecision { App = MarketChain.Bytes(appId) }, DescriptionHash = ByteString.CopyFrom(new byte[32]),
        }, 10_000);
        MarketChain.AssertAllSucceeded(m.Produce(approve));
        Assert.That(MarketReader.App(m.Chain.Tree, appId)!.Status, Is.EqualTo(AppStatus.Active));
        MarketChain.AssertAllSucceeded(m.Produce(m.Tx(MarketChain.AppOwner, b => b.PlaceOrder = new PlaceOrder { App = new AppOrder { App = MarketChain.Bytes(appId), Price = 1, Volume = 5 } })));
        Assert.That(m.Chain.Processor.Market.Book.AppOrders(appId), Has.Count.EqualTo(1));

        var revoke = m.Chain.Sign(TestChain.Validator, validatorNonce + 1, b => b.Propose = new GovernancePropose
        {
            RevokeApp = new AppDecision { App = MarketChain.Bytes(appId) }, DescriptionHash = ByteString.CopyFrom(new byte[32]),
        }, 10_000);
        MarketChain.AssertAllSucceeded(m.Produce(revoke));
        Assert.That(MarketReader.App(m.Chain.Tree, appId)!.Status, Is.EqualTo(AppStatus.Revoked));
        Assert.That(m.Chain.Processor.Market.Book.AppOrders(appId), Is.Empty, "the revoked app's orders left the book");
        Assert.That(MarketReader.OpenOrders(m.Chain.Store), Is.Empty, "and the index");
        var request = m.Tx(MarketChain.Requester, b => b.PlaceOrder = new PlaceOrder
        {
            Request = new RequestOrder { App = MarketChain.Bytes(appId), Requester = MarketChain.Bytes(MarketChain.Key(MarketChain.Requester).Address), Volume = 1 },
        });
        Assert.That(m.Produce(request).Receipts[0].ErrorText(), Does.Contain("revoked"));
    }

    [Test]
    public void Cancelling_an_open_request_returns_its_lock()
    {
        var m = new MarketChain(workers: 1);
        m.SetUp(poolVolume: 1);
        var requester = MarketChain.Key(MarketChain.Requester).Address;
        // The pool's volume of 1 is used by the first request; the second stays open.
        m.Produce(m.PlaceRequest(1, 1), m.PlaceRequest(3, 1, m.Nonce(MarketChain.Requester) + 1));
        var open = MarketReader.OpenOrders(m.Chain.Store).Select(h => MarketReader.Order(m.Chain.Tree, h)!).Where(o => o.Kind == OrderKind.Request).ToList();
        Assert.That(open, Has.Count.EqualTo(1));
        ulong frozen = m.Chain.AccountOf(requester).Frozen;
        var hash = OrderCodec.HashOf(OrderCodec.Kind.Request, RequestOrder.Parser.ParseFrom(open[0].Order));
        MarketChain.AssertAllSucceeded(m.Produce(m.Tx(MarketChain.Requester, b => b.CancelOrder = new CancelOrder { OrderHash = MarketChain.Bytes(hash) })));
        Assert.That(m.Chain.AccountOf(requester).Frozen, Is.EqualTo(frozen - 3 * (MarketChain.AppPrice + MarketChain.PoolPrice) * 2));
        Assert.That(MarketReader.Order(m.Chain.Tree, hash)!.Status, Is.EqualTo(OrderStatus.Cancelled));
        Assert.That(m.Chain.Processor.Market.Book.Contains(hash), Is.False);
    }

    [Test]
    public void The_order_book_is_rebuilt_from_the_store_after_a_restart_and_matches_the_same()
    {
        var store = new MemoryStore();
        var m = new MarketChain(workers: 2, store);
        m.SetUp(poolVolume: 5);
        m.Produce(m.PlaceRequest(3, 1), m.PlaceRequest(4, 1, m.Nonce(MarketChain.Requester) + 1));
        var book = m.Chain.Processor.Market.Book;
        var reopened = new BlockProcessor(m.Chain.Spec, store, new IExecChain.State.Merkle.StateTree(store), new BlockStore(store, TestChain.ChainId, 4096), new TransactionVerifier());
        var rebuilt = reopened.Market.Book;
        Assert.That(rebuilt.Count, Is.EqualTo(book.Count));
        Assert.That(rebuilt.RequestCount, Is.EqualTo(1));
        foreach (var request in book.Requests)
        {
            Assert.That(rebuilt.Remaining(request.Order.Hash), Is.EqualTo(request.Remaining));
            Assert.That(rebuilt.SequenceOf(request.Order.Hash), Is.EqualTo(request.Sequence));
        }
    }

    [Test]
    public void A_block_executed_but_not_committed_leaves_the_book_as_the_committed_state_says()
    {
        var m = new MarketChain(workers: 2);
        m.SetUp(poolVolume: 5);
        var p = m.Chain.Processor;
        int before = p.Market.Book.Count;
        // Round 0's proposal places and matches a request; it is never committed.
        var lost = p.Propose(TestChain.Validator.Address, p.Head.TimeUnixMs + 100, [m.PlaceRequest(2, 1)], p.Blocks.GetCommit(p.Head.Height));
        Assert.That(lost.Market!.Events.Count(e => e.Kind == "started"), Is.EqualTo(2));
        // Round 1 commits an empty block instead.
        m.Produce();
        Assert.That(p.Market.Book.Count, Is.EqualTo(before));
        Assert.That(p.Market.Book.RequestCount, Is.Zero);
        // And a later block that commits a different request matches against the full pool volume.
        m.Produce(m.PlaceRequest(5, 1));
        Assert.That(m.StartedTasks(), Has.Count.EqualTo(5), "the lost proposal's use of the pool offer was undone: all 5 units matched");
        Assert.That(MarketReader.Totals(m.Chain.Tree).TasksStarted, Is.EqualTo(5));
    }

    [Test]
    public void Invariants_hold_after_every_block_of_a_long_seeded_random_run([Values(1, 2, 3)] int seed) => RandomRun(seed, market: null);

    /// <summary>
    /// The same with a rollback window: winners wait, tasks are spot-checked (20%) and challenged at random
    /// by workers, verifiers (the saboteur among them) commit, reveal or stay silent. Trust stays low (one
    /// or two replicas), so the saboteur's lies are sometimes accepted and then reversed.
    /// </summary>
    [Test]
    public void Invariants_hold_with_a_rollback_window_spot_checks_and_challenges([Values(4, 5)] int seed)
    {
        var totals = RandomRun(seed, WindowMarket, maxTrust: 3);
        Assert.That(totals.SpotChecks, Is.GreaterThan(0), "the run exercises spot-checks");
        Assert.That(totals.Challenges, Is.GreaterThan(0), "the run exercises challenges");
        Assert.That(totals.Reversals, Is.GreaterThan(0), "the run exercises reversals");
    }

    /// <summary>A market with a rollback window, frequent spot-checks and challenges.</summary>
    internal static MarketParameters WindowMarket => new()
    {
        Categories = [new TaskCategory(0, "XS", TimeRefBlocks: 4, MaxFuel: 1_000_000, MaxMemoryMb: 64)],
        RollbackWindowBlocks = 30,
        ChallengeBond = 20_000,
        SpotCheckPpm = 200_000,
        SpotCheckReward = 500,
    };

    /// <summary>A long seeded market run with outages, reports, lies and (with <paramref name="market"/>) a rollback window; <paramref name="after"/> sees the chain at the end.</summary>
    internal static MarketTotals RandomRun(int seed, MarketParameters? market, int maxTrust = 12, Action<MarketChain>? after = null, Action<MarketChain>? before = null)
    {
        var random = new Random(seed);
        var m = new MarketChain(workers: 6, market: market);
        before?.Invoke(m);
        m.SetUp(poolVolume: 1_000, poolTrust: 1_000, appVolume: 1_000);
        ulong supply = m.Supply();
        int saboteur = 5;
        var revealed = new HashSet<(Hash256, int)>();
        var challenged = new HashSet<Hash256>();
        for (int block = 0; block < 400; block++)
        {
            var txs = new List<Transaction>();
            if (random.Next(4) == 0)
            {
                var tx = m.PlaceRequest((ulong)random.Next(1, 4), (ulong)random.Next(0, maxTrust));
                txs.Add(tx);
            }
            for (int w = 0; w < m.Workers; w++)
            {
                ulong nonce = m.Nonce(MarketChain.FirstWorker + w);
                var worker = MarketReader.Worker(m.Chain.Tree, m.WorkerKey(w).Address)!;
                foreach (var raw in worker.Assignments)
                {
                    if (random.Next(10) == 0) continue;              // slow or dead this block
                    if (block is > 60 and < 260 && random.Next(400) != 0) continue;  // a long outage: timeouts, reopenings, failures
                    var taskId = new Hash256(raw.Span);
                    bool lie = w == saboteur && random.Next(2) == 0;
                    // One task in five is of an app nobody can run; now and then a worker wrongly says it cannot run one.
                    bool broken = taskId.ToArray()[0] % 5 == 0;
                    if ((broken && !lie) || random.Next(40) == 0)
                        txs.Add(m.ReportFailure(w, taskId, (ReplicaFailure)random.Next(1, 10), nonce++));
                    else
                        txs.Add(m.Contribute(w, taskId, MarketChain.Digest(taskId, lie ? "lie" : "ok"), nonce++));
                }
                foreach (var taskId in m.StartedTasks())
                {
                    var task = m.Task(taskId);
                    if (task.Verification is { Phase: VerificationPhase.Revealing } v && !revealed.Contains((taskId, w)))
                    {
                        var verifier = v.Replicas.FirstOrDefault(r => new Address(r.Worker.Span) == m.WorkerKey(w).Address);
                        if (verifier is { Status: ReplicaStatus.Contributed } && random.Next(6) != 0)
                        {
                            bool lied = verifier.ResultHash == MarketChain.Bytes(MarketBlock.ResultHash(taskId, MarketChain.Digest(taskId, "lie")));
                            txs.Add(m.Reveal(w, taskId, MarketChain.Digest(taskId, lied ? "lie" : "ok"), nonce++));
                            revealed.Add((taskId, w));
                        }
                        continue;
                    }
                    if (market is not null && task.Status == TaskStatus.Completed && task.Verification is null && task.Pending.Count > 0
                        && task.WindowEnd > m.Chain.Processor.Head.Height + 1 && random.Next(15) == 0 && challenged.Add(taskId))
                    {
                        txs.Add(m.Tx(MarketChain.FirstWorker + w, b => b.Challenge = new Challenge { TaskId = MarketChain.Bytes(taskId) }, nonce++));
                        continue;
                    }
                    if (task.Status != TaskStatus.Revealing || revealed.Contains((taskId, w))) continue;
                    var mine = task.Replicas.FirstOrDefault(r => new Address(r.Worker.Span) == m.WorkerKey(w).Address);
                    if (mine is null || mine.Status != ReplicaStatus.Contributed || mine.ResultHash != task.ConsensusHash) continue;
                    if (random.Next(block is > 60 and < 260 ? 2 : 8) == 0) continue;  // forgets to reveal
                    bool lie = mine.ResultHash == MarketChain.Bytes(MarketBlock.ResultHash(taskId, MarketChain.Digest(taskId, "lie")));
                    txs.Add(m.Reveal(w, taskId, MarketChain.Digest(taskId, lie ? "lie" : "ok"), nonce++));
                    revealed.Add((taskId, w));
                }
            }
            var executed = m.Produce([.. txs]);
            Assert.That(executed.Block.Transactions, Has.Count.EqualTo(txs.Count), "every generated transaction is includable");
            Assert.That(m.Supply(), Is.EqualTo(supply), $"supply at block {executed.Block.Height}");
            foreach (var a in m.Everyone())
                Assert.That(m.Chain.AccountOf(a).Balance, Is.LessThan(ulong.MaxValue / 2), "no wrapped (negative) balance");
            m.Orders.Clear();
            m.Orders.AddRange(MarketReader.OpenOrders(m.Chain.Store));
            Assert.That(m.Frozen(), Is.EqualTo(m.ExpectedFrozen(m.Orders)), $"frozen funds equal the open locks at block {executed.Block.Height}");
        }
        var totals = MarketReader.Totals(m.Chain.Tree);
        TestContext.Out.WriteLine($"seed {seed}: {totals.TasksStarted} started, {totals.TasksCompleted} completed, {totals.TasksFailed} failed, kitty {totals.Kitty}, {totals.SpotChecks} spot-checks, {totals.Challenges} challenges, {totals.Reversals} reversals");
        Assert.That(totals.TasksCompleted, Is.GreaterThan(20), "the run exercises completions");
        Assert.That(totals.TasksFailed, Is.GreaterThan(0), "the run exercises failures");
        Assert.That(m.StartedTasks().Count(t => m.Task(t).Outcome?.Code == ReasonCode.ReasonTaskCannotRun), Is.GreaterThan(0), "the run exercises tasks failed early by reports");
        if (maxTrust > 3)   // below, one fresh worker's vote decides: every report fails its task at once
            Assert.That(m.Events.Count(e => e.Kind == "failure-reported"), Is.GreaterThan(0), "the run exercises reports that did not decide");
        Assert.That(m.Events.Count(e => e.Kind == "timeout"), Is.GreaterThan(0), "the run exercises replica timeouts");
        Assert.That(totals.TasksCompleted + totals.TasksFailed, Is.GreaterThan(totals.TasksStarted / 2));
        after?.Invoke(m);
        return totals;
    }
}
