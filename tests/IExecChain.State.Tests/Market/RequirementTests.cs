using IExecChain.State.Market.Requirements;
using NUnit.Framework;

namespace IExecChain.State.Tests.Market;

public class RequirementTests
{
    private static readonly AttributeSet Offer = MarketBuild.Caps(cores: 8, memoryMb: 4096, gpu: true, region: "eu-west");
    private static readonly AttributeSet Request = AttributeSet.Create(("input.mb", AttributeValue.Of(300)), ("sealed", AttributeValue.Of(false)));

    private static Truth Eval(string text, AttributeSet? own = null, AttributeSet? other = null)
    {
        int cost = 0;
        return Requirement.Parse(text).Evaluate(own ?? Request, other ?? Offer, ref cost);
    }

    [TestCase("other.memory.mb >= 2048", Truth.True)]
    [TestCase("other.memory.mb > 4096", Truth.False)]
    [TestCase("other.memory.mb <= 4096 && other.cpu.cores == 8", Truth.True)]
    [TestCase("other.cpu.cores < 4 || other.gpu", Truth.True)]
    [TestCase("!other.gpu", Truth.False)]
    [TestCase("other.region == \"eu-west\"", Truth.True)]
    [TestCase("other.region != \"eu-west\"", Truth.False)]
    [TestCase("(other.cpu.cores >= 4 && other.memory.mb >= 1024) && !(other.region == \"us\")", Truth.True)]
    [TestCase("input.mb < 512 && my.input.mb == 300", Truth.True)]
    [TestCase("sealed == false", Truth.True)]
    [TestCase("true", Truth.True)]
    [TestCase("false || false", Truth.False)]
    [TestCase("-5 < other.cpu.cores", Truth.True)]
    [TestCase("other.cpu.cores != -9223372036854775808", Truth.True)]
    public void Expressions_evaluate_as_expected(string text, Truth expected) =>
        Assert.That(Eval(text), Is.EqualTo(expected));

    [TestCase("other.tpu.count >= 1", Truth.Undefined)]
    [TestCase("other.tpu", Truth.Undefined)]
    [TestCase("!other.tpu", Truth.Undefined)]
    [TestCase("other.tpu == 1 && other.gpu", Truth.Undefined)]
    [TestCase("other.tpu == 1 && !other.gpu", Truth.False)]
    [TestCase("other.tpu == 1 || other.gpu", Truth.True)]
    [TestCase("other.tpu == 1 || !other.gpu", Truth.Undefined)]
    [TestCase("other.region > 3", Truth.Undefined)]
    [TestCase("other.region == other.cpu.cores", Truth.Undefined)]
    [TestCase("other.cpu.cores", Truth.Undefined)]
    [TestCase("other.region < other.cpu.cores || true", Truth.True)]
    public void Undefined_attributes_and_type_mismatches_give_undefined_which_never_satisfies(string text, Truth expected)
    {
        Assert.That(Eval(text), Is.EqualTo(expected));
        Assert.That(Requirement.Parse(text).IsSatisfied(Request, Offer), Is.EqualTo(expected == Truth.True));
    }

    [Test]
    public void Evaluation_works_both_ways_with_own_and_other_swapped()
    {
        var poolSide = Requirement.Parse("other.input.mb <= 1024 && cpu.cores >= 4");
        var requestSide = Requirement.Parse("other.memory.mb >= 2048 && input.mb > 0");
        Assert.That(poolSide.IsSatisfied(Offer, Request), Is.True);
        Assert.That(requestSide.IsSatisfied(Request, Offer), Is.True);
        Assert.That(poolSide.IsSatisfied(Request, Offer), Is.False, "swapped sides look up the wrong attributes");
    }

    [Test]
    public void Empty_expression_always_holds_and_costs_nothing()
    {
        int cost = 0;
        Assert.That(Requirement.Parse("  ").Evaluate(Request, Offer, ref cost), Is.EqualTo(Truth.True));
        Assert.That(Requirement.Parse("").NodeCount, Is.EqualTo(0));
        Assert.That(cost, Is.EqualTo(0));
    }

    [Test]
    public void Evaluation_cost_counts_visited_nodes_and_short_circuits()
    {
        var r = Requirement.Parse("other.gpu == false && other.memory.mb > 1");
        int cost = 0;
        Assert.That(r.Evaluate(Request, Offer, ref cost), Is.EqualTo(Truth.False));
        Assert.That(cost, Is.EqualTo(4), "and + comparison + two operands; the right side is skipped");
        Assert.That(r.NodeCount, Is.EqualTo(7));
    }

