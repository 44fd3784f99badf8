using System.Numerics;
using IExecChain.Core.Primitives;

namespace IExecChain.State.Market;

/// <summary>
/// iExec's credibility arithmetic (Sarmenta's credibility-based fault tolerance as PoCo implements
/// it), in exact integers. A worker's weight is max(score / 3, 3) − 1; a result group's weight is
/// the product of its contributors' weights; consensus on a group when
/// group × trust &gt; total × (trust − 1), the total starting at 1.
/// </summary>
public static class Credibility
{
    /// <summary>The weight of a worker's vote: max(score / 3, 3) − 1 (a fresh worker weighs 2).</summary>
    public static ulong Weight(ulong score) => Math.Max(score / 3, 3) - 1;

    /// <summary>floor(log2(weight)), the share a winner gets of the workers' reward (weight ≥ 2, so ≥ 1).</summary>
    public static int LogWeight(ulong weight) => weight == 0 ? 0 : BitOperations.Log2(weight);

    /// <summary>iExec stores trust 0 as 1: a single contribution suffices.</summary>
    public static ulong EffectiveTrust(ulong trust) => Math.Max(trust, 1);

    /// <summary>group × trust &gt; total × (trust − 1).</summary>
    public static bool IsConsensus(BigInteger group, BigInteger total, ulong trust)
    {
        trust = EffectiveTrust(trust);
        return group * trust > total * (trust - 1);
    }

    /// <summary>
    /// How many more replicas, each from a worker of <paramref name="newWorkerScore"/>, must agree
    /// for the task to reach consensus with trust <paramref name="trust"/>, assuming the leading
    /// group of <paramref name="tally"/> (none for a new task) and every worker in
    /// <paramref name="assignedScores"/> (assigned, not yet contributed) agree too. Returns 0 when
    /// those already suffice, and −1 when more than <paramref name="limit"/> would be needed.
    /// </summary>
    public static int AdditionalReplicasNeeded(ulong trust, ReadOnlySpan<ulong> assignedScores, ulong newWorkerScore, ConsensusTally? tally = null, int limit = 64)
    {
        trust = EffectiveTrust(trust);
        BigInteger group = tally?.LeadingGroupWeight ?? BigInteger.Zero;
        BigInteger total = tally?.TotalWeight ?? BigInteger.One;
        foreach (ulong score in assignedScores) Agree(ref group, ref total, Weight(score));
        ulong weight = Weight(newWorkerScore);
        for (int added = 0; added <= limit; added++)
        {
            if (group > 0 && group * trust > total * (trust - 1)) return added;
            Agree(ref group, ref total, weight);
        }
        return -1;
    }

    private static void Agree(ref BigInteger group, ref BigInteger total, ulong weight)
    {
        var delta = BigInteger.Max(group, BigInteger.One) * weight - group;
        group += delta;
        total += delta;
    }
}

/// <summary>
/// The running vote of one task: group weight per result hash and the total, updated as iExec's
/// contribute() does (delta = max(group, 1) × weight − group, added to the group and the total).
/// Weights are unbounded integers (iExec has uint256): a product of many large weights must not
/// overflow in consensus code, and contributions per task are few, so the cost does not matter.
/// </summary>
public sealed class ConsensusTally
{
    private readonly Dictionary<Hash256, BigInteger> _groups = [];

    public ConsensusTally(ulong trust) => Trust = Credibility.EffectiveTrust(trust);

    public ulong Trust { get; }

    public BigInteger TotalWeight { get; private set; } = BigInteger.One;

    public int Contributions { get; private set; }

    /// <summary>The result group with the highest weight (ties: the smaller hash), if any.</summary>
    public Hash256? LeadingResult { get; private set; }

    public BigInteger LeadingGroupWeight => LeadingResult is { } r ? _groups[r] : BigInteger.Zero;

    public BigInteger GroupWeight(Hash256 resultHash) => _groups.TryGetValue(resultHash, out var w) ? w : BigInteger.Zero;

    /// <summary>Adds a contribution; returns true when <paramref name="resultHash"/> has reached consensus.</summary>
    public bool Contribute(Hash256 resultHash, ulong workerScore)
    {
        ulong weight = Credibility.Weight(workerScore);
        var group = GroupWeight(resultHash);
        var delta = BigInteger.Max(group, BigInteger.One) * weight - group;
        group += delta;
        _groups[resultHash] = group;
        TotalWeight += delta;
        Contributions++;
        if (LeadingResult is not { } lead || group > _groups[lead] || (group == _groups[lead] && resultHash < lead)) LeadingResult = resultHash;
        return Credibility.IsConsensus(group, TotalWeight, Trust);
    }

    public bool HasConsensus(Hash256 resultHash) => Credibility.IsConsensus(GroupWeight(resultHash), TotalWeight, Trust);

    /// <summary>
    /// iExec's reopen(): the consensus group failed to reveal, so its weight leaves the total and
    /// the group (its contributors are rejected) and voting continues.
    /// </summary>
    public void Reopen(Hash256 resultHash)
    {
        TotalWeight -= GroupWeight(resultHash);
        _groups[resultHash] = BigInteger.Zero;
        LeadingResult = null;
        foreach (var (hash, weight) in _groups)
        {
            if (weight.IsZero) continue;
            if (LeadingResult is not { } lead || weight > _groups[lead] || (weight == _groups[lead] && hash < lead)) LeadingResult = hash;
        }
    }
}
