using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Checkpoints;

/// <summary>A checkpoint a joining node trusts without checking: given by its operator, or read from the anchor contract on Ethereum.</summary>
public sealed record TrustedCheckpoint(ulong Number, Hash256 Digest);

/// <summary>
/// A light client over checkpoints (docs/state-sync.md): from a trusted checkpoint, each following one
/// is accepted when more than 2/3 of the power of the set the previous one named (its next validator
/// set, which its digest covers) signed its digest. The same rule as the anchor contract, so a chain of
/// checkpoints this accepts is one the contract would anchor. The last accepted checkpoint's state root
/// is what a snapshot at its last height must restore to.
/// </summary>
public static class CheckpointChain
{
    /// <summary>
    /// Verifies <paramref name="chain"/>: the trusted checkpoint first, then consecutive ones. Returns the
    /// last; throws <see cref="CheckpointChainException"/> naming the first checkpoint that fails and why.
    /// </summary>
    public static Checkpoint Verify(ulong chainId, TrustedCheckpoint trusted, IReadOnlyList<SignedCheckpoint> chain)
    {
        ArgumentNullException.ThrowIfNull(trusted);
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0) throw new CheckpointChainException("no checkpoints given");
        var first = chain[0].Checkpoint;
        if (first.Number != trusted.Number || first.ChainId != chainId || first.Digest() != trusted.Digest)
            throw new CheckpointChainException($"checkpoint {first.Number} (digest {first.Digest()}) is not the trusted checkpoint {trusted.Number} ({trusted.Digest})");
        var signers = NextSet(chain[0], null);
        for (int i = 1; i < chain.Count; i++)
        {
            var previous = chain[i - 1].Checkpoint;
            var checkpoint = chain[i].Checkpoint;
            if (checkpoint.ChainId != chainId) throw Refused(checkpoint, $"it is for chain {checkpoint.ChainId}");
            if (checkpoint.Number != previous.Number + 1 || checkpoint.FirstHeight != previous.LastHeight + 1 || checkpoint.LastHeight < checkpoint.FirstHeight)
                throw Refused(checkpoint, $"it does not follow checkpoint {previous.Number} (blocks {checkpoint.FirstHeight} to {checkpoint.LastHeight} after {previous.LastHeight})");
            if (Problem(checkpoint, chain[i].Signatures, signers) is { } problem) throw Refused(checkpoint, problem);
            signers = NextSet(chain[i], signers);
        }
        return chain[^1].Checkpoint;
    }

    /// <summary>Null when signatures from distinct members of <paramref name="set"/>, each recovering to its member, hold more than 2/3 of its power.</summary>
    public static string? Problem(Checkpoint checkpoint, IReadOnlyList<CheckpointSignature> signatures, IReadOnlyList<ValidatorPower> set)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(signatures);
        ArgumentNullException.ThrowIfNull(set);
        var digest = checkpoint.Digest();
        var power = new Dictionary<Address, ulong>(set.Count);
        UInt128 total = 0, signed = 0;
        foreach (var v in set)
        {
            power[v.Address] = v.Power;
            total += v.Power;
        }
        var counted = new HashSet<Address>();
        foreach (var s in signatures)
        {
            if (!power.TryGetValue(s.Validator, out ulong p) || !counted.Add(s.Validator)) continue;
            if (s.Signature.Length != 65 || !Secp256k1.TryRecoverAddress(digest, s.Signature, out var signer) || signer != s.Validator)
                return $"the signature of {s.Validator} does not verify";
            signed += p;
        }
        return signed * 3 > total * 2 ? null : $"signatures hold {signed} of the signing set's {total} power; more than 2/3 is needed";
    }

    private static IReadOnlyList<ValidatorPower> NextSet(SignedCheckpoint signed, IReadOnlyList<ValidatorPower>? current)
    {
        var next = signed.NextValidatorSet.Count > 0 ? signed.NextValidatorSet : current
            ?? throw Refused(signed.Checkpoint, "it does not carry the set that signs the next checkpoint");
        // The set comes from a peer: one the digest cannot be taken of is refused here, not thrown as an ArgumentException.
        if (ValidatorSetDigest.Problem(next) is { } problem) throw Refused(signed.Checkpoint, $"the next validator set it carries is malformed: {problem}");
        if (ValidatorSetDigest.Compute(next) != signed.Checkpoint.NextValidatorSetHash)
            throw Refused(signed.Checkpoint, "the next validator set it carries does not hash to the one its digest names");
        return next;
    }

    private static CheckpointChainException Refused(Checkpoint checkpoint, string why) => new($"checkpoint {checkpoint.Number} refused: {why}");
}

/// <summary>A chain of checkpoints that does not lead from the trusted one: the message names the checkpoint and why.</summary>
public sealed class CheckpointChainException(string message) : Exception(message);
