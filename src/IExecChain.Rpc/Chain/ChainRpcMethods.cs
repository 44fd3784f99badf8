using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.TxPool;

namespace IExecChain.Rpc.Chain;

/// <summary>The iex_* methods of a node: reads from the finalized chain, writes into the mempool.</summary>
public sealed class ChainRpcMethods
{
    private readonly ChainSpec _spec;
    private readonly BlockProcessor _processor;
    private readonly Mempool _mempool;
    private readonly Func<object> _nodeInfo;
    private readonly string? _specJson;
    private readonly AdmissionControl? _admission;

    /// <param name="specJson">The chain spec file this node runs, served by iex_chainSpec (null: the method answers null).</param>
    /// <param name="admission">Refuses submissions beyond what the chain commits soon (null: only the pool's hard limits).</param>
    public ChainRpcMethods(ChainSpec spec, BlockProcessor processor, Mempool mempool, Func<object> nodeInfo, string? specJson = null, AdmissionControl? admission = null)
    {
        _spec = spec;
        _processor = processor;
        _mempool = mempool;
        _nodeInfo = nodeInfo;
        _specJson = specJson;
        _admission = admission;
    }

    public void RegisterAll(RpcMethodRegistry registry)
    {
        registry.Register("iex_chainId", (_, _) => Done(RpcFormat.Quantity(_spec.ChainId)));
        registry.Register("iex_blockNumber", (_, _) => Done(RpcFormat.Quantity(_processor.Head.Height)));
        registry.Register("iex_getBlockByNumber", (p, _) => Done(GetBlockByNumber(p)));
        registry.Register("iex_getBlockByHash", (p, _) => Done(GetBlockByHash(p)));
        registry.Register("iex_sendRawTransaction", (p, _) => Done(SendRawTransaction(p)));
        registry.Register("iex_getTransaction", (p, _) => Done(GetTransaction(p)));
        registry.Register("iex_getReceipt", (p, _) => Done(GetReceipt(p)));
        registry.Register("iex_getAccount", (p, _) => Done(GetAccount(p)));
        registry.Register("iex_getProof", (p, _) => Done(GetProof(p)));
        registry.Register("iex_nodeInfo", (_, _) => Done(_nodeInfo()));
        registry.Register("iex_chainSpec", (_, _) => Done(_specJson));
    }

    private static ValueTask<object?> Done(object? result) => ValueTask.FromResult(result);

    private object? GetBlockByNumber(RpcParams p)
    {
        var tag = p.GetString(0, "number");
        bool full = p.GetOptionalBool(1, "fullTransactions", false);
        ulong head = _processor.Head.Height;
        ulong height = tag switch
        {
            "latest" or "finalized" => head,
            "earliest" => 0,
            _ => ParseQuantity(tag, "number"),
        };
        if (height > head) return null;
        return FormatBlock(height, full);
    }

    private object? GetBlockByHash(RpcParams p)
    {
        var hash = ParseHash(p.GetString(0, "hash"), "hash");
        bool full = p.GetOptionalBool(1, "fullTransactions", false);
        var height = _processor.Blocks.GetHeight(hash);
        return height is null ? null : FormatBlock(height.Value, full);
    }

    private object? FormatBlock(ulong height, bool full)
    {
        var block = _processor.Blocks.GetBlock(height);
        if (block is null && height > 0 && height < _processor.Blocks.LowestHeight)
            throw new RpcException(RpcErrorCodes.NotFound, $"block {height} is not held by this node: it keeps blocks from {_processor.Blocks.LowestHeight} (and genesis); ask an archive node");
        if (block is null) return null;
        var commit = _processor.Blocks.GetCommit(height);
        return RpcFormat.Block(block, commit, full ? tx => RpcFormat.Transaction(tx, _processor.Blocks.GetReceipt(tx.Id)) : null);
    }

    private string SendRawTransaction(RpcParams p)
    {
        var hex = p.GetString(0, "transaction");
        if (!Hex.TryDecode(hex, out var bytes, out var hexError))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: transaction must be hex ({hexError})");
        if (!TransactionCodec.TryDecode(bytes, _spec.ChainId, _spec.Parameters.MaxTransactionBytes, out var tx, out var error))
            throw new RpcException(RpcErrorCodes.TransactionRejected, $"transaction rejected: {error}");
        // Admission is decided before the signature is checked: refusing costs a decode, not a recovery.
        // A transaction sent again while pending is answered as before, busy or not.
        int senderLimit = int.MaxValue;
        if (_admission is not null && !_mempool.Contains(tx!.Id))
        {
            var admission = _admission.Check(tx.Kind);
            if (!admission.Admitted)
                throw new RpcException(RpcErrorCodes.ResourceLimit, $"transaction refused: {admission.Refusal}", new { hash = tx.Id.ToString(), retryAfterMs = admission.RetryAfterMs });
            senderLimit = admission.SenderLimit;
        }
        // A transaction already in a block needs no lookup here: its nonce is used, so the mempool refuses it.
        var result = _mempool.Add(tx!, senderLimit: senderLimit);
        if (result.Kind == MempoolResultKind.SenderLimit)
        {
            int retry = _admission!.SenderRefused();
            throw new RpcException(RpcErrorCodes.ResourceLimit, $"transaction refused: {result.Reason}; retry in {retry} ms", new { hash = tx!.Id.ToString(), retryAfterMs = retry });
        }
        if (!result.IsAccepted)
            throw new RpcException(result.Kind == MempoolResultKind.Full ? RpcErrorCodes.ResourceLimit : RpcErrorCodes.TransactionRejected,
                $"transaction rejected: {result.Reason}", new { hash = tx!.Id.ToString() });
        return tx!.Id.ToString();
    }

