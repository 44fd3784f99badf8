using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.BrowserTests;

/// <summary>
/// The explorer's own modules (format, draw scheduling, the shared WebSocket's reconnection, routing)
/// under Node's test runner: src/IExecChain.Explorer/test/*.test.mjs.
/// </summary>
[TestFixture]
public sealed class ExplorerModuleTests
{
    [Test]
    public void Explorer_modules_pass_their_node_test_suite()
    {
        if (ExternalTool.Find("node") is null) ExternalTool.Unavailable("node is not on PATH");
        string? root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "iExecChain.sln"))) root = Path.GetDirectoryName(root);
        Assert.That(root, Is.Not.Null, "the repository (iExecChain.sln) above the test binaries");
        string explorer = Path.Combine(root!, "src", "IExecChain.Explorer");

        // Files named one by one: how `node --test DIR` reads a directory differs between Node versions.
        string[] files = [.. Directory.GetFiles(Path.Combine(explorer, "test"), "*.test.mjs").Order(StringComparer.Ordinal).Select(f => Path.Combine("test", Path.GetFileName(f)))];
        Assert.That(files, Is.Not.Empty);

        var (exit, output, error) = ExternalTool.Run("node", ["--test", .. files], explorer, TimeSpan.FromMinutes(2));

        TestContext.Out.WriteLine(output);
        Assert.That(exit, Is.EqualTo(0), $"node --test failed:\n{output}\n{error}");
        Assert.That(output, Does.Match(@"# pass [1-9]"), "no test ran");
        Assert.That(output, Does.Contain("# fail 0"));
    }
}
