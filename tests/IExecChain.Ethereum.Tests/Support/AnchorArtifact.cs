using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Ethereum.Tests.Support;

/// <summary>A contract of Contracts/ compiled once per test run with solc-js (js/compile.mjs): creation code and ABI.</summary>
internal sealed class ContractArtifact(string name)
{
    private readonly Lazy<(byte[] Bytecode, string Abi)> _compiled = new(() =>
    {
        string source = Path.Combine(TestContext.CurrentContext.TestDirectory, "Contracts", name + ".sol");
        Assert.That(File.Exists(source), Is.True, $"{source} missing: the contract should be copied next to the tests");
        var output = NodeTools.RunScript("compile.mjs", source, name);
        return (Hex.Decode(output.GetProperty("bytecode").GetString()!), output.GetProperty("abi").GetRawText());
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public byte[] Bytecode => _compiled.Value.Bytecode;

    /// <summary>The JSON ABI solc produced, for checking call data against ethers' Interface.</summary>
    public string Abi => _compiled.Value.Abi;
}

/// <summary>Contracts/Anchor.sol compiled once per test run.</summary>
internal static class AnchorArtifact
{
    public static readonly ContractArtifact Contract = new("Anchor");

    public static byte[] Bytecode => Contract.Bytecode;
}

internal static class BridgeArtifacts
{
    public static readonly ContractArtifact Bridge = new("Bridge");
    public static readonly ContractArtifact TestRlc = new("TestRlc");
}
