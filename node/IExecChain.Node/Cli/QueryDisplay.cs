using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc;

namespace IExecChain.Node.Cli;

/// <summary>
/// RPC results as people read them: amounts in RLC, heights, nonces and counts in decimal, block times
/// as UTC. The RPC's 0x-hex quantities suit programs (`query --raw` prints them as they come); the
/// fields to convert are named once, here, by the names the iex_* methods give them.
/// </summary>
public static class QueryDisplay
{
    private enum Display { Rlc, Decimal, UtcTime }

    private static readonly Dictionary<string, Display> Fields = new(StringComparer.Ordinal)
    {
        ["balance"] = Display.Rlc,
        ["frozen"] = Display.Rlc,
        ["validatorStake"] = Display.Rlc,
        ["workerStake"] = Display.Rlc,
        ["amount"] = Display.Rlc,
        ["fee"] = Display.Rlc,
        ["feePaid"] = Display.Rlc,
        ["blockNumber"] = Display.Decimal,
        ["number"] = Display.Decimal,
        ["height"] = Display.Decimal,
        ["releaseHeight"] = Display.Decimal,
        ["ethBlockNumber"] = Display.Decimal,
        ["nonce"] = Display.Decimal,
        ["pendingNonce"] = Display.Decimal,
        ["chainId"] = Display.Decimal,
        ["transactionCount"] = Display.Decimal,
        ["transactionIndex"] = Display.Decimal,
        // A bridge deposit's sequence number; ids that are addresses or hashes are too long to parse and stay as they are.
        ["id"] = Display.Decimal,
        // A failure reason's arguments (amounts, heights or counts, by reason): decimal is right for all of them.
        ["numbers"] = Display.Decimal,
        ["timestamp"] = Display.UtcTime,
    };

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The result as indented JSON with every known quantity converted; everything else as it came.</summary>
    public static string Format(JsonElement result)
    {
        var node = JsonNode.Parse(result.GetRawText());
        if (node is null) return "null";
        ConvertInside(node);
        return node.ToJsonString(Indented);
    }

    private static void ConvertInside(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            foreach (var (name, value) in obj.ToList())
            {
                if (value is null) continue;
                if (Fields.TryGetValue(name, out var display) && Shown(value, display) is { } replaced) obj[name] = replaced;
                else ConvertInside(value);
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var item in array)
                if (item is not null) ConvertInside(item);
        }
    }

    /// <summary>The value as shown, or null to leave it (it is not a 0x quantity, or an array holding something else).</summary>
    private static JsonNode? Shown(JsonNode value, Display display)
    {
        if (value is JsonArray array)
        {
            var items = new JsonArray();
            foreach (var item in array)
            {
                if (item is null || Shown(item, display) is not { } converted) return null;
                items.Add(converted);
            }
            return items;
        }
        if (value is not JsonValue v || !v.TryGetValue<string>(out var text) || !RpcQuantity.TryParse(text, out ulong quantity)) return null;
        return display switch
        {
            Display.Rlc => JsonValue.Create(Amounts.Format(quantity)),
            Display.Decimal => JsonValue.Create(quantity),
            _ => JsonValue.Create(quantity > MaxUnixMs ? quantity.ToString(CultureInfo.InvariantCulture)
                : DateTimeOffset.FromUnixTimeMilliseconds((long)quantity).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
        };
    }

    private static readonly ulong MaxUnixMs = (ulong)DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();
}
