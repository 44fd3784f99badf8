using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Ethereum.Tests.Support;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.State.Market;
using IExecChain.Worker.Wasm;
using NUnit.Framework;

namespace IExecChain.IntegrationTests.MarketApps;

/// <summary>
/// An app no worker can run: refused at the door by the CLI, naming the import; registered anyway by a
/// client that skips the door, its task is reported by the workers on chain and fails within 2T with the
/// reason in `task show`, and the requester gets its money back at once instead of at the final deadline.
/// </summary>
[NonParallelizable]
public class UnrunnableAppTests
{
    private static ulong Q(JsonElement e) => JsonRpcClient.Quantity(e);

    [Test, CancelAfter(300_000)]
    public async Task An_app_forced_past_the_door_is_reported_by_the_workers_and_its_task_fails_within_2T_with_the_requester_refunded()
    {
        using var dir = new TempDir();
        var devnet = MarketDevnet.Process;
        var client = MarketDevnet.Client;
        var workers = MarketDevnet.Workers;
        var rpc = MarketDevnet.Rpc;
        string[] key = MarketDevnet.UserKey;
        var owner = DevChain.DevKey("account", 9);
        // Failure reports are counted since each worker started: this task's are the difference.
        long reportsBefore = 0;
        foreach (var worker in workers) reportsBefore += (await worker.CallAsync("iex_nodeInfo")).GetProperty("failureReports").GetInt64();

        // The door: the CLI refuses the module, naming the import.
        string served = Directory.CreateDirectory(dir.File("served")).FullName;
        string clock = Path.Combine(served, "clock.wasm");
        File.WriteAllBytes(clock, WasmCode.FromText("""(module (import "env" "now" (func (result i64))) (func (export "_start")))""").Bytes.ToArray());
        var (code, output) = NodeProcess.Run(["app", "register", "--name", "clock", "--wasm", clock, .. key]);
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("imports function env::now"));

        // Forced past it: served by its provider and registered by root with a transaction built here.
        int port = NodeProcess.FreePort();
        using var server = NodeProcess.Start("content", "serve", served, "--listen", $"127.0.0.1:{port}");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!server.Output.Contains("clock.wasm: ", StringComparison.Ordinal) && DateTime.UtcNow < deadline && !server.HasExited) await Task.Delay(100);
        var served0 = Regex.Match(server.Output, @"clock\.wasm: --content-root (\S+) --size (\d+) --endpoint (\S+)");
        Assert.That(served0.Success, Is.True, server.Output);
        var account = await client.CallAsync("iex_getAccount", owner.Address.ToString());
        ulong nonce = Q(account.GetProperty("pendingNonce"));
        var info = await client.CallAsync("iex_nodeInfo");
        var body = new TransactionBody
        {
            ChainId = Q(info.GetProperty("chainId")),
            Nonce = nonce,
            Fee = Q(info.GetProperty("fees").GetProperty("registry")),
            RegisterApp = new RegisterApp
            {
                Name = "clock",
                Runtime = AppRuntime.Wasm,
                ContentRoot = ByteString.CopyFrom(Hash256.Parse(served0.Groups[1].Value).ToArray()),
                ContentSize = ulong.Parse(served0.Groups[2].Value, CultureInfo.InvariantCulture),
                Endpoint = served0.Groups[3].Value,
            },
        };
        await client.CallAsync("iex_sendRawTransaction", "0x" + Convert.ToHexStringLower(TransactionCodec.Sign(body, owner)));
        string app = MarketBlock.ResourceId(MarketBlock.AppIdKind, owner.Address, nonce).ToString();
        deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await client.CallAsync("iex_getApp", app)).ValueKind == JsonValueKind.Null)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the forced registration was not committed");
            await Task.Delay(200);
        }

        File.WriteAllText(dir.File("apporder.json"), $$$"""{"apporder": {"app": "{{{app}}}", "appprice": 0, "volume": 10}}""");
        (code, output) = NodeProcess.Run(["order", "place", dir.File("apporder.json"), .. key, "--wait"]);
        Assert.That(code, Is.Zero, output);
        account = await client.CallAsync("iex_getAccount", owner.Address.ToString());
        ulong balanceBefore = Q(account.GetProperty("balance")), frozenBefore = Q(account.GetProperty("frozen"));
        ulong orderFee = Q(info.GetProperty("fees").GetProperty("order"));
        // Trust 6 with workers of weight 2 (MarketDevnet): three agreeing reports are needed, as three results would be.
        File.WriteAllText(dir.File("request.json"), $$$"""
            {"requestorder": {"app": "{{{app}}}", "appmaxprice": 0, "workerpoolmaxprice": "0.01RLC", "volume": 1, "category": 0, "trust": 6}}
            """);
        (code, output) = NodeProcess.Run(["order", "place", dir.File("request.json"), .. key, "--wait"]);
        Assert.That(code, Is.Zero, output);
        string order = Regex.Match(output, "order (0x[0-9a-f]{64})").Groups[1].Value;

        var (task, record) = await OrderTasks.WaitForAsync(client, order, "failed", "completed", TimeSpan.FromMinutes(2), devnet);
        TestContext.Out.WriteLine($"task {task}: {record}");
        var replicas = record.GetProperty("replicas").EnumerateArray().ToList();
        Assert.That(replicas.Select(r => (r.GetProperty("status").GetString(), r.GetProperty("failure").GetString())),
            Is.EqualTo(Enumerable.Repeat<(string?, string?)>(("failed", "invalid-app"), 3)), "each of the three workers reported it");
        Assert.That(record.GetProperty("outcomeReason").GetProperty("name").GetString(), Is.EqualTo("REASON_TASK_CANNOT_RUN"));
        var categories = await client.CallAsync("iex_getCategories");
        ulong t = Q(categories[0].GetProperty("timeRefBlocks"));
        ulong took = Q(record.GetProperty("finishedAt")) - Q(record.GetProperty("startHeight"));
        TestContext.Out.WriteLine($"failed {took} blocks after it started (T = {t} blocks)");
        Assert.That(took, Is.LessThanOrEqualTo(2 * t), "failed within 2T, not at the final deadline (10T)");

        (code, output) = NodeProcess.Run("task", "show", task, "--rpc", rpc.ToString());
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("failed early: 3 worker(s) reported the task cannot run (invalid-app)").And.Contain("\"failure\": \"invalid-app\""));

        account = await client.CallAsync("iex_getAccount", owner.Address.ToString());
        Assert.That(Q(account.GetProperty("frozen")), Is.EqualTo(frozenBefore), "the request's lock is released");
        Assert.That(Q(account.GetProperty("balance")), Is.EqualTo(balanceBefore - orderFee), "refunded: only the order's fee is spent");
        long reports = 0;
        foreach (var worker in workers) reports += (await worker.CallAsync("iex_nodeInfo")).GetProperty("failureReports").GetInt64();
        Assert.That(reports - reportsBefore, Is.EqualTo(3), "one report from each of the three workers");
    }
}
