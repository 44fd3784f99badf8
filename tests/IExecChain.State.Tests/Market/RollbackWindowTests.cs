using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Market;
using NUnit.Framework;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Tests.Market;

/// <summary>
/// The rollback window: pending rewards and score gains, challenges with a bond, spot-checks drawn from
/// the block hash, verifications that uphold, reverse or cannot decide, and the money of each outcome.
/// Amounts: pool price 10,000 with a 10% scheduler share, so a lone winner's reward is 9,000; worker
/// stake 1,000 (10% of the pool price); challenge bond 50,000.
/// </summary>
public sealed class RollbackWindowTests
{
    private const ulong Bond = 50_000, Reward = 9_000, Stake = MarketChain.WorkerStake, TxFee = 10_000, WorkerFee = 100;

    /// <summary>T = 2 blocks, so replica timeouts (2T) and failures (10T) come quickly.</summary>
    private static MarketParameters Window(ulong blocks = 20, ulong spotCheckPpm = 0, ulong spotCheckReward = 0) => new()
    {
        Categories = [new TaskCategory(0, "XS", TimeRefBlocks: 2, MaxFuel: 1_000_000, MaxMemoryMb: 64)],
        RollbackWindowBlocks = blocks,
        ChallengeBond = Bond,
        ChallengeRewardPercent = 50,
        SpotCheckPpm = spotCheckPpm,
        SpotCheckReward = spotCheckReward,
        Verifiers = 2,
    };

    /// <summary>A trust-1 task (one replica) completed with <paramref name="result"/>; returns it and its worker.</summary>
    private static (Hash256 TaskId, int Worker) Complete(MarketChain m, string result)
    {
        int before = m.StartedTasks().Count;
        MarketChain.AssertAllSucceeded(m.Produce(m.PlaceRequest(volume: 1, trust: 1)));
        var taskId = m.StartedTasks()[before];
        int w = m.WorkerIndex(m.Task(taskId).Replicas.Single().Worker);
        var digest = MarketChain.Digest(taskId, result);
        MarketChain.AssertAllSucceeded(m.Produce(m.Contribute(w, taskId, digest)));
        MarketChain.AssertAllSucceeded(m.Produce(m.Reveal(w, taskId, digest)));
        Assert.That(m.Task(taskId).Status, Is.EqualTo(TaskStatus.Completed));
        return (taskId, w);
    }

    private static Transaction Challenge(MarketChain m, int account, Hash256 taskId, ulong? nonce = null) =>
        m.Tx(account, b => b.Challenge = new Challenge { TaskId = MarketChain.Bytes(taskId) }, nonce);

    private static AccountRecord Account(MarketChain m, int worker) => m.Chain.AccountOf(m.WorkerKey(worker).Address);

    /// <summary>Every open verifier commits then reveals; <paramref name="resultOf"/> picks each one's result.</summary>
    private static List<int> Verify(MarketChain m, Hash256 taskId, Func<int, string> resultOf)
    {
        var verifiers = m.Task(taskId).Verification.Replicas.Where(r => r.Status == ReplicaStatus.Assigned).Select(r => m.WorkerIndex(r.Worker)).ToList();
        MarketChain.AssertAllSucceeded(m.Produce(verifiers.Select(v => m.Contribute(v, taskId, MarketChain.Digest(taskId, resultOf(v)))).ToArray()));
        Assert.That(m.Task(taskId).Verification.Phase, Is.EqualTo(VerificationPhase.Revealing), "every verifier committed: reveals open");
        MarketChain.AssertAllSucceeded(m.Produce(verifiers.Select(v => m.Reveal(v, taskId, MarketChain.Digest(taskId, resultOf(v)))).ToArray()));
        return verifiers;
    }

    private static void ProduceUntil(MarketChain m, ulong height)
    {
        while (m.Chain.Processor.Head.Height < height) m.Produce();
    }

