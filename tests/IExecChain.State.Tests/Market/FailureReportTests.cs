using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Market;
using NUnit.Framework;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Tests.Market;

/// <summary>Failure reports (ReportFailure): a vote for "cannot run" in the task's credibility tally.</summary>
public sealed class FailureReportTests
{
    private const ulong Fees = 200 + 100 + 10_000;   // a worker's stake, its staking and its joining fees

    [Test]
    public void Workers_agreeing_that_a_task_cannot_run_fail_it_at_once_refund_the_requester_and_keep_the_pool_stake()
    {
        var m = new MarketChain(workers: 3);
        m.SetUp();
        ulong supply = m.Supply();
        var requester = MarketChain.Key(MarketChain.Requester).Address;
        var poolOwner = MarketChain.Key(MarketChain.PoolOwner).Address;
        m.Produce(m.PlaceRequest(volume: 1, trust: 5));
        ulong afterLock = m.Chain.AccountOf(requester).Balance;
        ulong poolOwnerBefore = m.Chain.AccountOf(poolOwner).Balance;
        var taskId = m.StartedTasks().Single();
        var replicas = m.Task(taskId).Replicas.Select(r => m.WorkerIndex(r.Worker)).ToList();
        Assert.That(replicas, Has.Count.EqualTo(3), "trust 5 with fresh workers: three agreeing replicas");

        // Two of three: group 4, total 5, and 4 × 5 > 5 × 4 is false: not yet decided.
        MarketChain.AssertAllSucceeded(m.Produce(
            m.ReportFailure(replicas[0], taskId, ReplicaFailure.InvalidApp), m.ReportFailure(replicas[1], taskId, ReplicaFailure.InvalidApp)));
        var task = m.Task(taskId);
        Assert.That(task.Status, Is.EqualTo(TaskStatus.Active));
        Assert.That(task.Replicas.Take(2).Select(r => (r.Status, r.Failure)), Is.All.EqualTo((ReplicaStatus.Failed, ReplicaFailure.InvalidApp)));
        Assert.That(m.Chain.AccountOf(m.WorkerKey(replicas[0]).Address).Frozen, Is.EqualTo(MarketChain.WorkerStake), "a report locks the worker stake like a commit");
        Assert.That(MarketReader.Worker(m.Chain.Tree, m.WorkerKey(replicas[0]).Address)!.Assignments, Is.Empty, "a report closes the worker's replica");

        MarketChain.AssertAllSucceeded(m.Produce(m.ReportFailure(replicas[2], taskId, ReplicaFailure.OutOfFuel)));
        task = m.Task(taskId);
        Assert.That(task.Status, Is.EqualTo(TaskStatus.Failed), "three agreeing reports reach trust 5: failed in the block of the third");
        Assert.That(task.FinishedAt, Is.EqualTo(m.Chain.Processor.Head.Height));
        Assert.That(task.Outcome.Code, Is.EqualTo(ReasonCode.ReasonTaskCannotRun));
        Assert.That(task.Outcome.Numbers, Is.EqualTo(new ulong[] { 3, 0, (ulong)ReplicaFailure.InvalidApp }), "3 reports, no result, the failure most reported");
        Assert.That(ReasonText.Default.Describe(task.Outcome), Does.Contain("3 worker(s) reported the task cannot run (invalid-app)"));

        Assert.That(m.Chain.AccountOf(requester).Frozen, Is.Zero);
        Assert.That(m.Chain.AccountOf(requester).Balance, Is.EqualTo(afterLock + MarketChain.AppPrice + MarketChain.PoolPrice), "refunded at once");
        Assert.That(m.Chain.AccountOf(poolOwner).Balance, Is.EqualTo(poolOwnerBefore + MarketChain.PoolPrice * 30 / 100), "the pool owner's stake comes back");
        Assert.That(MarketReader.Totals(m.Chain.Tree).Kitty, Is.Zero, "nothing seized");
        foreach (int w in replicas)
        {
            var account = m.Chain.AccountOf(m.WorkerKey(w).Address);
            Assert.That(account.Frozen, Is.Zero);
            Assert.That(account.Balance, Is.EqualTo(1_000_000_000 - Fees - 100), "the stake comes back; only the report's fee is spent");
            Assert.That(MarketReader.Worker(m.Chain.Tree, m.WorkerKey(w).Address)!.Score, Is.Zero, "no score change");
        }
        Assert.That(m.Events.Where(e => e.TaskId == taskId).Select(e => e.Kind), Is.EqualTo(new[] { "assigned", "assigned", "assigned", "started", "failure-reported", "failure-reported", "failed" }));
        Assert.That(MarketReader.Workerpool(m.Chain.Tree, m.PoolId)!.TasksFailed, Is.EqualTo(1));
        Assert.That(m.Supply(), Is.EqualTo(supply));
    }

