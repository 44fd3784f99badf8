using System.Text.Json;
using IExecChain.Rpc.Contracts.Client;
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
        // The set is rebuilt at the end of an epoch's last block (a multiple of 100), from the state that
        // block leaves: the height after the first multiple of 100 at or after the stake's block is the
        // first one signed under the set with the newcomer.
        ulong boundary = (stakedAt + 99) / 100 * 100 + 1;
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

    /// <summary>
    /// Four equal validators (100,000 RLC each, on a spec with 40-block epochs and a 100-block voting
    /// period). Validator 3's node is stopped early and stays down: its reputation falls at once, its
    /// power only at the next boundary; it still votes and unstakes through node 0's RPC. Proposal 1
    /// gets only its proposer's yes and expires; proposal 2 is rejected by two no of four; proposal 3
    /// (remove validator 2) stays open with one and two yes of four and passes with three. Validator 2
    /// then leaves exactly at the next boundary, and so does validator 3 after unstaking.
    /// </summary>
    [Test]
    public async Task Four_validators_decide_by_voting_power_and_the_set_changes_only_at_epoch_boundaries()
    {
        const ulong epoch = 40, votingPeriod = 100;
        var timeout = TimeSpan.FromSeconds(120);
        using var net = new GovernanceNetwork(epoch, votingPeriod);
        await net.StartAllAsync();
        for (int i = 0; i < GovernanceNetwork.Count; i++) await net.WaitForHeightAsync(i, 2, timeout);
        using var history = new SetHistory(net.Rpc(0));
        using var client = new JsonRpcClient(net.Rpc(0));
        var description = net.Dir.File("description.txt");
        File.WriteAllText(description, "A proposal of the governance test.\n");
        string v2 = GovernanceNetwork.Validator(2).ToString();
        var v3 = GovernanceNetwork.Validator(3);

        // Validator 3 goes offline for good.
        var beforeStop = SetSnapshot.Parse(await client.CallAsync("iex_getValidators"));
        ulong genesisPower = GovernanceNetwork.ValidatorStake / GovernanceNetwork.PowerUnit * 1000;
        Assert.That(beforeStop.Validators.Values.Select(v => v.VotingPower), Is.All.EqualTo(genesisPower), "four equal validators");
        net.Kill(3);
        ulong stoppedAt = await net.HeightAsync(0);
        // Its last precommit may still be in the commit of block stoppedAt + 2; every later block lacks it.
        ulong silentFrom = stoppedAt + 3;
        ulong reputationBoundary = net.NextBoundary(silentFrom + 6);

        // Proposal 1: only the proposer's yes (1/4); it must expire at its deadline.
        var (code, output, created) = net.Submit(1, 1, "gov", "propose", "change-parameter", "--name", "fees.stake", "--value", "20000", "--description", description);
        Assert.That(code, Is.EqualTo(0), output);
        var expiring = await ProposalAsync(net.Rpc(1), 1);
        Assert.That(expiring.GetProperty("status").GetString(), Is.EqualTo("Open"));
        Assert.That(JsonRpcClient.Quantity(expiring.GetProperty("deadlineHeight")), Is.EqualTo(created + votingPeriod));

        // Proposal 2: no votes of 1/4 leave it open, 2/4 (at least 1/3) reject it; nothing applies.
        (code, output, _) = net.Submit(0, 0, "gov", "propose", "change-parameter", "--name", "fees.transfer", "--value", "2000", "--description", description);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(await StatusAsync(net.Rpc(0), 2), Is.EqualTo("Open"), "proposer's yes: 1/4");
        (code, output, _) = net.Submit(1, 1, "gov", "vote", "--proposal", "2", "--no");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(await StatusAsync(net.Rpc(1), 2), Is.EqualTo("Open"), "one no of four is less than 1/3");
        (code, output, ulong rejectedAt) = net.Submit(2, 2, "gov", "vote", "--proposal", "2", "--no");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(await StatusAsync(net.Rpc(2), 2), Is.EqualTo("Rejected"), "two no of four");
        await net.WaitForHeightAsync(0, rejectedAt + 1, timeout);
        Assert.That(await ParameterAsync(client, "fees.transfer"), Is.EqualTo(1000UL), "a rejected change applies nothing");

        // Proposal 3: remove validator 2. One and two yes of four leave it open; three pass it.
        (code, output, _) = net.Submit(0, 0, "gov", "propose", "remove-validator", "--address", v2, "--description", description);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(await StatusAsync(net.Rpc(0), 3), Is.EqualTo("Open"), "proposer's yes: 1/4");
        (code, output, _) = net.Submit(1, 1, "gov", "vote", "--proposal", "3", "--yes");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(await StatusAsync(net.Rpc(1), 3), Is.EqualTo("Open"), "two yes of four is not more than 2/3");
        (code, output, ulong passedAt) = net.Submit(3, 0, "gov", "vote", "--proposal", "3", "--yes");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(await StatusAsync(net.Rpc(0), 3), Is.EqualTo("Passed"), "three yes of four");

        // Reputation: validator 3's fell from the moment it stopped, its power only at the boundary.
        var afterReputationBoundary = await history.FirstFromAsync(reputationBoundary, timeout);
        var lastEpoch = history.Snapshots.Append(beforeStop).Where(s => s.NextHeight + epoch >= reputationBoundary && s.NextHeight < reputationBoundary).ToList();
        var silent = lastEpoch.Where(s => s.BlockNumber >= silentFrom).ToList();
        Assert.That(silent, Is.Not.Empty, "readings of the set while validator 3 was down, before the boundary");
        Assert.That(silent[^1].Validators[v3].Reputation, Is.LessThan(beforeStop.Validators[v3].Reputation), "reputation falls at once");
        ulong powerBefore = lastEpoch[0].Validators[v3].VotingPower;
        Assert.That(lastEpoch.Select(s => s.Validators[v3].VotingPower), Is.All.EqualTo(powerBefore),
            "power stays until the boundary; readings: " + string.Join(", ", lastEpoch.Select(s => $"{s.BlockNumber}:{s.Validators[v3].VotingPower}/{s.Validators[v3].Reputation}")));
        Assert.That(afterReputationBoundary.NextHeight, Is.LessThan(reputationBoundary + epoch));
        var standing = afterReputationBoundary.Validators[v3];
        // Every block from the boundary on lacked validator 3, so its reputation at the end of block
        // boundary - 1 (which the power was computed from) was this many losses higher.
        ulong reputationAtBoundary = standing.Reputation + GovernanceNetwork.ReputationLossPerBlockMissed * (afterReputationBoundary.BlockNumber - (reputationBoundary - 1));
        Assert.That(standing.VotingPower, Is.EqualTo(standing.Stake / GovernanceNetwork.PowerUnit * reputationAtBoundary),
            $"power = floor(stake / unit) × reputation at the end of block {reputationBoundary - 1}");
        Assert.That(standing.VotingPower, Is.LessThan(powerBefore));

        // Validator 3 cannot go below the minimum stake by a partial unstake; it can leave by unstaking all.
        (code, output, _) = net.Submit(3, 0, "tx", "unstake", "--role", "validator", "--amount", "95000RLC");
        Assert.That(code, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("would be below the minimum"));
        (code, output, ulong unstakedAt) = net.Submit(3, 0, "tx", "unstake", "--role", "validator", "--amount", "100000RLC");
        Assert.That(code, Is.EqualTo(0), output);

        await AssertLeavesAtAsync(net, history, client, GovernanceNetwork.Validator(2), passedAt, timeout);
        await AssertLeavesAtAsync(net, history, client, v3, unstakedAt, timeout);

        // Proposal 1 expired at its deadline, and its change never applied.
        ulong deadline = created + votingPeriod;
        await net.WaitForHeightAsync(0, deadline, timeout);
        expiring = await ProposalAsync(net.Rpc(0), 1);
        Assert.That(expiring.GetProperty("status").GetString(), Is.EqualTo("Expired"));
        Assert.That(expiring.GetProperty("outcomeReason").GetProperty("numbers").EnumerateArray().Select(JsonRpcClient.Quantity), Is.EqualTo(new[] { deadline }),
            "it expires at the end of its deadline block");
        Assert.That(await ParameterAsync(client, "fees.stake"), Is.EqualTo(10_000UL));
    }

    /// <summary>
    /// <paramref name="validator"/> is in the set of every height from <paramref name="cause"/> to the
    /// next epoch boundary and not in the set of the boundary: the headers name one set up to the
    /// boundary and another from it, and readings of those two sets show it in the first only.
    /// </summary>
    private static async Task AssertLeavesAtAsync(GovernanceNetwork net, SetHistory history, JsonRpcClient client, IExecChain.Core.Primitives.Address validator, ulong cause, TimeSpan timeout)
    {
        ulong boundary = net.NextBoundary(cause);
        var after = await history.FirstFromAsync(boundary, timeout);
        Assert.That(after.NextHeight, Is.LessThan(boundary + net.EpochLength), "a reading of the set of the boundary's epoch");
        Assert.That(after.Validators.Keys, Does.Not.Contain(validator), $"{validator} is out from height {boundary}");
        var before = history.Snapshots.LastOrDefault(s => s.NextHeight < boundary && s.NextHeight + net.EpochLength >= boundary);
        Assert.That(before, Is.Not.Null, $"a reading of the set of the epoch before {boundary}");
        Assert.That(before!.Validators.Keys, Does.Contain(validator), $"{validator} is in the set before {boundary}");

        await net.WaitForHeightAsync(0, boundary, timeout);
        var first = await BlockAsync(client, boundary);
        Assert.That(first.GetProperty("validatorSetHash").GetString(), Is.EqualTo(after.ValidatorSetHash));
        for (ulong h = Math.Max(cause, boundary - net.EpochLength); h < boundary; h++)
        {
            var block = await BlockAsync(client, h);
            Assert.That(block.GetProperty("validatorSetHash").GetString(), Is.EqualTo(before.ValidatorSetHash),
                $"block {h} is validated by the set with {validator} (it left because of block {cause})");
        }
    }

    private static async Task<JsonElement> ProposalAsync(Uri rpc, ulong id)
    {
        using var client = new JsonRpcClient(rpc);
        return await client.CallAsync("iex_getProposal", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<string?> StatusAsync(Uri rpc, ulong id) => (await ProposalAsync(rpc, id)).GetProperty("status").GetString();

    private static async Task<ulong> ParameterAsync(JsonRpcClient client, string name) =>
        JsonRpcClient.Quantity((await client.CallAsync("iex_getGovernableParameters")).GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == name).GetProperty("value"));

    private static Task<JsonElement> BlockAsync(JsonRpcClient client, ulong height) =>
        client.CallAsync("iex_getBlockByNumber", "0x" + height.ToString("x", System.Globalization.CultureInfo.InvariantCulture), false);
}
