using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts;

namespace IExecChain.Rpc.OpenRpc;

/// <summary>One parameter of a method: its name, the type it is read as, what it means, and whether it may be left out.</summary>
public sealed record RpcParam(string Name, Type Type, string Description, bool Required = true);

/// <summary>An error a method answers with for a reason of its own (the generic JSON-RPC errors apply to every method).</summary>
public sealed record RpcErrorDescription(int Code, string Message);

/// <summary>A call and its answer, as a person would make it on the devnet.</summary>
public sealed record RpcExample(string Name, IReadOnlyList<(string Name, object? Value)> Params, object? Result);

/// <summary>
/// What a client needs to know of one method: its parameters (by position, or for the list queries by
/// name), the type of its result, its own errors and an example. <see cref="OpenRpcDocument"/> turns the
/// types into JSON schemas with the serializer options the server writes with, so the document describes
/// the bytes on the wire.
/// </summary>
public sealed record RpcMethodDescription(string Name, string Summary, IReadOnlyList<RpcParam> Params, string ResultName, Type ResultType)
{
    /// <summary>True when the parameters are the fields of one object (the list queries), false when positional.</summary>
    public bool ByName { get; init; }

    /// <summary>A result of null means "not found" rather than an error.</summary>
    public bool ResultNullable { get; init; }

    public IReadOnlyList<RpcErrorDescription> Errors { get; init; } = [];
    public IReadOnlyList<RpcExample> Examples { get; init; } = [];
    public string? Description { get; init; }
}

/// <summary>Builds the OpenRPC 1.2.6 document that <c>rpc.discover</c> answers.</summary>
public static class OpenRpcDocument
{
    public const string Version = "1.2.6";

