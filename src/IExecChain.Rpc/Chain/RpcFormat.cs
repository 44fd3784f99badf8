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

    public static object Block(ChainBlock block, Commit? commit, bool fullTransactions, Func<Transaction, object> formatTx)
    {
        var h = block.Header;
        object txs = fullTransactions
            ? block.Transactions.Select(formatTx).ToArray()
            : block.Transactions.Select(t => t.Id.ToString()).ToArray();
        return new
        {
            number = Quantity(h.Height),
            hash = block.Hash.ToString(),
            parentHash = Bytes(h.ParentHash.Span),
            timestamp = Quantity(h.TimeUnixMs),
            chainId = Quantity(h.ChainId),
            stateRoot = Bytes(h.StateRoot.Span),
            transactionsRoot = Bytes(h.TxRoot.Span),
            receiptsRoot = Bytes(h.ReceiptRoot.Span),
            proposer = Bytes(h.Proposer.Span),
            validatorSetHash = Bytes(h.ValidatorSetHash.Span),
            nextValidatorSetHash = Bytes(h.NextValidatorSetHash.Span),
            lastCommitHash = Bytes(h.LastCommitHash.Span),
            evidenceHash = Bytes(h.EvidenceHash.Span),
            transactionCount = Quantity(h.TxCount),
            transactions = txs,
            commit = commit is null ? null : Commit(commit),
            lastCommit = block.LastCommit is null ? null : Commit(block.LastCommit),
        };
    }

    public static object Commit(Commit commit) => new
    {
        height = Quantity(commit.Height),
        round = commit.Round,
        blockHash = Bytes(commit.BlockHash.Span),
        signatures = commit.Signatures.Select(s => new { validator = Bytes(s.Validator.Span), signature = Bytes(s.Signature.Span), timestamp = Quantity(s.TimeUnixMs) }).ToArray(),
    };

    public static object Transaction(Transaction tx, Receipt? receipt)
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
        return new
        {
            hash = tx.Id.ToString(),
            type = TypeName(b.PayloadCase),
            from = tx.IsVerified ? tx.Sender.ToString() : receipt is null ? null : Bytes(receipt.Sender.Span),
            chainId = Quantity(b.ChainId),
            nonce = Quantity(b.Nonce),
            fee = Quantity(b.Fee),
            payload,
            blockNumber = receipt is null ? null : Quantity(receipt.Height),
            transactionIndex = receipt is null ? null : Quantity(receipt.Index),
            raw = Bytes(tx.SignedBytes),
        };
    }

    public static object Deposit(BridgeDeposit d) => new
    {
        id = Quantity(d.Id),
        depositor = Bytes(d.Depositor.Span),
        recipient = Bytes(d.Recipient.Span),
        amount = Quantity(d.Amount),
        ethTxHash = Bytes(d.EthTxHash.Span),
        ethBlockNumber = Quantity(d.EthBlockNumber),
    };

    /// <summary>A receipt; <paramref name="body"/> (the transaction's) lets the error text name what only the transaction holds.</summary>
    public static object Receipt(Receipt r, TransactionBody? body) => new
    {
        transactionHash = Bytes(r.TxId.Span),
        blockNumber = Quantity(r.Height),
        transactionIndex = Quantity(r.Index),
        from = Bytes(r.Sender.Span),
        status = r.Status == ReceiptStatus.Success ? "success" : "failed",
        error = r.Status == ReceiptStatus.Success ? null : ReasonText.Default.Describe(r.Failure, body),
        failure = r.Failure is null ? null : Reason(r.Failure),
        feePaid = Quantity(r.FeePaid),
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
