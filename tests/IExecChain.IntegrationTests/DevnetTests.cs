using System.Globalization;
using IExecChain.Ethereum.Tests.Support;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

[NonParallelizable]
public class DevnetTests
{
    [Test]
    public void Devnet_runs_on_embedded_defaults_until_the_requested_height_and_exits_zero()
    {
        using var dir = new TempDir();
        int port = NodeProcess.FreePort();
        int p2p = NodeProcess.FreeUdpPort();
        var (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(120), "devnet", "--data", dir.File("devnet"), "--stop-at-height", "15",
            "--rpc", $"127.0.0.1:{port}", "--p2p-port", p2p.ToString(System.Globalization.CultureInfo.InvariantCulture), "--load", "50");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("reached height 15"));
        Assert.That(output, Does.Contain("tx/s"));
        Assert.That(File.Exists(Path.Combine(dir.File("devnet"), "keys", "account-0.json")), Is.True);

        // A second run reuses the directory and continues the same chain.
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(120), "devnet", "--data", dir.File("devnet"), "--stop-at-height", "20", "--rpc", $"127.0.0.1:{port}",
            "--p2p-port", p2p.ToString(System.Globalization.CultureInfo.InvariantCulture), "--load", "0");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("reached height 20"));
    }

    [Test, CancelAfter(420_000)]
    public async Task Devnet_with_eth_rpc_bridges_rlc_across_four_validators_and_back()
    {
        using var ganache = await Ganache.StartAsync();
        using var dir = new TempDir();
        File.WriteAllText(dir.File("password.txt"), "pw\n");
        var (code, output) = NodeProcess.Run("keys", "import", "--private-key", Ganache.Accounts[0].ToHex(), "--out", dir.File("payer.json"), "--password-file", dir.File("password.txt"));
        Assert.That(code, Is.EqualTo(0), output);
        // One worker runs the market the bridged RLC is spent in (workers listen 100 ports above the validators).
        int rpcBase = NodeProcess.FreePorts(101), p2pBase = NodeProcess.FreeUdpPorts(101);
        using var devnet = NodeProcess.Start("devnet", "--validators", "4", "--workers", "1", "--market-trust", "1", "--load", "0", "--data", dir.File("devnet"),
            "--rpc", $"127.0.0.1:{rpcBase}", "--p2p-port", p2pBase.ToString(CultureInfo.InvariantCulture),
            "--eth-rpc", ganache.Endpoint.ToString(), "--eth-key", dir.File("payer.json"), "--eth-password-file", dir.File("password.txt"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(300);
        while (DateTime.UtcNow < deadline && !devnet.Output.Contains("bridge demo: locked on Ethereum", StringComparison.Ordinal) && !devnet.Output.Contains("bridge demo stopped", StringComparison.Ordinal))
            await Task.Delay(500);
        output = devnet.Output;
        Assert.That(output, Does.Contain("bridge deployed at").And.Contain("bridge demo: deposit 0 credited").And.Contain("bridge demo: withdrawal 0 claimed: 20 RLC released"), output);
        var bought = System.Text.RegularExpressions.Regex.Match(output, "bridge demo: task (0x[0-9a-f]{64}) completed; the demo account paid");
        Assert.That(bought.Success, Is.True, output);
        Assert.That(output, Does.Contain("locked on Ethereum 30 RLC, bridged supply 30 RLC, pending deposits 0, unclaimed withdrawals 0: balanced"), output);

        // Every validator credited the deposit the same way, attested by more than 2/3 of the four.
        var demo = Node.Devnet.DevKeys.Bridge(0).Address.ToString();
        var balances = new List<ulong>();
        for (int i = 0; i < 4; i++)
        {
            using var client = new JsonRpcClient(new Uri($"http://127.0.0.1:{rpcBase + i}/"));
            var deposit = await client.CallAsync("iex_getDeposit", "0");
            Assert.That(deposit.GetProperty("status").GetString(), Is.EqualTo("credited"), $"node {i}");
            Assert.That(deposit.GetProperty("attesters").GetArrayLength(), Is.GreaterThanOrEqualTo(3), $"node {i}");
            balances.Add(JsonRpcClient.Quantity((await client.CallAsync("iex_getAccount", demo)).GetProperty("balance")));
        }
        Assert.That(balances.Distinct().Count(), Is.EqualTo(1), "the four validators agree");
        // Exact: 50 RLC in, one task bought at its deal's prices (app and workerpool) plus the order fee, 20 RLC out plus the bridge fee.
        using (var node0 = new JsonRpcClient(new Uri($"http://127.0.0.1:{rpcBase}/")))
        {
            var task = await node0.CallAsync("iex_getTask", bought.Groups[1].Value);
            Assert.That(task.GetProperty("status").GetString(), Is.EqualTo("completed"));
            var deal = await node0.CallAsync("iex_getDeal", task.GetProperty("dealId").GetString()!);
            Assert.That(deal.GetProperty("requester").GetString(), Is.EqualTo(demo).IgnoreCase, "the demo account bought the task");
            var fees = (await node0.CallAsync("iex_nodeInfo")).GetProperty("fees");
            ulong spent = JsonRpcClient.Quantity(deal.GetProperty("appPrice")) + JsonRpcClient.Quantity(deal.GetProperty("workerpoolPrice")) + JsonRpcClient.Quantity(fees.GetProperty("order"));
            Assert.That(spent, Is.GreaterThan(JsonRpcClient.Quantity(fees.GetProperty("order"))), "the task was not free");
            Assert.That(balances[0], Is.EqualTo(50_000_000_000UL - spent - 20_000_000_000UL - JsonRpcClient.Quantity(fees.GetProperty("bridge"))));
        }
        devnet.Kill();
    }

    /// <summary>
    /// A devnet stopped and started again on its data takes up the pool it registered (with its worker)
    /// instead of registering another, and its tasks run again. Its banner says what the chain holds; task
    /// ids are printed whole; the pool offers every category in force; the user's dev account is named.
    /// </summary>
    [Test, CancelAfter(600_000)]
    public async Task Devnet_restarted_on_its_data_reuses_its_pool_and_runs_tasks_again()
    {
        using var dir = new TempDir();
        int rpcBase = NodeProcess.FreePorts(101), p2pBase = NodeProcess.FreeUdpPorts(101);
        string[] args = ["devnet", "--workers", "1", "--market-trust", "1", "--load", "0", "--data", dir.File("devnet"),
            "--rpc", $"127.0.0.1:{rpcBase}", "--p2p-port", p2pBase.ToString(CultureInfo.InvariantCulture)];
        using var client = new JsonRpcClient(new Uri($"http://127.0.0.1:{rpcBase}/"), TimeSpan.FromSeconds(10));
        var poolLine = new System.Text.RegularExpressions.Regex(@"workerpool (0x[0-9a-f]{40}) \((registered|reused)\) with (\d+) worker\(s\), offering categories ([0-9, ]+);");
        var completedTask = new System.Text.RegularExpressions.Regex(@"task (0x[0-9a-f]{64}) completed");

        async Task<(string Pool, string How, string Task)> RunUntilATaskCompletes(NodeProcess devnet)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(240);
            while (DateTime.UtcNow < deadline && !devnet.HasExited && !completedTask.IsMatch(devnet.Output)) await Task.Delay(500);
            var output = devnet.Output;
            var pool = poolLine.Match(output);
            var task = completedTask.Match(output);
            Assert.That(pool.Success && task.Success, Is.True, output);
            Assert.That(pool.Groups[3].Value, Is.EqualTo("1"), "the pool's worker, as the chain has it");
            var categories = (await client.CallAsync("iex_getCategories")).EnumerateArray().Select(c => JsonRpcClient.Quantity(c.GetProperty("id")).ToString(CultureInfo.InvariantCulture));
            Assert.That(pool.Groups[4].Value.Trim(), Is.EqualTo(string.Join(", ", categories)), "the pool offers every category");
            Assert.That(output, Does.Contain($"your key: dev account 9 {Node.Devnet.DevKeys.Account(9).Address}"));
            // The printed id is the task's whole id: the chain knows it, and it ran in this pool.
            var t = await client.CallAsync("iex_getTask", task.Groups[1].Value);
            Assert.That(t.GetProperty("status").GetString(), Is.EqualTo("completed"));
            var deal = await client.CallAsync("iex_getDeal", t.GetProperty("dealId").GetString()!);
            Assert.That(deal.GetProperty("workerpool").GetString(), Is.EqualTo(pool.Groups[1].Value).IgnoreCase);
            return (pool.Groups[1].Value, pool.Groups[2].Value, task.Groups[1].Value);
        }

        string firstPool, firstTask;
        using (var devnet = NodeProcess.Start(args))
        {
            (firstPool, var how, firstTask) = await RunUntilATaskCompletes(devnet);
            Assert.That(how, Is.EqualTo("registered"));
            foreach (var category in (await client.CallAsync("iex_getCategories")).EnumerateArray())
            {
                var book = await client.CallAsync("iex_getOrderBook", new Dictionary<string, object> { ["kind"] = "workerpool", ["category"] = JsonRpcClient.Quantity(category.GetProperty("id")) });
                Assert.That(book.GetProperty("orders").EnumerateArray().Count(o => o.GetProperty("order").GetProperty("workerpool").GetString() == firstPool), Is.EqualTo(1),
                    $"one workerpool order in category {category.GetProperty("id")}");
            }
            devnet.Terminate();
        }

        using (var devnet = NodeProcess.Start(args))
        {
            var (pool, how, task) = await RunUntilATaskCompletes(devnet);
            Assert.That(how, Is.EqualTo("reused"), devnet.Output);
            Assert.That(pool, Is.EqualTo(firstPool));
            Assert.That(task, Is.Not.EqualTo(firstTask), "a task of this run completed");
            // The pool owner registered one pool in all: every id its nonces could have made is looked up.
            var owner = Node.Devnet.DevKeys.Market(1).Address;
            ulong nonce = JsonRpcClient.Quantity((await client.CallAsync("iex_getAccount", owner.ToString())).GetProperty("nonce"));
            int pools = 0;
            for (ulong n = 0; n < nonce; n++)
                if ((await client.CallAsync("iex_getPool", State.Market.MarketBlock.ResourceId(State.Market.MarketBlock.WorkerpoolIdKind, owner, n).ToString())).ValueKind == System.Text.Json.JsonValueKind.Object) pools++;
            Assert.That(pools, Is.EqualTo(1));
            devnet.Terminate();
        }
    }

    [TestCase("0")]
    [TestCase("17")]
    public void Devnet_refuses_a_validator_count_out_of_range(string count)
    {
        var (code, output) = NodeProcess.Run("devnet", "--validators", count, "--data", Path.Combine(Path.GetTempPath(), "unused-devnet"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain($"--validators {count}: must be from 1 to 16"));
    }

    [TestCase(new[] { "--eth-rpc", "http://127.0.0.1:1" }, "--eth-rpc needs --eth-key FILE")]
    [TestCase(new[] { "--anchor", "0x0000000000000000000000000000000000000001" }, "--eth-key and --anchor need --eth-rpc")]
    [TestCase(new[] { "--eth-rpc", "ftp://x", "--eth-key", "k.json" }, "--eth-rpc: 'ftp://x' is not an http(s) URL")]
    public void Devnet_anchoring_options_are_checked_before_anything_starts(string[] options, string message)
    {
        var (code, output) = NodeProcess.Run(["devnet", "--data", Path.Combine(Path.GetTempPath(), "unused-devnet"), .. options]);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain(message));
    }

    [TestCase(new[] { "--role", "relayer" }, "--role relayer needs --eth-rpc URL")]
    [TestCase(new[] { "--role", "relayer", "--eth-rpc", "http://127.0.0.1:1" }, "--role relayer needs --eth-key FILE")]
    [TestCase(new[] { "--role", "relayer", "--eth-rpc", "http://127.0.0.1:1", "--eth-key", "k.json" }, "--role relayer needs --anchor ADDRESS")]
    [TestCase(new[] { "--eth-rpc", "http://127.0.0.1:1" }, "--eth-rpc is for a validator (--key), --role relayer or --trust-anchor")]
    [TestCase(new[] { "--eth-key", "k.json" }, "--eth-key and --anchor are for --role relayer")]
    [TestCase(new[] { "--eth-rpc", "ws://127.0.0.1:1" }, "--eth-rpc: 'ws://127.0.0.1:1' is not an http(s) URL")]
    [TestCase(new[] { "--role", "validator" }, "--role validator needs --key FILE")]
    public void Run_roles_are_checked_before_the_node_opens(string[] options, string message)
    {
        var (code, output) = NodeProcess.Run(["run", "--data", Path.Combine(Path.GetTempPath(), "unused-node"), .. options]);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain(message));
    }
}
