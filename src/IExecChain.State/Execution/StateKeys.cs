using System.Buffers.Binary;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.State.Execution;

/// <summary>
/// Where each record lives in the state tree: keccak256(kind byte ‖ identifier). Hashing spreads
/// keys evenly over the tree, and the kind byte keeps different records from ever colliding.
/// </summary>
public static class StateKeys
{
    private const byte AccountKind = 0x01;
    private const byte StakeKind = 0x02;
    private const byte UnbondingQueueKind = 0x03;
    private const byte ValidatorSetKind = 0x04;
    private const byte LastValidatorSetKind = 0x05;
    private const byte ValidatorInfoKind = 0x06;
    private const byte AdmittedValidatorsKind = 0x07;
    private const byte GovernanceProposalKind = 0x08;
    private const byte ChainTotalsKind = 0x09;
    private const byte ParameterOverridesKind = 0x0A;
    // 0x0B: equivocation offence markers (Validators.Equivocation.OffenceKey)
    private const byte CheckpointKind = 0x0C;

    public static Hash256 Account(Address address) => OfAddress(AccountKind, address);

    public static Hash256 Stake(Address address) => OfAddress(StakeKind, address);

    public static Hash256 UnbondingQueue(ulong height) => OfNumber(UnbondingQueueKind, height);

    /// <summary>The validators of the next height, with their proposer priorities.</summary>
    public static Hash256 ValidatorSet { get; } = Keccak256.Hash([ValidatorSetKind]);

    /// <summary>The validators of the height just executed: they signed the commit the next block carries.</summary>
    public static Hash256 LastValidatorSet { get; } = Keccak256.Hash([LastValidatorSetKind]);

    public static Hash256 ValidatorInfo(Address address) => OfAddress(ValidatorInfoKind, address);

    /// <summary>Addresses admitted by governance (or genesis), sorted: candidates for the next epoch's set.</summary>
    public static Hash256 AdmittedValidators { get; } = Keccak256.Hash([AdmittedValidatorsKind]);

    public static Hash256 GovernanceProposal(ulong id) => OfNumber(GovernanceProposalKind, id);

    public static Hash256 Checkpoint(ulong number) => OfNumber(CheckpointKind, number);

    public static Hash256 ChainTotals { get; } = Keccak256.Hash([ChainTotalsKind]);

    public static Hash256 ParameterOverrides { get; } = Keccak256.Hash([ParameterOverridesKind]);

    private static Hash256 OfNumber(byte kind, ulong number)
    {
        Span<byte> buffer = stackalloc byte[9];
        buffer[0] = kind;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[1..], number);
        return Keccak256.Hash(buffer);
    }

    private static Hash256 OfAddress(byte kind, Address address)
    {
        Span<byte> buffer = stackalloc byte[1 + Address.Size];
        buffer[0] = kind;
        address.CopyTo(buffer[1..]);
        return Keccak256.Hash(buffer);
    }
}
