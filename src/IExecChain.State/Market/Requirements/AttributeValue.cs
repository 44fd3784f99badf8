namespace IExecChain.State.Market.Requirements;

public enum AttributeKind : byte
{
    Int = 1,
    Bool = 2,
    String = 3,
}

/// <summary>A typed attribute value: 64-bit integer, boolean or string.</summary>
public readonly struct AttributeValue : IEquatable<AttributeValue>
{
    private AttributeValue(AttributeKind kind, long number, string? text)
    {
        Kind = kind;
        Number = number;
        Text = text;
    }

    public AttributeKind Kind { get; }

    /// <summary>The integer, or 1/0 for a boolean.</summary>
    public long Number { get; }

    public string? Text { get; }

    public static AttributeValue Of(long value) => new(AttributeKind.Int, value, null);
    public static AttributeValue Of(bool value) => new(AttributeKind.Bool, value ? 1 : 0, null);
    public static AttributeValue Of(string value) => new(AttributeKind.String, 0, value ?? throw new ArgumentNullException(nameof(value)));

    public bool Equals(AttributeValue other) => Kind == other.Kind && Number == other.Number && string.Equals(Text, other.Text, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is AttributeValue v && Equals(v);
    public override int GetHashCode() => HashCode.Combine(Kind, Number, Text);
    public static bool operator ==(AttributeValue a, AttributeValue b) => a.Equals(b);
    public static bool operator !=(AttributeValue a, AttributeValue b) => !a.Equals(b);

    public override string ToString() => Kind switch
    {
        AttributeKind.Int => Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AttributeKind.Bool => Number != 0 ? "true" : "false",
        _ => "\"" + Text + "\"",
    };
}
