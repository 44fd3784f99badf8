using IExecChain.Consensus.Bft;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;

namespace IExecChain.Consensus.Tests.Harness;

/// <summary>
/// N real BFT drivers in one process, on one <see cref="VirtualClock"/>, over an in-memory network
/// with seeded delays, drops and partitions, run on the test's thread: the harness delivers what
/// is due, pumps every driver (<see cref="BftDriver.Pump"/>) and moves the clock to the next thing
/// due. A run is a function of its seed. Every step checks that no two nodes committed different
/// blocks at one height, that no validator signed a prevote against its own lock, and the harness
/// collects equivocation reports and penalties for the test to check.
/// </summary>
public sealed class DriverNetwork : IDisposable
{
    public const ulong ChainId = 4242;
    public const ulong GenesisTimeUnixMs = 1_700_000_000_000;

    private readonly PriorityQueue<Delivery, (long Time, long Seq)> _inFlight = new();
    private readonly PriorityQueue<Action, (long Time, long Seq)> _scheduled = new();
    private long _seq;
    private readonly Dictionary<ulong, (Hash256 Hash, int Node)> _committed = [];
    private readonly LockMonitor _locks = new();

    public DriverNetwork(int seed, int validators, int blockIntervalMs = 200)
    {
        Seed = seed;
        Random = new Random(seed);
        Clock = new VirtualClock(GenesisTimeUnixMs + 1_000);
        var keys = Enumerable.Range(0, validators).Select(DriverNode.KeyOf).ToList();
        Spec = new ChainSpec
        {
            Name = "harness",
            ChainId = ChainId,
            GenesisTimeUnixMs = GenesisTimeUnixMs,
            Parameters = new ChainParameters
            {
                BlockIntervalMs = blockIntervalMs,
                MaxBlockTransactions = 1000,
                MaxBlockBytes = 1 << 20,
                MaxTransactionBytes = 4096,
                UnbondingPeriodBlocks = 3,
                MinValidatorStake = 1000,
                MinWorkerStake = 10,
                EpochLength = 1000,
                Fees = new FeeSchedule { Transfer = 100, Stake = 200, Unstake = 300 },
                Consensus = new ConsensusParameters { PowerUnit = 1 },
            },
            Accounts = [new GenesisAccount(keys[0].Address, 1_000_000_000)],
            Validators = keys.Select(k => new GenesisValidator(k.Address, k.PublicKey, 5000)).ToList(),
        };
        for (int i = 0; i < validators; i++) Nodes.Add(new DriverNode(this, i, keys[i]));
    }

    public int Seed { get; }
    public Random Random { get; }
    public VirtualClock Clock { get; }
    public ChainSpec Spec { get; }
    public List<DriverNode> Nodes { get; } = [];
    public long Now => Clock.MonotonicMs;

    public int MinDelayMs { get; set; } = 2;
    public int MaxDelayMs { get; set; } = 40;
    public double DropRate { get; set; }

    /// <summary>Who can reach whom; null = everyone.</summary>
    public Func<int, int, bool>? Partition { get; set; }

    /// <summary>
    /// Per message (from, to, envelope): null delivers it as usual, a negative value drops it, any
    /// other value is extra delay in ms. Applied to consensus-channel messages only.
    /// </summary>
    public Func<int, int, ConsensusEnvelope, int?>? Adversary { get; set; }

    /// <summary>Every penalty any node gave: (giver, peer, reason, points).</summary>
    public List<(int Node, Address Peer, string Reason, int Points)> Penalties { get; } = [];

    public string? Violation { get; private set; }

    /// <summary>What the drivers logged at error level or above.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Each height's committed block and the commit stored with it, as the first node committed it.</summary>
    public Dictionary<ulong, (Hash256 Hash, Commit Commit, ChainBlockSummary Block)> Blocks { get; } = [];

    /// <summary>Called for every message a node sends (before drops), in send order.</summary>
    public event Action<int, ConsensusEnvelope>? Sent;

    public IEnumerable<DriverNode> Running => Nodes.Where(n => n.Running);

    public void StartAll()
    {
        foreach (var node in Nodes) node.Start();
    }

    public void At(long delayMs, Action action) => _scheduled.Enqueue(action, (Now + delayMs, _seq++));

