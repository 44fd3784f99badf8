using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.Core.Transactions;

/// <summary>
/// Decodes signed transactions and rejects every non-canonical form: the signature covers the
/// body bytes as sent, so the body must re-encode to exactly those bytes (no unknown fields,
/// no explicit defaults, no reordering), or two encodings of one body would get two ids.
/// </summary>
public static class TransactionCodec
{
    public const int SignatureLength = 65;
    public const int AbsoluteMaxSize = 64 * 1024;

    private static readonly MessageParser<SignedTransaction> SignedParser =
        SignedTransaction.Parser.WithDiscardUnknownFields(true);
    private static readonly MessageParser<TransactionBody> BodyParser =
        TransactionBody.Parser.WithDiscardUnknownFields(true);

    public static bool TryDecode(byte[] signedBytes, ulong chainId, int maxSize, out Transaction? transaction, out string? error)
    {
        transaction = null;
        if (signedBytes.Length == 0) { error = "empty transaction"; return false; }
        if (signedBytes.Length > Math.Min(maxSize, AbsoluteMaxSize)) { error = $"transaction is {signedBytes.Length} bytes, limit is {Math.Min(maxSize, AbsoluteMaxSize)}"; return false; }

        SignedTransaction signed;
        TransactionBody body;
        try
        {
            signed = SignedParser.ParseFrom(signedBytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            error = $"malformed transaction encoding: {e.Message}";
            return false;
        }
        if (signed.Signature.Length != SignatureLength) { error = $"signature must be {SignatureLength} bytes, got {signed.Signature.Length}"; return false; }
        if (signed.Body.IsEmpty) { error = "transaction body is empty"; return false; }
        if (!IsCanonical(signed, signedBytes)) { error = "non-canonical transaction encoding"; return false; }
        var bodyBytes = signed.Body.ToByteArray();
        try
        {
            body = BodyParser.ParseFrom(bodyBytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            error = $"malformed transaction body: {e.Message}";
            return false;
        }
        if (!IsCanonical(body, bodyBytes)) { error = "non-canonical transaction body encoding"; return false; }
        if (body.ChainId != chainId) { error = $"wrong chain id {body.ChainId}, this chain is {chainId}"; return false; }
        if (!TryCheckPayload(body, out error)) return false;

        transaction = new Transaction(signedBytes, Keccak256.Hash(signedBytes), bodyBytes, Keccak256.Hash(bodyBytes), body, signed.Signature.ToByteArray());
        return true;
    }

    /// <summary>Signs a body and returns the signed transaction bytes.</summary>
    public static byte[] Sign(TransactionBody body, PrivateKey key)
    {
        var bodyBytes = body.ToByteArray();
        var signature = key.Sign(Keccak256.Hash(bodyBytes));
        var signed = new SignedTransaction { Body = ByteString.CopyFrom(bodyBytes), Signature = ByteString.CopyFrom(signature) };
        return signed.ToByteArray();
    }

    private static bool IsCanonical(IMessage message, ReadOnlySpan<byte> original)
    {
        int size = message.CalculateSize();
        if (size != original.Length) return false;
        Span<byte> buffer = size <= 1024 ? stackalloc byte[size] : new byte[size];
        message.WriteTo(buffer);
        return buffer.SequenceEqual(original);
    }

    private static string? Length(ByteString bytes, int expected, string field) =>
        bytes.Length == expected ? null : $"{field} must be {expected} bytes, got {bytes.Length}";

    private static string? Name(string name, string field) =>
        name.Length is 0 or > 64 ? $"{field} must be 1 to 64 characters"
        : name.Any(c => c < 0x20 || c > 0x7E) ? $"{field} must be printable ASCII"
        : null;

    /// <summary>An http(s) URL of at most 256 characters.</summary>
    private static string? Endpoint(string url, string field) =>
        url.Length is 0 or > 256 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")
            ? $"{field} must be an http(s) URL of at most 256 characters, got '{(url.Length > 64 ? url[..64] + "..." : url)}'"
            : null;

    /// <summary>Most deposits one AttestDeposits transaction may carry.</summary>
    public const int MaxAttestedDeposits = 64;

    private static string? CheckDeposits(AttestDeposits attest)
    {
        if (attest.Deposits.Count is 0 or > MaxAttestedDeposits) return $"attest_deposits.deposits must hold 1 to {MaxAttestedDeposits} deposits, got {attest.Deposits.Count}";
        for (int i = 0; i < attest.Deposits.Count; i++)
        {
            var d = attest.Deposits[i];
            var field = $"attest_deposits.deposits[{i}]";
            var error = (i > 0 && d.Id <= attest.Deposits[i - 1].Id ? $"{field}.id {d.Id} does not follow {attest.Deposits[i - 1].Id}: ids must ascend" : null)
                ?? Length(d.Depositor, Address.Size, field + ".depositor")
                ?? Length(d.Recipient, Address.Size, field + ".recipient")
                ?? (d.Amount == 0 ? $"{field}.amount must be positive" : null)
                ?? Length(d.EthTxHash, 32, field + ".eth_tx_hash");
            if (error is not null) return error;
        }
        return null;
    }

    private static bool TryCheckPayload(TransactionBody body, out string? error)
    {
        error = null;
        switch (body.PayloadCase)
        {
            case TransactionBody.PayloadOneofCase.Transfer:
                if (body.Transfer.To.Length != Address.Size) error = $"transfer.to must be a {Address.Size}-byte address";
                else if (body.Transfer.Amount == 0) error = "transfer.amount must be positive";
                break;
            case TransactionBody.PayloadOneofCase.Stake:
                if (body.Stake.Role == StakeRole.Unspecified) error = "stake.role must be validator or worker";
                else if (!Enum.IsDefined(body.Stake.Role)) error = $"stake.role {(int)body.Stake.Role} is unknown";
                else if (body.Stake.Amount == 0) error = "stake.amount must be positive";
                break;
            case TransactionBody.PayloadOneofCase.Unstake:
                if (body.Unstake.Role == StakeRole.Unspecified) error = "unstake.role must be validator or worker";
                else if (!Enum.IsDefined(body.Unstake.Role)) error = $"unstake.role {(int)body.Unstake.Role} is unknown";
                else if (body.Unstake.Amount == 0) error = "unstake.amount must be positive";
                break;
            case TransactionBody.PayloadOneofCase.Propose:
                if (body.Propose.ActionCase == GovernancePropose.ActionOneofCase.None) error = "propose has no action";
                else if (body.Propose.DescriptionHash.Length != 32) error = $"propose.description_hash must be 32 bytes, got {body.Propose.DescriptionHash.Length}";
                break;
            case TransactionBody.PayloadOneofCase.AnchorReceipt:
                var receipt = body.AnchorReceipt;
                if (receipt.CheckpointNumber == 0) error = "anchor_receipt.checkpoint_number must be positive";
                else if (receipt.EthTxHash.Length != 32) error = $"anchor_receipt.eth_tx_hash must be 32 bytes, got {receipt.EthTxHash.Length}";
                else if (receipt.AnchorContract.Length != 20) error = $"anchor_receipt.anchor_contract must be 20 bytes, got {receipt.AnchorContract.Length}";
                else if (receipt.EthChainId == 0) error = "anchor_receipt.eth_chain_id must be positive";
                break;
            case TransactionBody.PayloadOneofCase.Vote:
                if (body.Vote.ProposalId == 0) error = "vote.proposal_id must be positive";
                break;
            case TransactionBody.PayloadOneofCase.RegisterApp:
                var app = body.RegisterApp;
                error = Name(app.Name, "register_app.name")
                    ?? (app.Runtime is AppRuntime.Wasm or AppRuntime.Native ? null : "register_app.runtime must be wasm or native")
                    ?? Length(app.ContentRoot, 32, "register_app.content_root")
                    ?? (app.Runtime == AppRuntime.Wasm && app.ContentSize == 0 ? "register_app.content_size must be positive" : null)
                    ?? (app.Runtime == AppRuntime.Wasm ? Endpoint(app.Endpoint, "register_app.endpoint") : null)
                    ?? (app.Runtime == AppRuntime.Native && string.IsNullOrWhiteSpace(app.Manifest) ? "register_app.manifest must name the command of a native app" : null)
                    ?? (app.Manifest.Length > 1024 ? "register_app.manifest is longer than 1,024 characters" : null);
                break;
            case TransactionBody.PayloadOneofCase.RegisterDataset:
                var dataset = body.RegisterDataset;
                error = Name(dataset.Name, "register_dataset.name") ?? Length(dataset.ContentRoot, 32, "register_dataset.content_root")
                    ?? Endpoint(dataset.Endpoint, "register_dataset.endpoint");
                break;
            case TransactionBody.PayloadOneofCase.RegisterWorkerpool:
                var pool = body.RegisterWorkerpool;
                error = pool.Description.Length > 256 ? "register_workerpool.description is longer than 256 characters"
                    : pool.WorkerStakeRatio > 100 ? "register_workerpool.worker_stake_ratio is a percentage (0..100)"
                    : pool.SchedulerRewardRatio > 100 ? "register_workerpool.scheduler_reward_ratio is a percentage (0..100)"
                    : pool.WorkerAllow.Count > 64 ? "register_workerpool.worker_allow lists at most 64 workers"
                    : pool.WorkerAllow.Any(a => a.Length != Address.Size) ? "register_workerpool.worker_allow entries must be 20-byte addresses"
                    : null;
                break;
            case TransactionBody.PayloadOneofCase.JoinPool:
                error = Length(body.JoinPool.Workerpool, Address.Size, "join_pool.workerpool") ?? Endpoint(body.JoinPool.Endpoint, "join_pool.endpoint");
                break;
            case TransactionBody.PayloadOneofCase.LeavePool:
                break;
            case TransactionBody.PayloadOneofCase.PlaceOrder:
                if (body.PlaceOrder.OrderCase == PlaceOrder.OrderOneofCase.None) error = "place_order carries no order";
                break;
            case TransactionBody.PayloadOneofCase.CancelOrder:
                error = Length(body.CancelOrder.OrderHash, 32, "cancel_order.order_hash");
                break;
            case TransactionBody.PayloadOneofCase.Contribute:
                error = Length(body.Contribute.TaskId, 32, "contribute.task_id") ?? Length(body.Contribute.ResultHash, 32, "contribute.result_hash")
                    ?? Length(body.Contribute.ResultSeal, 32, "contribute.result_seal");
                break;
            case TransactionBody.PayloadOneofCase.Reveal:
                error = Length(body.Reveal.TaskId, 32, "reveal.task_id") ?? Length(body.Reveal.ResultDigest, 32, "reveal.result_digest");
                break;
            case TransactionBody.PayloadOneofCase.ReportFailure:
                error = Length(body.ReportFailure.TaskId, 32, "report_failure.task_id")
                    ?? (body.ReportFailure.Failure == ReplicaFailure.Unspecified || !Enum.IsDefined(body.ReportFailure.Failure)
                        ? $"report_failure.failure {(int)body.ReportFailure.Failure} is not a known failure (1..{(int)Enum.GetValues<ReplicaFailure>().Max()})" : null);
                break;
            case TransactionBody.PayloadOneofCase.Challenge:
                error = Length(body.Challenge.TaskId, 32, "challenge.task_id");
                break;
            case TransactionBody.PayloadOneofCase.Withdraw:
                error = Length(body.Withdraw.Recipient, Address.Size, "withdraw.recipient")
                    ?? (body.Withdraw.Recipient.Span.IndexOfAnyExcept((byte)0) < 0 ? "withdraw.recipient must not be the zero address" : null)
                    ?? (body.Withdraw.Amount == 0 ? "withdraw.amount must be positive" : null);
                break;
            case TransactionBody.PayloadOneofCase.AttestDeposits:
                error = CheckDeposits(body.AttestDeposits);
                break;
            case TransactionBody.PayloadOneofCase.None:
                error = "transaction has no payload (or a payload type this node does not know)";
                break;
            default:
                error = $"payload {body.PayloadCase} is not supported";
                break;
        }
        return error is null;
    }
}