    [Test]
    public void Winners_are_paid_and_scored_only_when_the_window_closes()
    {
        var m = new MarketChain(workers: 3, market: Window(blocks: 20));
        m.SetUp();
        ulong supply = m.Supply();
        MarketChain.AssertAllSucceeded(m.Produce(m.PlaceRequest(volume: 1, trust: 3)));
        var taskId = m.StartedTasks().Single();
        var task = m.Task(taskId);
        Assert.That(task.Replicas, Has.Count.EqualTo(2), "trust 3 with fresh workers: 2 × 2 agreeing weights");
        var workers = task.Replicas.Select(r => m.WorkerIndex(r.Worker)).ToList();
        var digest = MarketChain.Digest(taskId, "ok");
        var balances = workers.Select(w => Account(m, w).Balance).ToList();
        m.Produce(workers.Select(w => m.Contribute(w, taskId, digest)).ToArray());
        m.Produce(workers.Select(w => m.Reveal(w, taskId, digest)).ToArray());

        task = m.Task(taskId);
        Assert.That(task.Status, Is.EqualTo(TaskStatus.Completed));
        Assert.That(task.WindowEnd, Is.EqualTo(m.Chain.Processor.Head.Height + 20));
        Assert.That(task.Pending, Has.Count.EqualTo(2));
        ulong share = Reward / 2;
        for (int i = 0; i < workers.Count; i++)
        {
            Assert.That(task.Pending[i].Reward, Is.EqualTo(share));
            Assert.That(task.Pending[i].ScoreGain, Is.True, "a replicated task: each winner gains a point, later");
            Assert.That(Account(m, workers[i]).Frozen, Is.EqualTo(Stake + share), "stake and reward stay frozen");
            Assert.That(Account(m, workers[i]).Balance, Is.EqualTo(balances[i] - Stake - 2 * WorkerFee));
            Assert.That(MarketReader.Worker(m.Chain.Tree, m.WorkerKey(workers[i]).Address)!.Score, Is.Zero);
        }
        Assert.That(m.Supply(), Is.EqualTo(supply));

        ProduceUntil(m, task.WindowEnd - 1);
        Assert.That(m.Task(taskId).Pending, Has.Count.EqualTo(2), "still held one block before the window ends");
        m.Produce();
        Assert.That(m.Task(taskId).Pending, Is.Empty);
        for (int i = 0; i < workers.Count; i++)
        {
            Assert.That(Account(m, workers[i]).Frozen, Is.Zero);
            Assert.That(Account(m, workers[i]).Balance, Is.EqualTo(balances[i] - 2 * WorkerFee + share));
            Assert.That(MarketReader.Worker(m.Chain.Tree, m.WorkerKey(workers[i]).Address)!.Score, Is.EqualTo(1));
        }
        Assert.That(m.Events.Count(e => e.Kind == "released" && e.TaskId == taskId), Is.EqualTo(1));
        Assert.That(m.Supply(), Is.EqualTo(supply));
    }

