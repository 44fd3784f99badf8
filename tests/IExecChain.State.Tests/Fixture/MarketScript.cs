using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Market;
using IExecChain.State.Tests.Market;
using Kind = IExecChain.Core.Wire.TransactionBody.PayloadOneofCase;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Tests.Fixture;

/// <summary>
/// The fixture's market: registration, refused transactions, a cancelled request, then one task per
/// story, each run to its end (and through its spot-check or challenge) before the next: agreement,
/// a saboteur outvoted, a replica that times out, a consensus group that never reveals, a lie reversed
/// by a challenge, a challenge upheld, rule-breaking contributions and reveals, a dataset's owner paid.
/// One task nobody works on runs alongside and fails. Then <see cref="BusyMarketScript"/> overlaps many
/// tasks. Which workers get a replica is the chain's (block-hash-seeded) choice: the script reads it.
/// </summary>
internal sealed class MarketScript
{
    private const int Requester = MarketChain.Requester;
    private const ulong DatasetPrice = 500;

    private readonly ConsensusFixture _f;
    private Address _dataset;
    private Hash256 _abandoned;

    private MarketScript(ConsensusFixture f) => _f = f;

    private MarketChain M => _f.M;

    public static void Run(ConsensusFixture f) => new MarketScript(f).Run();

    private void Run()
    {
        SetUp();
        RefusedTransactions();
        CancelledRequest();
        _f.Phase = "market: a task nobody works on (replicas time out, it fails at its final deadline)";
        _abandoned = Start(M.PlaceRequest(volume: 1, trust: 1), "the abandoned task");
        Agreement();
        Disagreement();
        TimedOutReplica();
        SilentConsensusGroup();
        ChallengedLie();
        ChallengeUpheld();
        RuleBreakers();
        DatasetTask();
        BusyMarketScript.Run(_f);
        _f.Expect(M.Task(_abandoned).Status == TaskStatus.Failed, "the abandoned task failed by now");
        LeavePool();
    }

    /// <summary>Every started task failed or completed, with its window closed and no verification running.</summary>
    public static bool AllSettled(ConsensusFixture f)
    {
        foreach (var id in f.M.StartedTasks())
        {
            var task = f.M.Task(id);
            if (task.Status == TaskStatus.Failed) continue;
            if (task.Status != TaskStatus.Completed || task.Pending.Count > 0) return false;
            if (task.Verification is { Phase: VerificationPhase.Committing or VerificationPhase.Revealing }) return false;
        }
        return true;
    }

    private static Hash256 Digest(Hash256 taskId, string result) => MarketChain.Digest(taskId, result);

    private List<int> Assigned(IEnumerable<Replica> replicas) =>
        replicas.Where(r => r.Status == ReplicaStatus.Assigned).Select(r => M.WorkerIndex(r.Worker)).ToList();

    private static string Successes(int count) => new('S', count);

    private void SetUp()
    {
        _f.Phase = "market: an app and a workerpool registered, workers stake and join, app and pool offered";
        M.SetUp(poolVolume: 1_000, poolTrust: 1_000, appVolume: 1_000);
        var pool = MarketReader.Workerpool(M.Chain.Tree, M.PoolId);
        _f.Expect(MarketReader.App(M.Chain.Tree, M.AppId) is not null && pool is not null, "the app and the pool registered");
        _f.Reach(Milestone.AppAndWorkerpoolRegistered);
        _f.Expect(pool!.Workers.Count == ConsensusFixture.Workers, "every worker in the pool");
        _f.Reach(Milestone.WorkersJoinedThePool);

        _f.Phase = "market: a dataset registered and offered";
        var alice = ConsensusFixture.Alice;
        _dataset = MarketBlock.ResourceId(MarketBlock.DatasetIdKind, alice.Address, _f.NonceOf(alice));
        _f.ExpectReceipts(_f.Produce(_f.Sign(alice, b => b.RegisterDataset = new RegisterDataset
        {
            Name = "corpus", ContentRoot = ByteString.CopyFrom(Keccak256.HashToArray("corpus"u8)), Size = 4096, Endpoint = "http://127.0.0.1:8646",
        }, Kind.RegisterDataset)), "S", "the dataset registration");
        _f.ExpectReceipts(_f.Produce(_f.Sign(alice, b => b.PlaceOrder = new PlaceOrder
        {
            Dataset = new DatasetOrder { Dataset = ConsensusFixture.Bytes(_dataset), Price = DatasetPrice, Volume = 10, Salt = _f.Salt() },
        }, Kind.PlaceOrder)), "S", "the dataset order");
    }