    [Test]
    public void A_report_against_a_result_that_reaches_consensus_loses_like_a_wrong_result()
    {
        var m = new MarketChain(workers: 5);
        m.SetUp();
        ulong supply = m.Supply();
        m.Produce(m.PlaceRequest(volume: 1, trust: 5));
        var taskId = m.StartedTasks().Single();
        var task = m.Task(taskId);
        var good = MarketChain.Digest(taskId, "ok");
        int reporter = m.WorkerIndex(task.Replicas[1].Worker);
        m.Produce(task.Replicas.Select((r, i) => i == 1 ? m.ReportFailure(reporter, taskId, ReplicaFailure.Trapped) : m.Contribute(m.WorkerIndex(r.Worker), taskId, good)).ToArray());
        task = m.Task(taskId);
        Assert.That(task.Status, Is.EqualTo(TaskStatus.Active), "the report weighs in the total like a different result");
        Assert.That(task.Replicas, Has.Count.EqualTo(5), "more replicas, as after a disagreement");
        m.Produce(task.Replicas.Skip(3).Select(r => m.Contribute(m.WorkerIndex(r.Worker), taskId, good)).ToArray());
        task = m.Task(taskId);
        Assert.That(task.Status, Is.EqualTo(TaskStatus.Revealing));
        ulong reporterBefore = m.Chain.AccountOf(m.WorkerKey(reporter).Address).Balance;
        m.Produce(task.Replicas.Where(r => r.Status == ReplicaStatus.Contributed).Select(r => m.Reveal(m.WorkerIndex(r.Worker), taskId, good)).ToArray());

        task = m.Task(taskId);
        Assert.That(task.Status, Is.EqualTo(TaskStatus.Completed));
        Assert.That(task.Outcome.Numbers, Is.EqualTo(new ulong[] { 4, 5 }), "4 winners of 5 contributions, the report among them");
        var account = m.Chain.AccountOf(m.WorkerKey(reporter).Address);
        Assert.That(account.Frozen, Is.Zero);
        Assert.That(account.Balance, Is.EqualTo(reporterBefore), "the reporter's stake went to the winners' pot");
        Assert.That(MarketReader.Worker(m.Chain.Tree, m.WorkerKey(reporter).Address)!.Losses, Is.EqualTo(1));
        ulong pot = MarketChain.PoolPrice + MarketChain.WorkerStake;
        var winner = task.Replicas.First(r => r.Status == ReplicaStatus.Revealed);
        Assert.That(m.Chain.AccountOf(new Address(winner.Worker.Span)).Balance, Is.EqualTo(1_000_000_000 - Fees - 200 + pot * 90 / 100 / 4));
        Assert.That(m.Supply(), Is.EqualTo(supply));
    }

    [Test]
    public void Reports_that_break_the_rules_are_refused_with_the_reason_and_lock_nothing()
    {
        var m = new MarketChain(workers: 3);
        m.SetUp();
        m.Produce(m.PlaceRequest(volume: 1, trust: 5));
        var taskId = m.StartedTasks().Single();
        var task = m.Task(taskId);
        int w0 = m.WorkerIndex(task.Replicas[0].Worker), w1 = m.WorkerIndex(task.Replicas[1].Worker), w2 = m.WorkerIndex(task.Replicas[2].Worker);
        var outsider = m.Tx(MarketChain.Requester, b => b.ReportFailure = new ReportFailure { TaskId = MarketChain.Bytes(taskId), Failure = ReplicaFailure.InvalidApp }, fee: 100);
        var unknown = m.ReportFailure(w1, Hash256.Parse("0x" + new string('a', 64)), ReplicaFailure.InvalidApp);
        var first = m.Produce(outsider, unknown, m.Contribute(w0, taskId, MarketChain.Digest(taskId, "ok")),
            m.ReportFailure(w0, taskId, ReplicaFailure.InvalidApp, m.Nonce(MarketChain.FirstWorker + w0) + 1));
        Assert.That(first.Receipts[0].ErrorText(), Does.Contain("is not assigned to task"));
        Assert.That(first.Receipts[1].ErrorText(), Does.Contain("does not exist").Or.Contain("not found"));
        Assert.That(first.Receipts[2].Status, Is.EqualTo(ReceiptStatus.Success));
        Assert.That(first.Receipts[3].ErrorText(), Does.Contain("cannot contribute").And.Contain("Contributed"), "one vote per replica");
        Assert.That(m.Chain.AccountOf(MarketChain.Key(MarketChain.Requester).Address).Frozen, Is.EqualTo(MarketChain.AppPrice + MarketChain.PoolPrice), "the outsider locked nothing");

        var good = MarketChain.Digest(taskId, "ok");
        m.Produce(m.Contribute(w1, taskId, good), m.Contribute(w2, taskId, good));
        Assert.That(m.Task(taskId).Status, Is.EqualTo(TaskStatus.Revealing));
        var late = m.Produce(m.ReportFailure(w1, taskId, ReplicaFailure.Timeout));
        Assert.That(late.Receipts[0].ErrorText(), Does.Contain("contributions are closed"));
        Assert.That(m.Task(taskId).Replicas[1].Status, Is.EqualTo(ReplicaStatus.Contributed), "a refused report changes nothing");
    }

    [TestCase(ReplicaFailure.Unspecified)]
    [TestCase((ReplicaFailure)10)]
    public void A_report_without_a_known_failure_is_not_a_valid_transaction(ReplicaFailure failure)
    {
        var body = new TransactionBody { ChainId = TestChain.ChainId, Nonce = 0, Fee = 100, ReportFailure = new ReportFailure { TaskId = MarketChain.Bytes(Hash256.Parse("0x" + new string('b', 64))), Failure = failure } };
        var signed = TransactionCodec.Sign(body, MarketChain.Key(0));
        Assert.That(TransactionCodec.TryDecode(signed, TestChain.ChainId, 1 << 20, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("report_failure.failure").And.Contain("is not a known failure"));
    }

    [Test]
    public void Every_failure_a_worker_can_report_has_a_name()
    {
        foreach (var failure in Enum.GetValues<ReplicaFailure>().Where(f => f != ReplicaFailure.Unspecified))
            Assert.That(MarketBlock.FailureName(failure), Does.Not.StartWith("unknown"), failure.ToString());
    }
}
