using IExecChain.Worker.Execution;
using NUnit.Framework;

namespace IExecChain.Worker.Tests;

public sealed class TaskArgumentsTests
{
    [TestCase("", new string[0])]
    [TestCase("  a  b\tc\n", new[] { "a", "b", "c" })]
    [TestCase("'one two' three", new[] { "one two", "three" })]
    [TestCase("\"say \\\"hi\\\"\" x", new[] { "say \"hi\"", "x" })]
    [TestCase("a\\ b 'c'\"d\"e", new[] { "a b", "cde" })]
    [TestCase("'' \"\"", new[] { "", "" })]
    [TestCase("'$HOME' \"*\"", new[] { "$HOME", "*" })]
    public void Params_split_like_shell_words_without_expansion(string parameters, string[] expected)
    {
        Assert.That(TaskArguments.Split(parameters), Is.EqualTo(expected));
    }

    [TestCase("'open")]
    [TestCase("\"open")]
    [TestCase("trailing\\")]
    public void Unterminated_quote_or_escape_is_rejected(string parameters)
    {
        Assert.Throws<FormatException>(() => TaskArguments.Split(parameters));
    }
}
