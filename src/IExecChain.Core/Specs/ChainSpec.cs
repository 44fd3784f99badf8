using IExecChain.Core.Primitives;

namespace IExecChain.Core.Specs;

/// <summary>
/// What consensus depends on: identity of the chain, genesis state and protocol parameters.
/// Operator settings (ports, paths, peers) never live here.
/// </summary>
public sealed record ChainSpec
{
    public required string Name { get; init; }
    public required ulong ChainId { get; init; }
    public required ulong GenesisTimeUnixMs { get; init; }
    public required ChainParameters Parameters { get; init; }
    public required IReadOnlyList<GenesisAccount> Accounts { get; init; }
    public required IReadOnlyList<GenesisValidator> Validators { get; init; }
}

public sealed record ChainParameters
{
    public required int BlockIntervalMs { get; init; }
    public required int MaxBlockTransactions { get; init; }
    public required int MaxBlockBytes { get; init; }
    public required int MaxTransactionBytes { get; init; }
    public required ulong UnbondingPeriodBlocks { get; init; }
    public required ulong MinValidatorStake { get; init; }
    public required ulong MinWorkerStake { get; init; }
    public required ulong EpochLength { get; init; }
    public required FeeSchedule Fees { get; init; }
}

/// <summary>Fixed fee per transaction type, in nRLC; a transaction may offer more for priority.</summary>
public sealed record FeeSchedule
{
    public required ulong Transfer { get; init; }
    public required ulong Stake { get; init; }
    public required ulong Unstake { get; init; }
}

public sealed record GenesisAccount(Address Address, ulong Balance);

public sealed record GenesisValidator(Address Address, byte[] PublicKey, ulong Stake);
