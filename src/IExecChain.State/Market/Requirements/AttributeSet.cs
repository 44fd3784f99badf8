namespace IExecChain.State.Market.Requirements;

/// <summary>
/// An immutable set of named, typed attributes (a workerpool's capabilities or a request's own
/// attributes), sorted by name so lookups are binary searches with ordinal comparison.
/// </summary>
public sealed class AttributeSet
{
    public const int MaxAttributes = 32;
    public const int MaxNameLength = 64;
    public const int MaxStringLength = 64;

    public static readonly AttributeSet Empty = new([], []);

    private readonly string[] _names;
    private readonly AttributeValue[] _values;

    private AttributeSet(string[] names, AttributeValue[] values)
    {
        _names = names;
        _values = values;
    }

    public int Count => _names.Length;

    public string NameAt(int index) => _names[index];
    public AttributeValue ValueAt(int index) => _values[index];

    public bool TryGet(string name, out AttributeValue value)
    {
        int lo = 0, hi = _names.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = string.CompareOrdinal(_names[mid], name);
            if (c == 0) { value = _values[mid]; return true; }
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        value = default;
        return false;
    }

    public static AttributeSet Create(params (string Name, AttributeValue Value)[] attributes)
    {
        if (!TryCreate(attributes, out var set, out var error)) throw new ArgumentException(error, nameof(attributes));
        return set;
    }

    /// <summary>Validates names (see <see cref="IsValidName"/>), string lengths, the count and duplicates.</summary>
    public static bool TryCreate(IReadOnlyList<(string Name, AttributeValue Value)> attributes, out AttributeSet set, out string? error)
    {
        set = Empty;
        error = null;
        if (attributes.Count == 0) return true;
        if (attributes.Count > MaxAttributes) { error = $"at most {MaxAttributes} attributes, got {attributes.Count}"; return false; }
        var names = new string[attributes.Count];
        var values = new AttributeValue[attributes.Count];
        for (int i = 0; i < attributes.Count; i++)
        {
            var (name, value) = attributes[i];
            if (!IsValidName(name)) { error = $"invalid attribute name '{name}'"; return false; }
            if (value.Kind == 0) { error = $"attribute '{name}' has no value"; return false; }
            if (value.Kind == AttributeKind.String && !IsValidString(value.Text!)) { error = $"attribute '{name}': strings are printable ASCII of at most {MaxStringLength} characters"; return false; }
            names[i] = name;
            values[i] = value;
        }
        Array.Sort(names, values, StringComparer.Ordinal);
        for (int i = 1; i < names.Length; i++)
        {
            if (names[i] == names[i - 1]) { error = $"duplicate attribute '{names[i]}'"; return false; }
        }
        set = new AttributeSet(names, values);
        return true;
    }

    /// <summary>
    /// Dotted segments of lower-case letters, digits and '_', each starting with a letter or '_';
    /// at most <see cref="MaxNameLength"/> characters; the first segment may not be the scope
    /// keywords <c>my</c> or <c>other</c>, and the name may not be <c>true</c> or <c>false</c>.
    /// </summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength) return false;
        bool segmentStart = true;
        foreach (char c in name)
        {
            if (c == '.')
            {
                if (segmentStart) return false;
                segmentStart = true;
                continue;
            }
            bool letter = c is (>= 'a' and <= 'z') or '_';
            if (segmentStart ? !letter : !(letter || c is >= '0' and <= '9')) return false;
            segmentStart = false;
        }
        if (segmentStart) return false;
        return !(name is "true" or "false" or "my" or "other" || name.StartsWith("my.", StringComparison.Ordinal) || name.StartsWith("other.", StringComparison.Ordinal));
    }

    internal static bool IsValidString(string text)
    {
        if (text.Length > MaxStringLength) return false;
        foreach (char c in text)
        {
            if (c is < ' ' or > '~') return false;
        }
        return true;
    }
}
