using System.Text.Json;

namespace IExecChain.Rpc.Subscriptions;

/// <summary>
/// Equality conditions on an event's top-level string fields, all of which must hold. Values are
/// compared ignoring ASCII case, so a checksummed address matches the lowercase one events carry.
/// </summary>
internal sealed class EventFilter
{
    private const int MaxValueLength = 256;

    private readonly (int Field, string Value)[] _conditions;

    private EventFilter((int Field, string Value)[] conditions) => _conditions = conditions;

    /// <returns>Null when there is nothing to filter on (absent, null or an empty object).</returns>
    public static EventFilter? Parse(JsonElement? filter, RpcTopic topic)
    {
        if (filter is not { } element) return null;
        if (element.ValueKind != JsonValueKind.Object) throw Invalid("filter must be an object of field names to strings");
        var conditions = new List<(int, string)>();
        foreach (JsonProperty property in element.EnumerateObject())
        {
            int field = -1;
            for (int i = 0; i < topic.FilterFields.Count; i++)
                if (property.NameEquals(topic.FilterFields[i])) field = i;
            if (field < 0)
            {
                throw Invalid(topic.FilterFields.Count == 0
                    ? $"topic '{topic.Name}' takes no filter"
                    : $"topic '{topic.Name}' cannot be filtered on '{Truncate(property.Name)}'; filter fields are {string.Join(", ", topic.FilterFields)}");
            }
            if (property.Value.ValueKind != JsonValueKind.String || property.Value.GetString() is not { Length: <= MaxValueLength } value)
                throw Invalid($"filter.{property.Name} must be a string of at most {MaxValueLength} characters");
            if (conditions.Exists(c => c.Item1 == field)) throw Invalid($"filter.{property.Name} is given twice");
            conditions.Add((field, value));
        }
        return conditions.Count == 0 ? null : new EventFilter([.. conditions]);
    }

    /// <param name="fields">The event's values of the topic's filter fields, from <see cref="ReadFields"/>.</param>
    public bool Matches(string?[] fields)
    {
        foreach ((int field, string value) in _conditions)
        {
            if (fields[field] is not { } actual || !actual.Equals(value, StringComparison.OrdinalIgnoreCase)) return false;
        }
        return true;
    }

    /// <summary>
    /// Checks that <paramref name="json"/> is one JSON object and picks out the topic's filter
    /// fields (top-level members holding strings; other types count as absent).
    /// </summary>
    public static string?[] ReadFields(ReadOnlySpan<byte> json, RpcTopic topic)
    {
        var fields = new string?[topic.FilterFields.Count];
        byte[][] names = topic.FilterFieldsUtf8;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new ArgumentException($"an event of topic '{topic.Name}' must be a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                int field = -1;
                for (int i = 0; i < names.Length; i++)
                    if (reader.ValueTextEquals(names[i])) field = i;
                reader.Read();
                if (field >= 0 && reader.TokenType == JsonTokenType.String) fields[field] = reader.GetString();
                else reader.Skip();
            }
            if (reader.Read()) throw new ArgumentException($"an event of topic '{topic.Name}' must be a single JSON object");
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"an event of topic '{topic.Name}' is not valid JSON: {ex.Message}", ex);
        }
        return fields;
    }

    private static RpcException Invalid(string problem) => new(RpcErrorCodes.InvalidParams, "invalid params: " + problem);

    internal static string Truncate(string text) => text.Length > 64 ? string.Concat(text.AsSpan(0, 64), "...") : text;
}
