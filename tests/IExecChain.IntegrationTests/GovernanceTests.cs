using System.Text.Json;
using IExecChain.Rpc.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

[NonParallelizable]
public class GovernanceTests
{
    [Test]
    public async Task A_validator_admitted_through_the_cli_joins_the_set_at_the_next_epoch()
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator();
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        string rpc = chain.Rpc.ToString();
        var validator = DevChain.DevAddress("validator", 0).ToString();
        var newcomerKey = chain.Dir.File("newcomer.json");
        var newcomer = DevChain.DevKey("newcomer", 0);
        var (code, output) = NodeProcess.Run("keys", "import", "--private-key", newcomer.ToHex(), "--out", newcomerKey, "--password-file", chain.PasswordFile);
        Assert.That(code, Is.EqualTo(0), output);

        // Fees: the validator pays the proposal's; the newcomer needs its minimum stake of 10,000 RLC.
        foreach (var (to, amount) in new[] { (validator, "1RLC"), (newcomer.Address.ToString(), "10001RLC") })
        {
            (code, output) = NodeProcess.Run("tx", "transfer", "--to", to, "--amount", amount, "--key", chain.AccountKeyFile(0),
                "--password-file", chain.PasswordFile, "--rpc", rpc, "--wait");
            Assert.That(code, Is.EqualTo(0), output);
        }

        (code, output) = NodeProcess.Run("keys", "inspect", "--keystore", newcomerKey, "--password-file", chain.PasswordFile, "--public-key");
        Assert.That(code, Is.EqualTo(0), output);
        var publicKey = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Trim();
        File.WriteAllText(chain.Dir.File("admit.txt"), "Admit the newcomer: it runs a node in region X and stakes 10,000 RLC.\n");

        (code, output) = NodeProcess.Run("gov", "propose", "admit-validator", "--public-key", publicKey, "--description", chain.Dir.File("admit.txt"),
            "--key", chain.ValidatorKeyFile, "--password-file", chain.PasswordFile, "--rpc", rpc, "--wait");
        Assert.That(code, Is.EqualTo(0), output);
        (code, output) = NodeProcess.Run("gov", "show", "1", "--rpc", rpc);
        Assert.That(code, Is.EqualTo(0), output);
        var proposal = JsonDocument.Parse(output).RootElement;
        Assert.That(proposal.GetProperty("status").GetString(), Is.EqualTo("Passed"), "the only validator holds all the power");
        Assert.That(proposal.GetProperty("detail").GetProperty("address").GetString(), Is.EqualTo(newcomer.Address.ToString()));

        (code, output) = NodeProcess.Run("tx", "stake", "--role", "validator", "--amount", "10000RLC", "--key", newcomerKey,
            "--password-file", chain.PasswordFile, "--rpc", rpc, "--wait");
        Assert.That(code, Is.EqualTo(0), output);
        var included = System.Text.RegularExpressions.Regex.Match(output, @"included in block (\d+)");
        Assert.That(included.Success, Is.True, output);
        ulong stakedAt = ulong.Parse(included.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

        // A closed proposal takes no more votes; the receipt says why.
        (code, output) = NodeProcess.Run("gov", "vote", "--proposal", "1", "--yes", "--key", chain.ValidatorKeyFile,
            "--password-file", chain.PasswordFile, "--rpc", rpc, "--wait");
        Assert.That(code, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("proposal 1 is closed (Passed)"));

        using var client = new JsonRpcClient(chain.Rpc);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        JsonElement set = default;
        while (DateTime.UtcNow < deadline)
        {
            set = await client.CallAsync("iex_getValidators");
            if (set.GetProperty("validators").GetArrayLength() == 2) break;
            await Task.Delay(250);
        }
        var members = set.GetProperty("validators").EnumerateArray().Select(v => v.GetProperty("address").GetString()).ToArray();
        Assert.That(members, Is.EquivalentTo(new[] { validator, newcomer.Address.ToString() }), "the newcomer joins at the epoch boundary (every 100 blocks)");
        // The set is rebuilt at the end of the block before an epoch boundary (a multiple of 100): the
        // first boundary after the stake's block is the first height signed under the set with the newcomer.
        ulong boundary = (stakedAt / 100 + 1) * 100;
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (JsonRpcClient.Quantity(await client.CallAsync("iex_blockNumber")) < boundary && DateTime.UtcNow < deadline) await Task.Delay(100);
        var handover = await BlockAsync(client, boundary - 1);
        var first = await BlockAsync(client, boundary);
        Assert.That(handover.GetProperty("nextValidatorSetHash").GetString(), Is.Not.EqualTo(handover.GetProperty("validatorSetHash").GetString()),
            $"block {boundary - 1} hands over to the new set (stake at {stakedAt})");
        Assert.That(first.GetProperty("validatorSetHash").GetString(), Is.EqualTo(handover.GetProperty("nextValidatorSetHash").GetString()));
        for (ulong h = stakedAt; h < boundary - 1; h++)
        {
            var before = await BlockAsync(client, h);
            Assert.That(before.GetProperty("nextValidatorSetHash").GetString(), Is.EqualTo(before.GetProperty("validatorSetHash").GetString()),
                $"block {h}: the set changes only at the epoch boundary {boundary}");
        }
        // The chain goes on: the first validator alone still holds more than 2/3 of the power.
        ulong height = JsonRpcClient.Quantity(await client.CallAsync("iex_blockNumber"));
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (JsonRpcClient.Quantity(await client.CallAsync("iex_blockNumber")) < height + 3 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.That(JsonRpcClient.Quantity(await client.CallAsync("iex_blockNumber")), Is.GreaterThanOrEqualTo(height + 3));
    }

    private static Task<JsonElement> BlockAsync(JsonRpcClient client, ulong height) =>
        client.CallAsync("iex_getBlockByNumber", "0x" + height.ToString("x", System.Globalization.CultureInfo.InvariantCulture), false);
}
