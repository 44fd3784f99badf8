using System.Numerics;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.JsonRpc;
using IExecChain.Ethereum.Rlp;

namespace IExecChain.Ethereum.Transactions;

/// <summary>A transaction Ethereum refused, or that reverted: the message says which and why.</summary>
public sealed class EthereumTransactionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Sends a user's transactions one at a time (the bridge commands, contract deployments): gas from
/// eth_estimateGas plus 20 %, EIP-1559 fees from <see cref="RpcFeeOracle"/>, the account's pending
/// nonce, and waits for the receipt. A call that would revert is refused before anything is signed,
/// with the contract's error by name. The relayer, which must keep one transaction in flight across
/// fee spikes and restarts, has its own loop (<see cref="Relayer"/>).
/// </summary>
public sealed class EthereumSender(EthereumRpcClient rpc, PrivateKey key, ulong chainId)
{
    public Address Address => key.Address;
    public ulong ChainId => chainId;
    public EthereumRpcClient Rpc => rpc;

    /// <summary>How long a sent transaction may stay unmined before the sender gives up waiting.</summary>
    public TimeSpan ReceiptTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A sender for <paramref name="key"/> on the chain the endpoint serves, refused when it is not <paramref name="expectedChainId"/>.</summary>
    public static async Task<EthereumSender> ConnectAsync(EthereumRpcClient rpc, PrivateKey key, ulong? expectedChainId = null, CancellationToken ct = default)
    {
        ulong chainId = await rpc.ChainIdAsync(ct).ConfigureAwait(false);
        if (expectedChainId is { } expected && expected != chainId)
            throw new EthereumTransactionException($"the Ethereum node at {rpc.Endpoint} is on chain {chainId}, expected chain {expected}");
        return new EthereumSender(rpc, key, chainId);
    }

    /// <summary>
    /// Sends <paramref name="data"/> to <paramref name="to"/> (null: creates a contract) and waits for
    /// the receipt; throws <see cref="EthereumTransactionException"/> when it would revert or did.
    /// </summary>
    public Task<TransactionReceipt> SendAsync(Address? to, byte[] data, string what, Func<byte[]?, string> describeRevert, CancellationToken ct = default) =>
        SendAsync(to, BigInteger.Zero, data, what, describeRevert, ct);

    /// <summary>Sends <paramref name="wei"/> of ether to the account <paramref name="to"/> (not a contract: 21,000 gas) and waits for the receipt.</summary>
    public Task<TransactionReceipt> TransferAsync(Address to, BigInteger wei, CancellationToken ct = default) =>
        SendAsync(to, wei, [], $"sending {wei} wei to {to}", data => Hex.Encode(data ?? []), ct);

    private async Task<TransactionReceipt> SendAsync(Address? to, BigInteger value, byte[] data, string what, Func<byte[]?, string> describeRevert, CancellationToken ct)
    {
        ulong gas;
        try
        {
            // eth_call first: nodes put a revert's data in its error, which names the contract's error.
            if (to is { } target && data.Length > 0) await rpc.CallAsync(target, data, key.Address, ct: ct).ConfigureAwait(false);
            // A plain transfer to an account costs exactly 21,000; anything else is estimated, plus 20 %.
            gas = value.IsZero ? await rpc.EstimateGasAsync(to, data, key.Address, ct).ConfigureAwait(false) * 12 / 10 : 21_000;
        }
        catch (EthereumRpcException e) when (e.IsRevert)
        {
            throw new EthereumTransactionException($"{what} would revert: {describeRevert(e.RevertData)}", e);
        }
        var fees = await new RpcFeeOracle(rpc).GetFeesAsync(ct).ConfigureAwait(false);
        ulong nonce = await rpc.GetTransactionCountAsync(key.Address, "pending", ct).ConfigureAwait(false);
        var tx = new Eip1559Transaction(chainId, nonce, fees.MaxPriorityFeePerGas, fees.MaxFeePerGas, gas, to, value, data).Sign(key);
        Hash256 hash;
        try
        {
            hash = await rpc.SendRawTransactionAsync(tx.Raw, ct).ConfigureAwait(false);
        }
        catch (EthereumRpcException e)
        {
            throw new EthereumTransactionException($"{what}: the Ethereum node refused the transaction: {e.NodeMessage}", e);
        }
        var deadline = DateTime.UtcNow + ReceiptTimeout;
        while (true)
        {
            if (await rpc.GetTransactionReceiptAsync(hash, ct).ConfigureAwait(false) is { } receipt)
            {
                if (!receipt.Succeeded) throw new EthereumTransactionException($"{what}: transaction {hash} reverted in block {receipt.BlockNumber}");
                return receipt;
            }
            if (DateTime.UtcNow >= deadline) throw new EthereumTransactionException($"{what}: transaction {hash} was not mined within {ReceiptTimeout.TotalSeconds:0} s; it may still be: look it up before sending again");
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The address a contract created by <paramref name="sender"/> with <paramref name="nonce"/> gets: keccak256(rlp([sender, nonce]))[12..].</summary>
    public static Address CreateAddress(Address sender, ulong nonce)
    {
        var encoded = Rlp.Rlp.Encode(RlpItem.List(RlpItem.Of(sender.ToArray()), RlpItem.Of(nonce)));
        return new Address(Keccak256.HashToArray(encoded).AsSpan(12));
    }
}
