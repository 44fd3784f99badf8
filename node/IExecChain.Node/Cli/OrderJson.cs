using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using Attribute = IExecChain.Core.Wire.Attribute;

namespace IExecChain.Node.Cli;

/// <summary>
/// Reads an order file in iExec's style: one top-level key naming the order
/// (<c>apporder</c>, <c>datasetorder</c>, <c>workerpoolorder</c>, <c>requestorder</c>) whose fields use
/// iExec's names (<c>appmaxprice</c>, <c>appprice</c>, <c>workerpoolprice</c>, ...) or this chain's
/// (<c>app_max_price</c>, <c>appMaxPrice</c>, <c>price</c>): names are compared without case or
/// underscores; an unknown name is refused with the nearest known one. docs/orders.md. Amounts are nRLC (numbers or
/// strings, "2.5RLC" allowed); a restriction may be one address (iExec) or a list; the zero address
/// means anyone. Extra fields of this chain: requirements, attributes {name: value}, weights {cost, ...}.
/// </summary>
public static class OrderJson
{
    public static PlaceOrder Parse(string json, Address sender)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new CliException($"order file is not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (JsonText.FindUnreadable(root, "$") is { } bad) throw new CliException("order file: " + JsonText.Problem(bad));
            if (root.ValueKind != JsonValueKind.Object) throw new CliException("order file must be a JSON object such as {\"requestorder\": {...}}");
            var properties = root.EnumerateObject().ToList();
            if (properties.Count != 1) throw new CliException("order file must have exactly one key: apporder, datasetorder, workerpoolorder or requestorder");
            var (name, body) = (properties[0].Name.ToLowerInvariant().Replace("_", ""), properties[0].Value);
            if (body.ValueKind != JsonValueKind.Object) throw new CliException($"{properties[0].Name} must be an object");
            var place = new PlaceOrder();
            switch (name)
            {
                case "apporder": place.App = Fill(new AppOrder(), body, name); break;
                case "datasetorder": place.Dataset = Fill(new DatasetOrder(), body, name); break;
                case "workerpoolorder": place.Workerpool = Fill(new WorkerpoolOrder(), body, name); break;
                case "requestorder":
                    var request = Fill(new RequestOrder(), body, name);
                    if (request.Requester.IsEmpty) request.Requester = ByteString.CopyFrom(sender.ToArray());
                    place.Request = request;
                    break;
                default: throw new CliException($"unknown order kind '{properties[0].Name}' (apporder, datasetorder, workerpoolorder, requestorder)");
            }
            return place;
        }
    }

    private static T Fill<T>(T message, JsonElement body, string path) where T : IMessage
    {
        var fields = message.Descriptor.Fields.InDeclarationOrder();
        // iExec names a sell order's price after its kind: appprice, datasetprice, workerpoolprice.
        string? priceAlias = path.EndsWith("order", StringComparison.Ordinal) && fields.Any(f => f.Name == "price") ? path[..^"order".Length] + "price" : null;
        var seen = new HashSet<string>();
        foreach (var property in body.EnumerateObject())
        {
            var key = Normalize(property.Name);
            var field = fields.FirstOrDefault(f => Normalize(f.Name) == key) ?? (key == priceAlias ? fields.First(f => f.Name == "price") : null);
            if (field is null)
            {
                if (key is "callback" or "sign" or "signature" && property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null) continue;  // iExec fields this chain does not use
                var known = fields.Select(f => Normalize(f.Name) == "price" && priceAlias is not null ? priceAlias : Normalize(f.Name)).ToList();
                var nearest = known.MinBy(k => Distance(k, key));
                string hint = nearest is not null && Distance(nearest, key) <= Math.Max(1, key.Length / 4) ? $"; did you mean '{nearest}'?" : "";
                throw new CliException($"{path}.{property.Name}: unknown field{hint} (known: {string.Join(", ", known)})");
            }
            if (!seen.Add(field.Name)) throw new CliException($"{path}.{property.Name}: {field.Name} is given twice");
            Set(message, field, property.Value, $"{path}.{property.Name}");
        }
        if (fields.FirstOrDefault(f => f.Name == "salt") is { } salt && ((ByteString)salt.Accessor.GetValue(message)).IsEmpty)
            salt.Accessor.SetValue(message, ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));
        return message;
    }

    private static void Set(IMessage message, FieldDescriptor field, JsonElement value, string path)
    {
        if (field.IsRepeated && field.FieldType == FieldType.Bytes)
        {
            var list = (Google.Protobuf.Collections.RepeatedField<ByteString>)field.Accessor.GetValue(message);
            IEnumerable<JsonElement> items = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [value];
            foreach (var item in items)
            {
                var address = ParseAddress(item, path);
                if (!address.IsZero) list.Add(ByteString.CopyFrom(address.ToArray()));
            }
            return;
        }
        if (field.IsRepeated && field.MessageType == Attribute.Descriptor)
        {
            if (value.ValueKind != JsonValueKind.Object) throw new CliException($"{path}: must be an object of name: value");
            var list = (Google.Protobuf.Collections.RepeatedField<Attribute>)field.Accessor.GetValue(message);
            foreach (var a in value.EnumerateObject())
            {
                var attribute = new Attribute { Name = a.Name };
                switch (a.Value.ValueKind)
                {
                    case JsonValueKind.Number when a.Value.TryGetInt64(out var n): attribute.IntValue = n; break;
                    case JsonValueKind.True or JsonValueKind.False: attribute.BoolValue = a.Value.GetBoolean(); break;
                    case JsonValueKind.String: attribute.StringValue = a.Value.GetString()!; break;
                    default: throw new CliException($"{path}.{a.Name}: must be an integer, a boolean or a string");
                }
                list.Add(attribute);
            }
            return;
        }
        if (field.FieldType == FieldType.Message && field.MessageType == Core.Wire.RankingWeights.Descriptor)
        {
            if (value.ValueKind != JsonValueKind.Object) throw new CliException($"{path}: must be an object {{cost, performance, reliability, trust, energy}}");
            field.Accessor.SetValue(message, Fill(new Core.Wire.RankingWeights(), value, path));
            return;
        }
        switch (field.FieldType)
        {
            case FieldType.Bytes:
                if (field.Name == "salt")
                {
                    var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new CliException($"{path}: must be a hex string");
                    if (!Hex.TryDecode(text, out var salt, out var error)) throw new CliException($"{path}: {error}");
                    field.Accessor.SetValue(message, ByteString.CopyFrom(salt));
                }
                else
                {
                    var address = ParseAddress(value, path);
                    field.Accessor.SetValue(message, address.IsZero ? ByteString.Empty : ByteString.CopyFrom(address.ToArray()));
                }
                break;
            case FieldType.String:
                field.Accessor.SetValue(message, value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new CliException($"{path}: must be a string"));
                break;
            case FieldType.UInt64 or FieldType.Fixed64:
                field.Accessor.SetValue(message, ParseNumber(value, path, field.Name));
                break;
            case FieldType.UInt32:
                ulong v = ParseNumber(value, path, field.Name);
                if (v > uint.MaxValue) throw new CliException($"{path}: {v} is above {uint.MaxValue}");
                field.Accessor.SetValue(message, (uint)v);
                break;
            default:
                throw new CliException($"{path}: unsupported field type {field.FieldType}");
        }
    }

    private static ulong ParseNumber(JsonElement value, string path, string field)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out var n)) return n;
        if (value.ValueKind != JsonValueKind.String) throw new CliException($"{path}: must be a non-negative integer or a string");
        var text = value.GetString()!;
        if (field == "tag" && text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            // iExec tags are bytes32; this chain keeps the low 64 bits, the only ones iExec defines.
            var hex = text[2..].TrimStart('0');
            if (hex.Length > 16) throw new CliException($"{path}: tag bits above 64 are not supported");
            if (text.Length == 2) throw new CliException($"{path}: tag '{text}' has no hex digits (no features is 0x0)");
            if (hex.Length == 0) return 0;
            // Found by fuzzing: a tag with a non-hex character threw FormatException instead of naming the field.
            return ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits)
                ? bits
                : throw new CliException($"{path}: tag '{text}' is not 0x-hex");
        }
        if (field.Contains("price", StringComparison.Ordinal)) return Amounts.Parse(text, path);
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n) ? n : throw new CliException($"{path}: '{text}' is not a non-negative integer");
    }

    private static Address ParseAddress(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.String) throw new CliException($"{path}: must be a 20-byte hex address, got {value.ValueKind.ToString().ToLowerInvariant()}");
        return Address.TryParse(value.GetString(), out var address, out var error)
            ? address
            : throw new CliException($"{path}: must be a 20-byte hex address ({error})");
    }

    /// <summary>Edit distance (insertions, deletions, substitutions) between two field names.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static string Normalize(string name) => name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
}
