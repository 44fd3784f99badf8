using System.Text.Json;

namespace IExecChain.Core.Primitives;

/// <summary>
/// JSON text may escape half of a UTF-16 surrogate pair ("\ud800"): System.Text.Json parses the
/// document, then throws InvalidOperationException from whichever GetString or property name meets
/// it first, deep inside a loader that expects only its own refusals (found by fuzzing the chain
/// spec, node config and order loaders). Loaders check the whole document once, up front, and refuse
/// it with the path of the bad string.
/// </summary>
public static class JsonStrings
{
    /// <summary>The JSON path of the first string or property name that is not valid UTF-16, or null.</summary>
    public static string? FindInvalid(JsonElement element, string path = "$")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsValid(element) ? null : path;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray())
                    if (FindInvalid(item, $"{path}[{i++}]") is { } bad) return bad;
                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return path + " (a property name)";
                    }
                    if (FindInvalid(property.Value, $"{path}.{name}") is { } bad) return bad;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool IsValid(JsonElement text)
    {
        try
        {
            text.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The refusal a loader gives for <paramref name="path"/>.</summary>
    public static string Problem(string path) => $"{path}: invalid \\u escape (half of a UTF-16 surrogate pair)";
}
