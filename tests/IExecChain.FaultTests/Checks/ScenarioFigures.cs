using System.Globalization;
using System.Text.Json;
using NUnit.Framework;

namespace IExecChain.FaultTests.Checks;

/// <summary>
/// The measured figures of one scenario run, printed to the test output and, with
/// IEXEC_FAULTS_RESULTS set, appended there as one JSON line (what docs/reliability.md quotes).
/// </summary>
internal sealed class ScenarioFigures(string scenario, int validators)
{
    private readonly List<KeyValuePair<string, string>> _figures = [];

    public void Add(string name, double value, string unit = "") =>
        Add(name, value.ToString(value == Math.Floor(value) ? "0" : "0.00", CultureInfo.InvariantCulture) + (unit.Length > 0 ? " " + unit : ""));

    public void Add(string name, TimeSpan value) => Add(name, value.TotalSeconds, "s");

    public void Add(string name, string value)
    {
        _figures.Add(new(name, value));
        TestContext.Progress.WriteLine($"[{scenario}/{validators}] {name}: {value}");
    }

    public void Write(IReadOnlyList<string> failures)
    {
        foreach (var failure in failures) TestContext.Progress.WriteLine($"[{scenario}/{validators}] FAILED: {failure}");
        if (FaultSettings.ResultsFile is not { } file) return;
        var line = JsonSerializer.Serialize(new
        {
            date = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            scenario,
            validators,
            mode = FaultSettings.Long ? "long" : "short",
            load = FaultSettings.LoadRate,
            passed = failures.Count == 0,
            figures = _figures.ToDictionary(f => f.Key, f => f.Value),
            failures,
        });
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        File.AppendAllText(file, line + "\n");
    }
}
