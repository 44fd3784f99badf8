using System.Text.Json;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>`--log-format json` and the node config's "logging" section, on a real node process.</summary>
[NonParallelizable]
public partial class LoggingTests
{
    [Test]
    public async Task With_log_format_json_every_log_entry_is_one_json_object_per_line()
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator(null, "--log-format", "json");
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        node.Terminate();

        var entries = Entries(node.Output);
        Assert.That(entries, Has.Count.GreaterThanOrEqualTo(3), node.Output);
        Assert.That(TextLogLine().IsMatch(node.Output), Is.False, "no entry is written as text:\n" + node.Output);
        foreach (var entry in entries)
        {
            Assert.That(DateTime.TryParse(entry.GetProperty("Timestamp").GetString(), out _), Is.True, entry.ToString());
            Assert.That(entry.GetProperty("LogLevel").GetString(), Is.AnyOf("Trace", "Debug", "Information", "Warning", "Error", "Critical"));
            Assert.That(entry.GetProperty("Category").GetString(), Is.Not.Empty);
            Assert.That(entry.TryGetProperty("Message", out _), Is.True, entry.ToString());
        }
        Assert.That(entries.Any(e => e.GetProperty("LogLevel").GetString() == "Information" && e.GetProperty("Category").GetString()!.StartsWith("IExecChain", StringComparison.Ordinal)),
            Is.True, "the node's own start-up entries are there");
    }

    [Test]
    public async Task The_node_config_sets_the_format_and_a_level_per_category()
    {
        using var chain = new DevChain();
        using var dir = new TempDir();
        string config = dir.File("node.json");
        File.WriteAllText(config, """{"logging": {"format": "json", "levels": {"IExecChain": "Warning"}}}""");
        using var node = chain.StartValidator(null, "--config", config);
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        node.Terminate();

        var entries = Entries(node.Output);
        Assert.That(TextLogLine().IsMatch(node.Output), Is.False, "the config's format applies:\n" + node.Output);
        Assert.That(entries.Where(e => e.GetProperty("Category").GetString()!.StartsWith("IExecChain", StringComparison.Ordinal))
            .Select(e => e.GetProperty("LogLevel").GetString()), Has.None.EqualTo("Information").And.None.EqualTo("Debug"), node.Output);

        File.WriteAllText(config, """{"logging": {"format": "xml"}}""");
        var (code, output) = NodeProcess.Run("run", "--config", config, "--data", dir.File("unused"));
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("$.logging.format: must be \"text\" or \"json\""));
        File.WriteAllText(config, """{"logging": {"levels": {"IExecChain.Network": "Loud"}}}""");
        (code, output) = NodeProcess.Run("run", "--config", config, "--data", dir.File("unused"));
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("$.logging.levels.IExecChain.Network: must be one of Trace, Debug, Information, Warning, Error, Critical, None"));
    }

    private static List<JsonElement> Entries(string output)
    {
        var entries = new List<JsonElement>();
        foreach (var line in output.Split('\n'))
        {
            if (!line.StartsWith('{')) continue;
            using var document = JsonDocument.Parse(line);
            entries.Add(document.RootElement.Clone());
        }
        return entries;
    }

    // The text console formatter's single line: "12:34:56.789 info: Category[0] message".
    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} (trce|dbug|info|warn|fail|crit): ", RegexOptions.Multiline)]
    private static partial Regex TextLogLine();
}
