using IExecChain.State.Validators;
using IExecChain.Consensus.Bft;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.Consensus.Tests.Simulated;

public enum Behaviour
{
    Honest,
    /// <summary>Never sends anything (crashed or cut off).</summary>
    Silent,
    /// <summary>
    /// Tells every peer what it wants to hear: as proposer, one block to even-numbered peers and
    /// another to odd-numbered ones; as voter, a vote for whatever proposal the recipient holds for
    /// that round (nil when it holds none), ignoring its own locks.
    /// </summary>
    Equivocating,
}

/// <summary>
/// N validators in one process over a simulated network: a virtual clock, a seeded random source
/// for delays and drops, and partitions. Everything that happens is a function of the seed, so a
/// failing run is reproduced by its seed alone.
/// </summary>
public sealed class Simulation
{
    private readonly PriorityQueue<Action, (long Time, long Seq)> _events = new();
    private long _seq;
    private readonly Dictionary<ulong, (Hash256 Hash, int Node)> _firstDecision = [];

    public Simulation(int seed, IReadOnlyList<Behaviour> behaviours, IReadOnlyList<ulong>? powers = null)
    {
        Seed = seed;
        Random = new Random(seed);
        var validators = new List<WeightedValidator>();
        for (int i = 0; i < behaviours.Count; i++)
            validators.Add(new WeightedValidator(AddressOf(i), powers?[i] ?? 10, 0));
        _rosters.Add(new ValidatorRoster(validators));
        for (int i = 0; i < behaviours.Count; i++) Nodes.Add(new SimNode(this, i, AddressOf(i), behaviours[i]));
    }

    public int Seed { get; }
    public Random Random { get; }
    public long Now { get; private set; }
    public List<SimNode> Nodes { get; } = [];
    private readonly List<ValidatorRoster> _rosters = [];

    /// <summary>The validators of <paramref name="height"/>: one set whose proposer priorities advance every height, as on chain.</summary>
    public ValidatorRoster RosterAt(ulong height)
    {
        while ((ulong)_rosters.Count < height) _rosters.Add(new ValidatorRoster(_rosters[^1].AdvancedForNextHeight()));
        return _rosters[(int)height - 1];
    }

    public int MinDelayMs { get; set; } = 2;
    public int MaxDelayMs { get; set; } = 40;
    public double DropRate { get; set; }
    public int CommitDelayMs { get; set; } = 20;
    public int GossipIntervalMs { get; set; } = 150;
    public ConsensusTimeouts Timeouts { get; set; } = new() { ProposeMs = 300, PrevoteMs = 150, PrecommitMs = 150, FlatRounds = 2, GrowthPercent = 50, MaxMs = 5000 };

    /// <summary>Who can reach whom; null = everyone.</summary>
    public Func<int, int, bool>? Partition { get; set; }

    public string? SafetyViolation { get; private set; }
    public List<(int Reporter, Vote First, Vote Second)> Equivocations { get; } = [];
    public long MessagesSent { get; private set; }

    /// <summary>What the Byzantine validators proposed to whom: (height, round, recipient) → block hash.</summary>
    public Dictionary<(ulong Height, uint Round, int Recipient), Hash256> ProposalsSentTo { get; } = [];

    public static Address AddressOf(int index)
    {
        Span<byte> bytes = stackalloc byte[Address.Size];
        bytes.Clear();
        bytes[0] = 0xA0;
        bytes[19] = (byte)(index + 1);
        return new Address(bytes);
    }

    public IEnumerable<SimNode> Honest => Nodes.Where(n => n.Behaviour == Behaviour.Honest);

    public void Start()
    {
        foreach (var node in Nodes) node.Start(RosterAt(1));
    }

    /// <summary>Runs until every honest node decided <paramref name="height"/> or virtual time runs out.</summary>
    public bool RunUntilHeight(ulong height, long maxMs)
    {
        long deadline = Now + maxMs;
        while (SafetyViolation is null)
        {
            if (Honest.All(n => n.DecidedHeight >= height)) return true;
            if (!_events.TryPeek(out _, out var at) || at.Time > deadline) return false;
            _events.Dequeue()();
            Now = Math.Max(Now, at.Time);
        }
        return false;
    }

    public void RunFor(long ms)
    {
        long deadline = Now + ms;
        while (SafetyViolation is null && _events.TryPeek(out _, out var at) && at.Time <= deadline)
        {
            Now = at.Time;
            _events.Dequeue()();
        }
        Now = deadline;
    }

    public void At(long delayMs, Action action) => _events.Enqueue(action, (Now + delayMs, _seq++));

    public void Send(int from, int to, ConsensusEnvelope message)
    {
        if (from == to) return;
        if (Partition is { } canTalk && !canTalk(from, to)) return;
        if (DropRate > 0 && Random.NextDouble() < DropRate) return;
        MessagesSent++;
        int delay = Random.Next(MinDelayMs, MaxDelayMs + 1);
        var target = Nodes[to];
        At(delay, () => target.Receive(from, message));
    }

    internal void RecordDecision(int node, ulong height, Hash256 hash)
    {
        if (Nodes[node].Behaviour != Behaviour.Honest) return;
        if (_firstDecision.TryGetValue(height, out var first))
        {
            if (first.Hash != hash)
                SafetyViolation = $"seed {Seed}: node {first.Node} decided {first.Hash} and node {node} decided {hash} at height {height}";
        }
        else
        {
            _firstDecision[height] = (hash, node);
        }
    }

    public Hash256? DecisionAt(ulong height) => _firstDecision.TryGetValue(height, out var d) ? d.Hash : null;
}
