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
public sealed record CommitResult(Quantity Height, int Round, string BlockHash, IReadOnlyList<CommitSignatureResult> Signatures);

public sealed record CommitSignatureResult(string Validator, string Signature, Quantity Timestamp);

/// <summary>
/// iex_getTransaction, and a transaction of a block read with full transactions. <see cref="Payload"/>
/// is the part of the body the node shows for this <see cref="Type"/> (absent for the kinds it does
/// not detail): its members differ by type, so it stays JSON.
/// </summary>
public sealed record TransactionResult(
    string Hash,
    string Type,
    Quantity ChainId,
    Quantity Nonce,
    Quantity Fee,
    string Raw,
    string? From = null,
    JsonElement? Payload = null,
    Quantity? BlockNumber = null,
    Quantity? TransactionIndex = null);

/// <summary>iex_getReceipt: what a transaction did. <see cref="Error"/> is for people, <see cref="Failure"/> for programs.</summary>
public sealed record ReceiptResult(
    string TransactionHash,
    Quantity BlockNumber,
    Quantity TransactionIndex,
    string From,
    string Status,
    Quantity FeePaid,
    string? Error = null,
    FailureReason? Failure = null)
{
    [JsonIgnore]
    public bool Succeeded => Status == "success";
}

/// <summary>What the chain keeps of a failure: a code and its arguments.</summary>
public sealed record FailureReason(int Code, string Name, IReadOnlyList<Quantity> Numbers, IReadOnlyList<string> Ids);

/// <summary>iex_getProof: a state-tree proof of an account or stake record (or of its absence).</summary>
public sealed record ProofResult(
    string Address,
    string Record,
    string Key,
    Quantity BlockNumber,
    string StateRoot,
    IReadOnlyList<string> Siblings,
    string? Value = null,
    string? OtherLeafKey = null,
    string? OtherLeafValueHash = null);