    private TransactionResult? GetTransaction(RpcParams p)
    {
        var id = ParseHash(p.GetString(0, "hash"), "hash");
        var receipt = _processor.Blocks.GetReceipt(id);
        if (receipt is null) return null;
        var block = _processor.Blocks.GetBlock(receipt.Height);
        if (block is null || receipt.Index >= block.Transactions.Count) return null;
        var tx = block.Transactions[(int)receipt.Index];
        return RpcFormat.Transaction(tx, receipt);
    }

    private ReceiptResult? GetReceipt(RpcParams p)
    {
        var id = ParseHash(p.GetString(0, "hash"), "hash");
        var receipt = _processor.Blocks.GetReceipt(id);
        if (receipt is null) return null;
        // Only a failure's words may need the transaction (ReasonText re-reads some details from it).
        TransactionBody? body = null;
        if (receipt.Status != ReceiptStatus.Success && _processor.Blocks.GetBlock(receipt.Height) is { } block && receipt.Index < block.Transactions.Count)
            body = block.Transactions[(int)receipt.Index].Body;
        return RpcFormat.Receipt(receipt, body);
    }

    private AccountResult GetAccount(RpcParams p)
    {
        var address = ParseAddress(p.GetString(0, "address"));
        var (head, account, stake) = _processor.ReadAtHead((head, tree) => (head, StateReader.Account(tree, address), StateReader.Stake(tree, address)));
        return new AccountResult(
            address.ToString(),
            new Quantity(head.Height),
            new Quantity(account.Balance),
            new Quantity(account.Frozen),
            new Quantity(account.Nonce),
            new Quantity(_mempool.NextNonce(address)),
            new Quantity(stake.ValidatorStake),
            new Quantity(stake.WorkerStake),
            stake.Unbonding.Select(u => new UnbondingResult(RpcFormat.RoleName(u.Role), new Quantity(u.Amount), new Quantity(u.ReleaseHeight))).ToArray());
    }

    private ProofResult GetProof(RpcParams p)
    {
        var address = ParseAddress(p.GetString(0, "address"));
        var kind = p.GetOptionalString(1, "record") ?? "account";
        var key = kind switch
        {
            "account" => StateKeys.Account(address),
            "stake" => StateKeys.Stake(address),
            _ => throw new RpcException(RpcErrorCodes.InvalidParams, "invalid params: record must be \"account\" or \"stake\""),
        };
        var (head, proof) = _processor.ReadAtHead((head, tree) => (head, tree.GetProof(key)));
        return new ProofResult
        {
            Address = address.ToString(),
            Record = kind,
            Key = key.ToString(),
            BlockNumber = new Quantity(head.Height),
            StateRoot = proof.Root.ToString(),
            Value = proof.Value is null ? null : RpcFormat.Bytes(proof.Value),
            Siblings = proof.Siblings.Select(s => s.ToString()).ToArray(),
            OtherLeafKey = proof.OtherLeafKey?.ToString(),
            OtherLeafValueHash = proof.OtherLeafValueHash?.ToString(),
        };
    }

    private static ulong ParseQuantity(string text, string name)
    {
        if (RpcQuantity.TryParseHexOrDecimal(text, out ulong height, out string? problem)) return height;
        // What is wrong with a number is worth saying; an unknown tag ("pending") is answered by the list of tags.
        string detail = text.Length > 0 && char.IsAsciiDigit(text[0]) ? ": " + problem : "";
        throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: {name} must be a block number (0x-hex or decimal) or \"latest\"/\"earliest\"{detail}");
    }

    private static Hash256 ParseHash(string text, string name) =>
        Hash256.TryParse(text, out var hash) ? hash : throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: {name} must be a 32-byte 0x-hex hash");

    private static Address ParseAddress(string text) =>
        Address.TryParse(text, out var address, out var error) ? address : throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: address {error}");
}
