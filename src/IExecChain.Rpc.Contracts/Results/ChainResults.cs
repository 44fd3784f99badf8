using System.Text.Json;
using System.Text.Json.Serialization;

namespace IExecChain.Rpc.Contracts;

/// <summary>iex_getAccount: balances and stakes at <see cref="BlockNumber"/>; <see cref="PendingNonce"/> counts the mempool too.</summary>
public sealed record AccountResult(
    string Address,
    Quantity BlockNumber,
    Quantity Balance,
    Quantity Frozen,
    Quantity Nonce,
    Quantity PendingNonce,
    Quantity ValidatorStake,
    Quantity WorkerStake,
    IReadOnlyList<UnbondingResult> Unbonding);

/// <summary>Stake on its way out: released to the balance at <see cref="ReleaseHeight"/>.</summary>
public sealed record UnbondingResult(string Role, Quantity Amount, Quantity ReleaseHeight);

/// <summary>
/// iex_getBlockByNumber and iex_getBlockByHash. <typeparamref name="TTransaction"/> is <see cref="string"/>
/// (the transaction hashes) unless the call asked for full transactions (<see cref="TransactionResult"/>).
/// </summary>
public sealed record BlockResult<TTransaction>(
    Quantity Number,
    string Hash,
    string ParentHash,
    Quantity Timestamp,
    Quantity ChainId,
    string StateRoot,
    string TransactionsRoot,
    string ReceiptsRoot,
    string Proposer,
    string ValidatorSetHash,
    string NextValidatorSetHash,
    string LastCommitHash,
    string EvidenceHash,
    Quantity TransactionCount,
    IReadOnlyList<TTransaction> Transactions,
    CommitResult? Commit = null,
    CommitResult? LastCommit = null);

/// <summary>The precommits that finalized a block.</summary>
public sealed record CommitResult(Quantity Height, uint Round, string BlockHash, IReadOnlyList<CommitSignatureResult> Signatures);

public sealed record CommitSignatureResult(string Validator, string Signature, Quantity Timestamp);

/// <summary>
/// iex_getTransaction, and a transaction of a block read with full transactions. <see cref="Payload"/>
/// is the part of the body the node shows for this <see cref="Type"/> (absent for the kinds it does
/// not detail): its members differ by type, so it stays JSON.
/// </summary>
public sealed record TransactionResult
{
    public required string Hash { get; init; }
    public required string Type { get; init; }
    /// <summary>The sender; absent only for a transaction the node could not attribute (never for one in a block).</summary>
    public string? From { get; init; }
    public required Quantity ChainId { get; init; }
    public required Quantity Nonce { get; init; }
    public required Quantity Fee { get; init; }
    public JsonElement? Payload { get; init; }
    public Quantity? BlockNumber { get; init; }
    public Quantity? TransactionIndex { get; init; }
    public required string Raw { get; init; }
}

/// <summary>iex_getReceipt: what a transaction did. <see cref="Error"/> is for people, <see cref="Failure"/> for programs.</summary>
public sealed record ReceiptResult
{
    public required string TransactionHash { get; init; }
    public required Quantity BlockNumber { get; init; }
    public required Quantity TransactionIndex { get; init; }
    public required string From { get; init; }
    public required string Status { get; init; }
    public string? Error { get; init; }
    public FailureReason? Failure { get; init; }
    public required Quantity FeePaid { get; init; }

    [JsonIgnore]
    public bool Succeeded => Status == "success";
}

/// <summary>What the chain keeps of a failure: a code and its arguments.</summary>
public sealed record FailureReason(int Code, string Name, IReadOnlyList<Quantity> Numbers, IReadOnlyList<string> Ids);

/// <summary>iex_getProof: a state-tree proof of an account or stake record (or of its absence).</summary>
public sealed record ProofResult
{
    public required string Address { get; init; }
    public required string Record { get; init; }
    public required string Key { get; init; }
    public required Quantity BlockNumber { get; init; }
    public required string StateRoot { get; init; }
    /// <summary>The record's bytes, 0x-hex; absent in a proof of absence.</summary>
    public string? Value { get; init; }
    public required IReadOnlyList<string> Siblings { get; init; }
    public string? OtherLeafKey { get; init; }
    public string? OtherLeafValueHash { get; init; }
}
