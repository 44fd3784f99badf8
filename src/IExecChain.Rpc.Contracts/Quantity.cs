using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IExecChain.Rpc.Contracts;

/// <summary>
/// A 64-bit quantity as the node writes it, a 0x-hex string (<see cref="RpcQuantity"/>), seen by a
/// program as the number it is: it converts implicitly to <see cref="ulong"/>. Only explicitly the
/// other way, so that comparing a quantity with a number is not ambiguous.
/// </summary>
[JsonConverter(typeof(QuantityJsonConverter))]
public readonly record struct Quantity(ulong Value)
{
    public static implicit operator ulong(Quantity quantity) => quantity.Value;

    public static explicit operator Quantity(ulong value) => new(value);

    /// <summary>The decimal value, as a person reads it; the wire form is <see cref="RpcQuantity.Format"/>.</summary>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Reads a quantity by <see cref="RpcQuantity.TryParse(ReadOnlySpan{char}, out ulong, out string?)"/>'s strict rules and writes it in lowercase hex.</summary>
public sealed class QuantityJsonConverter : JsonConverter<Quantity>
{
    public override Quantity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"expected a 0x-hex quantity string, found {reader.TokenType}");
        return RpcQuantity.TryParse(reader.GetString(), out ulong value, out string? problem) ? new Quantity(value) : throw new JsonException(problem);
    }

    public override void Write(Utf8JsonWriter writer, Quantity value, JsonSerializerOptions options) =>
        writer.WriteStringValue(RpcQuantity.Format(value.Value));
}
