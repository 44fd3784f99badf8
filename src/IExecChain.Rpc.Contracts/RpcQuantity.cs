using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace IExecChain.Rpc.Contracts;

/// <summary>
/// The one set of rules for 64-bit JSON-RPC quantities, on the server and in every client of it.
/// A quantity is Ethereum's: "0x", then hex digits without leading zeros ("0x0" is zero, "0x41" is
/// 65, "0x0400" and "0x" are not quantities); 1 to 16 digits fit in 64 bits. Written in lowercase;
/// read in either case ("0X1F" = 31), as geth reads them, because nothing is ambiguous about an
/// uppercase digit and a hand-typed one should not be refused. Parameters sent to this node may also
/// be a decimal string (docs/rpc.md "Quantities"): <see cref="TryParseHexOrDecimal(ReadOnlySpan{char}, out ulong, out string?)"/>.
/// Byte strings are not quantities: they keep their leading zeros and go through
/// <see cref="Core.Primitives.Hex"/>.
/// </summary>
public static class RpcQuantity
{
    /// <summary>Hex digits of the largest 64-bit quantity.</summary>
    public const int MaxHexDigits = 16;

    /// <summary>Longer text is refused before it is looked at (decimal strings may carry leading zeros, so this is more than 20).</summary>
    private const int MaxTextLength = 64;

    public static string Format(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Reads a 0x-hex quantity; <see cref="FormatException"/> says what is wrong with it.</summary>
    public static ulong Parse(string text) =>
        TryParse(text, out ulong value, out string? problem) ? value : throw new FormatException(problem);

    public static bool TryParse(ReadOnlySpan<char> text, out ulong value) => TryParse(text, out value, out _);

    /// <summary>Reads a 0x-hex quantity; <paramref name="problem"/> says what is wrong, quoting the text (e.g. "'0x0400' has a leading zero").</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out ulong value, [NotNullWhen(false)] out string? problem)
    {
        value = 0;
        if (text.Length == 0)
        {
            problem = "an empty string is not a quantity";
            return false;
        }
        if (!HasPrefix(text))
        {
            problem = $"{Quote(text)} lacks the 0x prefix of a hex quantity";
            return false;
        }
        return TryParseHexDigits(text, out value, out problem);
    }

    /// <summary>
    /// Reads a quantity parameter given as a string: 0x-hex by <see cref="TryParse(ReadOnlySpan{char}, out ulong, out string?)"/>'s
    /// rules, or decimal digits (leading zeros allowed there, as in any decimal number). No sign, no
    /// whitespace.
    /// </summary>
    public static bool TryParseHexOrDecimal(ReadOnlySpan<char> text, out ulong value, [NotNullWhen(false)] out string? problem)
    {
        value = 0;
        if (text.Length == 0)
        {
            problem = "an empty string is not a quantity";
            return false;
        }
        if (text.Length > MaxTextLength)
        {
            problem = $"{Quote(text)} is too long for a 64-bit quantity";
            return false;
        }
        if (HasPrefix(text)) return TryParseHexDigits(text, out value, out problem);
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                value = 0;
                problem = $"{Quote(text)} is neither decimal digits nor a 0x-hex quantity";
                return false;
            }
            ulong digit = (ulong)(c - '0');
            if (value > (ulong.MaxValue - digit) / 10)
            {
                value = 0;
                problem = $"{Quote(text)} is above 2^64 - 1";
                return false;
            }
            value = value * 10 + digit;
        }
        problem = null;
        return true;
    }

    /// <summary>
    /// <see cref="TryParseHexOrDecimal(ReadOnlySpan{char}, out ulong, out string?)"/> over the UTF-8 of a JSON
    /// string literal, so the RPC reads a parameter without allocating a string for it.
    /// </summary>
    public static bool TryParseHexOrDecimal(ReadOnlySpan<byte> utf8, out ulong value, [NotNullWhen(false)] out string? problem)
    {
        if (utf8.Length > MaxTextLength)
        {
            value = 0;
            problem = $"{Quote(Encoding.UTF8.GetString(utf8[..MaxTextLength]))} is too long for a 64-bit quantity";
            return false;
        }
        Span<char> chars = stackalloc char[utf8.Length];
        for (int i = 0; i < utf8.Length; i++) chars[i] = (char)utf8[i];  // a non-ASCII byte is never a digit, so it fails below
        if (TryParseHexOrDecimal(chars, out value, out problem)) return true;
        // Only now decode properly, for a message that shows what was sent.
        return TryParseHexOrDecimal(Encoding.UTF8.GetString(utf8), out _, out problem);
    }

    private static bool HasPrefix(ReadOnlySpan<char> text) => text.Length >= 2 && text[0] == '0' && (text[1] | 0x20) == 'x';

    private static bool TryParseHexDigits(ReadOnlySpan<char> text, out ulong value, [NotNullWhen(false)] out string? problem)
    {
        value = 0;
        var digits = text[2..];
        if (digits.Length == 0)
        {
            problem = $"{Quote(text)} has no digits after 0x (zero is 0x0)";
            return false;
        }
        foreach (char c in digits)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                problem = $"{Quote(text)} has '{c}', which is not a hex digit";
                return false;
            }
        }
        if (digits.Length > 1 && digits[0] == '0')
        {
            var significant = digits.TrimStart('0');
            problem = $"{Quote(text)} has a leading zero (a quantity is written without them: 0x{(significant.IsEmpty ? "0" : significant.ToString().ToLowerInvariant())})";
            return false;
        }
        if (digits.Length > MaxHexDigits)
        {
            problem = $"{Quote(text)} is above 2^64 - 1 (more than {MaxHexDigits} hex digits)";
            return false;
        }
        foreach (char c in digits)
            value = (value << 4) | (uint)HexValue(c);
        problem = null;
        return true;
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>The text in quotes, cut short so a hostile megabyte does not end up in an error message.</summary>
    private static string Quote(ReadOnlySpan<char> text) =>
        text.Length <= 40 ? $"'{text}'" : $"'{text[..40]}…'";
}
