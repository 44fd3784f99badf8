using System.Globalization;
using System.Text.Json;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Rpc.Client;

namespace IExecChain.Node.Anchoring;

/// <summary>Checkpoints and their signatures as a sidechain node serves them (iex_getCheckpoint).</summary>
public sealed class RpcCheckpointSource(JsonRpcClient client) : ICheckpointSource
{
    public async Task<ulong?> GetLatestCheckpointNumberAsync(CancellationToken ct)
    {
        var result = await client.CallAsync("iex_getCheckpoint", "latest").ConfigureAwait(false);
        return result.ValueKind == JsonValueKind.Null ? null : JsonRpcClient.Quantity(result.GetProperty("number"));
    }

    public async Task<SignedCheckpoint?> GetCheckpointAsync(ulong number, CancellationToken ct)
    {
        var result = await client.CallAsync("iex_getCheckpoint", number.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        if (result.ValueKind == JsonValueKind.Null) return null;
        var checkpoint = new Checkpoint(
            JsonRpcClient.Quantity(result.GetProperty("chainId")),
            JsonRpcClient.Quantity(result.GetProperty("number")),
            JsonRpcClient.Quantity(result.GetProperty("firstHeight")),
            JsonRpcClient.Quantity(result.GetProperty("lastHeight")),
            Hash256.Parse(result.GetProperty("blocksRoot").GetString()!),
            Hash256.Parse(result.GetProperty("stateRoot").GetString()!),
            Hash256.Parse(result.GetProperty("nextValidatorSetHash").GetString()!),
            Hash256.Parse(result.GetProperty("withdrawalsRoot").GetString()!));
        // Never trust the served digest: it is recomputed here from the fields.
        if (checkpoint.Digest() != Hash256.Parse(result.GetProperty("digest").GetString()!))
            throw new AnchoringException($"checkpoint {number} from the sidechain does not hash to its stated digest");
        var signatures = result.GetProperty("signatures").EnumerateArray()
            .Select(s => new CheckpointSignature(Address.Parse(s.GetProperty("validator").GetString()!), Hex.Decode(s.GetProperty("signature").GetString()!)))
            .ToList();
        var next = result.GetProperty("nextValidators").EnumerateArray()
            .Select(v => new ValidatorPower(Address.Parse(v.GetProperty("address").GetString()!), JsonRpcClient.Quantity(v.GetProperty("power"))))
            .ToList();
        return new SignedCheckpoint(checkpoint, signatures, next);
    }
}
