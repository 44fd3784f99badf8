using System.Globalization;

namespace IExecChain.Node.Cli;

/// <summary>
/// Amounts on the command line and in order files: nRLC as an integer ("1000", "1000nRLC"), or RLC with
/// up to 9 decimals ("2.5RLC" = 2,500,000,000 nRLC; "2.5 RLC", as <see cref="Format"/> writes it, too).
/// Read digit by digit rather than through <see cref="decimal"/>, which rounds past 28 digits (so
/// "1.00000000000000000000000000001RLC" would be 1 RLC) and overflows with an exception when scaled.
/// </summary>
public static class Amounts
{
    public const ulong NanoPerRlc = 1_000_000_000;

    /// <summary>Decimals of RLC: 1 nRLC = 0.000000001 RLC (iExec's RLC token has 9, not Ether's 18).</summary>
    public const int RlcDecimals = 9;

    public static ulong Parse(string text, string option)
    {
        var s = text.Trim();
        bool inRlc = false;
        if (s.EndsWith("nRLC", StringComparison.OrdinalIgnoreCase)) s = s[..^4].TrimEnd();
        else if (s.EndsWith("RLC", StringComparison.OrdinalIgnoreCase))
        {
            s = s[..^3].TrimEnd();
            inRlc = true;
        }
        if (s.StartsWith('-')) throw Refused(text, option, "is negative; an amount is 0 or more");
        int dot = s.IndexOf('.', StringComparison.Ordinal);
        string whole = dot < 0 ? s : s[..dot];
        string fraction = dot < 0 ? "" : s[(dot + 1)..];
        if (whole.Length + fraction.Length == 0 || !IsDigits(whole) || !IsDigits(fraction))
            throw Refused(text, option, "is not an amount such as 1000 (nRLC) or 2.5RLC");
        if (dot >= 0 && !inRlc) throw Refused(text, option, "has a decimal point, but nRLC are whole; write RLC after a fractional amount (2.5RLC)");
        if (fraction.Length > RlcDecimals && fraction.AsSpan(RlcDecimals).ContainsAnyExcept('0'))
            throw Refused(text, option, $"has more than {RlcDecimals} decimals (1 nRLC = 0.000000001 RLC)");

        if (!ulong.TryParse(whole.Length == 0 ? "0" : whole, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
            throw TooLarge(text, option);
        if (!inRlc) return value;
        ulong nano = fraction.Length == 0 ? 0 : ulong.Parse(fraction.PadRight(RlcDecimals, '0')[..RlcDecimals], NumberStyles.None, CultureInfo.InvariantCulture);
        if (value > (ulong.MaxValue - nano) / NanoPerRlc) throw TooLarge(text, option);
        return value * NanoPerRlc + nano;
    }

    public static string Format(ulong nano) =>
        (nano / NanoPerRlc).ToString(CultureInfo.InvariantCulture) + (nano % NanoPerRlc == 0 ? "" : "." + (nano % NanoPerRlc).ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0')) + " RLC";

    private static bool IsDigits(string s)
    {
        foreach (char c in s)
            if (!char.IsAsciiDigit(c)) return false;
        return true;
    }

    private static CliException Refused(string text, string option, string problem) => new($"{option}: '{text}' {problem}");

    private static CliException TooLarge(string text, string option) =>
        Refused(text, option, $"is above the largest amount, {ulong.MaxValue} nRLC ({Format(ulong.MaxValue)})");
}
