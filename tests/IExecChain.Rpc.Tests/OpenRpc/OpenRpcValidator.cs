using System.Text.Json;
using System.Text.Json.Nodes;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests.OpenRpc;

/// <summary>
/// Runs js/validate.mjs: the OpenRPC project's own validator (@open-rpc/schema-utils-js, pinned by
/// js/package-lock.json) and ajv on a document, independently of the code that wrote it. Without node
/// or npm the test fails on CI (CI=true) and is ignored elsewhere.
/// </summary>
internal static class OpenRpcValidator
{
    private static string ScriptDirectory => Path.Combine(TestContext.CurrentContext.TestDirectory, "js");

    /// <summary>The validator's findings (empty when the document is valid) and the number of methods it read.</summary>
    public static (int Methods, List<string> Errors) Validate(JsonNode document)
    {
        if (ExternalTool.InstallNpmPackages(ScriptDirectory) is { } problem) ExternalTool.Unavailable($"OpenRPC validator unavailable: {problem}");
        string path = Path.Combine(Path.GetTempPath(), $"iexecchain-openrpc-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, document.ToJsonString());
        try
        {
            var (exit, output, error) = ExternalTool.Run("node", ["validate.mjs", path], ScriptDirectory, TimeSpan.FromMinutes(2));
            if (exit != 0) Assert.Fail($"node validate.mjs failed (exit {exit}): {error}");
            using var result = JsonDocument.Parse(output);
            return (result.RootElement.GetProperty("methods").GetInt32(), [.. result.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!)]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
