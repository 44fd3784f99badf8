using System.Globalization;

namespace IExecChain.Node.Cli;

/// <summary>Amounts on the command line: nRLC as an integer, or RLC with a suffix ("2.5RLC" = 2,500,000,000 nRLC).</summary>
public static class Amounts
{
    public const ulong NanoPerRlc = 1_000_000_000;

    public static ulong Parse(string text, string option)
    {
        var s = text.Trim();
        if (s.EndsWith("RLC", StringComparison.OrdinalIgnoreCase) && !s.EndsWith("nRLC", StringComparison.OrdinalIgnoreCase))
        {
            if (!decimal.TryParse(s[..^3], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rlc))
                throw new CliException($"{option}: '{text}' is not an amount such as 1000 (nRLC) or 2.5RLC");
            var nano = rlc * NanoPerRlc;
            if (nano != decimal.Truncate(nano)) throw new CliException($"{option}: '{text}' has more than 9 decimals");
            if (nano > ulong.MaxValue) throw new CliException($"{option}: '{text}' is too large");
            return (ulong)nano;
        }
        if (s.EndsWith("nRLC", StringComparison.OrdinalIgnoreCase)) s = s[..^4];
        if (!ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw new CliException($"{option}: '{text}' is not an amount such as 1000 (nRLC) or 2.5RLC");
        return value;
    }

    public static string Format(ulong nano) =>
        (nano / NanoPerRlc).ToString(CultureInfo.InvariantCulture) + (nano % NanoPerRlc == 0 ? "" : "." + (nano % NanoPerRlc).ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0')) + " RLC";
}
