using NUnit.Framework;

namespace IExecChain.Fuzzing.Tests;

/// <summary>
/// Every seed and every input a fuzzer once crashed a decoder with, run through its target in this
/// process: the cheap half of fuzzing that runs everywhere, and the regression test of each finding.
/// </summary>
public class CorpusTests
{
    public static IEnumerable<string> Targets() => FuzzTargets.All.Select(t => t.Name);

    [TestCaseSource(nameof(Targets))]
    public void Every_target_starts_from_valid_seeds(string target)
    {
        var folder = FuzzPaths.Corpus(target);
        Assert.That(Directory.Exists(folder) ? Directory.GetFiles(folder) : [], Is.Not.Empty, $"no seed corpus in {folder}");
    }

    [TestCaseSource(nameof(Targets))]
    public void Seeds_and_past_findings_decode_or_are_refused_cleanly(string target)
    {
        var run = FuzzTargets.Find(target)!;
        var failures = new List<string>();
        foreach (var folder in new[] { FuzzPaths.Corpus(target), FuzzPaths.Regressions(target) })
        {
            if (!Directory.Exists(folder)) continue;
            foreach (var file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
            {
                try
                {
                    run.Run(File.ReadAllBytes(file));
                }
                catch (Exception e)
                {
                    failures.Add($"{Path.GetRelativePath(FuzzPaths.Repository, file)}: {e.GetType().Name}: {e.Message}");
                }
            }
        }
        Assert.That(failures, Is.Empty);
    }
}
