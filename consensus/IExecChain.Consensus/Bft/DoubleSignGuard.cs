using IExecChain.Core.Primitives;

namespace IExecChain.Consensus.Bft;

/// <summary>What a validator signs, in the order it signs it within a round.</summary>
public enum SignStep : uint
{
    Proposal = 1,
    Prevote = 2,
    Precommit = 3,
}

/// <summary>The last thing a validator signed.</summary>
public readonly record struct SignedPosition(ulong Height, uint Round, SignStep Step, Hash256 BlockHash, byte[] Signature);

/// <summary>
/// Refuses any signature that could make this validator equivocate: positions (height, round,
/// step) only move forward, and a position already signed is only ever signed again for the same
/// block, by handing back the stored signature. Persistence of <see cref="Last"/> (before the
/// signature leaves the node) is the caller's job; this class holds the rule.
/// </summary>
public sealed class DoubleSignGuard
{
    public DoubleSignGuard(SignedPosition? last = null) => Last = last;

    public SignedPosition? Last { get; private set; }

    /// <summary>
    /// True when signing (height, round, step, hash) is safe. <paramref name="reuse"/> is the stored
    /// signature when exactly this was signed before; <paramref name="reason"/> says why not otherwise.
    /// </summary>
    public bool CanSign(ulong height, uint round, SignStep step, Hash256 hash, out byte[]? reuse, out string? reason)
    {
        reuse = null;
        reason = null;
        if (Last is not { } last) return true;
        int order = (height, round, (uint)step).CompareTo((last.Height, last.Round, (uint)last.Step));
        if (order > 0) return true;
        if (order == 0 && hash == last.BlockHash)
        {
            reuse = last.Signature;
            return true;
        }
        reason = order == 0
            ? $"already signed {step} at {height}/{round} for block {last.BlockHash}"
            : $"already signed {last.Step} at {last.Height}/{last.Round}, past {step} at {height}/{round}";
        return false;
    }

    public void Record(SignedPosition position)
    {
        if (Last is { } last && (position.Height, position.Round, (uint)position.Step).CompareTo((last.Height, last.Round, (uint)last.Step)) < 0)
            throw new InvalidOperationException("signed positions only move forward");
        Last = position;
    }
}
