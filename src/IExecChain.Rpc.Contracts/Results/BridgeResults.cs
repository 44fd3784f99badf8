namespace IExecChain.Rpc.Contracts;

/// <summary>iex_bridgeStatus: the bridge's totals and the deposits validators are attesting now.</summary>
public sealed record BridgeStatusResult
{
    public required Quantity BlockNumber { get; init; }
    /// <summary>The bridge's settings from the chain spec; absent on a chain without a bridge.</summary>
    public BridgeSettingsResult? Bridge { get; init; }
    public required Quantity BridgedSupply { get; init; }
    public required Quantity DepositedTotal { get; init; }
    public required Quantity WithdrawnTotal { get; init; }
    public required Quantity NextDepositId { get; init; }
    public required Quantity NextWithdrawalId { get; init; }
    public required IReadOnlyList<DepositStatusResult> PendingDeposits { get; init; }
}

/// <summary>The chain spec's bridge: which Ethereum contract it follows and at what depth.</summary>
public sealed record BridgeSettingsResult(Quantity EthChainId, string Contract, Quantity Confirmations, Quantity StartBlock);

/// <summary>A deposit seen on Ethereum, as validators attest it.</summary>
public sealed record DepositResult(Quantity Id, string Depositor, string Recipient, Quantity Amount, string EthTxHash, Quantity EthBlockNumber);

/// <summary>
/// iex_getDeposit, and an entry of <see cref="BridgeStatusResult.PendingDeposits"/>. <see cref="Status"/> is
/// "credited" (with <see cref="Deposit"/>, <see cref="CreditedAt"/> and <see cref="Attesters"/>) or
/// "attesting" (with <see cref="TotalPower"/> and the <see cref="Candidates"/> validators saw).
/// </summary>
public sealed record DepositStatusResult(
    Quantity Id,
    string Status,
    DepositResult? Deposit = null,
    Quantity? CreditedAt = null,
    IReadOnlyList<string>? Attesters = null,
    Quantity? TotalPower = null,
    IReadOnlyList<DepositCandidateResult>? Candidates = null);

/// <summary>One version of a deposit and the validators (with their power) who attested it.</summary>
public sealed record DepositCandidateResult(DepositResult Deposit, IReadOnlyList<string> Attesters, Quantity Power);

/// <summary>
/// iex_getWithdrawal. <see cref="Status"/> is "in-period", "signing" (with <see cref="Proof"/>) or
/// "checkpointed" (with <see cref="Proof"/> and <see cref="Checkpoint"/>).
/// </summary>
public sealed record WithdrawalResult(
    Quantity Id,
    string Sender,
    string Recipient,
    Quantity Amount,
    Quantity Height,
    Quantity CheckpointNumber,
    string LeafHash,
    string Status,
    WithdrawalProofResult? Proof = null,
    CheckpointHeaderResult? Checkpoint = null);

/// <summary>The withdrawal's leaf at <see cref="Index"/> of <see cref="Count"/> in its period's withdrawals tree.</summary>
public sealed record WithdrawalProofResult(Quantity Index, Quantity Count, IReadOnlyList<string> Siblings, string WithdrawalsRoot);
