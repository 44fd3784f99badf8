using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

namespace IExecChain.State.Validators;

/// <summary>
/// Proof that a validator signed two different votes for one (height, round, type), and its
/// consequence: a share of its validator stake (bonded and unbonding) is burned, its reputation is
/// zeroed and it is jailed, which takes it out of the set at the next epoch boundary. One incident is
/// punished once: a validator that double-signs usually does so at many heights (a duplicated key, a
/// faulty setup), so offences committed before the end of the jail that punished an earlier one are
/// part of that incident and are not slashed again (Cosmos "tombstones" for the same reason). After the
/// jail, a new offence is a new incident.
/// </summary>
public static class Equivocation
{
    /// <summary>Checks the evidence on its own (shape and signatures); null when valid, with the offender.</summary>
    public static string? Verify(DuplicateVoteEvidence evidence, ulong chainId, out Address offender)
    {
        offender = default;
        var a = evidence.VoteA;
        var b = evidence.VoteB;
        if (a is null || b is null) return "evidence needs two votes";
        if (a.Type != b.Type || a.Height != b.Height || a.Round != b.Round) return "the votes are not for the same height, round and type";
        if (a.Type is not (VoteType.Prevote or VoteType.Precommit)) return "unknown vote type";
        if (a.BlockHash.Equals(b.BlockHash)) return "the votes are for the same block";
        if (a.Validator.Length != Address.Size || !a.Validator.Equals(b.Validator)) return "the votes are from different validators";
        offender = new Address(a.Validator.Span);
        foreach (var vote in new[] { a, b })
        {
            if (vote.BlockHash.Length is not (0 or Hash256.Size)) return "a vote's block hash is not 32 bytes";
            var hash = vote.BlockHash.Length == 0 ? Hash256.Zero : new Hash256(vote.BlockHash.Span);
            var digest = VoteDigest.Compute(chainId, vote.Type, vote.Height, vote.Round, hash);
            if (vote.Signature.Length != 65 || !Secp256k1.TryRecoverAddress(digest, vote.Signature.Span, out var signer) || signer != offender)
                return $"a vote is not signed by {offender}";
        }
        return null;
    }

    /// <summary>Key marking an offence as punished: one per validator and height.</summary>
    public static Hash256 OffenceKey(Address offender, ulong height)
    {
        Span<byte> buffer = stackalloc byte[1 + Address.Size + 8];
        buffer[0] = 0x0B;
        offender.CopyTo(buffer[1..]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(buffer[(1 + Address.Size)..], height);
        return Keccak256.Hash(buffer);
    }

    /// <summary>Applies evidence found in block <paramref name="height"/>; an error makes the block invalid.</summary>
    public static string? Apply(WorldState state, DuplicateVoteEvidence evidence, ulong chainId, ulong height, ConsensusParameters p)
    {
        var error = Verify(evidence, chainId, out var offender);
        if (error is not null) return error;
        ulong offenceHeight = evidence.VoteA.Height;
        if (offenceHeight >= height) return $"evidence is for height {offenceHeight}, not before {height}";
        if (height - offenceHeight > p.EvidenceMaxAgeBlocks) return $"evidence from height {offenceHeight} is older than {p.EvidenceMaxAgeBlocks} blocks";
        var info = ValidatorLedger.Info(state, offender);
        if (info is null) return $"{offender} has never been a validator";
        var key = OffenceKey(offender, offenceHeight);
        if (state.GetRecord(key, ChainTotals.Parser) is not null) return $"equivocation of {offender} at height {offenceHeight} is already punished";
        if (info.EquivocationPunishedAt != 0 && offenceHeight < info.JailedUntil)
            return $"equivocation of {offender} at height {offenceHeight} is part of the incident already punished at block {info.EquivocationPunishedAt} (jailed until {info.JailedUntil})";

        var stake = state.GetStake(offender);
        ulong bonded = stake.ValidatorStake, unbonding = 0;
        foreach (var u in stake.Unbonding)
            if (u.Role == StakeRole.Validator) unbonding = checked(unbonding + u.Amount);
        ulong penalty = (ulong)((UInt128)(bonded + unbonding) * p.SlashEquivocationPercent / 100);
        ulong fromBonded = Math.Min(penalty, bonded), rest = penalty - fromBonded;
        stake.ValidatorStake -= fromBonded;
        for (int i = 0; i < stake.Unbonding.Count && rest > 0; i++)
        {
            if (stake.Unbonding[i].Role != StakeRole.Validator) continue;
            ulong take = Math.Min(rest, stake.Unbonding[i].Amount);
            stake.Unbonding[i].Amount -= take;
            rest -= take;
        }
        state.MarkStakeDirty(offender);

        info.Slashed = checked(info.Slashed + penalty);
        info.Reputation = 0;
        info.JailedUntil = Math.Max(info.JailedUntil, checked(height + p.JailBlocks));
        info.EquivocationPunishedAt = height;
        state.SetRecord(StateKeys.ValidatorInfo(offender), info);

        var totals = state.GetRecord(StateKeys.ChainTotals, ChainTotals.Parser) ?? new ChainTotals { NextProposalId = 1 };
        totals.Burned = checked(totals.Burned + penalty);
        state.SetRecord(StateKeys.ChainTotals, totals);
        // The marker record only needs to exist; its content records the penalty for explorers.
        state.SetRecord(key, new ChainTotals { Burned = penalty });
        return null;
    }

    public static byte[] Encode(DuplicateVoteEvidence evidence) => evidence.ToByteArray();
}
