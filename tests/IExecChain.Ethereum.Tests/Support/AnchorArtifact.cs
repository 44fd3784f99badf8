using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Ethereum.Tests.Support;

/// <summary>Contracts/Anchor.sol compiled once per test run with solc-js (js/compile.mjs).</summary>
internal static class AnchorArtifact
{
    private static readonly Lazy<byte[]> Compiled = new(() =>
    {
        string source = Path.Combine(TestContext.CurrentContext.TestDirectory, "Contracts", "Anchor.sol");
        Assert.That(File.Exists(source), Is.True, $"{source} missing: the contract should be copied next to the tests");
        var output = NodeTools.RunScript("compile.mjs", source, "Anchor");
        return Hex.Decode(output.GetProperty("bytecode").GetString()!);
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public static byte[] Bytecode => Compiled.Value;
}
