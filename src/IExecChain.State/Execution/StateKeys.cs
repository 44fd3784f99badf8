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
    private const byte AppKind = 0x0D;
    private const byte DatasetKind = 0x0E;
    private const byte WorkerpoolKind = 0x0F;
    private const byte WorkerKind = 0x10;
    private const byte OrderKind = 0x11;
    private const byte DealKind = 0x12;
    private const byte TaskKind = 0x13;
    private const byte TaskTimersKind = 0x14;
    private const byte MarketTotalsKind = 0x15;
    private const byte SpotCheckQueueKind = 0x16;
    private const byte BridgeTotalsKind = 0x17;
    private const byte WithdrawalKind = 0x18;
    private const byte WithdrawalPeriodKind = 0x19;
    private const byte DepositAttestationsKind = 0x1A;
    private const byte DepositKind = 0x1B;

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

    public static Hash256 App(Address id) => OfAddress(AppKind, id);

    public static Hash256 Dataset(Address id) => OfAddress(DatasetKind, id);

    public static Hash256 Workerpool(Address id) => OfAddress(WorkerpoolKind, id);

    public static Hash256 Worker(Address worker) => OfAddress(WorkerKind, worker);

    public static Hash256 Order(Hash256 hash) => OfHash(OrderKind, hash);

    public static Hash256 Deal(Hash256 id) => OfHash(DealKind, id);

    public static Hash256 Task(Hash256 id) => OfHash(TaskKind, id);

    /// <summary>Tasks with a deadline at this height (checked in that block's end-block work).</summary>
    public static Hash256 TaskTimers(ulong height) => OfNumber(TaskTimersKind, height);

    /// <summary>Tasks completed at height h − 1 with a rollback window: the spot-check draw of block h.</summary>
    public static Hash256 SpotCheckQueue(ulong height) => OfNumber(SpotCheckQueueKind, height);

    public static Hash256 MarketTotals { get; } = Keccak256.Hash([MarketTotalsKind]);

    public static Hash256 BridgeTotals { get; } = Keccak256.Hash([BridgeTotalsKind]);

    public static Hash256 Withdrawal(ulong id) => OfNumber(WithdrawalKind, id);

    /// <summary>The withdrawals of checkpoint period <paramref name="checkpoint"/> (first id, count, root).</summary>
    public static Hash256 WithdrawalPeriod(ulong checkpoint) => OfNumber(WithdrawalPeriodKind, checkpoint);

    /// <summary>Attestations of a deposit not yet credited.</summary>
    public static Hash256 DepositAttestations(ulong id) => OfNumber(DepositAttestationsKind, id);

    /// <summary>A credited deposit.</summary>
    public static Hash256 Deposit(ulong id) => OfNumber(DepositKind, id);

    public static Hash256 ParameterOverrides { get; } = Keccak256.Hash([ParameterOverridesKind]);

    private static Hash256 OfNumber(byte kind, ulong number)
    {
        Span<byte> buffer = stackalloc byte[9];
        buffer[0] = kind;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[1..], number);
        return Keccak256.Hash(buffer);
    }

    private static Hash256 OfHash(byte kind, Hash256 hash)
    {
        Span<byte> buffer = stackalloc byte[1 + Hash256.Size];
        buffer[0] = kind;
        hash.CopyTo(buffer[1..]);
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