    [Test]
    public void A_challenged_wrong_result_is_reversed_the_liar_slashed_and_the_challenger_and_verifiers_paid()
    {
        var m = new MarketChain(workers: 5, market: Window(blocks: 20));
        m.SetUp();
        ulong supply = m.Supply();
        var (taskId, liar) = Complete(m, "lie");
        var wrong = MarketChain.Digest(taskId, "lie");
        var right = MarketChain.Digest(taskId, "ok");
        Assert.That(Account(m, liar).Frozen, Is.EqualTo(Stake + Reward));
        ulong liarBalance = Account(m, liar).Balance;
        int challenger = (liar + 1) % m.Workers;
        ulong challengerBalance = Account(m, challenger).Balance;
        var others = Enumerable.Range(0, m.Workers).Where(w => w != liar && w != challenger).ToList();
        var otherBalances = others.ToDictionary(w => w, w => Account(m, w).Balance);

        MarketChain.AssertAllSucceeded(m.Produce(Challenge(m, MarketChain.FirstWorker + challenger, taskId)));
        var v = m.Task(taskId).Verification;
        Assert.That(v.Phase, Is.EqualTo(VerificationPhase.Committing));
        Assert.That(new Address(v.Challenger.Span), Is.EqualTo(m.WorkerKey(challenger).Address));
        Assert.That(v.Replicas, Has.Count.EqualTo(2));
        var verifierIndexes = v.Replicas.Select(r => m.WorkerIndex(r.Worker)).ToList();
        Assert.That(verifierIndexes, Does.Not.Contain(liar), "a contributor never verifies its own task");
        Assert.That(verifierIndexes, Does.Not.Contain(challenger), "nor does the challenger");
        Assert.That(Account(m, challenger).Frozen, Is.EqualTo(Bond));

        var verifiers = Verify(m, taskId, _ => "ok");
        var task = m.Task(taskId);
        Assert.That(task.Verification.Phase, Is.EqualTo(VerificationPhase.Reversed));
        Assert.That(new Hash256(task.ResultDigest.Span), Is.EqualTo(right), "the task's result is the verifiers' digest");
        Assert.That(new Hash256(task.OriginalDigest.Span), Is.EqualTo(wrong));
        Assert.That(task.Pending, Is.Empty);

        // The liar loses its pending reward and its stake; nothing comes back.
        Assert.That(Account(m, liar).Frozen, Is.Zero);
        Assert.That(Account(m, liar).Balance, Is.EqualTo(liarBalance));
        var liarRecord = MarketReader.Worker(m.Chain.Tree, m.WorkerKey(liar).Address)!;
        Assert.That((liarRecord.Wins, liarRecord.Losses), Is.EqualTo((0UL, 1UL)), "its win becomes a loss");
        // Challenger: bond back and 50% of the slashed stake; the fee is spent.
        ulong challengerReward = Stake / 2;
        Assert.That(Account(m, challenger).Frozen, Is.Zero);
        Assert.That(Account(m, challenger).Balance, Is.EqualTo(challengerBalance - TxFee + challengerReward));
        // Verifiers share the rest: pending reward 9,000 + stake 1,000 − 500.
        ulong verifierShare = (Reward + Stake - challengerReward) / 2;
        foreach (var w in verifiers)
        {
            Assert.That(Account(m, w).Frozen, Is.Zero);
            Assert.That(Account(m, w).Balance, Is.EqualTo(otherBalances[w] - 2 * WorkerFee + verifierShare));
        }
        var totals = MarketReader.Totals(m.Chain.Tree);
        Assert.That((totals.Challenges, totals.Reversals), Is.EqualTo((1UL, 1UL)));
        Assert.That(MarketReader.Workerpool(m.Chain.Tree, m.PoolId)!.TasksReversed, Is.EqualTo(1));
        Assert.That(m.Supply(), Is.EqualTo(supply));

        // The window's end finds nothing left to pay.
        ProduceUntil(m, task.WindowEnd + 1);
        Assert.That(Account(m, liar).Balance, Is.EqualTo(liarBalance));
        Assert.That(m.Supply(), Is.EqualTo(supply));
    }

    [Test]
    public void Contributors_outvoted_by_liars_get_their_seized_stake_back_when_the_result_is_reversed()
    {
        var m = new MarketChain(workers: 6, market: Window(blocks: 30));
        m.SetUp();
        ulong supply = m.Supply();
        MarketChain.AssertAllSucceeded(m.Produce(m.PlaceRequest(volume: 1, trust: 3)));
        var taskId = m.StartedTasks().Single();
        // Two replicas at trust 3: one honest, one liar; disagreement brings more, and two more liars win.
        var first = m.Task(taskId).Replicas.Select(r => m.WorkerIndex(r.Worker)).ToList();
        int honest = first[0];
        var liars = new List<int> { first[1] };
        m.Produce(m.Contribute(honest, taskId, MarketChain.Digest(taskId, "ok")), m.Contribute(first[1], taskId, MarketChain.Digest(taskId, "lie")));
        while (m.Task(taskId).Status == TaskStatus.Active)
        {
            var open = m.Task(taskId).Replicas.Where(r => r.Status == ReplicaStatus.Assigned).Select(r => m.WorkerIndex(r.Worker)).ToList();
            Assert.That(open, Is.Not.Empty);
            liars.AddRange(open);
            m.Produce(open.Select(w => m.Contribute(w, taskId, MarketChain.Digest(taskId, "lie"))).ToArray());
        }
        m.Produce(liars.Select(w => m.Reveal(w, taskId, MarketChain.Digest(taskId, "lie"))).ToArray());
        Assert.That(m.Task(taskId).Status, Is.EqualTo(TaskStatus.Completed));
        ulong honestBalance = Account(m, honest).Balance;
        Assert.That(Account(m, honest).Frozen, Is.Zero, "outvoted: its stake was seized at completion");

        int challenger = Enumerable.Range(0, m.Workers).First(w => w != honest && !liars.Contains(w));
        MarketChain.AssertAllSucceeded(m.Produce(Challenge(m, MarketChain.FirstWorker + challenger, taskId)));
        Verify(m, taskId, _ => "ok");
        Assert.That(m.Task(taskId).Verification.Phase, Is.EqualTo(VerificationPhase.Reversed));
        Assert.That(Account(m, honest).Balance, Is.EqualTo(honestBalance + Stake), "the honest contributor's stake is refunded");
        Assert.That(m.Supply(), Is.EqualTo(supply));
    }

