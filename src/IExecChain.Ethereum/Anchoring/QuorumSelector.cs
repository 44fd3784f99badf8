using IExecChain.Core.Checkpoints;
using IExecChain.Core.Primitives;

namespace IExecChain.Ethereum.Anchoring;

/// <summary>
/// Picks the signatures to send: only those that verify against the contract's current set,
/// the fewest that hold more than 2/3 of the power (largest powers first, since every signature
/// costs ~4,300 gas), then ordered by set index as the contract requires.
/// </summary>
public static class QuorumSelector
{
    public static IReadOnlyList<(int Index, byte[] Signature)> Select(SignedCheckpoint signed, IReadOnlyList<ValidatorPower> currentSet)
    {
        var digest = signed.Checkpoint.Digest();
        var indexOf = new Dictionary<Address, int>(currentSet.Count);
        for (int i = 0; i < currentSet.Count; i++) indexOf[currentSet[i].Address] = i;

        var valid = new List<(int Index, byte[] Signature)>();
        var seen = new HashSet<int>();
        foreach (var s in signed.Signatures)
        {
            if (!indexOf.TryGetValue(s.Validator, out int index) || !seen.Add(index)) continue;
            if (!AnchorContract.TryRecover(digest, s.Signature, out var signer) || signer != s.Validator) continue;
            valid.Add((index, s.Signature));
        }
        valid.Sort((a, b) => currentSet[b.Index].Power.CompareTo(currentSet[a.Index].Power));

        UInt128 total = 0, signedPower = 0;
        foreach (var v in currentSet) total += v.Power;
        var chosen = new List<(int Index, byte[] Signature)>();
        foreach (var v in valid)
        {
            if (signedPower * 3 > total * 2) break;
            chosen.Add(v);
            signedPower += currentSet[v.Index].Power;
        }
        if (signedPower * 3 <= total * 2)
            throw new AnchoringException(
                $"checkpoint {signed.Checkpoint.Number} has valid signatures for {signedPower} of {total} voting power; more than 2/3 is needed");
        chosen.Sort((a, b) => a.Index.CompareTo(b.Index));
        return chosen;
    }
}
