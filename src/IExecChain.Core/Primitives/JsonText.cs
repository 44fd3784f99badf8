using System.Runtime.InteropServices;
using System.Text.Json;

namespace IExecChain.Core.Primitives;

/// <summary>
/// Checks that strings in a JSON document are text the node can read and write back. JSON may
/// escape a lone surrogate ("\ud800") and System.Text.Json parses it, but reading it as a string
/// or writing it into a response throws InvalidOperationException: the id of an RPC request could
/// not be echoed, a decoder that meets one would fail with an internal error after the method had
/// started, and the chain spec, node config and order loaders died with a stack trace (found by
/// fuzzing). Readers check a document once, up front, and refuse it with the path.
/// </summary>
public static class JsonText
{
    /// <summary>True when the string value's escapes decode to well-formed UTF-16.</summary>
    public static bool IsReadable(JsonElement value)
    {
        ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(value);
        return IsReadable(raw, value);
    }

    /// <summary>
    /// The JSON path (from <paramref name="path"/>) of the first string or property name under
    /// <paramref name="element"/> that cannot be read, or null when all can.
    /// </summary>
    public static string? FindUnreadable(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsReadable(element) ? null : path;
            case JsonValueKind.Array:
                int index = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    // The path is only built on the way out of a failure.
                    if (FindUnreadable(item, "") is { } inner) return $"{path}[{index}]{inner}";
                    index++;
                }
                return null;
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    ReadOnlySpan<byte> rawName = JsonMarshal.GetRawUtf8PropertyName(property);
                    if (!(rawName.IndexOf((byte)'\\') < 0 ? System.Text.Unicode.Utf8.IsValid(rawName) : TryReadName(property)))
                        return $"{path} (a member name)";
                    if (FindUnreadable(property.Value, "") is { } inner) return $"{path}.{property.Name}{inner}";
                }
                return null;
            default:
                return null;
        }
    }

    private static bool IsReadable(ReadOnlySpan<byte> raw, JsonElement value)
    {
        // Without escapes the literal is the text; Utf8.IsValid is vectorized, so even a
        // megabytes-long hex string costs little next to parsing it.
        if (raw.IndexOf((byte)'\\') < 0) return System.Text.Unicode.Utf8.IsValid(raw);
        try
        {
            _ = value.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryReadName(JsonProperty property)
    {
        try
        {
            _ = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The refusal a loader gives for the unreadable string at <paramref name="path"/>.</summary>
    public static string Problem(string path) => $"{path}: not valid Unicode text (a lone surrogate escape such as \\ud800, or ill-formed UTF-8)";
}
