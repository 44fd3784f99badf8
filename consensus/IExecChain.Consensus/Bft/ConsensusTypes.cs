using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;

namespace IExecChain.Consensus.Bft;

public enum RoundStep
{
    Propose = 1,
    Prevote = 2,
    Precommit = 3,
    /// <summary>Decided; waiting for the driver to start the next height.</summary>
    Commit = 4,
}

public readonly record struct TimeoutEvent(ulong Height, uint Round, RoundStep Step);

/// <summary>A proposed block as consensus handles it: its hash, its bytes and the driver's decoded form.</summary>
public sealed class ProposalValue
{
    public ProposalValue(Hash256 hash, byte[] bytes, object? decoded = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (hash.IsZero) throw new ArgumentException("a block hash cannot be zero (zero means nil)", nameof(hash));
        Hash = hash;
        Bytes = bytes;
        Decoded = decoded;
    }

    public Hash256 Hash { get; }
    public byte[] Bytes { get; }
    public object? Decoded { get; }
}

/// <summary>
/// Round timeouts: flat for the first <see cref="FlatRounds"/> rounds (a single slow proposer
/// should not slow the next rounds), then growing by <see cref="GrowthPercent"/> of the base per
/// round so that, after a long partition, eventually every timeout outlasts the network delay.
/// The base values come from the chain spec (<see cref="From"/>), which holds their only defaults;
/// tests set their own.
/// </summary>
public sealed record ConsensusTimeouts
{
    /// <summary>No timeout grows beyond this (docs/consensus.md quotes it).</summary>
    public const int DefaultMaxMs = 30_000;

    public required int ProposeMs { get; init; }
    public required int PrevoteMs { get; init; }
    public required int PrecommitMs { get; init; }
    public required int FlatRounds { get; init; }
    public required int GrowthPercent { get; init; }
    public int MaxMs { get; init; } = DefaultMaxMs;

    /// <summary>The timeouts a chain spec's "consensus" section sets.</summary>
    public static ConsensusTimeouts From(ConsensusParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new ConsensusTimeouts
        {
            ProposeMs = parameters.TimeoutProposeMs,
            PrevoteMs = parameters.TimeoutPrevoteMs,
            PrecommitMs = parameters.TimeoutPrecommitMs,
            FlatRounds = parameters.TimeoutFlatRounds,
            GrowthPercent = parameters.TimeoutGrowthPercent,
        };
    }

    public TimeSpan For(RoundStep step, uint round)
    {
        int baseMs = step switch
        {
            RoundStep.Propose => ProposeMs,
            RoundStep.Prevote => PrevoteMs,
            RoundStep.Precommit => PrecommitMs,
            _ => throw new ArgumentOutOfRangeException(nameof(step), step, "no timeout for this step"),
        };
        long extraRounds = Math.Max(0, (long)round - FlatRounds + 1);
        long ms = baseMs + baseMs * GrowthPercent / 100 * extraRounds;
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxMs));
    }
}

/// <summary>
/// Everything the engine needs from outside: the application (propose, validate, decide), the
/// signer (which refuses to sign anything that conflicts with what it signed before), the network
/// and the clock. The engine itself holds no socket, thread or clock.
/// </summary>
public interface IConsensusContext
{
    /// <summary>This node's validator address, or null for an observer that never signs.</summary>
    Address? Self { get; }

    ProposalValue CreateProposal(ulong height, uint round);

    /// <summary>Full validity of a block on top of the current head (the driver caches by hash).</summary>
    bool IsValid(ulong height, ProposalValue value);

    /// <summary>A signed proposal carrying <paramref name="value"/>, or null when the signer refuses.</summary>
    Proposal? SignProposal(ulong height, uint round, int polRound, ProposalValue value);

    /// <summary>A signed vote (Zero = nil), or null when the signer refuses.</summary>
    Vote? SignVote(VoteType type, ulong height, uint round, Hash256 blockHash);

    void Broadcast(ConsensusEnvelope message);

    void ScheduleTimeout(TimeoutEvent timeout, TimeSpan after);

    /// <summary>The height is decided: <paramref name="precommits"/> are > 2/3 of the power for the value.</summary>
    void Decide(ulong height, uint round, ProposalValue value, IReadOnlyList<Vote> precommits);

    /// <summary>One validator signed two different votes for one (height, round, type).</summary>
    void ReportEquivocation(Vote first, Vote second);
}