    [Test]
    public void A_challenge_the_verifiers_uphold_forfeits_the_bond_to_them()
    {
        var m = new MarketChain(workers: 4, market: Window(blocks: 20));
        m.SetUp();
        ulong supply = m.Supply();
        var (taskId, worker) = Complete(m, "ok");
        int challenger = (worker + 1) % m.Workers;
        ulong challengerBalance = Account(m, challenger).Balance;
        var balances = Enumerable.Range(0, m.Workers).Select(w => Account(m, w).Balance).ToList();
        m.Produce(Challenge(m, MarketChain.FirstWorker + challenger, taskId));
        var verifiers = Verify(m, taskId, _ => "ok");

        var task = m.Task(taskId);
        Assert.That(task.Verification.Phase, Is.EqualTo(VerificationPhase.Upheld));
        Assert.That(new Hash256(task.ResultDigest.Span), Is.EqualTo(MarketChain.Digest(taskId, "ok")));
        Assert.That(Account(m, challenger).Frozen, Is.Zero);
        Assert.That(Account(m, challenger).Balance, Is.EqualTo(challengerBalance - TxFee - Bond), "the bond is forfeited");
        foreach (var v in verifiers) Assert.That(Account(m, v).Balance, Is.EqualTo(balances[v] - 2 * WorkerFee + Bond / 2));
        Assert.That(task.Pending, Has.Count.EqualTo(1), "the winner still waits for the window");
        ProduceUntil(m, task.WindowEnd);
        Assert.That(Account(m, worker).Frozen, Is.Zero);
        Assert.That(Account(m, worker).Balance, Is.EqualTo(balances[worker] + Stake + Reward));
        Assert.That(m.Supply(), Is.EqualTo(supply));
    }

    [Test]
    public void Verifiers_that_disagree_leave_the_result_standing_and_the_bond_returned()
    {
        var m = new MarketChain(workers: 4, market: Window(blocks: 20));
        m.SetUp();
        ulong supply = m.Supply();
        var (taskId, worker) = Complete(m, "ok");
        int challenger = (worker + 1) % m.Workers;
        ulong challengerBalance = Account(m, challenger).Balance;
        m.Produce(Challenge(m, MarketChain.FirstWorker + challenger, taskId));
        var first = m.WorkerIndex(m.Task(taskId).Verification.Replicas[0].Worker);
        Verify(m, taskId, v => v == first ? "ok" : "other");

        var task = m.Task(taskId);
        Assert.That(task.Verification.Phase, Is.EqualTo(VerificationPhase.Inconclusive));
        Assert.That(ReasonText.Default.Describe(task.Verification.Outcome), Does.Contain("disagree"));
        Assert.That(Account(m, challenger).Balance, Is.EqualTo(challengerBalance - TxFee));
        Assert.That(Account(m, challenger).Frozen, Is.Zero);
        Assert.That(new Hash256(task.ResultDigest.Span), Is.EqualTo(MarketChain.Digest(taskId, "ok")));
        ProduceUntil(m, task.WindowEnd);
        Assert.That(m.Task(taskId).Pending, Is.Empty);
        Assert.That(m.Supply(), Is.EqualTo(supply));
    }

