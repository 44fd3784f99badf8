using System.Numerics;
using IExecChain.Ethereum.JsonRpc;

namespace IExecChain.Ethereum.Anchoring;

/// <summary>EIP-1559 fee caps for a transaction.</summary>
public readonly record struct Fees(BigInteger MaxPriorityFeePerGas, BigInteger MaxFeePerGas)
{
    /// <summary>Both caps raised by <paramref name="percent"/> (at least 1 wei), as a replacement needs.</summary>
    public Fees Bump(int percent) => new(Raise(MaxPriorityFeePerGas, percent), Raise(MaxFeePerGas, percent));

    /// <summary>The larger of each cap.</summary>
    public Fees Max(Fees other) => new(BigInteger.Max(MaxPriorityFeePerGas, other.MaxPriorityFeePerGas), BigInteger.Max(MaxFeePerGas, other.MaxFeePerGas));

    private static BigInteger Raise(BigInteger value, int percent) => BigInteger.Max(value + 1, value * (100 + percent) / 100);
}

public interface IFeeOracle
{
    Task<Fees> GetFeesAsync(CancellationToken ct);
}

/// <summary>
/// Tip = the larger of eth_maxPriorityFeePerGas and the median tip of the last 5 blocks
/// (eth_feeHistory); max fee = 2 × next base fee + tip, which survives six full blocks of base
/// fee growth. A node without eth_feeHistory gets tip = eth_gasPrice and max fee = 2 × eth_gasPrice.
/// </summary>
public sealed class RpcFeeOracle(EthereumRpcClient rpc) : IFeeOracle
{
    public async Task<Fees> GetFeesAsync(CancellationToken ct)
    {
        try
        {
            var history = await rpc.FeeHistoryAsync(5, 50, ct);
            BigInteger tip = 0;
            try
            {
                tip = await rpc.MaxPriorityFeePerGasAsync(ct);
            }
            catch (EthereumRpcException)
            {
                // optional method; the fee history is enough
            }
            var rewards = history.PriorityFees.OrderBy(r => r).ToList();
            if (rewards.Count > 0) tip = BigInteger.Max(tip, rewards[rewards.Count / 2]);
            if (tip.IsZero) tip = 1;
            return new Fees(tip, 2 * history.NextBaseFee + tip);
        }
        catch (EthereumRpcException)
        {
            var price = await rpc.GasPriceAsync(ct);
            return new Fees(price, 2 * price);
        }
    }
}
