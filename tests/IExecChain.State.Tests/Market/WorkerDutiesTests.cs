using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Market;
using NUnit.Framework;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Tests.Market;

/// <summary>
/// What a worker is told to do (the answers of iex_getWorkerDuties and the in-process worker alike): its
/// assigned tasks, and for each task it committed whether to wait, reveal now, or forget the task.
/// </summary>
public sealed class WorkerDutiesTests
{
    private static Address Worker(MarketChain m, int w) => m.WorkerKey(w).Address;

    [Test]
    public void A_replica_is_assigned_then_waits_for_consensus_then_reveals_then_closes()
    {
        var m = new MarketChain(workers: 3);
        m.SetUp();
        MarketChain.AssertAllSucceeded(m.Produce(m.PlaceRequest(volume: 1, trust: 3)));
        var taskId = m.StartedTasks().Single();
        var workers = m.Task(taskId).Replicas.Select(r => m.WorkerIndex(r.Worker)).ToList();
        Assert.That(workers, Has.Count.EqualTo(2), "trust 3 with fresh workers: two replicas");
        int idle = Enumerable.Range(0, 3).Except(workers).Single();
        var tree = m.Chain.Tree;

        foreach (var w in workers)
        {
            Assert.That(WorkerDuties.Assigned(tree, Worker(m, w)), Is.EqualTo(new[] { taskId }));
            Assert.That(WorkerDuties.Status(tree, Worker(m, w), taskId), Is.EqualTo(DutyStatus.Wait), "a commit sent but not on chain yet: wait");
        }
        Assert.That(WorkerDuties.Assigned(tree, Worker(m, idle)), Is.Empty);
        Assert.That(WorkerDuties.Status(tree, Worker(m, idle), taskId), Is.EqualTo(DutyStatus.Closed), "not on the task");
        Assert.That(WorkerDuties.Status(tree, Worker(m, idle), Keccak256.Hash([1, 2, 3])), Is.EqualTo(DutyStatus.Closed), "unknown task");

        var job = WorkerDuties.Job(tree, taskId)!;
        Assert.That(new Address(job.Deal.App.Span), Is.EqualTo(m.AppId));
        Assert.That(new Address(job.App.Owner.Span), Is.EqualTo(MarketChain.Key(MarketChain.AppOwner).Address));
        Assert.That(job.Dataset, Is.Null);
        Assert.That(WorkerDuties.Job(tree, Keccak256.Hash([1, 2, 3])), Is.Null);

        var digest = MarketChain.Digest(taskId, "ok");
        MarketChain.AssertAllSucceeded(m.Produce(m.Contribute(workers[0], taskId, digest)));
        tree = m.Chain.Tree;
        Assert.That(WorkerDuties.Assigned(tree, Worker(m, workers[0])), Is.Empty, "a committed replica is no longer assigned");
        Assert.That(WorkerDuties.Status(tree, Worker(m, workers[0]), taskId), Is.EqualTo(DutyStatus.Wait), "one weight-2 commit is short of trust 3");

        MarketChain.AssertAllSucceeded(m.Produce(m.Contribute(workers[1], taskId, digest)));
        tree = m.Chain.Tree;
        Assert.That(m.Task(taskId).Status, Is.EqualTo(TaskStatus.Revealing));
        foreach (var w in workers) Assert.That(WorkerDuties.Status(tree, Worker(m, w), taskId), Is.EqualTo(DutyStatus.Reveal));

        MarketChain.AssertAllSucceeded(m.Produce(m.Reveal(workers[0], taskId, digest)));
        tree = m.Chain.Tree;
        Assert.That(WorkerDuties.Status(tree, Worker(m, workers[0]), taskId), Is.EqualTo(DutyStatus.Closed), "revealed: nothing left to do");
        Assert.That(WorkerDuties.Status(tree, Worker(m, workers[1]), taskId), Is.EqualTo(DutyStatus.Reveal));
        MarketChain.AssertAllSucceeded(m.Produce(m.Reveal(workers[1], taskId, digest)));
        Assert.That(m.Task(taskId).Status, Is.EqualTo(TaskStatus.Completed));
        foreach (var w in workers) Assert.That(WorkerDuties.Status(m.Chain.Tree, Worker(m, w), taskId), Is.EqualTo(DutyStatus.Closed));
    }

