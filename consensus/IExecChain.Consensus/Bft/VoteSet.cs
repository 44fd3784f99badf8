using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.Consensus.Bft;

public enum VoteAddResult
{
    Added,
    Duplicate,
    Conflicting,
    NotValidator,
}

/// <summary>
/// The prevotes or precommits of one (height, round), with the power behind each block hash (a nil
/// vote counts under <see cref="Hash256.Zero"/>). A validator's second, different vote is
/// equivocation: it is reported, and it also counts for its own hash, as the protocol's proofs
/// assume (a Byzantine validator's messages count wherever they are received); otherwise an
/// equivocator could hide a proof-of-lock from part of the honest validators forever. Each
/// validator counts once in <see cref="TotalPower"/> and at most <see cref="MaxVotesPerValidator"/>
/// times overall, which bounds memory.
/// </summary>
public sealed class VoteSet
{
    private readonly ValidatorRoster _roster;
    public const int MaxVotesPerValidator = 4;

    private readonly Dictionary<Address, (Vote Vote, Hash256 Hash)> _votes = [];
    private readonly Dictionary<(Address, Hash256), Vote> _conflicting = [];
    private readonly Dictionary<Hash256, ulong> _powerByHash = [];

    public VoteSet(ValidatorRoster roster, VoteType type)
    {
        _roster = roster;
        Type = type;
    }

    public VoteType Type { get; }
    public ulong TotalPower { get; private set; }
    public int Count => _votes.Count;
    public IEnumerable<Vote> Votes => _votes.Values.Select(v => v.Vote);
    public IEnumerable<Address> Voters => _votes.Keys;

    public VoteAddResult Add(Vote vote, Address validator, Hash256 hash, out Vote? existing)
    {
        existing = null;
        ulong power = _roster.PowerOf(validator);
        if (power == 0) return VoteAddResult.NotValidator;
        if (_votes.TryGetValue(validator, out var seen))
        {
            if (seen.Hash == hash || _conflicting.ContainsKey((validator, hash))) return VoteAddResult.Duplicate;
            existing = seen.Vote;
            if (CountConflicts(validator) < MaxVotesPerValidator - 1)
            {
                _conflicting.Add((validator, hash), vote);
                _powerByHash[hash] = _powerByHash.GetValueOrDefault(hash) + power;
            }
            return VoteAddResult.Conflicting;
        }
        _votes.Add(validator, (vote, hash));
        _powerByHash[hash] = _powerByHash.GetValueOrDefault(hash) + power;
        TotalPower += power;
        return VoteAddResult.Added;
    }

    private int CountConflicts(Address validator)
    {
        int count = 0;
        foreach (var (key, _) in _conflicting)
            if (key.Item1 == validator) count++;
        return count;
    }

    public bool Has(Address validator) => _votes.ContainsKey(validator);

    public ulong PowerFor(Hash256 hash) => _powerByHash.GetValueOrDefault(hash);

    /// <summary>More than 2/3 of the power voted, for anything.</summary>
    public bool HasQuorumOfAny => _roster.IsQuorum(TotalPower);

    public bool HasQuorumFor(Hash256 hash) => _roster.IsQuorum(PowerFor(hash));

    /// <summary>The hash (Zero = nil) that more than 2/3 of the power voted for, if any.</summary>
    public bool TryGetQuorum(out Hash256 hash)
    {
        foreach (var (candidate, power) in _powerByHash)
        {
            if (_roster.IsQuorum(power))
            {
                hash = candidate;
                return true;
            }
        }
        hash = default;
        return false;
    }

    public List<Vote> VotesFor(Hash256 hash)
    {
        var list = new List<Vote>();
        foreach (var (_, entry) in _votes)
            if (entry.Hash == hash) list.Add(entry.Vote);
        foreach (var ((_, votedHash), vote) in _conflicting)
            if (votedHash == hash) list.Add(vote);
        return list;
    }
}
