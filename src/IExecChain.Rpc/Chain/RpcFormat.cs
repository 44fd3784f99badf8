using System.Text.Json;
using IExecChain.Core.Blocks;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts;
using IExecChain.State.Execution;
using IExecChain.State.Market;

namespace IExecChain.Rpc.Chain;

/// <summary>
/// JSON shapes of chain objects. Quantities are 0x-hex strings (as on Ethereum), so 64-bit nRLC
/// amounts survive JavaScript clients; hashes and addresses are 0x-hex.
/// </summary>
public static class RpcFormat
{
    public static string Quantity(ulong value) => RpcQuantity.Format(value);

    public static string Bytes(ReadOnlySpan<byte> bytes) => Hex.Encode(bytes);

    private static Contracts.Quantity Q(ulong value) => new(value);

    /// <summary>A block with its transactions' hashes (<paramref name="formatTx"/> null) or the transactions themselves.</summary>
    public static object Block(ChainBlock block, Commit? commit, Func<Transaction, TransactionResult>? formatTx) =>
        formatTx is null
            ? Block(block, commit, block.Transactions.Select(t => t.Id.ToString()).ToArray())
            : Block(block, commit, block.Transactions.Select(formatTx).ToArray());

    private static BlockResult<T> Block<T>(ChainBlock block, Commit? commit, T[] transactions)
    {
        var h = block.Header;
        return new BlockResult<T>(
            Q(h.Height),
            block.Hash.ToString(),
            Bytes(h.ParentHash.Span),
            Q(h.TimeUnixMs),
            Q(h.ChainId),
            Bytes(h.StateRoot.Span),
            Bytes(h.TxRoot.Span),
            Bytes(h.ReceiptRoot.Span),
            Bytes(h.Proposer.Span),
            Bytes(h.ValidatorSetHash.Span),
            Bytes(h.NextValidatorSetHash.Span),
            Bytes(h.LastCommitHash.Span),
            Bytes(h.EvidenceHash.Span),
            Q(h.TxCount),
            transactions,
            commit is null ? null : Commit(commit),
            block.LastCommit is null ? null : Commit(block.LastCommit));
    }

    public static CommitResult Commit(Commit commit) => new(
        Q(commit.Height),
        commit.Round,
        Bytes(commit.BlockHash.Span),
        commit.Signatures.Select(s => new CommitSignatureResult(Bytes(s.Validator.Span), Bytes(s.Signature.Span), Q(s.TimeUnixMs))).ToArray());

    public static TransactionResult Transaction(Transaction tx, Receipt? receipt)
    {
        var b = tx.Body;
        object? payload = b.PayloadCase switch
        {
            TransactionBody.PayloadOneofCase.Transfer => new { to = Bytes(b.Transfer.To.Span), amount = Quantity(b.Transfer.Amount) },
            TransactionBody.PayloadOneofCase.Stake => new { role = RoleName(b.Stake.Role), amount = Quantity(b.Stake.Amount) },
            TransactionBody.PayloadOneofCase.Unstake => new { role = RoleName(b.Unstake.Role), amount = Quantity(b.Unstake.Amount) },
            TransactionBody.PayloadOneofCase.Contribute => new { taskId = Bytes(b.Contribute.TaskId.Span), resultHash = Bytes(b.Contribute.ResultHash.Span), resultSeal = Bytes(b.Contribute.ResultSeal.Span) },
            TransactionBody.PayloadOneofCase.Reveal => new { taskId = Bytes(b.Reveal.TaskId.Span), resultDigest = Bytes(b.Reveal.ResultDigest.Span) },
            TransactionBody.PayloadOneofCase.ReportFailure => new { taskId = Bytes(b.ReportFailure.TaskId.Span), failure = MarketBlock.FailureName(b.ReportFailure.Failure) },
            TransactionBody.PayloadOneofCase.Challenge => new { taskId = Bytes(b.Challenge.TaskId.Span) },
            TransactionBody.PayloadOneofCase.CancelOrder => new { orderHash = Bytes(b.CancelOrder.OrderHash.Span) },
            TransactionBody.PayloadOneofCase.JoinPool => new { workerpool = Bytes(b.JoinPool.Workerpool.Span), endpoint = b.JoinPool.Endpoint },
            TransactionBody.PayloadOneofCase.Withdraw => new { recipient = Bytes(b.Withdraw.Recipient.Span), amount = Quantity(b.Withdraw.Amount) },
            TransactionBody.PayloadOneofCase.AttestDeposits => new { deposits = b.AttestDeposits.Deposits.Select(Deposit).ToArray() },
            _ => null,
        };
        return new TransactionResult
        {
            Hash = tx.Id.ToString(),
            Type = TypeName(b.PayloadCase),
            From = tx.IsVerified ? tx.Sender.ToString() : receipt is null ? null : Bytes(receipt.Sender.Span),
            ChainId = Q(b.ChainId),
            Nonce = Q(b.Nonce),
            Fee = Q(b.Fee),
            // Its members differ by kind, so the record holds it as JSON, written with the server's own options.
            Payload = payload is null ? null : JsonSerializer.SerializeToElement(payload, RpcResponseWriter.SerializerOptions),
            BlockNumber = receipt is null ? null : Q(receipt.Height),
            TransactionIndex = receipt is null ? null : Q(receipt.Index),
            Raw = Bytes(tx.SignedBytes),
        };
    }

