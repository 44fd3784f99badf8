using System.Globalization;
using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.Tests.Support;
using IExecChain.Rpc.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// A sidechain node signs checkpoints inside consensus; the CLI deploys the anchor contract on a
/// real ganache and a relayer process anchors consecutive checkpoints (10 or more, up to number 14) across a validator-set
/// change; independent eth_calls read the result and verify a block hash with a Merkle proof.
/// </summary>
[NonParallelizable]
public class AnchoringEndToEndTests
{
    [Test]
    public async Task Checkpoints_signed_in_consensus_are_anchored_on_ganache_across_a_validator_set_change()
    {
        using var ganache = await Ganache.StartAsync();
        using var chain = new DevChain();
        using var node = chain.StartValidator();
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        string rpc = chain.Rpc.ToString();

        // The Ethereum payer's key as a keystore, and the contract's creation code from solc-js.
        var payerKey = chain.Dir.File("eth-payer.json");
        var (code, output) = NodeProcess.Run("keys", "import", "--private-key", Ganache.Accounts[0].ToHex(), "--out", payerKey, "--password-file", chain.PasswordFile);
        Assert.That(code, Is.EqualTo(0), output);
        var bytecodeFile = chain.Dir.File("anchor.bin");
        File.WriteAllText(bytecodeFile, Hex.Encode(AnchorArtifact.Bytecode));

        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(60), "anchor", "deploy", "--rpc", rpc, "--eth-rpc", ganache.Endpoint.ToString(),
            "--eth-key", payerKey, "--password-file", chain.PasswordFile, "--bytecode", bytecodeFile);
        Assert.That(code, Is.EqualTo(0), output);
        var anchor = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).First(l => l.StartsWith("0x", StringComparison.Ordinal)).Trim();

        // Admit a second validator: it joins the set at height 100, so checkpoint 10 (heights 91-100)
        // rotates the anchored set and checkpoint 11 is checked against the new one.
        await AdmitNewcomerAsync(chain, rpc);

        using var relayer = NodeProcess.Start("relayer", "--rpc", rpc, "--eth-rpc", ganache.Endpoint.ToString(), "--eth-key", payerKey,
            "--password-file", chain.PasswordFile, "--anchor", anchor, "--interval", "0.5", "--sidechain-key", chain.AccountKeyFile(2));
        var contract = new AnchorContract(ganache.Rpc, Address.Parse(anchor));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(150);
        ulong latest = 0;
        while (DateTime.UtcNow < deadline && latest < 14)
        {
            await Task.Delay(500);
            latest = (await contract.LatestCheckpointAsync()).Number;
        }
        Assert.That(latest, Is.GreaterThanOrEqualTo(14), $"anchored only up to checkpoint {latest}:\n{relayer.Output}");

        // Independent reads: what the contract stores is what the sidechain recorded.
        // The contract starts after the checkpoints the sidechain had recorded when it was deployed.
        using var side = new JsonRpcClient(chain.Rpc);
        int anchored = 0;
        for (ulong n = latest; n >= 1; n--)
        {
            var digest = await contract.AnchoredDigestAsync(n);
            if (digest.IsZero) break;
            var recorded = await side.CallAsync("iex_getCheckpoint", n.ToString(CultureInfo.InvariantCulture));
            Assert.That(digest.ToString(), Is.EqualTo(recorded.GetProperty("digest").GetString()), $"checkpoint {n}");
            anchored++;
        }
        Assert.That(anchored, Is.GreaterThanOrEqualTo(10), "consecutive checkpoints anchored, each with the digest the sidechain recorded");

        // The relayer recorded its Ethereum transactions on the sidechain (AnchorReceipt).
        JsonElement reported = default;
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            reported = await side.CallAsync("iex_getCheckpoint", (latest - 1).ToString(CultureInfo.InvariantCulture));
            if (reported.GetProperty("anchors").GetArrayLength() > 0) break;
            await Task.Delay(250);
        }
        var entry = reported.GetProperty("anchors")[0];
        Assert.That(entry.GetProperty("anchorContract").GetString(), Is.EqualTo(anchor.ToLowerInvariant()));
        Assert.That(entry.GetProperty("relayer").GetString(), Is.EqualTo(DevChain.DevAddress("account", 2).ToString()));
        var ethReceipt = await ganache.Rpc.GetTransactionReceiptAsync(Hash256.Parse(entry.GetProperty("ethTxHash").GetString()!));
        Assert.That(ethReceipt is { Succeeded: true }, Is.True, "the reported transaction is a successful one on Ethereum");
        var set = await contract.ValidatorSetAsync();
        Assert.That(set.Select(v => v.Address), Does.Contain(DevChain.DevKey("newcomer", 0).Address), "the contract rotated to the set with the newcomer");

        (code, output) = NodeProcess.Run("anchor", "verify", "--rpc", rpc, "--eth-rpc", ganache.Endpoint.ToString(), "--anchor", anchor, "--height", "57");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("verified by the contract"));
        (code, output) = NodeProcess.Run("anchor", "status", "--eth-rpc", ganache.Endpoint.ToString(), "--anchor", anchor);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(JsonDocument.Parse(output).RootElement.GetProperty("latestCheckpoint").GetUInt64(), Is.GreaterThanOrEqualTo(14));

        // A second relayer finds nothing left to do: each checkpoint is anchored once.
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(60), "relayer", "--once", "--rpc", rpc, "--eth-rpc", ganache.Endpoint.ToString(),
            "--eth-key", payerKey, "--password-file", chain.PasswordFile, "--anchor", anchor);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Not.Contain(": Anchored in"), "nothing should be anchored twice");
    }

    private static async Task AdmitNewcomerAsync(DevChain chain, string rpc)
    {
        var newcomer = DevChain.DevKey("newcomer", 0);
        var newcomerKey = chain.Dir.File("newcomer.json");
        var (code, output) = NodeProcess.Run("keys", "import", "--private-key", newcomer.ToHex(), "--out", newcomerKey, "--password-file", chain.PasswordFile);
        Assert.That(code, Is.EqualTo(0), output);
        foreach (var (to, amount) in new[] { (DevChain.DevAddress("validator", 0).ToString(), "1RLC"), (newcomer.Address.ToString(), "10001RLC") })
        {
            (code, output) = NodeProcess.Run("tx", "transfer", "--to", to, "--amount", amount, "--key", chain.AccountKeyFile(0),
                "--password-file", chain.PasswordFile, "--rpc", rpc, "--wait");
            Assert.That(code, Is.EqualTo(0), output);
        }
        File.WriteAllText(chain.Dir.File("admit.txt"), "Admit the newcomer.\n");
        (code, output) = NodeProcess.Run("gov", "propose", "admit-validator", "--public-key", Hex.Encode(newcomer.PublicKey), "--description", chain.Dir.File("admit.txt"),
            "--key", chain.ValidatorKeyFile, "--password-file", chain.PasswordFile, "--rpc", rpc, "--wait");
        Assert.That(code, Is.EqualTo(0), output);
        (code, output) = NodeProcess.Run("tx", "stake", "--role", "validator", "--amount", "10000RLC", "--key", newcomerKey,
            "--password-file", chain.PasswordFile, "--rpc", rpc, "--wait");
        Assert.That(code, Is.EqualTo(0), output);
        await Task.CompletedTask;
    }
}
