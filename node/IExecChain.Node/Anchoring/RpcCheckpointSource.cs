using System.Globalization;
using System.Text.Json;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.Node.Anchoring;

/// <summary>Checkpoints and their signatures as a sidechain node serves them (iex_getCheckpoint).</summary>
public sealed class RpcCheckpointSource(JsonRpcClient client) : ICheckpointSource
{
    public async Task<ulong?> GetLatestCheckpointNumberAsync(CancellationToken ct)
    {
        var result = await client.CallAsync("iex_getCheckpoint", "latest").ConfigureAwait(false);
        return result.ValueKind == JsonValueKind.Null ? null : JsonRpcClient.Quantity(result.GetProperty("number"));
    }

    /// <summary>A checkpoint as iex_getCheckpoint and iex_getWithdrawal serve it; the served digest is never trusted, it is recomputed from the fields.</summary>
    public static Checkpoint ParseCheckpoint(JsonElement json)
    {
        var checkpoint = new Checkpoint(
            JsonRpcClient.Quantity(json.GetProperty("chainId")),
            JsonRpcClient.Quantity(json.GetProperty("number")),
            JsonRpcClient.Quantity(json.GetProperty("firstHeight")),
            JsonRpcClient.Quantity(json.GetProperty("lastHeight")),
            Hash256.Parse(json.GetProperty("blocksRoot").GetString()!),
            Hash256.Parse(json.GetProperty("stateRoot").GetString()!),
            Hash256.Parse(json.GetProperty("nextValidatorSetHash").GetString()!),
            Hash256.Parse(json.GetProperty("withdrawalsRoot").GetString()!));
        if (checkpoint.Digest() != Hash256.Parse(json.GetProperty("digest").GetString()!))
            throw new AnchoringException($"checkpoint {checkpoint.Number} from the sidechain does not hash to its stated digest");
        return checkpoint;
    }

    public async Task<SignedCheckpoint?> GetCheckpointAsync(ulong number, CancellationToken ct)
    {
        var result = await client.CallAsync("iex_getCheckpoint", number.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        if (result.ValueKind == JsonValueKind.Null) return null;
        var checkpoint = ParseCheckpoint(result);
        var signatures = result.GetProperty("signatures").EnumerateArray()
            .Select(s => new CheckpointSignature(Address.Parse(s.GetProperty("validator").GetString()!), Hex.Decode(s.GetProperty("signature").GetString()!)))
            .ToList();
        var next = result.GetProperty("nextValidators").EnumerateArray()
            .Select(v => new ValidatorPower(Address.Parse(v.GetProperty("address").GetString()!), JsonRpcClient.Quantity(v.GetProperty("power"))))
            .ToList();
        return new SignedCheckpoint(checkpoint, signatures, next);
    }
}
