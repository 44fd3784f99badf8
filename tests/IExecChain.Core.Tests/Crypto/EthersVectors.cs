using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;

namespace IExecChain.Core.Tests.Crypto;

/// <summary>
/// Runs js/vectors.mjs with ethers v6 (installed by npm next to the test binaries on first use,
/// pinned by js/package-lock.json). Without node or npm the calling fixture fails on CI
/// (CI=true) and is ignored elsewhere.
/// </summary>
internal static class EthersVectors
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    public static string ScriptDirectory => Path.Combine(TestContext.CurrentContext.TestDirectory, "js");

    /// <summary>Makes sure node and ethers are usable; fails or ignores the fixture otherwise.</summary>
    public static void EnsureInstalled()
    {
        string? problem = FindTool("node") is null ? "node is not on PATH"
            : FindTool("npm") is null ? "npm is not on PATH"
            : null;
        if (problem is null)
        {
            InstallLock.Wait();
            try
            {
                if (!File.Exists(Path.Combine(ScriptDirectory, "node_modules", "ethers", "package.json")))
                {
                    var (exit, _, error) = Run("npm", ["install", "--no-audit", "--no-fund"], input: null, TimeSpan.FromMinutes(5));
                    if (exit != 0) problem = $"npm install of ethers failed (exit {exit}): {error}";
                }
            }
            finally
            {
                InstallLock.Release();
            }
        }
        if (problem is null) return;
        string message = $"ethers v6 vectors unavailable: {problem}";
        if (Backends.IsCi) Assert.Fail(message + " (CI=true: node and npm are required)");
        Assert.Ignore(message);
    }

    /// <summary>Runs vectors.mjs in <paramref name="mode"/> with <paramref name="input"/> serialized as JSON; returns its parsed stdout.</summary>
    public static JsonElement Run(string mode, object input)
    {
        string inputPath = Path.Combine(Path.GetTempPath(), $"iexecchain-ethers-{Guid.NewGuid():N}.json");
        File.WriteAllText(inputPath, JsonSerializer.Serialize(input));
        try
        {
            var (exit, output, error) = Run("node", ["vectors.mjs", mode, inputPath], input: null, TimeSpan.FromMinutes(2));
            if (exit != 0) Assert.Fail($"node vectors.mjs {mode} failed (exit {exit}): {error}");
            return JsonDocument.Parse(output).RootElement.Clone();
        }
        finally
        {
            File.Delete(inputPath);
        }
    }

    private static (int Exit, string Output, string Error) Run(string tool, string[] arguments, string? input, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(FindTool(tool)!)
        {
            WorkingDirectory = ScriptDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "", $"{tool} timed out after {timeout}");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    private static string? FindTool(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
