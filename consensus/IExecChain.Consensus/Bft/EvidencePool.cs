using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// Verified equivocation evidence waiting to be included in a block: one entry per offender and
/// height, bounded, dropped once a committed block carries it or it grows too old.
/// </summary>
public sealed class EvidencePool
{
    public const int Capacity = 1000;
    private readonly Dictionary<(Address, ulong), DuplicateVoteEvidence> _pending = [];

    public int Count => _pending.Count;

    /// <summary>True when the evidence is new (worth gossiping).</summary>
    public bool Add(Address offender, DuplicateVoteEvidence evidence)
    {
        if (_pending.Count >= Capacity) return false;
        return _pending.TryAdd((offender, evidence.VoteA.Height), evidence);
    }

    public List<DuplicateVoteEvidence> Pending() => [.. _pending.Values.OrderBy(e => e.VoteA.Height)];

    public void OnBlockCommitted(IReadOnlyList<DuplicateVoteEvidence> included, ulong height, ulong maxAge)
    {
        foreach (var e in included) _pending.Remove((new Address(e.VoteA.Validator.Span), e.VoteA.Height));
        foreach (var key in _pending.Keys.Where(k => height > k.Item2 + maxAge).ToList()) _pending.Remove(key);
    }
}