    /// <summary>
    /// The document for <paramref name="methods"/>; <paramref name="schemaFor"/> may give the schema of a
    /// type the serializer writes with a converter of its own (a converter is opaque to the schema exporter).
    /// </summary>
    public static JsonObject Build(string title, string version, string description, IEnumerable<RpcMethodDescription> methods,
        Func<Type, JsonObject?>? schemaFor = null)
    {
        ArgumentNullException.ThrowIfNull(methods);
        // The options results are written with: the schemas describe the bytes a client receives.
        var serializerOptions = RpcResponseWriter.SerializerOptions;
        var exporter = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (context, schema) => Transform(context, schema, schemaFor),
        };
        JsonNode Schema(Type type) => Inline(serializerOptions.GetJsonSchemaAsNode(type, exporter));
        var list = new JsonArray();
        foreach (var method in methods.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            var parameters = new JsonArray();
            foreach (var p in method.Params)
                parameters.Add(new JsonObject
                {
                    ["name"] = p.Name,
                    ["description"] = p.Description,
                    ["required"] = p.Required,
                    ["schema"] = Schema(p.Type),
                });
            var resultSchema = Schema(method.ResultType);
            if (method.ResultNullable) resultSchema = new JsonObject { ["oneOf"] = new JsonArray(resultSchema, new JsonObject { ["type"] = "null" }) };
            var entry = new JsonObject
            {
                ["name"] = method.Name,
                ["summary"] = method.Summary,
                ["paramStructure"] = method.ByName ? "by-name" : "by-position",
                ["params"] = parameters,
                ["result"] = new JsonObject { ["name"] = method.ResultName, ["schema"] = resultSchema },
            };
            if (method.Description is { } text) entry["description"] = text;
            if (method.Errors.Count > 0)
                entry["errors"] = new JsonArray([.. method.Errors.Select(e => (JsonNode)new JsonObject { ["code"] = e.Code, ["message"] = e.Message })]);
            if (method.Examples.Count > 0)
                entry["examples"] = new JsonArray([.. method.Examples.Select(e => (JsonNode)Example(e, method.ResultName, serializerOptions))]);
            list.Add(entry);
        }
        return new JsonObject
        {
            ["openrpc"] = Version,
            ["info"] = new JsonObject { ["title"] = title, ["version"] = version, ["description"] = description },
            ["methods"] = list,
        };
    }

    /// <summary>
    /// The exporter writes a type met twice as a <c>$ref</c> to its first place, a JSON pointer from the root of
    /// that one schema. In the document the root is the document's, so each reference is replaced by a copy of
    /// what it points to. The contract types are not recursive; a reference deeper than 32 levels is refused.
    /// </summary>
    private static JsonNode Inline(JsonNode schema)
    {
        JsonNode Resolve(JsonNode node, int depth)
        {
            if (depth > 32) throw new InvalidOperationException("a contract type's schema refers to itself: rpc.discover cannot inline it");
            if (node is JsonObject obj)
            {
                if (obj["$ref"] is JsonValue reference && reference.GetValue<string>() is { } pointer && pointer.StartsWith('#'))
                    return Resolve(Find(schema, pointer).DeepClone(), depth + 1);
                var copy = new JsonObject();
                foreach (var (name, value) in obj) copy[name] = value is null ? null : Resolve(value, depth + 1);
                return copy;
            }
            if (node is JsonArray array) return new JsonArray([.. array.Select(item => item is null ? null : Resolve(item, depth + 1))]);
            return node.DeepClone();
        }
        return Resolve(schema, 0);
    }

    private static JsonNode Find(JsonNode root, string pointer)
    {
        JsonNode? node = root;
        foreach (var part in pointer.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = part.Replace("~1", "/").Replace("~0", "~");
            node = node switch
            {
                JsonObject obj => obj[name],
                JsonArray array when int.TryParse(name, out int i) && i < array.Count => array[i],
                _ => null,
            };
            if (node is null) throw new InvalidOperationException($"schema reference {pointer} points nowhere");
        }
        return node!;
    }

    private static JsonObject Example(RpcExample example, string resultName, JsonSerializerOptions options) => new()
    {
        ["name"] = example.Name,
        ["params"] = new JsonArray([.. example.Params.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["value"] = JsonSerializer.SerializeToNode(p.Value, options) })]),
        ["result"] = new JsonObject { ["name"] = resultName, ["value"] = JsonSerializer.SerializeToNode(example.Result, options) },
    };

    private static JsonNode Transform(JsonSchemaExporterContext context, JsonNode schema, Func<Type, JsonObject?>? schemaFor)
    {
        var type = Nullable.GetUnderlyingType(context.TypeInfo.Type) ?? context.TypeInfo.Type;
        var known = schemaFor?.Invoke(type) ?? Primitive(type);
        if (known is null)
        {
            if (context.PropertyInfo is null && schema is JsonObject { } obj) OmittedWhenNull(obj);
            return schema;
        }
        if (schema is JsonObject { } original && original["description"] is { } description) known["description"] = description.DeepClone();
        return known;
    }

    /// <summary>
    /// The server leaves a null member out rather than write null, so a member that may be null is not
    /// required, and when present is never null.
    /// </summary>
    private static void OmittedWhenNull(JsonObject schema)
    {
        if (schema["properties"] is not JsonObject properties || schema["required"] is not JsonArray required) return;
        foreach (var (name, property) in properties)
        {
            if (property is not JsonObject { } p || p["type"] is not JsonArray types || !types.Any(t => t?.GetValue<string>() == "null")) continue;
            var remaining = types.Where(t => t?.GetValue<string>() != "null").Select(t => t!.GetValue<string>()).ToList();
            p["type"] = remaining.Count == 1 ? remaining[0] : new JsonArray([.. remaining.Select(t => (JsonNode)t)]);
            foreach (var entry in required.Where(r => r?.GetValue<string>() == name).ToList()) required.Remove(entry);
        }
        if (required.Count == 0) schema.Remove("required");
    }

    /// <summary>The byte strings the server writes with its own converters.</summary>
    private static JsonObject? Primitive(Type type) =>
        type == typeof(Hash256) ? Hex(32, "a 32-byte hash") :
        type == typeof(Address) ? Hex(20, "a 20-byte address") :
        type == typeof(Quantity) ? new JsonObject { ["title"] = "a quantity", ["type"] = "string", ["pattern"] = "^0x(0|[1-9a-f][0-9a-f]*)$" } :
        null;

    /// <summary>A 0x-prefixed hex string of exactly <paramref name="bytes"/> bytes.</summary>
    public static JsonObject Hex(int bytes, string title) => new()
    {
        ["title"] = title,
        ["type"] = "string",
        ["pattern"] = $"^0x[0-9a-fA-F]{{{2 * bytes}}}$",
    };
}
