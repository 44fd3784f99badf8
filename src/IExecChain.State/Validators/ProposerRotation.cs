using IExecChain.Core.Primitives;

namespace IExecChain.State.Validators;

/// <summary>One validator as consensus sees it for a height: identity, voting power, proposer priority.</summary>
public readonly record struct WeightedValidator(Address Address, ulong Power, long Priority);

/// <summary>
/// Proposer rotation weighted by voting power (the priority algorithm of CometBFT): every step, each
/// validator's priority grows by its power, the highest priority proposes and pays the total power
/// back. Over many heights each validator proposes in proportion to its power. Priorities are
/// re-centred around zero and their spread is bounded by 2 × total power, so a validator that was
/// absent for long cannot hoard priority; a newcomer starts at −1.125 × total so joining does not
/// jump the queue.
/// Deterministic integer arithmetic only: every node must get the same proposer.
/// </summary>
public static class ProposerRotation
{
    /// <summary>Largest total power the arithmetic below handles without overflow.</summary>
    public const ulong MaxTotalPower = 1UL << 60;

    /// <summary>Priority of a validator that joins a set of <paramref name="totalPower"/>.</summary>
    public static long NewcomerPriority(ulong totalPower) => -checked((long)(totalPower + (totalPower >> 3)));

    /// <summary>Advances priorities by <paramref name="times"/> steps and returns the last proposer chosen.</summary>
    public static Address Advance(WeightedValidator[] validators, int times)
    {
        ArgumentNullException.ThrowIfNull(validators);
        if (validators.Length == 0) throw new ArgumentException("the validator set is empty", nameof(validators));
        if (times < 1) throw new ArgumentOutOfRangeException(nameof(times), "advance at least one step");
        ulong total = TotalPower(validators);
        RescaleAndCentre(validators, total);
        int chosen = 0;
        for (int step = 0; step < times; step++)
        {
            chosen = 0;
            for (int i = 0; i < validators.Length; i++)
            {
                var v = validators[i];
                validators[i] = v with { Priority = v.Priority + (long)v.Power };
                var best = validators[chosen];
                if (validators[i].Priority > best.Priority || (validators[i].Priority == best.Priority && validators[i].Address < best.Address))
                    chosen = i;
            }
            validators[chosen] = validators[chosen] with { Priority = validators[chosen].Priority - (long)total };
        }
        return validators[chosen].Address;
    }

    public static ulong TotalPower(ReadOnlySpan<WeightedValidator> validators)
    {
        ulong total = 0;
        foreach (var v in validators) total = checked(total + v.Power);
        if (total == 0) throw new ArgumentException("the validator set has no voting power");
        if (total > MaxTotalPower) throw new ArgumentException($"total voting power {total} exceeds {MaxTotalPower}");
        return total;
    }

    private static void RescaleAndCentre(WeightedValidator[] validators, ulong total)
    {
        long min = long.MaxValue, max = long.MinValue;
        foreach (var v in validators)
        {
            min = Math.Min(min, v.Priority);
            max = Math.Max(max, v.Priority);
        }
        Int128 spread = (Int128)max - min, limit = 2 * (Int128)total;
        if (spread > limit)
        {
            long ratio = (long)((spread + limit - 1) / limit);
            for (int i = 0; i < validators.Length; i++)
                validators[i] = validators[i] with { Priority = validators[i].Priority / ratio };
        }
        Int128 sum = 0;
        foreach (var v in validators) sum += v.Priority;
        long average = (long)FloorDiv(sum, validators.Length);
        for (int i = 0; i < validators.Length; i++)
            validators[i] = validators[i] with { Priority = validators[i].Priority - average };
    }

    private static Int128 FloorDiv(Int128 a, long b)
    {
        var q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }
}
