using System.Text.Json;
using System.Text.RegularExpressions;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.State.Tests.ClientVectors;

/// <summary>
/// Runs the explorer's JS client tests (src/IExecChain.Explorer/client/test, node's test runner) as
/// one NUnit test, so scripts/test.sh runs them with everything else: they check the client against
/// the vectors ClientVectorTests keeps equal to the node's output. Installs the client's pinned
/// packages (npm ci) when they are missing or of another version. Without node the test is ignored,
/// or fails under CI=true.
/// </summary>
[TestFixture]
public sealed class ClientModuleTests
{
    private static string ClientDirectory => Path.Combine(VectorFiles.RepositoryRoot(), "src", "IExecChain.Explorer", "client");

    [Test]
    public void The_JS_client_passes_its_node_test_suite_against_the_node_vectors()
    {
        string directory = ClientDirectory;
        if (ExternalTool.Find("node") is null) ExternalTool.Unavailable("node is not on PATH: the JS client tests cannot run");
        if (NeedsInstall(directory))
        {
            if (ExternalTool.Find("npm") is null) ExternalTool.Unavailable("npm is not on PATH: the JS client's packages cannot be installed");
            var (installExit, installOutput, installError) = ExternalTool.Run("npm", ["ci", "--no-audit", "--no-fund"], directory, TimeSpan.FromMinutes(5));
            Assert.That(installExit, Is.Zero, $"npm ci in {directory} failed:\n{installOutput}\n{installError}");
        }

        var files = Directory.GetFiles(Path.Combine(directory, "test"), "*.test.js").Order(StringComparer.Ordinal).Select(f => Path.Combine("test", Path.GetFileName(f))).ToArray();
        Assert.That(files, Is.Not.Empty, "no test/*.test.js in the client");
        var (exit, output, error) = ExternalTool.Run("node", ["--test", "--test-reporter=tap", .. files], directory, TimeSpan.FromMinutes(5));
        string report = $"node --test in {directory} (exit {exit}):\n{output}\n{error}";
        Assert.That(exit, Is.Zero, report);
        // A run that passes nothing would also exit 0: require the counts.
        var passed = Regex.Match(output, @"^# pass (\d+)$", RegexOptions.Multiline);
        var failed = Regex.Match(output, @"^# fail (\d+)$", RegexOptions.Multiline);
        Assert.That(passed.Success && int.Parse(passed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, Is.True, report);
        Assert.That(failed.Success && failed.Groups[1].Value == "0", Is.True, report);
        TestContext.Out.WriteLine($"JS client: {passed.Groups[1].Value} node tests passed");
    }

    /// <summary>True when a dependency is not installed at the exact version package.json pins.</summary>
    private static bool NeedsInstall(string directory)
    {
        using var package = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "package.json")));
        foreach (var dependency in package.RootElement.GetProperty("dependencies").EnumerateObject())
        {
            string installed = Path.Combine(directory, "node_modules", dependency.Name, "package.json");
            if (!File.Exists(installed)) return true;
            using var manifest = JsonDocument.Parse(File.ReadAllBytes(installed));
            if (manifest.RootElement.GetProperty("version").GetString() != dependency.Value.GetString()) return true;
        }
        return false;
    }
}
