using System.Diagnostics;
using NUnit.Framework;

namespace IExecChain.TestSupport;

/// <summary>
/// Runs an external tool (node, npm) for tests that check our encodings against other systems.
/// Linked into every test project that needs it, so the lookup and the timeout handling live once.
/// </summary>
internal static class ExternalTool
{
    /// <summary>True under CI (CI=true), where scripts/prerequisites.sh has installed every tool a test needs.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A tool the test needs is missing: a failure under CI, where it must be there; elsewhere the
    /// test is skipped with the reason, so a developer without the tool still runs the rest.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Unavailable(string message)
    {
        if (IsCi) Assert.Fail(message + " (CI=true: every tool the tests need is required)");
        Assert.Ignore(message);
        throw new UnreachableException();
    }

    /// <summary>The tool's full path on PATH, or null when it is not installed.</summary>
    public static string? Find(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static readonly Lock NpmLock = new();

    /// <summary>
    /// Installs the packages of <paramref name="directory"/>/package.json, pinned by its package-lock.json
    /// (<c>npm ci</c>), when any of them is missing (a package added since the last install included).
    /// Returns why the packages are unusable, or null when they are ready.
    /// </summary>
    public static string? InstallNpmPackages(string directory)
    {
        if (Find("node") is null) return "node is not on PATH";
        if (Find("npm") is null) return "npm is not on PATH";
        lock (NpmLock)
        {
            using var package = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "package.json")));
            bool missing = package.RootElement.GetProperty("dependencies").EnumerateObject()
                .Any(dependency => !File.Exists(Path.Combine(directory, "node_modules", dependency.Name, "package.json")));
            if (!missing) return null;
            var (exit, _, error) = Run("npm", ["ci", "--no-audit", "--no-fund"], directory, TimeSpan.FromMinutes(5));
            return exit == 0 ? null : $"npm ci in {directory} failed (exit {exit}): {error}";
        }
    }

    /// <summary>Starts the tool in <paramref name="workingDirectory"/> with CI=true and every stream redirected.</summary>
    public static Process Start(string tool, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(Find(tool) ?? throw new InvalidOperationException($"{tool} is not on PATH"))
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["CI"] = "true";
        return Process.Start(start)!;
    }

    /// <summary>Runs the tool to completion (killed after <paramref name="timeout"/>), with <paramref name="input"/> on stdin.</summary>
    public static (int Exit, string Output, string Error) Run(string tool, string[] arguments, string workingDirectory, TimeSpan timeout, string? input = null)
    {
        using var process = Start(tool, arguments, workingDirectory);
        if (input is not null) process.StandardInput.Write(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "", $"{tool} timed out after {timeout}");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
