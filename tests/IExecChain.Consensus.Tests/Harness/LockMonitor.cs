using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.Consensus.Tests.Harness;

/// <summary>
/// Watches every signed message on the wire for the locking rule (Buchman, Kwon, Milosevic 2018,
/// lines 22-33): a validator that precommitted block B in round r is locked on B, and may prevote
/// another block C in a later round only when C's proposal carries a proof-of-lock round at or
/// after r. A node that lost its lock (a restart that did not replay its WAL) breaks exactly this,
/// without ever signing two votes for one position, so the double-sign guard alone cannot see it.
/// </summary>
public sealed class LockMonitor
{
    private readonly Dictionary<(Address Validator, ulong Height), (uint Round, Hash256 Hash)> _locks = [];
    private readonly Dictionary<(ulong Height, uint Round, Hash256 Hash), int> _polRounds = [];

    public string? Violation { get; private set; }

    public void Observe(Address sender, ConsensusEnvelope envelope)
    {
        if (envelope.Proposal is { } p)
        {
            _polRounds.TryAdd((p.Height, p.Round, new Hash256(p.BlockHash.Span)), p.PolRound);
            return;
        }
        if (envelope.Vote is not { } vote || vote.BlockHash.Length == 0) return;
        var validator = new Address(vote.Validator.Span);
        if (validator != sender) return;   // a re-broadcast of someone else's vote
        var hash = new Hash256(vote.BlockHash.Span);
        if (vote.Type == VoteType.Precommit)
        {
            if (!_locks.TryGetValue((validator, vote.Height), out var held) || vote.Round > held.Round)
                _locks[(validator, vote.Height)] = (vote.Round, hash);
            return;
        }
        Check(validator, vote, hash);
    }

    private void Check(Address validator, Vote prevote, Hash256 hash)
    {
        if (!_locks.TryGetValue((validator, prevote.Height), out var locked) || prevote.Round <= locked.Round || hash == locked.Hash) return;
        // The proposal a prevote follows went out before the prevote (its proposer sent it, or the
        // prevoter re-broadcast it); without it the prevote itself is the fault.
        int polRound = _polRounds.TryGetValue((prevote.Height, prevote.Round, hash), out var r) ? r : -1;
        if (polRound < (int)locked.Round)
            Violation ??= $"{validator} locked on {locked.Hash} in round {locked.Round} of height {prevote.Height}, then prevoted {hash} in round {prevote.Round} (proof-of-lock round {polRound})";
    }
}
