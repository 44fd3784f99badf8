using System.Numerics;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.JsonRpc;
using IExecChain.Ethereum.Transactions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IExecChain.Ethereum.Anchoring;

/// <summary>
/// Carries signed checkpoints to the anchor contract, in order, one transaction in flight at a
/// time. What is already anchored (by anyone) is skipped after a read of the contract; every
/// transaction is simulated with eth_call first so a checkpoint the contract would refuse costs
/// nothing and fails with the contract's reason. Nonces come from the node, and a transaction
/// this key left pending (a crashed or restarted relayer) is waited for, then replaced, never
/// duplicated. Several relayers may race: the contract accepts each checkpoint once, and the
/// loser reports <see cref="AnchorStatus.AnchoredByOther"/>.
/// </summary>
public sealed partial class Relayer
{
    private readonly EthereumRpcClient _rpc;
    private readonly ICheckpointSource _source;
    private readonly PrivateKey _key;
    private readonly RelayerOptions _options;
    private readonly IFeeOracle _fees;
    private readonly ILogger _logger;
    private readonly AnchorContract _contract;
    private bool _checked;

    public Relayer(EthereumRpcClient rpc, ICheckpointSource source, PrivateKey key, RelayerOptions options, IFeeOracle? fees = null, ILogger<Relayer>? logger = null)
    {
        _rpc = rpc;
        _source = source;
        _key = key;
        _options = options;
        _fees = fees ?? new RpcFeeOracle(rpc);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _contract = new AnchorContract(rpc, options.AnchorContract);
    }

    public Address Address => _key.Address;

    /// <summary>Anchors every checkpoint the source has that the contract does not; returns what happened to each.</summary>
    public async Task<IReadOnlyList<AnchorOutcome>> RunOnceAsync(CancellationToken ct = default)
    {
        await CheckEndpointAsync(ct);
        var outcomes = new List<AnchorOutcome>();
        var latest = await _source.GetLatestCheckpointNumberAsync(ct);
        if (latest is null) return outcomes;
        var (next, _) = await _contract.NextAsync(ct);
        for (ulong number = next; number <= latest.Value; number++)
        {
            var signed = await _source.GetCheckpointAsync(number, ct)
                ?? throw new AnchoringException($"checkpoint source has no checkpoint {number} although it reported {latest} as the latest");
            outcomes.Add(await AnchorWithRetriesAsync(signed, ct));
        }
        return outcomes;
    }

