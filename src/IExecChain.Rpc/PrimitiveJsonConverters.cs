using System.Text.Json;
using System.Text.Json.Serialization;
using IExecChain.Core.Primitives;

namespace IExecChain.Rpc;

/// <summary>Hashes travel as 0x-prefixed lowercase hex, like every other byte string on the API.</summary>
internal sealed class Hash256JsonConverter : JsonConverter<Hash256>
{
    public override Hash256 Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Hash256.TryParse(reader.GetString(), out Hash256 hash) ? hash : throw new JsonException("expected a 32-byte 0x-hex hash");

    public override void Write(Utf8JsonWriter writer, Hash256 value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}

/// <summary>Addresses are written as lowercase 0x-hex, as Ethereum nodes do; reading accepts any case.</summary>
internal sealed class AddressJsonConverter : JsonConverter<Address>
{
    public override Address Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Address.TryParse(reader.GetString(), out Address address) ? address : throw new JsonException("expected a 20-byte 0x-hex address");

    public override void Write(Utf8JsonWriter writer, Address value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
