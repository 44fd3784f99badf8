using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Market;
using IExecChain.State.Tests.Market;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Tests.Fixture;

/// <summary>
/// After the market's one-story-at-a-time phases, a stretch where many tasks overlap: requests of
/// several tasks and trust levels arrive at random, workers are sometimes slow (replicas time out, tasks
/// wait for free workers) and, for a while, mostly gone (tasks reopen and fail), one of them lies now and then, fresh completions are sometimes
/// challenged, spot-checks run on the rest. Then no more requests until every task is settled.
/// The randomness is a seeded <see cref="Random"/> drawn in a fixed order; what it acts on (assignments,
/// open reveals) is read from the chain, so the stretch is the same on every run of the same code.
/// </summary>
internal sealed class BusyMarketScript
{
    private const int Seed = 11, RequestBlocks = 100, MaxDrainBlocks = 80, Saboteur = 5;

    /// <summary>Blocks of the request stretch in which most workers are away.</summary>
    private const int OutageStart = 40, OutageEnd = 62;

    private readonly ConsensusFixture _f;
    private readonly Random _random = new(Seed);
    private int _block;

    private BusyMarketScript(ConsensusFixture f) => _f = f;

    private MarketChain M => _f.M;

    public static void Run(ConsensusFixture f) => new BusyMarketScript(f).Run();

    private void Run()
    {
        _f.Phase = "market: a busy stretch (seeded): overlapping deals, slow and lying workers, challenges and spot-checks";
        for (int i = 0; i < RequestBlocks; i++) _f.Produce(NextBlock(placeRequests: true));
        _f.Phase = "market: the busy stretch drains";
        for (int i = 0; LiveTasks().Count > 0; i++)
        {
            _f.Expect(i < MaxDrainBlocks, $"every task of the busy stretch settled within {MaxDrainBlocks} blocks");
            _f.Produce(NextBlock(placeRequests: false));
        }
    }

    /// <summary>Tasks still in play: not failed, and not completed with nothing left to verify.</summary>
    private List<(Hash256 Id, TaskRecord Task)> LiveTasks()
    {
        var live = new List<(Hash256, TaskRecord)>();
        foreach (var id in M.StartedTasks())
        {
            var task = M.Task(id);
            if (task.Status == TaskStatus.Failed) continue;
            if (task.Status == TaskStatus.Completed && task.Verification is not { Phase: VerificationPhase.Committing or VerificationPhase.Revealing }) continue;
            live.Add((id, task));
        }
        return live;
    }

    private Transaction[] NextBlock(bool placeRequests)
    {
        var txs = new List<Transaction>();
        bool outage = _block is >= OutageStart and < OutageEnd;
        _block++;
        var nonces = new ulong[ConsensusFixture.Workers];
        for (int w = 0; w < nonces.Length; w++) nonces[w] = M.Nonce(MarketChain.FirstWorker + w);
        if (placeRequests && _random.Next(3) == 0)
            txs.Add(M.PlaceRequest(volume: (ulong)_random.Next(1, 4), trust: (ulong)_random.Next(0, 6)));

        var live = LiveTasks();
        for (int w = 0; w < ConsensusFixture.Workers; w++)
        {
            var address = M.WorkerKey(w).Address;
            // Replicas and verifications alike: the chain routes a commit to whichever the worker holds.
            foreach (var raw in MarketReader.Worker(M.Chain.Tree, address)!.Assignments)
            {
                if (outage ? _random.Next(10) != 0 : _random.Next(8) == 0) continue;   // slow or away: its replica may time out
                var taskId = new Hash256(raw.Span);
                bool lie = w == Saboteur && _random.Next(3) == 0;
                txs.Add(M.Contribute(w, taskId, MarketChain.Digest(taskId, lie ? "lie" : "ok"), nonces[w]++));
            }
            foreach (var (taskId, task) in live)
            {
                var mine = task.Status == TaskStatus.Revealing ? Find(task.Replicas, address)
                    : task.Verification is { Phase: VerificationPhase.Revealing } v ? Find(v.Replicas, address) : null;
                if (mine is not { Status: ReplicaStatus.Contributed }) continue;
                if (task.Status == TaskStatus.Revealing && mine.ResultHash != task.ConsensusHash) continue;
                if (outage ? _random.Next(4) != 0 : _random.Next(8) == 0) continue;   // forgets to reveal
                txs.Add(M.Reveal(w, taskId, MarketChain.Digest(taskId, Committed(taskId, mine)), nonces[w]++));
            }
        }
        // A result completed in the last block can be challenged now, before this block's spot-check draw.
        foreach (var id in M.StartedTasks())
        {
            var task = M.Task(id);
            if (task.Status != TaskStatus.Completed || task.Verification is not null || task.Pending.Count == 0 || task.FinishedAt != _f.Head) continue;
            if (_random.Next(3) != 0) continue;
            int challenger = _random.Next(ConsensusFixture.Workers);
            txs.Add(M.Tx(MarketChain.FirstWorker + challenger, b => b.Challenge = new Challenge { TaskId = ConsensusFixture.Bytes(id) }, nonces[challenger]++));
        }
        return [.. txs];
    }

    private static Replica? Find(IEnumerable<Replica> replicas, Address worker)
    {
        foreach (var r in replicas) if (new Address(r.Worker.Span) == worker) return r;
        return null;
    }

    /// <summary>What the worker committed: the honest result or the lie.</summary>
    private static string Committed(Hash256 taskId, Replica replica) =>
        replica.ResultHash == ConsensusFixture.Bytes(MarketBlock.ResultHash(taskId, MarketChain.Digest(taskId, "ok"))) ? "ok" : "lie";
}
