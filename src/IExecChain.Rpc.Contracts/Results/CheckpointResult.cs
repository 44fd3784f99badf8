namespace IExecChain.Rpc.Contracts;

/// <summary>
/// The fields of a checkpoint that its digest covers (and the digest the node computed), as
/// iex_getWithdrawal shows them; <see cref="CheckpointResult"/> shows the same fields (number first) and
/// what iex_getCheckpoint adds. Two records, not one derived from the other: the two answers put the
/// number and chain id in a different order, which one record hierarchy cannot write both ways.
/// </summary>
public record CheckpointHeaderResult(
    Quantity ChainId,
    Quantity Number,
    Quantity FirstHeight,
    Quantity LastHeight,
    string BlocksRoot,
    string StateRoot,
    string NextValidatorSetHash,
    string WithdrawalsRoot,
    string Digest);

/// <summary>iex_getCheckpoint: a checkpoint, the validators' signatures of its digest and where it was anchored.</summary>
public sealed record CheckpointResult(
    Quantity Number,
    Quantity ChainId,
    Quantity FirstHeight,
    Quantity LastHeight,
    string BlocksRoot,
    string StateRoot,
    string NextValidatorSetHash,
    string WithdrawalsRoot,
    string Digest,
    IReadOnlyList<ValidatorPowerResult> NextValidators,
    IReadOnlyList<CheckpointSignatureResult> Signatures,
    Quantity RecordedAtHeight,
    IReadOnlyList<AnchorResult> Anchors,
    Quantity Latest)
{
    /// <summary>The fields the digest covers, as iex_getWithdrawal shows them.</summary>
    public CheckpointHeaderResult ToHeader() =>
        new(ChainId, Number, FirstHeight, LastHeight, BlocksRoot, StateRoot, NextValidatorSetHash, WithdrawalsRoot, Digest);
}

public sealed record ValidatorPowerResult(string Address, Quantity Power);

public sealed record CheckpointSignatureResult(string Validator, string Signature);

/// <summary>An Ethereum transaction that anchored the checkpoint, as its relayer reported it.</summary>
public sealed record AnchorResult(
    string Relayer,
    Quantity EthChainId,
    string AnchorContract,
    string EthTxHash,
    Quantity EthBlockNumber,
    Quantity ReportedAtHeight);