    [TestCase("other.memory.mb >=", 18, "expected a value")]
    [TestCase("other.memory.mb >= 2048 &&", 26, "expected a value")]
    [TestCase("(other.gpu", 10, "expected ')'")]
    [TestCase("other.gpu)", 9, "unexpected ')'")]
    [TestCase("other.gpu & other.gpu", 10, "did you mean '&&'")]
    [TestCase("other.gpu | other.gpu", 10, "did you mean '||'")]
    [TestCase("other.cores = 4", 12, "did you mean '=='")]
    [TestCase("other.region == \"eu", 16, "unterminated string")]
    [TestCase("other.region == \"e\\u\"", 18, "escapes")]
    [TestCase("other.cores >= 99999999999999999999", 15, "64-bit")]
    [TestCase("other.cores >= 9223372036854775808", 15, "64-bit")]
    [TestCase("other.cores >= 12abc", 17, "run into a name")]
    [TestCase("other.Memory >= 1", 6, "lower-case")]
    [TestCase("other >= 1", 0, "must be followed by")]
    [TestCase("other. >= 1", 0, "invalid attribute name")]
    [TestCase("other.memory..mb >= 1", 0, "invalid attribute name")]
    [TestCase("other.1mb >= 1", 0, "invalid attribute name")]
    [TestCase("42", 0, "an integer is not a condition")]
    [TestCase("\"yes\"", 0, "a string is not a condition")]
    [TestCase("other.gpu == 1 == 2", 15, "unexpected '=='")]
    [TestCase("other.region < \"x\"", 13, "ordering comparisons apply to integers")]
    [TestCase("other.gpu >= true", 10, "ordering comparisons apply to integers")]
    [TestCase("3 == \"3\"", 2, "cannot compare integer with string")]
    [TestCase("!", 1, "expected a value")]
    [TestCase("other.gpu && && other.gpu", 13, "expected a value")]
    [TestCase("other.gpu ; rm -rf", 10, "unexpected ';'")]
    [TestCase("other.gpu == ", 13, "found end of input")]
    [TestCase("other.région == 1", 7, "U+00E9")]
    public void Malformed_expressions_are_refused_with_position_and_reason(string text, int position, string reason)
    {
        Assert.That(Requirement.TryParse(text, out _, out var error), Is.False);
        Assert.That(error!.Reason, Does.Contain(reason));
        Assert.That(error.Position, Is.EqualTo(position), error.ToString());
    }

    [Test]
    public void Size_limits_bound_length_nodes_and_depth()
    {
        Assert.That(Requirement.TryParse(new string(' ', Requirement.MaxLength + 1), out _, out var tooLong), Is.False);
        Assert.That(tooLong!.Reason, Does.Contain("longer than"));

        string many = string.Join(" && ", Enumerable.Repeat("other.gpu", 33));  // 33 truthy + 33 refs > 64 nodes
        Assert.That(Requirement.TryParse(many, out _, out var tooMany), Is.False);
        Assert.That(tooMany!.Reason, Does.Contain("more than 64 nodes"));
        Assert.That(Requirement.TryParse(string.Join(" && ", Enumerable.Repeat("other.gpu", 21)), out var ok, out _), Is.True);
        Assert.That(ok.NodeCount, Is.LessThanOrEqualTo(Requirement.MaxNodes));

        string deep = new string('(', 16) + "other.gpu" + new string(')', 16);
        Assert.That(Requirement.TryParse(deep, out _, out var tooDeep), Is.False);
        Assert.That(tooDeep!.Reason, Does.Contain("deeper than 16"));
        Assert.That(Requirement.TryParse(new string('(', 15) + "other.gpu" + new string(')', 15), out _, out _), Is.True);
        Assert.That(Requirement.TryParse(new string('!', 16) + "other.gpu", out _, out var tooManyNots), Is.False);
        Assert.That(tooManyNots!.Reason, Does.Contain("deeper than 16"));

        string longString = "other.region == \"" + new string('a', AttributeSet.MaxStringLength + 1) + "\"";
        Assert.That(Requirement.TryParse(longString, out _, out var tooLongString), Is.False);
        Assert.That(tooLongString!.Reason, Does.Contain("string longer than"));
    }

    [Test]
    public void Random_garbage_never_throws_and_either_parses_or_explains()
    {
        var random = new Random(1234);
        const string alphabet = "abc.other()&|!=<>\"\\ 0123456789-_truefalsemy\t";
        for (int i = 0; i < 5000; i++)
        {
            var chars = new char[random.Next(0, 40)];
            for (int j = 0; j < chars.Length; j++) chars[j] = alphabet[random.Next(alphabet.Length)];
            string text = new(chars);
            if (Requirement.TryParse(text, out var r, out var error))
            {
                int cost = 0;
                r.Evaluate(Request, Offer, ref cost);
                Assert.That(cost, Is.LessThanOrEqualTo(Requirement.MaxNodes), text);
            }
            else
            {
                Assert.That(error!.Position, Is.InRange(0, text.Length), text);
                Assert.That(error.Reason, Is.Not.Empty);
            }
        }
    }

    [Test]
    public void Attribute_sets_refuse_bad_names_duplicates_and_oversize()
    {
        Assert.That(AttributeSet.TryCreate([("Memory", AttributeValue.Of(1))], out _, out _), Is.False);
        Assert.That(AttributeSet.TryCreate([("other.x", AttributeValue.Of(1))], out _, out _), Is.False);
        Assert.That(AttributeSet.TryCreate([("true", AttributeValue.Of(1))], out _, out _), Is.False);
        Assert.That(AttributeSet.TryCreate([("a", AttributeValue.Of(1)), ("a", AttributeValue.Of(2))], out _, out var dup), Is.False);
        Assert.That(dup, Does.Contain("duplicate"));
        Assert.That(AttributeSet.TryCreate([("s", AttributeValue.Of("\u0001"))], out _, out _), Is.False);
        var many = Enumerable.Range(0, AttributeSet.MaxAttributes + 1).Select(i => ($"a{i}", AttributeValue.Of(i))).ToArray();
        Assert.That(AttributeSet.TryCreate(many, out _, out var tooMany), Is.False);
        Assert.That(tooMany, Does.Contain("at most"));
        Assert.That(AttributeSet.TryCreate([("b.c", AttributeValue.Of(2)), ("a_1", AttributeValue.Of(true))], out var set, out _), Is.True);
        Assert.That(set.NameAt(0), Is.EqualTo("a_1"));
        Assert.That(set.TryGet("b.c", out var v) && v == AttributeValue.Of(2), Is.True);
    }
}
