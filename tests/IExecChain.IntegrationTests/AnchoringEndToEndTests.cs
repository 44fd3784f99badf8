using System.Globalization;
using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.Tests.Support;
using IExecChain.Rpc.Contracts.Client;
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

        var (anchor, payerKey) = AnchorDeploy.Run(chain, ganache);
        var contract = new AnchorContract(ganache.Rpc, Address.Parse(anchor));
        using var side = new JsonRpcClient(chain.Rpc);

        // The contract starts after the newest checkpoint the sidechain had recorded when it was
        // deployed; how many that was depends on how fast this machine got here, so every target
        // below is counted from it, never from a fixed number.
        var (first, _) = await contract.NextAsync();

        // Admit a second validator. It joins the set at the first epoch boundary after its stake
        // lands (height 101 on a quick machine, 201 or later on a busy one); the checkpoint whose
        // next set holds it (the one ending at 100, or 200) rotates the anchored set, and the one
        // after is checked against the new set.
        await AdmitNewcomerAsync(chain, rpc);
        var newcomer = DevChain.DevKey("newcomer", 0).Address;

        using var relayer = NodeProcess.Start("relayer", "--rpc", rpc, "--eth-rpc", ganache.Endpoint.ToString(), "--eth-key", payerKey,
            "--password-file", chain.PasswordFile, "--anchor", anchor, "--interval", "0.5", "--sidechain-key", chain.AccountKeyFile(2));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(240);
        ulong latest = 0;
        ulong? rotation = null;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            latest = (await contract.LatestCheckpointAsync()).Number;
            rotation ??= await FindRotationAsync(side, first, latest, newcomer);
            if (latest >= first + 9 && rotation < latest) break;
        }
        Assert.That(rotation, Is.Not.Null, $"no anchored checkpoint from {first} to {latest} rotates to the set with the newcomer:\n{relayer.Output}");
        Assert.That(latest, Is.GreaterThanOrEqualTo(Math.Max(first + 9, rotation!.Value + 1)),
            $"anchored only up to checkpoint {latest} (from {first}, rotation at {rotation}):\n{relayer.Output}");

        // Independent reads: every checkpoint from the contract's first to its latest is anchored
        // with the digest the sidechain recorded.
        for (ulong n = first; n <= latest; n++)
        {
            var digest = await contract.AnchoredDigestAsync(n);
            var recorded = await side.CallAsync("iex_getCheckpoint", n.ToString(CultureInfo.InvariantCulture));
            Assert.That(digest.ToString(), Is.EqualTo(recorded.GetProperty("digest").GetString()), $"checkpoint {n}");
        }
        Assert.That((await contract.AnchoredDigestAsync(first - 1)).IsZero, Is.True, "nothing before the contract's starting point is anchored");
        var set = await contract.ValidatorSetAsync();
        Assert.That(set.Select(v => v.Address), Does.Contain(newcomer), "the contract rotated to the set with the newcomer");

        // The relayer recorded each of its Ethereum transactions on the sidechain (AnchorReceipt),
        // also when one round anchored several checkpoints.
        await AssertAnchorReceiptsAsync(side, ganache, anchor, first, latest, relayer);

        ulong verifiedHeight = JsonRpcClient.Quantity((await side.CallAsync("iex_getCheckpoint", first.ToString(CultureInfo.InvariantCulture))).GetProperty("firstHeight")) + 6;
        var (code, output) = NodeProcess.Run("anchor", "verify", "--rpc", rpc, "--eth-rpc", ganache.Endpoint.ToString(), "--anchor", anchor,
            "--height", verifiedHeight.ToString(CultureInfo.InvariantCulture));
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("verified by the contract"));
        (code, output) = NodeProcess.Run("anchor", "status", "--eth-rpc", ganache.Endpoint.ToString(), "--anchor", anchor);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(JsonDocument.Parse(output).RootElement.GetProperty("latestCheckpoint").GetUInt64(), Is.GreaterThanOrEqualTo(latest));

        // A second relayer anchors nothing that is already anchored. The first is still running and
        // the chain still making checkpoints, so a new one may fall to either: only those are allowed.
        ulong anchoredBefore = (await contract.LatestCheckpointAsync()).Number;
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(60), "relayer", "--once", "--rpc", rpc, "--eth-rpc", ganache.Endpoint.ToString(),
            "--eth-key", payerKey, "--password-file", chain.PasswordFile, "--anchor", anchor);
        Assert.That(code, Is.EqualTo(0), output);
        var anchoredBySecond = output.Split('\n').Where(l => l.Contains(": Anchored in", StringComparison.Ordinal))
            .Select(l => ulong.Parse(l["checkpoint ".Length..l.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture));
        Assert.That(anchoredBySecond, Has.All.GreaterThan(anchoredBefore), "nothing should be anchored twice:\n" + output);
    }

    /// <summary>The first recorded checkpoint from <paramref name="from"/> to <paramref name="to"/> whose next set holds <paramref name="validator"/>.</summary>
    private static async Task<ulong?> FindRotationAsync(JsonRpcClient side, ulong from, ulong to, Address validator)
    {
        for (ulong n = from; n <= to; n++)
        {
            var checkpoint = await side.CallAsync("iex_getCheckpoint", n.ToString(CultureInfo.InvariantCulture));
            if (checkpoint.GetProperty("nextValidators").EnumerateArray().Any(v => v.GetProperty("address").GetString() == validator.ToString()))
                return n;
        }
        return null;
    }

    private static async Task AssertAnchorReceiptsAsync(JsonRpcClient side, Ganache ganache, string anchor, ulong first, ulong latest, NodeProcess relayer)
    {
        for (ulong n = first; n <= latest; n++)
        {
            JsonElement reported = default;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (DateTime.UtcNow < deadline)
            {
                reported = await side.CallAsync("iex_getCheckpoint", n.ToString(CultureInfo.InvariantCulture));
                if (reported.GetProperty("anchors").GetArrayLength() > 0) break;
                await Task.Delay(250);
            }
            var anchors = reported.GetProperty("anchors");
            Assert.That(anchors.GetArrayLength(), Is.EqualTo(1), $"anchor receipts of checkpoint {n}:\n{relayer.Output}");
            var entry = anchors[0];
            Assert.That(entry.GetProperty("anchorContract").GetString(), Is.EqualTo(anchor.ToLowerInvariant()));
            Assert.That(entry.GetProperty("relayer").GetString(), Is.EqualTo(DevChain.DevAddress("account", 2).ToString()));
            var ethReceipt = await ganache.Rpc.GetTransactionReceiptAsync(Hash256.Parse(entry.GetProperty("ethTxHash").GetString()!));
            Assert.That(ethReceipt is { Succeeded: true }, Is.True, $"checkpoint {n}: the reported transaction is a successful one on Ethereum");
        }
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
