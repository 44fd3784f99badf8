using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;

using IExecChain.TestSupport;

namespace IExecChain.Ethereum.Tests.Support;

/// <summary>
/// node + the npm packages in js/ (ganache, solc, ethers, yosys; pinned by js/package-lock.json),
/// installed next to the test binaries on first use. Without node or npm a test fails on CI
/// (CI=true) and is ignored elsewhere.
/// </summary>
internal static class NodeTools
{
    private static readonly Lock InstallLock = new();
    private static string? _problem;
    private static bool _checked;

    public static string ScriptDirectory => Path.Combine(TestContext.CurrentContext.TestDirectory, "js");

    public static void EnsureInstalled()
    {
        lock (InstallLock)
        {
            if (!_checked) _problem = ExternalTool.InstallNpmPackages(ScriptDirectory);
            _checked = true;
        }
        if (_problem is null) return;
        ExternalTool.Unavailable($"node tools unavailable: {_problem}");
    }

    /// <summary>Runs a script in js/ and parses its stdout as JSON.</summary>
    public static JsonElement RunScript(string script, params string[] arguments)
    {
        EnsureInstalled();
        var (exit, output, error) = ExternalTool.Run("node", [script, .. arguments], ScriptDirectory, TimeSpan.FromMinutes(2));
        if (exit != 0) Assert.Fail($"node {script} failed (exit {exit}): {error}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    /// <summary>Runs a script with <paramref name="input"/> written to a temporary JSON file passed as its argument.</summary>
    public static JsonElement RunScriptWithInput(string script, object input)
    {
        string path = Path.Combine(Path.GetTempPath(), $"iexecchain-eth-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(input));
        try
        {
            return RunScript(script, path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static Process StartNode(IEnumerable<string> arguments) => ExternalTool.Start("node", arguments, ScriptDirectory);
}