    /// <summary>Runs until <paramref name="done"/> holds or <paramref name="maxMs"/> of virtual time passed; false then.</summary>
    public bool RunUntil(Func<bool> done, long maxMs)
    {
        long deadline = Now + maxMs;
        while (true)
        {
            foreach (var node in Nodes)
                if (node.Running) node.Driver!.Pump();
            if (_locks.Violation is { } broken) Violation ??= $"seed {Seed}: {broken}";
            if (Violation is not null) return false;
            if (done()) return true;
            long next = long.MaxValue;
            if (_inFlight.TryPeek(out _, out var delivery)) next = delivery.Time;
            if (_scheduled.TryPeek(out _, out var action)) next = Math.Min(next, action.Time);
            foreach (var node in Nodes)
                if (node.Running) next = Math.Min(next, node.Driver!.Queued > 0 ? Now : node.Driver.NextDueMs);
            if (next > deadline) return false;
            Clock.AdvanceTo(next);
            while (_inFlight.TryPeek(out var message, out var at) && at.Time <= Now)
            {
                _inFlight.Dequeue();
                var target = Nodes[message.To];
                if (target.Running) target.Driver!.OnMessage(Nodes[message.From].Address, message.Channel, message.Payload);
            }
            while (_scheduled.TryPeek(out var run, out var at) && at.Time <= Now)
            {
                _scheduled.Dequeue();
                run();
            }
        }
    }

    public bool RunUntilHeight(ulong height, long maxMs) => RunUntil(() => Running.All(n => n.Head >= height), maxMs);

    public void RunFor(long ms)
    {
        long until = Now + ms;
        RunUntil(() => Now >= until, ms + 1);
        Clock.AdvanceTo(until);
    }

    internal void Send(int from, Address? to, ConsensusChannel channel, byte[] payload)
    {
        if (!Nodes[from].Running) return;
        ConsensusEnvelope? envelope = null;
        if (channel == ConsensusChannel.Consensus)
        {
            envelope = ConsensusEnvelope.Parser.ParseFrom(payload);
            _locks.Observe(Nodes[from].Address, envelope);
            Sent?.Invoke(from, envelope);
        }
        foreach (var node in Nodes)
        {
            if (node.Index == from || (to is { } peer && node.Address != peer)) continue;
            if (Partition is { } canTalk && !canTalk(from, node.Index)) continue;
            if (DropRate > 0 && Random.NextDouble() < DropRate) continue;
            int extra = 0;
            if (envelope is not null && Adversary?.Invoke(from, node.Index, envelope) is { } verdict)
            {
                if (verdict < 0) continue;
                extra = verdict;
            }
            long at = Now + Random.Next(MinDelayMs, MaxDelayMs + 1) + extra;
            _inFlight.Enqueue(new Delivery(from, node.Index, channel, payload), (at, _seq++));
        }
    }

    /// <summary>The commit each node stored with each block: (node, height) → commit.</summary>
    public Dictionary<(int Node, ulong Height), Commit> Commits { get; } = [];

    internal void OnCommitted(DriverNode node, ExecutedBlock executed, Commit commit)
    {
        var block = executed.Block;
        Commits[(node.Index, block.Height)] = commit;
        if (_committed.TryGetValue(block.Height, out var first))
        {
            if (first.Hash != block.Hash)
                Violation ??= $"seed {Seed}: node {first.Node} committed {first.Hash} and node {node.Index} committed {block.Hash} at height {block.Height}";
            return;
        }
        _committed[block.Height] = (block.Hash, node.Index);
        Blocks[block.Height] = (block.Hash, commit, new ChainBlockSummary(new Address(block.Header.Proposer.Span), block.LastCommit));
    }

    /// <summary>Checks every run ends with: no fork, no lock broken, no honest validator reported, no honest peer penalized, no error logged.</summary>
    public string? HonestRunFailure()
    {
        if (Violation is not null) return Violation;
        var reported = Nodes.Where(n => n.EquivocationsSeen > 0).Select(n => n.Index).ToList();
        if (reported.Count > 0) return $"seed {Seed}: nodes {string.Join(",", reported)} reported an equivocation among honest validators";
        if (Penalties.Count > 0) return $"seed {Seed}: an honest peer was penalized: {Penalties[0]}";
        if (Errors.Count > 0) return $"seed {Seed}: {Errors[0]}";
        return null;
    }

    public void Dispose()
    {
        foreach (var node in Nodes) node.Dispose();
    }

    private readonly record struct Delivery(int From, int To, ConsensusChannel Channel, byte[] Payload);
}

/// <summary>What the harness keeps of a committed block: who proposed it and the previous height's commit it carries.</summary>
public sealed record ChainBlockSummary(Address Proposer, Commit? LastCommit);