    [Test]
    public void A_window_that_ends_during_a_verification_pays_when_it_concludes()
    {
        var m = new MarketChain(workers: 4, market: Window(blocks: 3));
        m.SetUp();
        var (taskId, worker) = Complete(m, "ok");
        m.Produce(Challenge(m, MarketChain.FirstWorker + (worker + 1) % m.Workers, taskId));
        ProduceUntil(m, m.Task(taskId).WindowEnd + 1);
        Assert.That(m.Task(taskId).Pending, Has.Count.EqualTo(1), "held while the verification runs");
        Verify(m, taskId, _ => "ok");
        Assert.That(m.Task(taskId).Verification.Phase, Is.EqualTo(VerificationPhase.Upheld));
        Assert.That(m.Task(taskId).Pending, Is.Empty, "paid as soon as the verdict upheld the result");
        Assert.That(Account(m, worker).Frozen, Is.Zero);
    }

    [Test]
    public void Spot_checks_replace_a_silent_verifier_and_pay_verifiers_from_the_kitty()
    {
        var m = new MarketChain(workers: 5, market: Window(blocks: 40, spotCheckPpm: 1_000_000, spotCheckReward: 1_000));
        m.SetUp();
        ulong supply = m.Supply();
        // A task nobody works on fails at 10T: its pool stake (3,000) fills the kitty.
        m.Produce(m.PlaceRequest(volume: 1, trust: 1));
        var failing = m.StartedTasks().Single();
        ProduceUntil(m, m.Task(failing).FinalDeadline);
        Assert.That(m.Task(failing).Status, Is.EqualTo(TaskStatus.Failed));
        Assert.That(MarketReader.Totals(m.Chain.Tree).Kitty, Is.EqualTo(3_000));

        var (taskId, _) = Complete(m, "ok");
        Assert.That(m.Task(taskId).Verification, Is.Null, "the draw happens in the next block, with its seed");
        m.Produce();
        var v = m.Task(taskId).Verification;
        Assert.That(v, Is.Not.Null, "at 10⁶ ppm every completed task is spot-checked");
        Assert.That(v.Challenger.IsEmpty);
        Assert.That(v.Replicas, Has.Count.EqualTo(2));
        int silent = m.WorkerIndex(v.Replicas[0].Worker), diligent = m.WorkerIndex(v.Replicas[1].Worker);
        var balances = Enumerable.Range(0, m.Workers).Select(w => Account(m, w).Balance).ToList();
        m.Produce(m.Contribute(diligent, taskId, MarketChain.Digest(taskId, "ok")));
        ProduceUntil(m, v.Replicas[0].Deadline);
        v = m.Task(taskId).Verification;
        Assert.That(v.Replicas[0].Status, Is.EqualTo(ReplicaStatus.TimedOut));
        Assert.That(v.Replicas, Has.Count.EqualTo(3), "the silent verifier is replaced");
        int replacement = m.WorkerIndex(v.Replicas[2].Worker);
        m.Produce(m.Contribute(replacement, taskId, MarketChain.Digest(taskId, "ok")));
        Assert.That(m.Task(taskId).Verification.Phase, Is.EqualTo(VerificationPhase.Revealing));
        m.Produce(m.Reveal(diligent, taskId, MarketChain.Digest(taskId, "ok")), m.Reveal(replacement, taskId, MarketChain.Digest(taskId, "ok")));

        v = m.Task(taskId).Verification;
        Assert.That(v.Phase, Is.EqualTo(VerificationPhase.Upheld));
        Assert.That(Account(m, diligent).Balance, Is.EqualTo(balances[diligent] - 2 * WorkerFee + 1_000));
        Assert.That(Account(m, replacement).Balance, Is.EqualTo(balances[replacement] - 2 * WorkerFee + 1_000));
        Assert.That(Account(m, silent).Balance, Is.EqualTo(balances[silent]), "a verifier that never committed risks nothing and earns nothing");
        Assert.That(MarketReader.Totals(m.Chain.Tree).Kitty, Is.EqualTo(1_000));
        Assert.That(MarketReader.Totals(m.Chain.Tree).SpotChecks, Is.EqualTo(1));
        Assert.That(m.Supply(), Is.EqualTo(supply));
    }

