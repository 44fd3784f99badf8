using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Tests.Support;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>`anchor deploy` through the CLI for a devnet chain on ganache, paid by ganache's first account.</summary>
internal static class AnchorDeploy
{
    /// <summary>The deployed contract's address, and the payer's keystore (the chain's password file opens it).</summary>
    public static (string Anchor, string PayerKey) Run(DevChain chain, Ganache ganache)
    {
        // The Ethereum payer's key as a keystore, and the contract's creation code from solc-js.
        var payerKey = chain.Dir.File("eth-payer.json");
        var (code, output) = NodeProcess.Run("keys", "import", "--private-key", Ganache.Accounts[0].ToHex(), "--out", payerKey, "--password-file", chain.PasswordFile);
        Assert.That(code, Is.EqualTo(0), output);
        var bytecodeFile = chain.Dir.File("anchor.bin");
        File.WriteAllText(bytecodeFile, Hex.Encode(AnchorArtifact.Bytecode));
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(60), "anchor", "deploy", "--rpc", chain.Rpc.ToString(), "--eth-rpc", ganache.Endpoint.ToString(),
            "--eth-key", payerKey, "--password-file", chain.PasswordFile, "--bytecode", bytecodeFile);
        Assert.That(code, Is.EqualTo(0), output);
        return (output.Split('\n', StringSplitOptions.RemoveEmptyEntries).First(l => l.StartsWith("0x", StringComparison.Ordinal)).Trim(), payerKey);
    }
}