    private void RefusedTransactions()
    {
        _f.Phase = "market: refused orders, registrations, contributions and cancels";
        var requester = ConsensusFixture.Bytes(MarketChain.Key(Requester).Address);
        var unknownApp = ConsensusFixture.Bytes(new Address(Enumerable.Repeat((byte)7, Address.Size).ToArray()));
        ulong nonce = M.Nonce(Requester);
        var join = new JoinPool { Workerpool = ConsensusFixture.Bytes(M.PoolId), Endpoint = "http://127.0.0.1:9100" };
        var executed = _f.Produce(
            M.Tx(Requester, b => b.PlaceOrder = new PlaceOrder { Request = new RequestOrder { App = unknownApp, Requester = requester, Volume = 1 } }, nonce),
            M.Tx(Requester, b => b.PlaceOrder = new PlaceOrder { Request = new RequestOrder { App = ConsensusFixture.Bytes(M.AppId), Requester = requester, Volume = 1, AppMaxPrice = 2_000_000_000 } }, nonce + 1),
            _f.Sign(ConsensusFixture.Bob, b => b.PlaceOrder = new PlaceOrder { App = new AppOrder { App = ConsensusFixture.Bytes(M.AppId), Price = 1, Volume = 1 } }, Kind.PlaceOrder),
            M.Contribute(0, Keccak256.Hash([1, 2, 3]), Keccak256.Hash([4])),
            M.Tx(Requester, b => b.CancelOrder = new CancelOrder { OrderHash = ConsensusFixture.Bytes(Keccak256.Hash([9])) }, nonce + 2),
            M.Tx(MarketChain.FirstWorker + 1, b => b.JoinPool = join),
            _f.Sign(ConsensusFixture.Bob, b => b.JoinPool = join, Kind.JoinPool, ahead: 1));
        _f.ExpectReceipts(executed, "FFFFFFF",
            "a request for an unknown app, one it cannot lock, selling someone else's app, contributing to no task, cancelling no order, joining twice, joining unstaked");
        _f.Reach(Milestone.FailedMarketTransactions);
    }

    private void CancelledRequest()
    {
        _f.Phase = "market: an open request is cancelled, by its owner only";
        var order = new RequestOrder
        {
            App = ConsensusFixture.Bytes(M.AppId), AppMaxPrice = MarketChain.AppPrice, WorkerpoolMaxPrice = 1, Requester = ConsensusFixture.Bytes(MarketChain.Key(Requester).Address),
            Volume = 2, Trust = 1, Params = "too cheap for any pool", Salt = _f.Salt(),
        };
        var hash = OrderCodec.HashOf(OrderCodec.Kind.Request, order);
        _f.ExpectReceipts(_f.Produce(M.Tx(Requester, b => b.PlaceOrder = new PlaceOrder { Request = order })), "S", "a request no pool is cheap enough for");
        _f.Expect(MarketReader.Order(M.Chain.Tree, hash) is { Status: OrderStatus.Open }, "the request open");
        var cancel = new CancelOrder { OrderHash = ConsensusFixture.Bytes(hash) };
        var executed = _f.Produce(_f.Sign(ConsensusFixture.Bob, b => b.CancelOrder = cancel, Kind.CancelOrder), M.Tx(Requester, b => b.CancelOrder = cancel));
        _f.ExpectReceipts(executed, "FS", "Bob's cancel of the requester's order, then the requester's");
        _f.Expect(MarketReader.Order(M.Chain.Tree, hash) is { Status: OrderStatus.Cancelled }, "the request cancelled");
        _f.Reach(Milestone.ForeignCancelRefused);
        _f.Reach(Milestone.OrderCancelled);
    }

    /// <summary>Places a request that matches at once and returns the one task it started.</summary>
    private Hash256 Start(Transaction request, string what)
    {
        int before = M.StartedTasks().Count;
        _f.ExpectReceipts(_f.Produce(request), "S", what);
        var started = M.StartedTasks();
        _f.Expect(started.Count == before + 1, $"one task started for {what}");
        return started[^1];
    }

    /// <summary>Assigned replicas contribute <paramref name="resultOf"/> their worker until the task reaches consensus.</summary>
    private void RunToConsensus(Hash256 taskId, Func<int, string> resultOf)
    {
        for (int round = 0; M.Task(taskId).Status == TaskStatus.Active; round++)
        {
            var open = Assigned(M.Task(taskId).Replicas);
            _f.Expect(round < 5 && open.Count > 0, $"open replicas on task {taskId} until it reaches consensus");
            _f.ExpectReceipts(_f.Produce(open.Select(w => M.Contribute(w, taskId, Digest(taskId, resultOf(w)))).ToArray()), Successes(open.Count), "the contributions");
        }
        _f.Expect(M.Task(taskId).Status == TaskStatus.Revealing, $"task {taskId} revealing");
    }

