namespace IExecChain.Fuzzing.Tests;

/// <summary>Where the corpus, the past findings and the fuzzing build live, found from this test's own build folder.</summary>
internal static class FuzzPaths
{
    public static readonly string Repository = FindRepository();

    public static string Corpus(string target) => Path.Combine(Repository, "tests", "IExecChain.Fuzzing", "corpus", target);

    public static string Regressions(string target) => Path.Combine(Repository, "tests", "IExecChain.Fuzzing", "regressions", target);

    /// <summary>tests/IExecChain.Fuzzing/bin/CONFIGURATION/net10.0, in the configuration these tests were built in.</summary>
    public static string FuzzingBuild()
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(Repository, "tests", "IExecChain.Fuzzing", "bin", framework.Parent!.Name, framework.Name);
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "iExecChain.sln"))) return dir.FullName;
        throw new InvalidOperationException("the tests run from inside the repository");
    }
}
