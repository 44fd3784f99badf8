using IExecChain.Node.Cli;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace IExecChain.Node.Tests;

/// <summary>The node config's "logging" section (docs/node-config.md): format and per-category levels, and every refusal naming its field.</summary>
public class NodeConfigLoggingTests
{
    private static NodeConfigFile Parse(string json) => NodeConfigFile.Parse(json, "node.json", "/tmp");

    [Test]
    public void Format_and_levels_are_read()
    {
        var file = Parse("""{"logging": {"format": "json", "levels": {"IExecChain.Network": "warning", "IExecChain.Consensus": "Debug"}}}""");
        Assert.That(file.Logging!.Format, Is.EqualTo("json"));
        Assert.That(file.Logging.Levels, Is.EquivalentTo(new Dictionary<string, LogLevel> { ["IExecChain.Network"] = LogLevel.Warning, ["IExecChain.Consensus"] = LogLevel.Debug }));
        Assert.That(Parse("{}").Logging, Is.Null);
    }

    [TestCase("""{"logging": []}""", "$.logging: must be an object")]
    [TestCase("""{"logging": {"format": "xml"}}""", "$.logging.format: must be \"text\" or \"json\"")]
    [TestCase("""{"logging": {"format": 1}}""", "$.logging.format: must be \"text\" or \"json\"")]
    [TestCase("""{"logging": {"colour": true}}""", "$.logging.colour: unknown field (known: format, levels)")]
    [TestCase("""{"logging": {"levels": ["Warning"]}}""", "$.logging.levels: must be an object")]
    [TestCase("""{"logging": {"levels": {"IExecChain": "Loud"}}}""", "$.logging.levels.IExecChain: must be one of Trace, Debug")]
    [TestCase("""{"logging": {"levels": {"IExecChain": "3"}}}""", "$.logging.levels.IExecChain: must be one of")]
    [TestCase("""{"logging": {"levels": {"": "Warning"}}}""", "$.logging.levels: a category must not be empty")]
    public void Bad_logging_settings_are_refused_naming_the_field(string json, string message)
    {
        var e = Assert.Throws<CliException>(() => Parse(json))!;
        Assert.That(e.Message, Does.Contain(message));
    }
}