    /// <summary>Calls <see cref="RunOnceAsync"/> every <paramref name="interval"/> until cancelled; logs and keeps going on errors.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(ct);
            }
            catch (Exception e) when (e is AnchoringException or EthereumRpcException or EthereumUnavailableException)
            {
                LogRoundFailed(_logger, e.Message);
            }
            await Task.Delay(interval, ct);
        }
    }

    /// <summary>Refuses a node on another chain and an address without the contract, before anything is signed.</summary>
    private async Task CheckEndpointAsync(CancellationToken ct)
    {
        if (_checked) return;
        ulong chainId = await _rpc.ChainIdAsync(ct);
        if (chainId != _options.EthereumChainId)
            throw new AnchoringException($"Ethereum node at {_rpc.Endpoint} is on chain {chainId}, the relayer is configured for chain {_options.EthereumChainId}");
        if ((await _rpc.GetCodeAsync(_options.AnchorContract, ct)).Length == 0)
            throw new AnchoringException($"no contract at {_options.AnchorContract} on chain {chainId}");
        _checked = true;
    }

    private async Task<AnchorOutcome> AnchorWithRetriesAsync(SignedCheckpoint signed, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await AnchorAsync(signed, ct);
            }
            catch (EthereumUnavailableException e) when (attempt < _options.MaxAttempts)
            {
                var delay = _options.RetryDelay * Math.Pow(2, attempt - 1);
                LogRetrying(_logger, signed.Checkpoint.Number, attempt, delay.TotalSeconds, e.Message);
                await Task.Delay(delay, ct);
            }
        }
    }

    private async Task<AnchorOutcome> AnchorAsync(SignedCheckpoint signed, CancellationToken ct)
    {
        var checkpoint = signed.Checkpoint;
        var set = await _contract.ValidatorSetAsync(ct);
        var signatures = QuorumSelector.Select(signed, set);
        bool rotates = checkpoint.NextValidatorSetHash != ValidatorSetDigest.Compute(set);
        var data = AnchorContract.AnchorCallData(checkpoint, signatures, rotates ? signed.NextValidatorSet : null);

        await WaitForOwnPendingAsync(ct);
        if (await _contract.IsAnchoredAsync(checkpoint, ct)) return new(checkpoint.Number, AnchorStatus.AnchoredByOther, null, 0);

        ulong gas;
        try
        {
            await _rpc.CallAsync(_options.AnchorContract, data, _key.Address, ct: ct);
            gas = await _rpc.EstimateGasAsync(_options.AnchorContract, data, _key.Address, ct);
        }
        catch (EthereumRpcException e) when (e.IsRevert)
        {
            if (AnchorContract.IsError(e.RevertData, "AlreadyAnchored") && await _contract.IsAnchoredAsync(checkpoint, ct))
                return new(checkpoint.Number, AnchorStatus.AnchoredByOther, null, 0);
            throw new AnchoringException($"anchor contract refuses checkpoint {checkpoint.Number}: {AnchorContract.DescribeRevert(e.RevertData)}", e);
        }
        gas = gas * (ulong)(100 + _options.GasMarginPercent) / 100;

        var (receipt, sent) = await SubmitAsync(checkpoint.Number, data, gas, ct);
        // A node may mine several of our replacements of one nonce and show the revert's receipt before
        // the success's (ganache 7 under load does): the event names the transaction that anchored, in
        // the revert's block or before it (the recent blocks are searched: ours were sent moments ago).
        if (!receipt.Succeeded
            && await _contract.AnchoringTransactionAsync(checkpoint.Number, receipt.BlockNumber - Math.Min(receipt.BlockNumber, RecentBlocks), ct) is { } anchoring
            && sent.Contains(anchoring))
            receipt = await WaitForReceiptAsync([anchoring], _options.StuckAfter, ct) ?? receipt;
        if (receipt.Succeeded)
        {
            LogAnchored(_logger, checkpoint.Number, receipt.TransactionHash.ToString(), receipt.GasUsed);
            return new(checkpoint.Number, AnchorStatus.Anchored, receipt.TransactionHash, receipt.GasUsed);
        }
        if (await _contract.IsAnchoredAsync(checkpoint, ct))
        {
            LogLostRace(_logger, checkpoint.Number, receipt.TransactionHash.ToString());
            return new(checkpoint.Number, AnchorStatus.AnchoredByOther, receipt.TransactionHash, receipt.GasUsed);
        }
        throw new AnchoringException($"anchor transaction {receipt.TransactionHash} for checkpoint {checkpoint.Number} reverted and the checkpoint is not anchored");
    }

    /// <summary>
    /// Sends the transaction and waits for it, replacing it with higher fees when the node calls
    /// it underpriced or when it stays unmined for <see cref="RelayerOptions.StuckAfter"/>. Every
    /// replacement reuses the nonce, so at most one of them is ever mined.
    /// </summary>
    /// <summary>How far back from a reverted receipt's block the anchoring event of our own replacement is looked for.</summary>
    private const ulong RecentBlocks = 256;

    private async Task<(TransactionReceipt Receipt, List<Hash256> Sent)> SubmitAsync(ulong number, byte[] data, ulong gas, CancellationToken ct)
    {
        // The lowest free nonce: a transaction of ours still pending there is replaced (the key is
        // the relayer's alone, and it keeps one transaction in flight).
        ulong nonce = await _rpc.GetTransactionCountAsync(_key.Address, "latest", ct);
        var fees = await _fees.GetFeesAsync(ct);
        var sent = new List<Hash256>();
        for (int bumps = 0; ; )
        {
            if (fees.MaxFeePerGas > _options.MaxFeePerGasCap)
                throw new AnchoringException($"checkpoint {number}: max fee {fees.MaxFeePerGas} wei/gas would exceed the cap of {_options.MaxFeePerGasCap}");
            var tx = new Eip1559Transaction(_options.EthereumChainId, nonce, fees.MaxPriorityFeePerGas, fees.MaxFeePerGas, gas,
                _options.AnchorContract, BigInteger.Zero, data).Sign(_key);
            string? refusal = await TrySendAsync(tx, ct);
            if (refusal is null)
            {
                sent.Add(tx.Hash);
                LogSent(_logger, number, tx.Hash.ToString(), nonce, (ulong)fees.MaxFeePerGas);
                if (await WaitForReceiptAsync(sent, _options.StuckAfter, ct) is { } receipt) return (receipt, sent);
                refusal = "not mined in time";
            }
            else if (refusal == "nonce used")
            {
                // Mined meanwhile: one of ours, or the nonce moved on under us.
                if (await WaitForReceiptAsync(sent, TimeSpan.Zero, ct) is { } mined) return (mined, sent);
                nonce = await _rpc.GetTransactionCountAsync(_key.Address, "latest", ct);
                continue;
            }
            if (++bumps > _options.MaxFeeBumps)
                throw new AnchoringException($"checkpoint {number}: gave up after {_options.MaxFeeBumps} fee bumps ({refusal})");
            fees = fees.Bump(_options.FeeBumpPercent).Max(await _fees.GetFeesAsync(ct));
            LogBumping(_logger, number, refusal, (ulong)fees.MaxFeePerGas);
        }
    }

    /// <summary>Null when accepted; a reason that warrants a fee bump, or "nonce used".</summary>
    private async Task<string?> TrySendAsync(SignedEip1559Transaction tx, CancellationToken ct)
    {
        try
        {
            await _rpc.SendRawTransactionAsync(tx.Raw, ct);
            return null;
        }
        catch (EthereumRpcException e)
        {
            var refusal = ClassifyRefusal(e.NodeMessage);
            if (refusal == SendRefusal.Other) throw;
            return refusal == SendRefusal.AlreadyKnown ? null : refusal == SendRefusal.NonceUsed ? "nonce used" : e.NodeMessage;
        }
    }

    internal enum SendRefusal { Other, AlreadyKnown, NonceUsed, Underpriced }

    /// <summary>
    /// What an Ethereum node's refusal of eth_sendRawTransaction means for the relayer. Each client
    /// words it its own way: geth and Erigon "nonce too low", Besu "NONCE_TOO_LOW", Nethermind
    /// "OldNonce", ganache "the tx doesn't have the correct nonce. account has nonce of: N tx has
    /// nonce of: M" (used only when M &lt; N: ganache queues a nonce ahead instead of refusing it), and
    /// "transaction can't be replaced, mining has already started" for a nonce in the block being mined.
    /// A used nonce is what a replacement meets when the transaction it replaces was mined meanwhile.
    /// </summary>
    internal static SendRefusal ClassifyRefusal(string nodeMessage)
    {
        string m = nodeMessage.ToLowerInvariant();
        if (m.Contains("already known") || m.Contains("already imported") || m.Contains("known transaction")) return SendRefusal.AlreadyKnown;
        if (m.Contains("nonce too low") || m.Contains("nonce_too_low") || m.Contains("oldnonce") || m.Contains("nonce has already been used")
            || m.Contains("can't be replaced, mining has already started")) return SendRefusal.NonceUsed;
        var ganache = GanacheNonce().Match(m);
        if (ganache.Success && ulong.TryParse(ganache.Groups[1].Value, out ulong account) && ulong.TryParse(ganache.Groups[2].Value, out ulong sent))
            return sent < account ? SendRefusal.NonceUsed : SendRefusal.Other;
        if (m.Contains("underpriced") || m.Contains("fee too low") || m.Contains("too low for the next block") || m.Contains("base fee") || m.Contains("basefee"))
            return SendRefusal.Underpriced;
        return SendRefusal.Other;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"account has nonce of:\s*(\d+)\s*tx has nonce of:\s*(\d+)")]
    private static partial System.Text.RegularExpressions.Regex GanacheNonce();

    /// <summary>
    /// A receipt of one of the candidates (replacements of one nonce), the successful one when there
    /// is one: a node may mine more than one of them (ganache 7 with its miner paused does), and then
    /// the first in our list can be a revert behind our own successful replacement.
    /// </summary>
    private async Task<TransactionReceipt?> WaitForReceiptAsync(List<Hash256> candidates, TimeSpan patience, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            TransactionReceipt? mined = null;
            foreach (var hash in candidates)
            {
                if (await _rpc.GetTransactionReceiptAsync(hash, ct) is not { } receipt) continue;
                if (receipt.Succeeded) return receipt;
                mined ??= receipt;
            }
            if (mined is not null) return mined;
            if (DateTime.UtcNow >= deadline) return null;
            await Task.Delay(_options.ReceiptPollInterval, ct);
        }
    }

    /// <summary>
    /// A transaction from this key still pending (sent before a restart, or by a twin) would
    /// race ours: wait for it up to <see cref="RelayerOptions.StuckAfter"/>; after that the
    /// caller's transaction takes the lowest free nonce with fresh fees and replaces it.
    /// </summary>
    private async Task WaitForOwnPendingAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + _options.StuckAfter;
        while (true)
        {
            ulong mined = await _rpc.GetTransactionCountAsync(_key.Address, "latest", ct);
            ulong pending = await _rpc.GetTransactionCountAsync(_key.Address, "pending", ct);
            if (pending <= mined) return;
            if (DateTime.UtcNow >= deadline)
            {
                LogReplacingPending(_logger, pending - mined, mined);
                return;
            }
            await Task.Delay(_options.ReceiptPollInterval, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "checkpoint {Number} anchored in {Tx} ({Gas} gas)")]
    private static partial void LogAnchored(ILogger logger, ulong number, string tx, ulong gas);

    [LoggerMessage(Level = LogLevel.Information, Message = "checkpoint {Number} was anchored by another relayer first; our {Tx} reverted")]
    private static partial void LogLostRace(ILogger logger, ulong number, string tx);

    [LoggerMessage(Level = LogLevel.Debug, Message = "checkpoint {Number}: sent {Tx} nonce {Nonce} max fee {MaxFee}")]
    private static partial void LogSent(ILogger logger, ulong number, string tx, ulong nonce, ulong maxFee);

    [LoggerMessage(Level = LogLevel.Warning, Message = "checkpoint {Number}: {Reason}; bumping max fee to {MaxFee}")]
    private static partial void LogBumping(ILogger logger, ulong number, string reason, ulong maxFee);

    [LoggerMessage(Level = LogLevel.Warning, Message = "checkpoint {Number}: attempt {Attempt} failed, retrying in {Seconds} s: {Error}")]
    private static partial void LogRetrying(ILogger logger, ulong number, int attempt, double seconds, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} transaction(s) from this key still pending; replacing from nonce {Nonce}")]
    private static partial void LogReplacingPending(ILogger logger, ulong count, ulong nonce);

    [LoggerMessage(Level = LogLevel.Error, Message = "relayer round failed: {Error}")]
    private static partial void LogRoundFailed(ILogger logger, string error);
}
