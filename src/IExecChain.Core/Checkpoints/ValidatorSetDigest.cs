using System.Buffers.Binary;
using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Checkpoints;

/// <summary>A validator and its voting power as a checkpoint commits to them.</summary>
public readonly record struct ValidatorPower(Address Address, ulong Power);

/// <summary>
/// keccak256("iExecChain/validator-set/v1" ‖ entry₁ ‖ … ‖ entryₙ) with each entry one 32-byte
/// word: address (20 bytes) ‖ power (12-byte big-endian, i.e. a uint96), entries strictly
/// ascending by address, powers non-zero, 1 to 255 entries. The anchor contract stores the
/// entries in exactly this form, so it hashes them without re-encoding.
/// </summary>
public static class ValidatorSetDigest
{
    public const int MaxValidators = 255;
    public const int EntrySize = 32;
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("iExecChain/validator-set/v1");

    public static Hash256 Compute(IReadOnlyList<ValidatorPower> validators)
    {
        Validate(validators);
        var hasher = new Keccak256.Incremental();
        hasher.Append(Domain);
        Span<byte> entry = stackalloc byte[EntrySize];
        foreach (var validator in validators)
        {
            WriteEntry(validator, entry);
            hasher.Append(entry);
        }
        return hasher.Finish();
    }

    /// <summary>address ‖ uint96 power, as the contract stores an entry.</summary>
    public static void WriteEntry(ValidatorPower validator, Span<byte> destination)
    {
        validator.Address.CopyTo(destination);
        destination.Slice(Address.Size, 4).Clear();
        BinaryPrimitives.WriteUInt64BigEndian(destination[(Address.Size + 4)..], validator.Power);
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless the set is one the contract accepts.</summary>
    public static void Validate(IReadOnlyList<ValidatorPower> validators)
    {
        if (Problem(validators) is { } problem) throw new ArgumentException(problem, nameof(validators));
    }

    /// <summary>Why the set is not one the contract accepts, or null when it is: for a set read from a peer.</summary>
    public static string? Problem(IReadOnlyList<ValidatorPower> validators)
    {
        ArgumentNullException.ThrowIfNull(validators);
        if (validators.Count is 0 or > MaxValidators) return $"a validator set has 1 to {MaxValidators} validators, got {validators.Count}";
        for (int i = 0; i < validators.Count; i++)
        {
            if (validators[i].Power == 0) return $"validator {validators[i].Address} has zero power";
            if (i > 0 && validators[i].Address <= validators[i - 1].Address) return "validators must be strictly ascending by address";
        }
        return null;
    }
}
