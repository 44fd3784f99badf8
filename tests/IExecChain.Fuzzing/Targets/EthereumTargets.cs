using IExecChain.Ethereum.Abi;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.Rlp;
using IExecChain.Ethereum.Transactions;

namespace IExecChain.Fuzzing.Targets;

/// <summary>
/// What an Ethereum node (trusted by configuration, but not by this code) answers a relayer: ABI
/// return data of the anchor contract's views and RLP. Refusals are AbiException / RlpException
/// (a FormatException).
/// </summary>
public static class EthereumTargets
{
    private static readonly AbiFunction[] Views =
    [
        AnchorContract.NextFunction, AnchorContract.LatestCheckpointFunction, AnchorContract.AnchoredDigestFunction,
        AnchorContract.ValidatorSetFunction, AnchorContract.VerifyBlockHashFunction, AnchorContract.ChainIdFunction,
    ];

    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget("ethereum-abi", "eth_call return data of the anchor contract's views (relayer)", AbiOutput);
        yield return new FuzzTarget("ethereum-rlp", "RLP and EIP-1559 transaction encodings", RlpAndTransaction);
    }

    private static void AbiOutput(byte[] input)
    {
        // The first byte picks the view, so one corpus covers every output shape.
        if (input.Length == 0) return;
        var view = Views[input[0] % Views.Length];
        try
        {
            view.DecodeOutput(input.AsSpan(1));
        }
        catch (AbiException e) when (e.Message.Length > 0)
        {
        }
    }

    private static void RlpAndTransaction(byte[] input)
    {
        try
        {
            Rlp.Decode(input);
        }
        catch (FormatException e) when (e.Message.Length > 0)
        {
        }
        try
        {
            Eip1559Transaction.Decode(input);
        }
        catch (FormatException e) when (e.Message.Length > 0)
        {
        }
    }
}
