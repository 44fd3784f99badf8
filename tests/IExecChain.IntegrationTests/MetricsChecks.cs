using System.Text.Json;
using System.Text.RegularExpressions;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// The node's /metrics against Prometheus' own checker (promtool, Debian package prometheus) and
/// against docs/metrics.md, docs/prometheus.yml and docs/grafana-dashboard.json (docs/metrics.md).
/// </summary>
internal static partial class MetricsChecks
{
    private const string FollowerOnly = "Only on a validator following Ethereum";

    public static async Task CheckAsync(IReadOnlyList<Uri> nodes)
    {
        if (ExternalTool.Find("promtool") is null)
            ExternalTool.Unavailable("promtool is not on PATH (Debian package prometheus; scripts/prerequisites.sh installs it)");
        string docs = Path.Combine(TestContext.CurrentContext.TestDirectory, "docs");
        var documented = Documented(File.ReadAllText(Path.Combine(docs, "metrics.md")));
        var served = new Dictionary<string, string>(StringComparer.Ordinal);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var node in nodes)
        {
            string metrics = await http.GetStringAsync(new Uri(node, "/metrics"));
            var (exit, output, error) = ExternalTool.Run("promtool", ["check", "metrics"], docs, TimeSpan.FromSeconds(30), metrics);
            Assert.That(exit, Is.Zero, $"promtool check metrics on {node}:\n{output}{error}");
            foreach (Match m in TypeLine().Matches(metrics)) served[m.Groups[1].Value] = m.Groups[2].Value;
        }
        Assert.That(served, Is.Not.Empty);
        foreach (var (name, type) in served)
        {
            Assert.That(documented.TryGetValue(name, out var row), Is.True, $"{name} is served but not in docs/metrics.md");
            Assert.That(row.Type, Is.EqualTo(type), $"docs/metrics.md gives {name} the wrong type");
        }
        foreach (var (name, row) in documented)
            Assert.That(served.ContainsKey(name) || row.FollowerOnly, Is.True, $"docs/metrics.md lists {name}, which the node does not serve");

        var (configExit, configOutput, configError) = ExternalTool.Run("promtool", ["check", "config", "prometheus.yml"], docs, TimeSpan.FromSeconds(30));
        Assert.That(configExit, Is.Zero, $"promtool check config docs/prometheus.yml:\n{configOutput}{configError}");

        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(docs, "grafana-dashboard.json")));
        int queries = 0;
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        foreach (var target in panel.GetProperty("targets").EnumerateArray())
        {
            queries++;
            string expr = target.GetProperty("expr").GetString()!;
            foreach (Match m in MetricName().Matches(expr))
            {
                string name = HistogramPart().Replace(m.Value, "");
                Assert.That(documented.ContainsKey(name) && (served.ContainsKey(name) || documented[name].FollowerOnly), Is.True,
                    $"dashboard panel '{panel.GetProperty("title").GetString()}' queries {m.Value}, which the node does not serve");
            }
        }
        Assert.That(queries, Is.GreaterThanOrEqualTo(10));
    }

    private static Dictionary<string, (string Type, bool FollowerOnly)> Documented(string markdown)
    {
        var rows = new Dictionary<string, (string, bool)>(StringComparer.Ordinal);
        foreach (Match m in TableRow().Matches(markdown)) rows[m.Groups[1].Value] = (m.Groups[2].Value, m.Value.Contains(FollowerOnly, StringComparison.Ordinal));
        return rows;
    }

    [GeneratedRegex(@"^# TYPE (\S+) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^\| `(iexec_[a-z0-9_]+)` \| (gauge|counter|histogram|summary) \|.*$", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"iexec_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"_(bucket|sum|count)$")]
    private static partial Regex HistogramPart();
}