    [Test]
    public void A_contributor_outside_the_consensus_is_never_told_to_reveal()
    {
        var m = new MarketChain(workers: 6);
        m.SetUp();
        MarketChain.AssertAllSucceeded(m.Produce(m.PlaceRequest(volume: 1, trust: 3)));
        var taskId = m.StartedTasks().Single();
        var workers = m.Task(taskId).Replicas.Select(r => m.WorkerIndex(r.Worker)).ToList();
        // They disagree: more replicas are added, and agree with the first until consensus.
        MarketChain.AssertAllSucceeded(m.Produce(m.Contribute(workers[0], taskId, MarketChain.Digest(taskId, "ok")), m.Contribute(workers[1], taskId, MarketChain.Digest(taskId, "lie"))));
        var honest = new List<int> { workers[0] };
        while (m.Task(taskId).Status == TaskStatus.Active)
        {
            var added = m.Task(taskId).Replicas.Where(r => r.Status == ReplicaStatus.Assigned).Select(r => m.WorkerIndex(r.Worker)).ToList();
            Assert.That(added, Is.Not.Empty, "disagreement brings more replicas");
            honest.AddRange(added);
            MarketChain.AssertAllSucceeded(m.Produce(added.Select(w => m.Contribute(w, taskId, MarketChain.Digest(taskId, "ok"))).ToArray()));
        }
        Assert.That(m.Task(taskId).Status, Is.EqualTo(TaskStatus.Revealing));
        int third = honest[^1];
        var tree = m.Chain.Tree;
        Assert.That(WorkerDuties.Status(tree, Worker(m, workers[0]), taskId), Is.EqualTo(DutyStatus.Reveal));
        Assert.That(WorkerDuties.Status(tree, Worker(m, third), taskId), Is.EqualTo(DutyStatus.Reveal));
        Assert.That(WorkerDuties.Status(tree, Worker(m, workers[1]), taskId), Is.EqualTo(DutyStatus.Wait), "its commit is not the consensus: it has nothing to reveal");
    }

    [Test]
    public void A_verifier_of_a_challenged_task_is_assigned_then_reveals_after_every_verifier_committed()
    {
        var market = new MarketParameters
        {
            Categories = [new TaskCategory(0, "XS", TimeRefBlocks: 2, MaxFuel: 1_000_000, MaxMemoryMb: 64)],
            RollbackWindowBlocks = 20,
            ChallengeBond = 50_000,
            ChallengeRewardPercent = 50,
            Verifiers = 2,
        };
        var m = new MarketChain(workers: 4, market: market);
        m.SetUp();
        MarketChain.AssertAllSucceeded(m.Produce(m.PlaceRequest(volume: 1, trust: 1)));
        var taskId = m.StartedTasks().Single();
        int w = m.WorkerIndex(m.Task(taskId).Replicas.Single().Worker);
        var digest = MarketChain.Digest(taskId, "ok");
        MarketChain.AssertAllSucceeded(m.Produce(m.Contribute(w, taskId, digest)));
        MarketChain.AssertAllSucceeded(m.Produce(m.Reveal(w, taskId, digest)));
        Assert.That(WorkerDuties.Status(m.Chain.Tree, Worker(m, w), taskId), Is.EqualTo(DutyStatus.Closed), "completed: pending rewards need nothing from the worker");

        int challenger = Enumerable.Range(0, 4).First(i => i != w);
        MarketChain.AssertAllSucceeded(m.Produce(m.Tx(MarketChain.FirstWorker + challenger, b => b.Challenge = new Challenge { TaskId = MarketChain.Bytes(taskId) })));
        var verifiers = m.Task(taskId).Verification.Replicas.Select(r => m.WorkerIndex(r.Worker)).ToList();
        Assert.That(verifiers, Has.Count.EqualTo(2));
        Assert.That(verifiers, Does.Not.Contain(w).And.Not.Contain(challenger));
        foreach (var v in verifiers)
            Assert.That(WorkerDuties.Assigned(m.Chain.Tree, Worker(m, v)), Does.Contain(taskId), "a verification reaches the verifier as an assignment");

        MarketChain.AssertAllSucceeded(m.Produce(m.Contribute(verifiers[0], taskId, digest)));
        Assert.That(WorkerDuties.Status(m.Chain.Tree, Worker(m, verifiers[0]), taskId), Is.EqualTo(DutyStatus.Wait), "the other verifier has not committed");
        MarketChain.AssertAllSucceeded(m.Produce(m.Contribute(verifiers[1], taskId, digest)));
        foreach (var v in verifiers) Assert.That(WorkerDuties.Status(m.Chain.Tree, Worker(m, v), taskId), Is.EqualTo(DutyStatus.Reveal));
        Assert.That(WorkerDuties.Status(m.Chain.Tree, Worker(m, w), taskId), Is.EqualTo(DutyStatus.Closed), "the original winner has nothing to do in a verification");
    }
}