    [Test]
    public void Bad_challenges_and_verifier_transactions_fail_with_their_reason_and_change_nothing_but_the_fee()
    {
        var m = new MarketChain(workers: 4, market: Window(blocks: 10));
        m.SetUp();
        var (taskId, worker) = Complete(m, "ok");
        int challenger = (worker + 1) % m.Workers;
        MarketChain.AssertAllSucceeded(m.Produce(m.PlaceRequest(volume: 1, trust: 1)));
        var active = m.StartedTasks().Last();
        ulong requesterFrozen = m.Chain.AccountOf(MarketChain.Key(MarketChain.Requester).Address).Frozen;

        var first = m.Produce(
            Challenge(m, MarketChain.Requester, taskId),
            Challenge(m, MarketChain.FirstWorker + challenger, active, m.Nonce(MarketChain.FirstWorker + challenger)),
            Challenge(m, MarketChain.FirstWorker + challenger, new Hash256(new byte[32]), m.Nonce(MarketChain.FirstWorker + challenger) + 1));
        Assert.That(first.Receipts[0].ErrorText(), Does.Contain("is not staked"));
        Assert.That(first.Receipts[1].ErrorText(), Does.Contain("only a completed task's result can be challenged"));
        Assert.That(first.Receipts[2].ErrorText(), Does.Contain("does not exist"));
        Assert.That(m.Chain.AccountOf(MarketChain.Key(MarketChain.Requester).Address).Frozen, Is.EqualTo(requesterFrozen));
        Assert.That(Account(m, challenger).Frozen, Is.Zero);

        MarketChain.AssertAllSucceeded(m.Produce(Challenge(m, MarketChain.FirstWorker + challenger, taskId)));
        var verifier = m.WorkerIndex(m.Task(taskId).Verification.Replicas[0].Worker);
        var second = m.Produce(
            Challenge(m, MarketChain.FirstWorker + challenger, taskId),
            m.Contribute(worker, taskId, MarketChain.Digest(taskId, "ok")),
            m.Reveal(verifier, taskId, MarketChain.Digest(taskId, "ok")));
        Assert.That(second.Receipts[0].ErrorText(), Does.Contain("already had a challenge"));
        Assert.That(second.Receipts[1].ErrorText(), Does.Contain("is not a verifier"));
        Assert.That(second.Receipts[2].ErrorText(), Does.Contain("nothing to reveal").Or.Contain("did not commit"));
        Assert.That(Account(m, challenger).Frozen, Is.EqualTo(Bond), "one bond, for the one accepted challenge");

        MarketChain.AssertAllSucceeded(m.Produce(m.Task(taskId).Verification.Replicas.Select(r =>
            m.Contribute(m.WorkerIndex(r.Worker), taskId, MarketChain.Digest(taskId, "ok"))).ToArray()));
        var third = m.Produce(m.Reveal(verifier, taskId, MarketChain.Digest(taskId, "forged")));
        Assert.That(third.Receipts[0].ErrorText(), Does.Contain("does not open verifier"));

        // Another task, challenged after its window.
        var (late, lateWorker) = Complete(m, "ok");
        ProduceUntil(m, m.Task(late).WindowEnd);
        var fourth = m.Produce(Challenge(m, MarketChain.FirstWorker + (lateWorker + 1) % m.Workers, late));
        Assert.That(fourth.Receipts[0].ErrorText(), Does.Contain("rollback window closed"));
    }

    [Test]
    public void Without_a_rollback_window_winners_are_paid_at_once_and_nothing_can_be_challenged()
    {
        var m = new MarketChain(workers: 3);
        m.SetUp();
        var (taskId, worker) = Complete(m, "ok");
        Assert.That(m.Task(taskId).Pending, Is.Empty);
        Assert.That(Account(m, worker).Frozen, Is.Zero);
        var executed = m.Produce(Challenge(m, MarketChain.FirstWorker + (worker + 1) % m.Workers, taskId));
        Assert.That(executed.Receipts[0].ErrorText(), Does.Contain("no rollback window"));
    }
}
