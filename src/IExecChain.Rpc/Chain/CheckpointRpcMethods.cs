using IExecChain.Core.Checkpoints;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts;
using IExecChain.State.Chain;
using IExecChain.State.Checkpoints;
using IExecChain.State.Execution;

namespace IExecChain.Rpc.Chain;

/// <summary>iex_getCheckpoint: a checkpoint recorded in the state, with the validators' signatures, for relayers.</summary>
public sealed class CheckpointRpcMethods(ulong chainId, BlockProcessor processor)
{
    public void RegisterAll(RpcMethodRegistry registry) =>
        registry.Register("iex_getCheckpoint", (p, _) => ValueTask.FromResult<object?>(GetCheckpoint(p)));

    private object? GetCheckpoint(RpcParams p)
    {
        var text = p.GetString(0, "number");
        ulong latest = StateReader.Totals(processor.Tree).LatestCheckpoint;
        ulong number;
        if (text == "latest") number = latest;
        else if (!RpcQuantity.TryParseHexOrDecimal(text, out number, out string? problem))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"number: {problem}; a checkpoint number is decimal, 0x-hex or \"latest\"");
        return Checkpoint(number, latest);
    }

    /// <summary>A checkpoint as iex_getCheckpoint shows it, or null when there is none with this number.</summary>
    internal object? Checkpoint(ulong number, ulong latest)
    {
        if (number == 0) return null;
        var bytes = processor.Tree.Get(StateKeys.Checkpoint(number));
        if (bytes is null) return null;
        var record = CheckpointRecord.Parser.ParseFrom(bytes);
        var signed = CheckpointLedger.ToSigned(chainId, record);
        return new
        {
            number = RpcFormat.Quantity(record.Number),
            chainId = RpcFormat.Quantity(chainId),
            firstHeight = RpcFormat.Quantity(record.FirstHeight),
            lastHeight = RpcFormat.Quantity(record.LastHeight),
            blocksRoot = signed.Checkpoint.BlocksRoot.ToString(),
            stateRoot = signed.Checkpoint.StateRoot.ToString(),
            nextValidatorSetHash = signed.Checkpoint.NextValidatorSetHash.ToString(),
            withdrawalsRoot = signed.Checkpoint.WithdrawalsRoot.ToString(),
            digest = signed.Checkpoint.Digest().ToString(),
            nextValidators = signed.NextValidatorSet.Select(v => new { address = v.Address.ToString(), power = RpcFormat.Quantity(v.Power) }).ToArray(),
            signatures = signed.Signatures.Select(s => new { validator = s.Validator.ToString(), signature = Hex.Encode(s.Signature) }).ToArray(),
            recordedAtHeight = RpcFormat.Quantity(record.RecordedAtHeight),
            anchors = record.Anchors.Select(a => new
            {
                relayer = new Address(a.Relayer.Span).ToString(),
                ethChainId = RpcFormat.Quantity(a.Receipt.EthChainId),
                anchorContract = new Address(a.Receipt.AnchorContract.Span).ToString(),
                ethTxHash = "0x" + Convert.ToHexStringLower(a.Receipt.EthTxHash.Span),
                ethBlockNumber = RpcFormat.Quantity(a.Receipt.EthBlockNumber),
                reportedAtHeight = RpcFormat.Quantity(a.ReportedAtHeight),
            }).ToArray(),
            latest = RpcFormat.Quantity(latest),
        };
    }
}
