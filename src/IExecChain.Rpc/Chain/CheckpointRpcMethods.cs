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

    private CheckpointResult? GetCheckpoint(RpcParams p)
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
    internal CheckpointResult? Checkpoint(ulong number, ulong latest)
    {
        if (number == 0) return null;
        var bytes = processor.Tree.Get(StateKeys.Checkpoint(number));
        if (bytes is null) return null;
        var record = CheckpointRecord.Parser.ParseFrom(bytes);
        var signed = CheckpointLedger.ToSigned(chainId, record);
        return new CheckpointResult(
            new Quantity(record.Number),
            new Quantity(chainId),
            new Quantity(record.FirstHeight),
            new Quantity(record.LastHeight),
            signed.Checkpoint.BlocksRoot.ToString(),
            signed.Checkpoint.StateRoot.ToString(),
            signed.Checkpoint.NextValidatorSetHash.ToString(),
            signed.Checkpoint.WithdrawalsRoot.ToString(),
            signed.Checkpoint.Digest().ToString(),
            signed.NextValidatorSet.Select(v => new ValidatorPowerResult(v.Address.ToString(), new Quantity(v.Power))).ToArray(),
            signed.Signatures.Select(s => new CheckpointSignatureResult(s.Validator.ToString(), Hex.Encode(s.Signature))).ToArray(),
            new Quantity(record.RecordedAtHeight),
            record.Anchors.Select(a => new AnchorResult(
                new Address(a.Relayer.Span).ToString(),
                new Quantity(a.Receipt.EthChainId),
                new Address(a.Receipt.AnchorContract.Span).ToString(),
                "0x" + Convert.ToHexStringLower(a.Receipt.EthTxHash.Span),
                new Quantity(a.Receipt.EthBlockNumber),
                new Quantity(a.ReportedAtHeight))).ToArray(),
            new Quantity(latest));
    }
}
