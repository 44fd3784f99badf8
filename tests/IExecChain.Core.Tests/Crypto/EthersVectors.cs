using System.Text.Json;
using NUnit.Framework;

using IExecChain.TestSupport;

namespace IExecChain.Core.Tests.Crypto;

/// <summary>
/// Runs js/vectors.mjs with ethers v6 (installed by npm next to the test binaries on first use,
/// pinned by js/package-lock.json). Without node or npm the calling fixture fails on CI
/// (CI=true) and is ignored elsewhere.
/// </summary>
internal static class EthersVectors
{
    public static string ScriptDirectory => Path.Combine(TestContext.CurrentContext.TestDirectory, "js");

    /// <summary>Makes sure node and ethers are usable; fails or ignores the fixture otherwise.</summary>
    public static void EnsureInstalled()
    {
        if (ExternalTool.InstallNpmPackages(ScriptDirectory) is { } problem) ExternalTool.Unavailable($"ethers v6 vectors unavailable: {problem}");
    }

    /// <summary>Runs vectors.mjs in <paramref name="mode"/> with <paramref name="input"/> serialized as JSON; returns its parsed stdout.</summary>
    public static JsonElement Run(string mode, object input)
    {
        string inputPath = Path.Combine(Path.GetTempPath(), $"iexecchain-ethers-{Guid.NewGuid():N}.json");
        File.WriteAllText(inputPath, JsonSerializer.Serialize(input));
        try
        {
            var (exit, output, error) = ExternalTool.Run("node", ["vectors.mjs", mode, inputPath], ScriptDirectory, TimeSpan.FromMinutes(2));
            if (exit != 0) Assert.Fail($"node vectors.mjs {mode} failed (exit {exit}): {error}");
            return JsonDocument.Parse(output).RootElement.Clone();
        }
        finally
        {
            File.Delete(inputPath);
        }
    }
}
