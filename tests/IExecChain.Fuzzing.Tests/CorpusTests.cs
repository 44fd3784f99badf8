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

    /// <summary>
    /// Seeds written before an encoding or a target changed start a campaign from inputs the decoders
    /// now refuse early (the wasm seeds once lacked an app added later): the committed corpus must be what
    /// the seed writer makes from today's code.
    /// </summary>
    [Test]
    public void The_committed_seeds_are_what_the_seed_writer_makes_today()
    {
        string fresh = Path.Combine(Path.GetTempPath(), "iexec-seeds-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            SeedCorpus.Write(fresh);
            var stale = new List<string>();
            foreach (string folder in Directory.GetDirectories(fresh).Order(StringComparer.Ordinal))
            {
                string target = Path.GetFileName(folder);
                var written = Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
                string committed = FuzzPaths.Corpus(target);
                var kept = Directory.Exists(committed) ? Directory.GetFiles(committed).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes) : [];
                foreach (var (name, bytes) in written)
                    if (!kept.TryGetValue(name, out var old) || !old.AsSpan().SequenceEqual(bytes)) stale.Add($"{target}/{name}");
                foreach (string name in kept.Keys.Except(written.Keys)) stale.Add($"{target}/{name} (no longer written)");
            }
            Assert.That(stale, Is.Empty,
                "the corpus is stale; rewrite it: dotnet tests/IExecChain.Fuzzing/bin/Release/net10.0/IExecChain.Fuzzing.dll seeds tests/IExecChain.Fuzzing/corpus");
        }
        finally
        {
            Directory.Delete(fresh, recursive: true);
        }
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
