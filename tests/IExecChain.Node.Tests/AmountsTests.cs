using IExecChain.Node.Cli;
using NUnit.Framework;

namespace IExecChain.Node.Tests;

/// <summary>Amounts on the command line and in order files (<see cref="Amounts"/>): nRLC integers or RLC with up to 9 decimals.</summary>
public class AmountsTests
{
    private static ulong Parse(string text) => Amounts.Parse(text, "--amount");

    [TestCase("0", 0UL)]
    [TestCase("1000", 1000UL)]
    [TestCase("1000nRLC", 1000UL)]
    [TestCase("1000 nRLC", 1000UL)]
    [TestCase("1000NRLC", 1000UL)]
    [TestCase(" 7 ", 7UL)]
    [TestCase("18446744073709551615", ulong.MaxValue)]
    [TestCase("18446744073709551615nRLC", ulong.MaxValue)]
    [TestCase("1RLC", 1_000_000_000UL)]
    [TestCase("2.5RLC", 2_500_000_000UL)]
    [TestCase("2.5 RLC", 2_500_000_000UL)]
    [TestCase("2.5rlc", 2_500_000_000UL)]
    [TestCase(".5RLC", 500_000_000UL)]
    [TestCase("0.01RLC", 10_000_000UL)]
    [TestCase("0.000000001RLC", 1UL)]
    [TestCase("1.000000001RLC", 1_000_000_001UL)]
    [TestCase("1.5000000000000000000000RLC", 1_500_000_000UL)]
    [TestCase("0RLC", 0UL)]
    [TestCase("18446744073RLC", 18_446_744_073_000_000_000UL)]
    [TestCase("18446744073.709551615RLC", ulong.MaxValue)]
    public void An_amount_reads_as_its_nrlc(string text, ulong nano) =>
        Assert.That(Parse(text), Is.EqualTo(nano));

    [TestCase("-1", "is negative; an amount is 0 or more")]
    [TestCase("-2.5RLC", "is negative; an amount is 0 or more")]
    [TestCase("-0nRLC", "is negative")]
    [TestCase("", "is not an amount such as 1000 (nRLC) or 2.5RLC")]
    [TestCase("RLC", "is not an amount such as 1000 (nRLC) or 2.5RLC")]
    [TestCase(".RLC", "is not an amount such as 1000 (nRLC) or 2.5RLC")]
    [TestCase("ten", "is not an amount such as 1000 (nRLC) or 2.5RLC")]
    [TestCase("+5", "is not an amount")]
    [TestCase("1e3", "is not an amount")]
    [TestCase("1e3RLC", "is not an amount")]
    [TestCase("1,000", "is not an amount")]
    [TestCase("1.2.3RLC", "is not an amount")]
    [TestCase("0x10", "is not an amount")]
    [TestCase("2.5ETH", "is not an amount")]
    [TestCase("١٢RLC", "is not an amount")]
    [TestCase("2.5", "has a decimal point, but nRLC are whole; write RLC after a fractional amount (2.5RLC)")]
    [TestCase("1.5nRLC", "has a decimal point, but nRLC are whole")]
    [TestCase("0.0000000001RLC", "has more than 9 decimals (1 nRLC = 0.000000001 RLC)")]
    [TestCase("1.0000000001RLC", "has more than 9 decimals")]
    [TestCase("0.00000000000000000000000000001RLC", "has more than 9 decimals")]
    [TestCase("1.00000000000000000000000000001RLC", "has more than 9 decimals")]
    [TestCase("18446744073709551616", "is above the largest amount, 18446744073709551615 nRLC (18446744073.709551615 RLC)")]
    [TestCase("18446744073.709551616RLC", "is above the largest amount")]
    [TestCase("18446744074RLC", "is above the largest amount")]
    [TestCase("100000000000000000000RLC", "is above the largest amount")]
    [TestCase("79228162514264337593543950335RLC", "is above the largest amount")]
    [TestCase("99999999999999999999999999999999999RLC", "is above the largest amount")]
    public void A_wrong_amount_is_refused_saying_what_is_wrong(string text, string problem)
    {
        var e = Assert.Throws<CliException>(() => Parse(text))!;
        Assert.That(e.Message, Does.StartWith($"--amount: '{text}' {problem}"));
    }

    [TestCase(0UL, "0 RLC")]
    [TestCase(1UL, "0.000000001 RLC")]
    [TestCase(10_000_000UL, "0.01 RLC")]
    [TestCase(2_500_000_000UL, "2.5 RLC")]
    [TestCase(1_000_000_000UL, "1 RLC")]
    [TestCase(ulong.MaxValue, "18446744073.709551615 RLC")]
    public void An_amount_is_shown_in_rlc_without_trailing_zeros(ulong nano, string text) =>
        Assert.That(Amounts.Format(nano), Is.EqualTo(text));

    [Test]
    public void What_format_writes_parse_reads_back()
    {
        var random = new Random(5);
        Span<byte> eight = stackalloc byte[8];
        for (int i = 0; i < 5_000; i++)
        {
            random.NextBytes(eight);
            ulong nano = BitConverter.ToUInt64(eight) >> random.Next(64);
            Assert.That(Parse(Amounts.Format(nano)), Is.EqualTo(nano), Amounts.Format(nano));
        }
    }
}
