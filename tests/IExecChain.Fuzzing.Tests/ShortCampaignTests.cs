using System.Diagnostics;
using System.Text.Json;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Fuzzing.Tests;

/// <summary>
/// A few seconds of coverage-guided fuzzing per target (afl-fuzz over assemblies instrumented by
/// SharpFuzz, through scripts/fuzz.sh): each CI run explores a little further from the seeds. The
/// long runs (10^6 executions and more per target) are run by command; docs/security.md has them.
/// </summary>
[Category("fuzz")]
public class ShortCampaignTests
{
    private const int Seconds = 10;

    public static IEnumerable<string> Targets() => FuzzTargets.All.Select(t => t.Name);

    [TestCaseSource(nameof(Targets))]
    public void A_short_coverage_guided_run_finds_no_crash_and_no_hang(string target)
    {
        if (ExternalTool.Find("afl-fuzz") is null) ExternalTool.Unavailable("afl-fuzz is not installed (scripts/prerequisites.sh installs afl++)");
        var start = new ProcessStartInfo("bash", [Path.Combine(FuzzPaths.Repository, "scripts", "fuzz.sh"), target, "--seconds", Seconds.ToString(), "--no-build"])
        {
            WorkingDirectory = FuzzPaths.Repository,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["IEXEC_FUZZ_BIN"] = FuzzPaths.FuzzingBuild();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string report = output + stderr.Result;

        Assert.That(process.ExitCode, Is.Zero, report);
        var figures = LastResult(target);
        Assert.Multiple(() =>
        {
            Assert.That(figures.GetProperty("saved_crashes").GetInt64(), Is.Zero, report);
            Assert.That(figures.GetProperty("saved_hangs").GetInt64(), Is.Zero, report);
            // A run that never got going (a broken forkserver, an instrumentation mismatch) would also find nothing.
            Assert.That(figures.GetProperty("execs_done").GetInt64(), Is.GreaterThan(1000), report);
        });
        TestContext.Out.WriteLine(figures.GetRawText());
    }

    private static JsonElement LastResult(string target)
    {
        var path = Path.Combine(FuzzPaths.Repository, "TestResults", "fuzz", "results.jsonl");
        JsonElement? last = null;
        foreach (var line in File.ReadLines(path))
        {
            var element = JsonDocument.Parse(line).RootElement;
            if (element.GetProperty("target").GetString() == target) last = element.Clone();
        }
        return last ?? throw new AssertionException($"no result for {target} in {path}");
    }
}
