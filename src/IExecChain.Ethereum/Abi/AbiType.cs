namespace IExecChain.Ethereum.Abi;

public enum AbiKind { UInt, Int, Address, Bool, FixedBytes, Bytes, String, Array, FixedArray, Tuple }

/// <summary>
/// A Solidity ABI type parsed from its canonical name: <c>uint64</c>, <c>bytes32</c>,
/// <c>(uint64,bytes32)[]</c>, <c>uint256[][3]</c>. <see cref="Name"/> is the canonical form used
/// in function signatures (<c>uint</c> becomes <c>uint256</c>).
/// </summary>
public sealed class AbiType
{
    private AbiType(AbiKind kind, int size, AbiType? element, IReadOnlyList<AbiType>? components, string name)
    {
        Kind = kind;
        Size = size;
        Element = element;
        Components = components ?? [];
        Name = name;
    }

    public AbiKind Kind { get; }

    /// <summary>Bits for integers, bytes for bytesN, length for T[k].</summary>
    public int Size { get; }

    public AbiType? Element { get; }
    public IReadOnlyList<AbiType> Components { get; }
    public string Name { get; }

    /// <summary>Dynamic types are encoded in the tail behind an offset.</summary>
    public bool IsDynamic => Kind switch
    {
        AbiKind.Bytes or AbiKind.String or AbiKind.Array => true,
        AbiKind.FixedArray => Element!.IsDynamic,
        AbiKind.Tuple => Components.Any(c => c.IsDynamic),
        _ => false,
    };

    /// <summary>Bytes a static type occupies in the head; 32 for a dynamic type's offset.</summary>
    public int HeadSize => IsDynamic ? 32 : Kind switch
    {
        AbiKind.FixedArray => Size * Element!.HeadSize,
        AbiKind.Tuple => Components.Sum(c => c.HeadSize),
        _ => 32,
    };

    public static AbiType Tuple(params AbiType[] components) =>
        new(AbiKind.Tuple, 0, null, components, "(" + string.Join(",", components.Select(c => c.Name)) + ")");

    public static AbiType Parse(string type)
    {
        int position = 0;
        var result = ParseAt(type.Replace(" ", "", StringComparison.Ordinal), ref position);
        if (position != type.Replace(" ", "", StringComparison.Ordinal).Length) throw new FormatException($"unexpected '{type[position..]}' in ABI type '{type}'");
        return result;
    }

    public override string ToString() => Name;

    private static AbiType ParseAt(string s, ref int p)
    {
        AbiType type;
        if (p < s.Length && s[p] == '(')
        {
            p++;
            var components = new List<AbiType>();
            while (p < s.Length && s[p] != ')')
            {
                components.Add(ParseAt(s, ref p));
                if (p < s.Length && s[p] == ',') p++;
            }
            if (p >= s.Length) throw new FormatException($"unclosed tuple in ABI type '{s}'");
            p++;
            type = Tuple([.. components]);
        }
        else
        {
            int start = p;
            while (p < s.Length && char.IsAsciiLetterOrDigit(s[p])) p++;
            type = Elementary(s[start..p]);
        }
        while (p < s.Length && s[p] == '[')
        {
            int close = s.IndexOf(']', p);
            if (close < 0) throw new FormatException($"unclosed array in ABI type '{s}'");
            string length = s[(p + 1)..close];
            p = close + 1;
            type = length.Length == 0
                ? new AbiType(AbiKind.Array, 0, type, null, type.Name + "[]")
                : new AbiType(AbiKind.FixedArray, int.Parse(length, System.Globalization.CultureInfo.InvariantCulture), type, null, $"{type.Name}[{length}]");
        }
        return type;
    }

    private static AbiType Elementary(string name)
    {
        switch (name)
        {
            case "address": return new(AbiKind.Address, 160, null, null, name);
            case "bool": return new(AbiKind.Bool, 8, null, null, name);
            case "bytes": return new(AbiKind.Bytes, 0, null, null, name);
            case "string": return new(AbiKind.String, 0, null, null, name);
            case "uint": return new(AbiKind.UInt, 256, null, null, "uint256");
            case "int": return new(AbiKind.Int, 256, null, null, "int256");
        }
        if (name.StartsWith("uint", StringComparison.Ordinal) && TrySize(name[4..], out int bits) && bits % 8 == 0 && bits is > 0 and <= 256)
            return new(AbiKind.UInt, bits, null, null, name);
        if (name.StartsWith("int", StringComparison.Ordinal) && TrySize(name[3..], out bits) && bits % 8 == 0 && bits is > 0 and <= 256)
            return new(AbiKind.Int, bits, null, null, name);
        if (name.StartsWith("bytes", StringComparison.Ordinal) && TrySize(name[5..], out int bytes) && bytes is > 0 and <= 32)
            return new(AbiKind.FixedBytes, bytes, null, null, name);
        throw new FormatException($"unsupported ABI type '{name}'");
    }

    private static bool TrySize(string digits, out int size) =>
        int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size);
}
