using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Bridge;
using IExecChain.Ethereum.Tests.Support;
using IExecChain.Ethereum.Transactions;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// RLC across the bridge through the real CLI and a real ganache: the bridge and a test RLC token are
/// deployed before genesis (the chain spec names the bridge), a validator follows Ethereum, a deposit
/// reverted before the confirmation depth is never credited, the one that replaces it is, then RLC goes
/// back by a withdrawal claimed on Ethereum once a relayer anchored its checkpoint. Both sides balance
/// at every step (`bridge status`).
/// </summary>
[NonParallelizable]
public class BridgeEndToEndTests
{
    private const ulong Rlc = 1_000_000_000;
    private const ulong Confirmations = 3;
    private const ulong FreezeAfter = 20;

    [Test]
    public async Task Rlc_crosses_to_the_sidechain_and_back_a_deposit_reverted_before_the_depth_is_never_credited_and_a_frozen_bridge_pays_exits()
    {
        using var ganache = await Ganache.StartAsync();
        using var dir = new TempDir();
        string eth = ganache.Endpoint.ToString();
        var payer = Ganache.Accounts[0];      // deploys; owns the test token
        var depositor = Ganache.Accounts[1];  // holds RLC on Ethereum

        // Deploy the token and the bridge before genesis. The bridge trusts the anchor contract at the
        // address the payer's third transaction will create, deployed once the chain runs.
        string anchorBin = dir.File("anchor.bin");
        File.WriteAllText(anchorBin, Hex.Encode(AnchorArtifact.Bytecode));
        string password = dir.File("password.txt");
        File.WriteAllText(password, DevChain.Password + "\n");
        string payerKey = Import(payer, dir.File("payer.json"), password), depositorKey = Import(depositor, dir.File("depositor.json"), password);
        Assert.That(await ganache.Rpc.GetTransactionCountAsync(payer.Address), Is.EqualTo(0UL));
        var anchorAddress = EthereumSender.CreateAddress(payer.Address, 2);
        var deployed = DeployBridge(dir, eth, payerKey, password, anchorAddress, "--freeze-after", FreezeAfter.ToString(CultureInfo.InvariantCulture));
        var bridgeAddress = Address.Parse(deployed.GetProperty("bridge").GetString()!);
        var tokenAddress = Address.Parse(deployed.GetProperty("token").GetString()!);

        var spec = JsonNode.Parse(File.ReadAllText(DevChain.SpecPath))!;
        // Bridged RLC is staked below: a worker stake of a few RLC, and unbonding that outlasts the test.
        spec["parameters"]!["minWorkerStake"] = (2 * Rlc).ToString(CultureInfo.InvariantCulture);
        spec["parameters"]!["unbondingPeriodBlocks"] = 1_000_000;
        spec["parameters"]!["bridge"] = new JsonObject
        {
            ["ethChainId"] = Ganache.ChainId,
            ["contract"] = bridgeAddress.ToString(),
            ["confirmations"] = Confirmations,
            ["startBlock"] = deployed.GetProperty("block").GetUInt64(),
        };
        string specPath = dir.File("bridged-devnet.json");
        File.WriteAllText(specPath, spec.ToJsonString());

        using var chain = new DevChain(specPath);
        // A validator of a chain with a bridge must follow Ethereum.
        var (code, output) = NodeProcess.Run("run", "--data", chain.DataDir, "--key", chain.ValidatorKeyFile, "--password-file", chain.PasswordFile, "--rpc", "127.0.0.1:0");
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("needs --eth-rpc"));
        using var node = chain.StartValidator(null, "--eth-rpc", eth);
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        string rpc = chain.Rpc.ToString();
        using var side = new JsonRpcClient(chain.Rpc);

        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(60), "anchor", "deploy", "--rpc", rpc, "--eth-rpc", eth, "--eth-key", payerKey,
            "--password-file", password, "--bytecode", anchorBin);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(Address.Parse(output.Split('\n').First(l => l.StartsWith("0x", StringComparison.Ordinal)).Trim()), Is.EqualTo(anchorAddress));
        Assert.That((await ganache.SendAsync(payer, tokenAddress, BridgeContract.MintCallData(depositor.Address, 100 * Rlc))).Succeeded, Is.True);

        // A validator's attestations pay the bridge fee: the devnet validator's RLC is all staked.
        (code, output) = NodeProcess.Run("tx", "transfer", "--rpc", rpc, "--key", chain.AccountKeyFile(1), "--password-file", password,
            "--to", DevChain.DevAddress("validator", 0).ToString(), "--amount", "1RLC", "--wait");
        Assert.That(code, Is.EqualTo(0), output);

        // A deposit that Ethereum reverts before it is Confirmations deep is never credited.
        var snapshot = (await ganache.Rpc.RequestAsync("evm_snapshot", []))!.GetValue<string>();
        // The sidechain recipient holds nothing but what crosses the bridge (the same key on both chains).
        var bridger = DevChain.DevKey("bridger", 0);
        var recipient = bridger.Address;
        string bridgerKey = Import(bridger, dir.File("bridger.json"), password);
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(60), "bridge", "deposit", "--rpc", rpc, "--eth-rpc", eth, "--eth-key", depositorKey,
            "--password-file", password, "--amount", "7RLC", "--to", recipient.ToString());
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("deposit 0: 7 RLC locked"));
        await ganache.MineAsync();  // Confirmations − 1 blocks: one short
        // Wait until the follower has looked at this head, and for the blocks an attestation it sent then would be in.
        ulong ethHead = await ganache.Rpc.BlockNumberAsync();
        using (var http = new HttpClient())
            while (Metric(await http.GetStringAsync(new Uri(chain.Rpc, "metrics")), "iexec_bridge_eth_head") < ethHead) await Task.Delay(100);
        ulong height = await HeightAsync(side);
        while (await HeightAsync(side) < height + 3) await Task.Delay(100);
        Assert.That((await side.CallAsync("iex_getDeposit", "0")).ValueKind, Is.EqualTo(JsonValueKind.Null), "a deposit one block short of the depth was attested");
        Assert.That((await ganache.Rpc.RequestAsync("evm_revert", [snapshot]))!.GetValue<bool>(), Is.True);

        // The deposit that replaces it (the same id 0 on the new history) is credited, with its own content.
        ulong before = await BalanceAsync(side, recipient);
        using var mining = new CancellationTokenSource();
        var miner = MineEveryAsync(ganache, TimeSpan.FromMilliseconds(500), mining.Token);
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(120), "bridge", "deposit", "--rpc", rpc, "--eth-rpc", eth, "--eth-key", depositorKey,
            "--password-file", password, "--amount", "50RLC", "--to", recipient.ToString(), "--wait", "--timeout", "90");
        Assert.That(code, Is.EqualTo(0), output + "\nnode:\n" + node.Output);
        Assert.That(output, Does.Contain("deposit 0: 50 RLC locked").And.Contain("deposit 0 credited"));
        var credited = await side.CallAsync("iex_getDeposit", "0");
        Assert.That(credited.GetProperty("status").GetString(), Is.EqualTo("credited"));
        Assert.That(JsonRpcClient.Quantity(credited.GetProperty("deposit").GetProperty("amount")), Is.EqualTo(50 * Rlc));
        Assert.That(await BalanceAsync(side, recipient), Is.EqualTo(before + 50 * Rlc), "credited exactly once, with the replacing deposit's amount");
        Assert.That(await TokenBalanceAsync(ganache, tokenAddress, depositor.Address), Is.EqualTo(50 * Rlc));
        await AssertBalancedAsync(rpc, eth, lockedRlc: 50);

        // Bad input: a clear line, exit code 2, nothing sent.
        string[] deposit = ["bridge", "deposit", "--rpc", rpc, "--eth-rpc", eth, "--eth-key", depositorKey, "--password-file", password];
        Assert.That(Refused([.. deposit, "--amount", "0"]), Does.Contain("--amount must be positive"));
        Assert.That(Refused([.. deposit, "--amount", "2000RLC"]), Does.Contain("holds 50 RLC on Ethereum, less than 2000 RLC"));
        Assert.That(Refused([.. deposit, "--amount", "18446744073709551616"]), Does.Contain("is above the largest amount, 18446744073709551615 nRLC"));
        Assert.That(Refused([.. deposit, "--amount", "1RLC", "--to", "0x12"]), Does.Contain("--to:"));
        Assert.That(Refused(["bridge", "status", "--rpc", rpc, "--eth-rpc", "http://127.0.0.1:1/"]), Does.Contain("127.0.0.1:1"));
        Assert.That(Refused(["bridge", "withdraw", "--rpc", rpc, "--key", chain.AccountKeyFile(0), "--password-file", password, "--amount", "51RLC", "--to", depositor.Address.ToString()]),
            Does.Contain("exceeds the bridged supply 50 RLC"));
        Assert.That(Refused(["bridge", "withdraw", "--rpc", rpc, "--key", chain.AccountKeyFile(0), "--password-file", password, "--amount", "1RLC", "--to", Address.Zero.ToString()]),
            Does.Contain("the zero address"));
        Assert.That(Refused(["bridge", "claim", "99", "--rpc", rpc, "--eth-rpc", eth, "--eth-key", depositorKey, "--password-file", password]),
            Does.Contain("the sidechain has no withdrawal 99"));
        Assert.That(JsonRpcClient.Quantity((await side.CallAsync("iex_bridgeStatus")).GetProperty("nextWithdrawalId")), Is.EqualTo(0UL));

        // Back: burn 20 RLC on the sidechain, claim them on Ethereum once the relayer anchored the checkpoint.
        using var relayer = NodeProcess.Start("relayer", "--rpc", rpc, "--eth-rpc", eth, "--eth-key", payerKey, "--password-file", password,
            "--anchor", anchorAddress.ToString(), "--interval", "0.5");
        var fees = (await side.CallAsync("iex_nodeInfo")).GetProperty("fees");
        ulong fee = JsonRpcClient.Quantity(fees.GetProperty("bridge"));
        // 3 RLC staked as a worker, 1 of them unbonding: stakes an exit pays too.
        foreach (var (verb, amount) in new[] { ("stake", "3RLC"), ("unstake", "1RLC") })
        {
            (code, output) = NodeProcess.Run("tx", verb, "--role", "worker", "--amount", amount, "--rpc", rpc, "--key", bridgerKey, "--password-file", password, "--wait");
            Assert.That(code, Is.EqualTo(0), output);
        }
        ulong stakeFees = JsonRpcClient.Quantity(fees.GetProperty("stake")) + JsonRpcClient.Quantity(fees.GetProperty("unstake"));
        before = await BalanceAsync(side, recipient);
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(180), "bridge", "withdraw", "--rpc", rpc, "--key", bridgerKey, "--password-file", password,
            "--amount", "20RLC", "--to", depositor.Address.ToString(), "--wait", "--eth-rpc", eth, "--eth-key", depositorKey, "--timeout", "150");
        Assert.That(code, Is.EqualTo(0), output + "\nrelayer:\n" + relayer.Output);
        Assert.That(output, Does.Contain("withdrawal 0: 20 RLC burned").And.Contain("withdrawal 0 claimed"));
        Assert.That(await BalanceAsync(side, recipient), Is.EqualTo(before - 20 * Rlc - fee));
        Assert.That(await TokenBalanceAsync(ganache, tokenAddress, depositor.Address), Is.EqualTo(70 * Rlc));
        await AssertBalancedAsync(rpc, eth, lockedRlc: 30);

        // Once only.
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(60), "bridge", "claim", "0", "--rpc", rpc, "--eth-rpc", eth, "--eth-key", depositorKey, "--password-file", password);
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("withdrawal 0 was claimed already"));

        // The sidechain stops being anchored: the bridge freezes and the account exits with its balance,
        // proven against the last anchored state root by replaying the stopped node's blocks.
        string[] exit = ["bridge", "exit", "--data", chain.DataDir, "--account", recipient.ToString(), "--eth-rpc", eth, "--eth-key", payerKey, "--password-file", password];
        string[] refund = ["bridge", "refund", "--data", chain.DataDir, "--eth-rpc", eth, "--eth-key", payerKey, "--password-file", password];
        Assert.That(Refused(exit), Does.Contain("the bridge is not frozen"));
        Assert.That(Refused(refund), Does.Contain("the bridge is not frozen"));
        relayer.Kill();
        // A deposit after the last anchored checkpoint: the sidechain credits it, but in a state that is
        // never anchored, so the frozen bridge gives it back to its depositor.
        var late = DevChain.DevAddress("account", 2);
        ulong lateBefore = await BalanceAsync(side, late);
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(120), "bridge", "deposit", "--rpc", rpc, "--eth-rpc", eth, "--eth-key", depositorKey,
            "--password-file", password, "--amount", "5RLC", "--to", late.ToString(), "--wait", "--timeout", "90");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("deposit 1 credited"));
        Assert.That(await BalanceAsync(side, late), Is.EqualTo(lateBefore + 5 * Rlc));
        Assert.That(await TokenBalanceAsync(ganache, tokenAddress, depositor.Address), Is.EqualTo(65 * Rlc));
        string[] freeze = ["bridge", "freeze", "--rpc", rpc, "--eth-rpc", eth, "--eth-key", payerKey, "--password-file", password];
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(60), freeze);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("the bridge is live"));
        ulong from = ulong.Parse(output[(output.IndexOf("frozen from block ", StringComparison.Ordinal) + 18)..].Split(' ')[0], CultureInfo.InvariantCulture);
        while (await ganache.Rpc.BlockNumberAsync() < from) await Task.Delay(250);
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(60), freeze);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("the bridge is frozen at checkpoint"));
        ulong owed = await BalanceAsync(side, recipient);   // its last transaction, the withdrawal, is in an anchored checkpoint
        Assert.That(owed, Is.EqualTo(30 * Rlc - fee - 3 * Rlc - stakeFees));
        await mining.CancelAsync();
        await miner;
        Assert.That(Refused(exit), Does.Contain("stop the node first"), "the replay reads the node's database");
        node.Kill();

        Assert.That(Refused(["bridge", "exit", "--data", chain.DataDir, "--account", recipient.ToString(), "--eth-rpc", "http://127.0.0.1:1/", "--eth-key", payerKey, "--password-file", password]),
            Does.Contain("127.0.0.1:1"));
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(180), exit);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain($"{recipient} exited: {IExecChain.Node.Cli.Amounts.Format(owed)} paid on Ethereum"));
        Assert.That(output, Does.Contain($"{recipient} stakes exited: 3 RLC paid on Ethereum").And.Contain("(validator 0 RLC + worker 2 RLC + unbonding 1 RLC"));
        Assert.That(await TokenBalanceAsync(ganache, tokenAddress, recipient), Is.EqualTo(owed + 3 * Rlc), "balance and stakes: all it held on the sidechain");
        Assert.That(Refused(exit), Does.Contain("has exited already"));

        Assert.That(Refused([.. refund, "--deposit", "0"]), Does.Contain("--deposit 0: checkpoint").And.Contain("credited it"));
        Assert.That(Refused([.. refund, "--deposit", "2"]), Does.Contain("--deposit 2: the bridge has 2 deposit(s)"));
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(180), refund);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain($"deposit 1 refunded: 5 RLC back to {depositor.Address} on Ethereum"));
        Assert.That(await TokenBalanceAsync(ganache, tokenAddress, depositor.Address), Is.EqualTo(70 * Rlc), "the late deposit came back");
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(180), refund);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("nothing to refund"));
        Assert.That(Refused([.. refund, "--deposit", "1"]), Does.Contain("--deposit 1: refunded already"));
        Assert.That(Refused(["bridge", "exit", "--data", dir.Path, "--account", recipient.ToString(), "--eth-rpc", eth, "--eth-key", payerKey, "--password-file", password]),
            Does.Contain("holds no node"));
        Assert.That(await new BridgeContract(ganache.Rpc, bridgeAddress).LockedAsync(), Is.EqualTo(new BigInteger(30 * Rlc - owed - 3 * Rlc)));
    }

    [Test, CancelAfter(300_000)]
    public async Task A_validator_behind_a_lying_endpoint_mints_nothing_and_the_others_credit_the_real_deposit()
    {
        using var ganache = await Ganache.StartAsync();
        using var dir = new TempDir();
        string eth = ganache.Endpoint.ToString();
        var (password, depositorKey, deployed) = await DeployFundedAsync(ganache, dir);

        using var net = new FourValidators(new JsonObject
        {
            ["ethChainId"] = Ganache.ChainId,
            ["contract"] = deployed.GetProperty("bridge").GetString(),
            ["confirmations"] = 2,
            ["startBlock"] = deployed.GetProperty("block").GetUInt64(),
        });
        var thief = Ganache.Accounts[5].Address;
        using var liar = new LyingEthereumProxy(ganache.Endpoint, thief);
        for (int i = 0; i < 3; i++) await net.StartAsync(i, "--eth-rpc", eth);
        await net.StartAsync(3, "--eth-rpc", liar.Endpoint.ToString());
        string rpc = net.Rpc(0).ToString();
        using var side = new JsonRpcClient(net.Rpc(0));

        using var mining = new CancellationTokenSource();
        var miner = MineEveryAsync(ganache, TimeSpan.FromMilliseconds(500), mining.Token);
        var recipient = DevChain.DevAddress("account", 0);
        ulong before = await BalanceAsync(side, recipient);
        var (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(120), "bridge", "deposit", "--rpc", rpc, "--eth-rpc", eth, "--eth-key", depositorKey,
            "--password-file", password, "--amount", "50RLC", "--to", recipient.ToString(), "--wait", "--timeout", "90");
        Assert.That(code, Is.EqualTo(0), output);

        // The real deposit, credited by the three honest validators (75 % of the power), not the liar.
        var credited = await side.CallAsync("iex_getDeposit", "0");
        Assert.That(JsonRpcClient.Quantity(credited.GetProperty("deposit").GetProperty("amount")), Is.EqualTo(50 * Rlc));
        Assert.That(credited.GetProperty("deposit").GetProperty("recipient").GetString(), Is.EqualTo(recipient.ToString()));
        Assert.That(credited.GetProperty("attesters").EnumerateArray().Select(a => a.GetString()),
            Is.EquivalentTo(Enumerable.Range(0, 3).Select(i => FourValidators.Validator(i).ToString())));
        Assert.That(await BalanceAsync(side, recipient), Is.EqualTo(before + 50 * Rlc));

        // The deposit the liar invented is on record with its one attester, and stays uncredited.
        JsonElement invented = default;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline && (invented = await side.CallAsync("iex_getDeposit", "1")).ValueKind != JsonValueKind.Object) await Task.Delay(250);
        Assert.That(invented.ValueKind, Is.EqualTo(JsonValueKind.Object), "the lying validator attested what its endpoint invented");
        Assert.That(invented.GetProperty("status").GetString(), Is.EqualTo("attesting"));
        var candidate = invented.GetProperty("candidates")[0];
        Assert.That(candidate.GetProperty("attesters").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { FourValidators.Validator(3).ToString() }));
        Assert.That(JsonRpcClient.Quantity(candidate.GetProperty("deposit").GetProperty("amount")), Is.EqualTo(LyingEthereumProxy.InflatedAmount));
        ulong height = await net.HeightAsync(0);
        for (int i = 0; i < 4; i++) await net.WaitForHeightAsync(i, height + 10, TimeSpan.FromSeconds(60));
        Assert.That(liar.Lies, Is.GreaterThan(0));
        for (int i = 0; i < 4; i++)
        {
            using var client = new JsonRpcClient(net.Rpc(i));
            var status = await client.CallAsync("iex_bridgeStatus");
            Assert.That(JsonRpcClient.Quantity(status.GetProperty("bridgedSupply")), Is.EqualTo(50 * Rlc), $"node {i}: only the real deposit");
            Assert.That(JsonRpcClient.Quantity(status.GetProperty("nextDepositId")), Is.EqualTo(1UL), $"node {i}");
            Assert.That(await BalanceAsync(client, thief), Is.EqualTo(0UL), $"node {i}: the thief got nothing");
        }
        await mining.CancelAsync();
        await miner;
    }

    [Test, CancelAfter(180_000)]
    public async Task A_validator_whose_ethereum_endpoint_is_on_another_chain_or_down_keeps_producing_blocks_and_says_why()
    {
        using var ganache = await Ganache.StartAsync();
        using var dir = new TempDir();
        var spec = JsonNode.Parse(File.ReadAllText(DevChain.SpecPath))!;
        // The spec's bridge is on chain 5; the endpoint given is ganache on 1337, then a closed port.
        spec["parameters"]!["bridge"] = new JsonObject { ["ethChainId"] = 5, ["contract"] = "0x" + new string('b', 40) };
        string specPath = dir.File("bridged-devnet.json");
        File.WriteAllText(specPath, spec.ToJsonString());
        using var chain = new DevChain(specPath);
        using var side = new JsonRpcClient(chain.Rpc);
        foreach (var (endpoint, reason) in new[]
        {
            (ganache.Endpoint.ToString(), "is on chain 1337; the chain spec's bridge is on chain 5: no deposit is attested"),
            ($"http://127.0.0.1:{NodeProcess.FreePort()}/", "127.0.0.1"),
        })
        {
            using var node = chain.StartValidator(null, "--eth-rpc", endpoint);
            await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
            ulong start = await HeightAsync(side);
            using var http = new HttpClient();
            ulong failures = 0;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline && (failures == 0 || await HeightAsync(side) < start + 10))
            {
                var metrics = await http.GetStringAsync(new Uri(chain.Rpc, "metrics"));
                failures = Metric(metrics, "iexec_bridge_follow_failures_total");
                await Task.Delay(250);
            }
            Assert.That(failures, Is.GreaterThan(0UL), node.Output);
            Assert.That(await HeightAsync(side), Is.GreaterThanOrEqualTo(start + 10), "blocks go on while following fails");
            node.Terminate();
            Assert.That(node.Output, Does.Contain("bridge following:").And.Contain(reason), node.Output);
            // One line per distinct problem, not one per second.
            Assert.That(node.Output.Split('\n').Count(l => l.Contains("bridge following:", StringComparison.Ordinal)), Is.LessThanOrEqualTo(2), node.Output);
        }
    }

    /// <summary>
    /// An endpoint that once answers no logs for blocks that hold a deposit, as a backend still syncing
    /// behind a load balancer does: the validator reads past the deposit, and when it has stayed unseen
    /// for DepositFollower.RecheckAfterRounds rounds, asks the contract, finds that it exists, reads the
    /// logs again and credits it, once.
    /// </summary>
    [Test, CancelAfter(240_000)]
    public async Task A_deposit_whose_logs_the_endpoint_lost_is_found_by_reading_again_and_credited_once()
    {
        using var ganache = await Ganache.StartAsync();
        using var dir = new TempDir();
        string eth = ganache.Endpoint.ToString();
        var (password, depositorKey, deployed) = await DeployFundedAsync(ganache, dir);

        var spec = JsonNode.Parse(File.ReadAllText(DevChain.SpecPath))!;
        spec["parameters"]!["bridge"] = new JsonObject
        {
            ["ethChainId"] = Ganache.ChainId,
            ["contract"] = deployed.GetProperty("bridge").GetString(),
            ["confirmations"] = 2,
            ["startBlock"] = deployed.GetProperty("block").GetUInt64(),
        };
        string specPath = dir.File("bridged-devnet.json");
        File.WriteAllText(specPath, spec.ToJsonString());
        using var chain = new DevChain(specPath);
        using var forgetful = new ForgetfulEthereumProxy(ganache.Endpoint);
        using var node = chain.StartValidator(null, "--eth-rpc", forgetful.Endpoint.ToString());
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        string rpc = chain.Rpc.ToString();
        using var side = new JsonRpcClient(chain.Rpc);
        var (code, output) = NodeProcess.Run("tx", "transfer", "--rpc", rpc, "--key", chain.AccountKeyFile(1), "--password-file", password,
            "--to", DevChain.DevAddress("validator", 0).ToString(), "--amount", "1RLC", "--wait");
        Assert.That(code, Is.EqualTo(0), output);

        using var mining = new CancellationTokenSource();
        var miner = MineEveryAsync(ganache, TimeSpan.FromMilliseconds(500), mining.Token);
        var recipient = DevChain.DevAddress("account", 0);
        ulong before = await BalanceAsync(side, recipient);
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(180), "bridge", "deposit", "--rpc", rpc, "--eth-rpc", eth, "--eth-key", depositorKey,
            "--password-file", password, "--amount", "50RLC", "--to", recipient.ToString(), "--wait", "--timeout", "150");
        Assert.That(code, Is.EqualTo(0), output + "\nnode:\n" + node.Output);
        Assert.That(forgetful.Withheld, Is.EqualTo(1), "the endpoint lost the deposit's logs once");
        using (var http = new HttpClient())
            Assert.That(Metric(await http.GetStringAsync(new Uri(chain.Rpc, "metrics")), "iexec_bridge_log_rereads_total"), Is.EqualTo(1UL));
        Assert.That(node.Output, Does.Contain("deposit 0 exists by block").And.Contain("but the endpoint's logs did not show it: reading again from block"));
        Assert.That(await BalanceAsync(side, recipient), Is.EqualTo(before + 50 * Rlc));
        ulong height = await HeightAsync(side);
        while (await HeightAsync(side) < height + 5) await Task.Delay(100);
        var status = await side.CallAsync("iex_bridgeStatus");
        Assert.That(JsonRpcClient.Quantity(status.GetProperty("bridgedSupply")), Is.EqualTo(50 * Rlc), "credited once");
        Assert.That(await BalanceAsync(side, recipient), Is.EqualTo(before + 50 * Rlc));
        await mining.CancelAsync();
        await miner;
    }

    /// <summary>Keys in <paramref name="dir"/>, the bridge and its token deployed by Ganache account 0, and 100 RLC minted to account 1, the depositor.</summary>
    private static async Task<(string Password, string DepositorKey, JsonElement Deployed)> DeployFundedAsync(Ganache ganache, TempDir dir)
    {
        var payer = Ganache.Accounts[0];
        string password = dir.File("password.txt");
        File.WriteAllText(password, DevChain.Password + "\n");
        string payerKey = Import(payer, dir.File("payer.json"), password), depositorKey = Import(Ganache.Accounts[1], dir.File("depositor.json"), password);
        var deployed = DeployBridge(dir, ganache.Endpoint.ToString(), payerKey, password, EthereumSender.CreateAddress(payer.Address, 2));
        var token = Address.Parse(deployed.GetProperty("token").GetString()!);
        Assert.That((await ganache.SendAsync(payer, token, BridgeContract.MintCallData(Ganache.Accounts[1].Address, 100 * Rlc))).Succeeded, Is.True);
        return (password, depositorKey, deployed);
    }

    /// <summary>`bridge deploy` of the bridge and a test RLC token, trusting the anchor at <paramref name="anchor"/>; its JSON line.</summary>
    private static JsonElement DeployBridge(TempDir dir, string eth, string payerKey, string password, Address anchor, params string[] options)
    {
        string bridgeBin = dir.File("bridge.bin"), tokenBin = dir.File("testrlc.bin");
        File.WriteAllText(bridgeBin, Hex.Encode(BridgeArtifacts.Bridge.Bytecode));
        File.WriteAllText(tokenBin, Hex.Encode(BridgeArtifacts.TestRlc.Bytecode));
        var (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(60), ["bridge", "deploy", "--eth-rpc", eth, "--eth-key", payerKey, "--password-file", password,
            "--bytecode", bridgeBin, "--test-token-bytecode", tokenBin, "--anchor", anchor.ToString(), "--sidechain-id", "1337", .. options]);
        Assert.That(code, Is.EqualTo(0), output);
        return JsonDocument.Parse(output.Split('\n').First(l => l.StartsWith('{'))).RootElement.Clone();
    }

    private static ulong Metric(string metrics, string name) =>
        ulong.Parse(metrics.Split('\n').First(l => l.StartsWith(name + " ", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);

    private static string Refused(string[] args)
    {
        var (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(60), args);
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.StartWith("error: ").And.Not.Contain("   at "), "one clear line, no stack trace");
        return output;
    }

    private static string Import(Core.Crypto.PrivateKey key, string file, string password)
    {
        var (code, output) = NodeProcess.Run("keys", "import", "--private-key", key.ToHex(), "--out", file, "--password-file", password);
        Assert.That(code, Is.EqualTo(0), output);
        return file;
    }

    private static async Task AssertBalancedAsync(string rpc, string eth, ulong lockedRlc)
    {
        var (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(60), "bridge", "status", "--rpc", rpc, "--eth-rpc", eth);
        Assert.That(code, Is.EqualTo(0), output);
        var status = JsonDocument.Parse(output).RootElement;
        Assert.That(status.GetProperty("balanced").GetBoolean(), Is.True, output);
        Assert.That(status.GetProperty("lockedOnEthereum").GetString(), Is.EqualTo((lockedRlc * Rlc).ToString(CultureInfo.InvariantCulture)), output);
    }

    private static async Task<ulong> HeightAsync(JsonRpcClient side) => JsonRpcClient.Quantity(await side.CallAsync("iex_blockNumber"));

    private static async Task<ulong> BalanceAsync(JsonRpcClient side, Address account) =>
        JsonRpcClient.Quantity((await side.CallAsync("iex_getAccount", account.ToString())).GetProperty("balance"));

    private static async Task<ulong> TokenBalanceAsync(Ganache ganache, Address token, Address owner) =>
        (ulong)await BridgeContract.BalanceOfAsync(ganache.Rpc, token, owner);

    /// <summary>ganache mines only on transactions: blocks on top of a deposit come from here.</summary>
    private static async Task MineEveryAsync(Ganache ganache, TimeSpan interval, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await ganache.MineAsync();
                await Task.Delay(interval, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