    /// <summary>The consensus group reveals <paramref name="result"/>; the task completes.</summary>
    private void RevealConsensus(Hash256 taskId, string result)
    {
        var task = M.Task(taskId);
        var winners = task.Replicas.Where(r => r.Status == ReplicaStatus.Contributed && r.ResultHash == task.ConsensusHash).Select(r => M.WorkerIndex(r.Worker)).ToList();
        _f.ExpectReceipts(_f.Produce(winners.Select(w => M.Reveal(w, taskId, Digest(taskId, result))).ToArray()), Successes(winners.Count), "the reveals");
        _f.Expect(M.Task(taskId).Status == TaskStatus.Completed, $"task {taskId} completed");
    }

    /// <summary>The block after a completion draws its spot-check: at 10⁶ ppm, always.</summary>
    private void SpotCheck(Hash256 taskId)
    {
        _f.Produce();
        _f.Expect(M.Task(taskId).Verification is { Phase: VerificationPhase.Committing, Challenger.IsEmpty: true }, $"task {taskId} spot-checked");
    }

    /// <summary>Every open verifier commits <paramref name="resultOf"/> its worker, then reveals it.</summary>
    private List<int> Verify(Hash256 taskId, Func<int, string> resultOf, VerificationPhase verdict)
    {
        var verifiers = Assigned(M.Task(taskId).Verification.Replicas);
        _f.Expect(verifiers.Count > 0, $"verifiers on task {taskId}");
        _f.ExpectReceipts(_f.Produce(verifiers.Select(v => M.Contribute(v, taskId, Digest(taskId, resultOf(v)))).ToArray()), Successes(verifiers.Count), "the verifiers' commits");
        _f.Expect(M.Task(taskId).Verification.Phase == VerificationPhase.Revealing, "the verification revealing");
        _f.ExpectReceipts(_f.Produce(verifiers.Select(v => M.Reveal(v, taskId, Digest(taskId, resultOf(v)))).ToArray()), Successes(verifiers.Count), "the verifiers' reveals");
        _f.Expect(M.Task(taskId).Verification.Phase == verdict, $"the verification of task {taskId} {MarketBlock.PhaseName(verdict)}");
        return verifiers;
    }

    private Transaction Challenge(int worker, Hash256 taskId, int ahead = 0) =>
        M.Tx(MarketChain.FirstWorker + worker, b => b.Challenge = new Challenge { TaskId = ConsensusFixture.Bytes(taskId) }, M.Nonce(MarketChain.FirstWorker + worker) + (ulong)ahead);

    private void Agreement()
    {
        _f.Phase = "market: two replicas agree (trust 3); the result is spot-checked and upheld";
        var taskId = Start(M.PlaceRequest(volume: 1, trust: 3), "a trust-3 request");
        RunToConsensus(taskId, _ => "ok");
        RevealConsensus(taskId, "ok");
        SpotCheck(taskId);
        Verify(taskId, _ => "ok", VerificationPhase.Upheld);
    }

    private void Disagreement()
    {
        _f.Phase = "market: a saboteur disagrees and is outvoted (trust 5)";
        var taskId = Start(M.PlaceRequest(volume: 1, trust: 5), "a trust-5 request");
        var first = Assigned(M.Task(taskId).Replicas);
        _f.Expect(first.Count >= 2, "several replicas for trust 5");
        int saboteur = first[1];
        RunToConsensus(taskId, w => w == saboteur ? "lie" : "ok");
        RevealConsensus(taskId, "ok");
        var task = M.Task(taskId);
        var lost = task.Replicas.Single(r => M.WorkerIndex(r.Worker) == saboteur);
        _f.Expect(lost.Status == ReplicaStatus.Contributed && lost.ResultHash != task.ConsensusHash, "the saboteur's contribution outside the consensus");
        SpotCheck(taskId);
        Verify(taskId, _ => "ok", VerificationPhase.Upheld);
    }

