using IExecChain.Core.Checkpoints;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.Node.Anchoring;

/// <summary>Checkpoints and their signatures as a sidechain node serves them (iex_getCheckpoint).</summary>
public sealed class RpcCheckpointSource(NodeRpcClient node) : ICheckpointSource
{
    public async Task<ulong?> GetLatestCheckpointNumberAsync(CancellationToken ct) =>
        (await node.GetLatestCheckpointAsync().ConfigureAwait(false))?.Number;

    /// <summary>A checkpoint as iex_getCheckpoint and iex_getWithdrawal serve it; the served digest is never trusted, it is recomputed from the fields.</summary>
    public static Checkpoint ParseCheckpoint(CheckpointHeaderResult served)
    {
        var checkpoint = new Checkpoint(
            served.ChainId,
            served.Number,
            served.FirstHeight,
            served.LastHeight,
            Hash256.Parse(served.BlocksRoot),
            Hash256.Parse(served.StateRoot),
            Hash256.Parse(served.NextValidatorSetHash),
            Hash256.Parse(served.WithdrawalsRoot));
        if (checkpoint.Digest() != Hash256.Parse(served.Digest))
            throw new AnchoringException($"checkpoint {checkpoint.Number} from the sidechain does not hash to its stated digest");
        return checkpoint;
    }

    public async Task<SignedCheckpoint?> GetCheckpointAsync(ulong number, CancellationToken ct)
    {
        if (await node.GetCheckpointAsync(number).ConfigureAwait(false) is not { } served) return null;
        var checkpoint = ParseCheckpoint(served.ToHeader());
        var signatures = served.Signatures.Select(s => new CheckpointSignature(Address.Parse(s.Validator), Hex.Decode(s.Signature))).ToList();
        var next = served.NextValidators.Select(v => new ValidatorPower(Address.Parse(v.Address), v.Power)).ToList();
        return new SignedCheckpoint(checkpoint, signatures, next);
    }
}
