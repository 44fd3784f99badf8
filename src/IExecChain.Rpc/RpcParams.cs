using System.Runtime.InteropServices;
using System.Text.Json;
using IExecChain.Rpc.Contracts;

namespace IExecChain.Rpc;

/// <summary>
/// The "params" member of a request: positional (array), named (object) or absent. Every getter
/// takes both the position and the name so a method accepts either style. A JSON null counts as
/// absent.
/// </summary>
public readonly struct RpcParams
{
    private readonly JsonElement _params;

    public RpcParams(JsonElement parameters)
    {
        _params = parameters.ValueKind is JsonValueKind.Array or JsonValueKind.Object ? parameters : default;
    }

    public int Count => _params.ValueKind switch
    {
        JsonValueKind.Array => _params.GetArrayLength(),
        JsonValueKind.Object => _params.GetPropertyCount(),
        _ => 0,
    };

    /// <summary>The params as sent: an array, an object, or undefined when absent.</summary>
    public JsonElement Raw => _params;

    public JsonElement? Get(int index, string name)
    {
        JsonElement value;
        switch (_params.ValueKind)
        {
            case JsonValueKind.Array:
                if ((uint)index >= (uint)_params.GetArrayLength()) return null;
                value = _params[index];
                break;
            case JsonValueKind.Object:
                if (!_params.TryGetProperty(name, out value)) return null;
                break;
            default:
                return null;
        }
        return value.ValueKind == JsonValueKind.Null ? null : value;
    }

    public string GetString(int index, string name) =>
        GetOptionalString(index, name) ?? throw Invalid(name, "a string");

    public string? GetOptionalString(int index, string name)
    {
        if (Get(index, name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.String) throw Invalid(name, "a string");
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            // Ill-formed UTF-8 inside the string literal.
            throw Invalid(name, "a valid UTF-8 string");
        }
    }

    /// <summary>Accepts a JSON number, a "0x"-prefixed hex quantity or a decimal string.</summary>
    public ulong GetUInt64(int index, string name) =>
        GetOptionalUInt64(index, name) ?? throw Invalid(name, QuantityExpectation);

    public ulong? GetOptionalUInt64(int index, string name)
    {
        if (Get(index, name) is not { } value) return null;
        if (TryReadQuantity(value, out ulong quantity, out string? problem)) return quantity;
        throw Invalid(name, problem is null ? QuantityExpectation : $"{QuantityExpectation}: {problem}");
    }

    public bool GetOptionalBool(int index, string name, bool defaultValue)
    {
        if (Get(index, name) is not { } value) return defaultValue;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid(name, "a boolean"),
        };
    }

    private const string QuantityExpectation = "a non-negative integer (number, 0x-prefixed hex or decimal string)";

    private static RpcException Invalid(string name, string expected) =>
        new(RpcErrorCodes.InvalidParams, $"invalid params: {name} must be {expected}");

    private static bool TryReadQuantity(JsonElement value, out ulong quantity, out string? problem)
    {
        problem = null;
        if (value.ValueKind == JsonValueKind.Number) return value.TryGetUInt64(out quantity);
        quantity = 0;
        if (value.ValueKind != JsonValueKind.String) return false;

        // The raw literal, quotes included; quantities never need escapes, so one with a
        // backslash is simply rejected rather than unescaped.
        ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length < 2 || raw[0] != (byte)'"') return false;
        ReadOnlySpan<byte> text = raw[1..^1];
        if (text.IndexOf((byte)'\\') >= 0) return false;
        return RpcQuantity.TryParseHexOrDecimal(text, out quantity, out problem);
    }
}