    private void TimedOutReplica()
    {
        _f.Phase = "market: a silent replica times out; its replacement completes the task";
        var taskId = Start(M.PlaceRequest(volume: 1, trust: 1), "a trust-1 request");
        _f.ProduceUntil(M.Task(taskId).Replicas.Single().Deadline);
        var task = M.Task(taskId);
        _f.Expect(task.Replicas.Count == 2 && task.Replicas[0].Status == ReplicaStatus.TimedOut && task.Replicas[1].Status == ReplicaStatus.Assigned,
            "the silent replica timed out and was replaced");
        RunToConsensus(taskId, _ => "ok");
        RevealConsensus(taskId, "ok");
        SpotCheck(taskId);
        Verify(taskId, _ => "ok", VerificationPhase.Upheld);
    }

    private void SilentConsensusGroup()
    {
        _f.Phase = "market: a consensus group never reveals; its contribution is rejected and the task reopened";
        var taskId = Start(M.PlaceRequest(volume: 1, trust: 1), "a trust-1 request");
        RunToConsensus(taskId, _ => "ok");
        _f.ProduceUntil(M.Task(taskId).RevealDeadline);
        var task = M.Task(taskId);
        _f.Expect(task.Status == TaskStatus.Active && task.Replicas[0].Status == ReplicaStatus.Rejected && Assigned(task.Replicas).Count > 0,
            "the task reopened, the silent contribution rejected, a new replica assigned");
        RunToConsensus(taskId, _ => "ok");
        RevealConsensus(taskId, "ok");
        SpotCheck(taskId);
        Verify(taskId, _ => "ok", VerificationPhase.Upheld);
    }

    private void ChallengedLie()
    {
        _f.Phase = "market: a liar's accepted result is challenged and reversed";
        var taskId = Start(M.PlaceRequest(volume: 1, trust: 1), "a trust-1 request");
        int liar = Assigned(M.Task(taskId).Replicas).Single();
        RunToConsensus(taskId, _ => "lie");
        RevealConsensus(taskId, "lie");
        // In the block after the completion, before that block's spot-check draw.
        _f.ExpectReceipts(_f.Produce(Challenge((liar + 1) % ConsensusFixture.Workers, taskId)), "S", "the challenge");
        _f.Expect(M.Task(taskId).Verification is { Phase: VerificationPhase.Committing, Challenger.IsEmpty: false }, "a challenged verification");
        Verify(taskId, _ => "ok", VerificationPhase.Reversed);
        _f.Expect(new Hash256(M.Task(taskId).ResultDigest.Span) == Digest(taskId, "ok"), "the verifiers' result now the task's");
    }

    private void ChallengeUpheld()
    {
        _f.Phase = "market: refused challenges, then one the verifiers uphold (the bond is forfeited)";
        var taskId = Start(M.PlaceRequest(volume: 1, trust: 1), "a trust-1 request");
        int worker = Assigned(M.Task(taskId).Replicas).Single();
        RunToConsensus(taskId, _ => "ok");
        RevealConsensus(taskId, "ok");
        int challenger = (worker + 1) % ConsensusFixture.Workers, late = (worker + 2) % ConsensusFixture.Workers;
        var executed = _f.Produce(
            M.Tx(Requester, b => b.Challenge = new Challenge { TaskId = ConsensusFixture.Bytes(taskId) }),   // the requester has no stake
            Challenge(challenger, _abandoned),                                                              // not a completed task
            Challenge(challenger, taskId, ahead: 1),
            Challenge(late, taskId));                                                                       // a result is verified once
        _f.ExpectReceipts(executed, "FFSF", "an unstaked challenger, a challenge of an unfinished task, a challenge, a second one");
        Verify(taskId, _ => "ok", VerificationPhase.Upheld);
        _f.Reach(Milestone.ChallengeUpheld);
    }