    public static DepositResult Deposit(BridgeDeposit d) => new(
        Q(d.Id),
        Bytes(d.Depositor.Span),
        Bytes(d.Recipient.Span),
        Q(d.Amount),
        Bytes(d.EthTxHash.Span),
        Q(d.EthBlockNumber));

    /// <summary>A receipt; <paramref name="body"/> (the transaction's) lets the error text name what only the transaction holds.</summary>
    public static ReceiptResult Receipt(Receipt r, TransactionBody? body) => new()
    {
        TransactionHash = Bytes(r.TxId.Span),
        BlockNumber = Q(r.Height),
        TransactionIndex = Q(r.Index),
        From = Bytes(r.Sender.Span),
        Status = r.Status == ReceiptStatus.Success ? "success" : "failed",
        Error = r.Status == ReceiptStatus.Success ? null : ReasonText.Default.Describe(r.Failure, body),
        Failure = r.Failure is null ? null : Reason(r.Failure),
        FeePaid = Q(r.FeePaid),
    };

    /// <summary>What the chain keeps of a reason (code and arguments), for programs; the text is beside it for people.</summary>
    public static FailureReason Reason(Reason reason) => new(
        (int)reason.Code,
        Core.Wire.Reason.Descriptor.FindFieldByNumber(Core.Wire.Reason.CodeFieldNumber).EnumType.FindValueByNumber((int)reason.Code)?.Name ?? reason.Code.ToString(),
        reason.Numbers.Select(n => new Contracts.Quantity(n)).ToArray(),
        reason.Ids.Select(id => Bytes(id.Span)).ToArray());

    public static string TypeName(TransactionBody.PayloadOneofCase kind) => kind switch
    {
        TransactionBody.PayloadOneofCase.Transfer => "transfer",
        TransactionBody.PayloadOneofCase.Stake => "stake",
        TransactionBody.PayloadOneofCase.Unstake => "unstake",
        TransactionBody.PayloadOneofCase.Propose => "propose",
        TransactionBody.PayloadOneofCase.Vote => "vote",
        TransactionBody.PayloadOneofCase.AnchorReceipt => "anchor-receipt",
        TransactionBody.PayloadOneofCase.RegisterApp => "register-app",
        TransactionBody.PayloadOneofCase.RegisterDataset => "register-dataset",
        TransactionBody.PayloadOneofCase.RegisterWorkerpool => "register-workerpool",
        TransactionBody.PayloadOneofCase.JoinPool => "join-pool",
        TransactionBody.PayloadOneofCase.LeavePool => "leave-pool",
        TransactionBody.PayloadOneofCase.PlaceOrder => "place-order",
        TransactionBody.PayloadOneofCase.CancelOrder => "cancel-order",
        TransactionBody.PayloadOneofCase.Contribute => "contribute",
        TransactionBody.PayloadOneofCase.Reveal => "reveal",
        TransactionBody.PayloadOneofCase.ReportFailure => "report-failure",
        TransactionBody.PayloadOneofCase.Challenge => "challenge",
        TransactionBody.PayloadOneofCase.Withdraw => "withdraw",
        TransactionBody.PayloadOneofCase.AttestDeposits => "attest-deposits",
        _ => "unknown",
    };

    public static string RoleName(StakeRole role) => role switch
    {
        StakeRole.Validator => "validator",
        StakeRole.Worker => "worker",
        _ => "unspecified",
    };
}