    private void RuleBreakers()
    {
        _f.Phase = "market: contributions, reveals and verifier transactions that break the rules";
        var taskId = Start(M.PlaceRequest(volume: 1, trust: 5), "a trust-5 request");
        var replicas = Assigned(M.Task(taskId).Replicas);
        _f.Expect(replicas.Count == 3, "three replicas for trust 5 with fresh-weight workers");
        int w0 = replicas[0], w1 = replicas[1], w2 = replicas[2];
        var good = Digest(taskId, "ok");
        var requester = MarketChain.Key(Requester).Address;
        var outsider = M.Tx(Requester, b => b.Contribute = new Contribute
        {
            TaskId = ConsensusFixture.Bytes(taskId), ResultHash = ConsensusFixture.Bytes(MarketBlock.ResultHash(taskId, good)),
            ResultSeal = ConsensusFixture.Bytes(MarketBlock.ResultSeal(requester, taskId, good)),
        }, fee: 100);
        var executed = _f.Produce(outsider, M.Contribute(w0, taskId, good), M.Contribute(w0, taskId, good, M.Nonce(MarketChain.FirstWorker + w0) + 1), M.Reveal(w1, taskId, good));
        _f.ExpectReceipts(executed, "FSFF", "an outsider's contribution, a contribution, the same again, a reveal before consensus");
        _f.ExpectReceipts(_f.Produce(M.Contribute(w1, taskId, good), M.Contribute(w2, taskId, good)), "SS", "the other two contributions");
        _f.Expect(M.Task(taskId).Status == TaskStatus.Revealing, "consensus");
        executed = _f.Produce(M.Reveal(w0, taskId, Digest(taskId, "not what was committed")), M.Contribute(w1, taskId, good));
        _f.ExpectReceipts(executed, "FF", "a reveal that does not open its commit, a contribution after consensus");
        RevealConsensus(taskId, "ok");
        SpotCheck(taskId);

        var verifiers = Assigned(M.Task(taskId).Verification.Replicas);
        _f.Expect(verifiers.Count > 0, "verifiers");
        executed = _f.Produce(M.Contribute(w0, taskId, good), M.Reveal(verifiers[0], taskId, good));
        _f.ExpectReceipts(executed, "FF", "a contributor committing as a verifier, a verifier revealing before committing");
        _f.ExpectReceipts(_f.Produce(verifiers.Select(v => M.Contribute(v, taskId, good)).ToArray()), Successes(verifiers.Count), "the verifiers' commits");
        _f.ExpectReceipts(_f.Produce(M.Reveal(verifiers[0], taskId, Digest(taskId, "forged"))), "F", "a verifier's reveal that does not open its commit");
        _f.ExpectReceipts(_f.Produce(verifiers.Select(v => M.Reveal(v, taskId, good)).ToArray()), Successes(verifiers.Count), "the verifiers' reveals");
        _f.Expect(M.Task(taskId).Verification.Phase == VerificationPhase.Upheld, "the result upheld");
        _f.Reach(Milestone.BadContributionsAndReveals);
    }

    private void DatasetTask()
    {
        _f.Phase = "market: a task on a dataset pays the dataset's owner";
        var order = new RequestOrder
        {
            App = ConsensusFixture.Bytes(M.AppId), AppMaxPrice = MarketChain.AppPrice * 2, Dataset = ConsensusFixture.Bytes(_dataset), DatasetMaxPrice = 1_000,
            WorkerpoolMaxPrice = MarketChain.PoolPrice * 2, Requester = ConsensusFixture.Bytes(MarketChain.Key(Requester).Address),
            Volume = 1, Trust = 1, Params = "with a dataset", Salt = _f.Salt(),
        };
        var taskId = Start(M.Tx(Requester, b => b.PlaceOrder = new PlaceOrder { Request = order }), "a request with a dataset");
        RunToConsensus(taskId, _ => "ok");
        ulong before = _f.Chain.AccountOf(ConsensusFixture.Alice.Address).Balance;
        RevealConsensus(taskId, "ok");
        _f.Expect(_f.Chain.AccountOf(ConsensusFixture.Alice.Address).Balance == before + DatasetPrice, "the dataset's price paid to Alice at completion");
        _f.Reach(Milestone.DatasetOwnerPaid);
        SpotCheck(taskId);
        Verify(taskId, _ => "ok", VerificationPhase.Upheld);
    }

    private void LeavePool()
    {
        _f.Phase = "market: a worker leaves its pool and unbonds its stake";
        int leaver = -1;
        for (int w = ConsensusFixture.Workers - 1; w >= 0 && leaver < 0; w--)
            if (MarketReader.Worker(M.Chain.Tree, M.WorkerKey(w).Address)!.Assignments.Count == 0) leaver = w;
        _f.Expect(leaver >= 0, "a worker with no assignment");
        var key = M.WorkerKey(leaver);
        ulong stake = _f.Chain.StakeOf(key.Address).WorkerStake;
        var executed = _f.Produce(
            _f.Unstake(key, StakeRole.Worker, stake),                                          // a member keeps its stake
            M.Tx(MarketChain.FirstWorker + leaver, b => b.LeavePool = new LeavePool(), M.Nonce(MarketChain.FirstWorker + leaver) + 1),
            _f.Unstake(key, StakeRole.Worker, stake, ahead: 2));
        _f.ExpectReceipts(executed, "FSS", "unstaking in the pool, leaving it, unstaking");
        _f.Leaver = key;
    }
}
