using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// Light workers (`iexchain worker --node URL`): the node's methods they use, with their bad input, and a
/// worker process that waits for its node, follows its head and serves its own RPC. Light workers running
/// tasks end to end are in MarketEndToEndTests (the devnet's workers are light by default).
/// </summary>
[NonParallelizable]
public class LightWorkerTests
{
    private static ulong Q(JsonElement e) => JsonRpcClient.Quantity(e);

    [Test, CancelAfter(120_000)]
    public async Task The_node_serves_worker_duties_jobs_its_spec_and_pending_nonces_and_rejects_bad_input()
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator();
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        using var client = new JsonRpcClient(chain.Rpc);

        var spec = ChainSpecLoader.Parse((await client.CallAsync("iex_chainSpec")).GetString()!);
        Assert.That(spec.ChainId, Is.EqualTo(Q(await client.CallAsync("iex_chainId"))), "the spec served is the one the node runs");

        var account = DevChain.DevAddress("account", 0).ToString();
        var info = await client.CallAsync("iex_getAccount", account);
        Assert.That(info.GetProperty("pendingNonce").GetString(), Is.EqualTo(info.GetProperty("nonce").GetString()), "nothing pending");
        var (code, output) = NodeProcess.Run("tx", "transfer", "--to", DevChain.DevAddress("account", 1).ToString(), "--amount", "1", "--key", chain.AccountKeyFile(0), "--password-file", chain.PasswordFile, "--rpc", chain.Rpc.ToString());
        Assert.That(code, Is.Zero, output);
        info = await client.CallAsync("iex_getAccount", account);
        Assert.That(Q(info.GetProperty("pendingNonce")), Is.GreaterThanOrEqualTo(1), "the transfer counts as soon as it is pending");

        var worker = DevChain.DevAddress("worker", 0).ToString();
        var unknownTask = "0x" + new string('a', 64);
        var duties = await client.CallAsync("iex_getWorkerDuties", worker, new[] { unknownTask });
        Assert.That(duties.GetProperty("assigned").GetArrayLength(), Is.Zero);
        Assert.That(duties.GetProperty("closed")[0].GetString(), Is.EqualTo(unknownTask), "a task the chain does not know is closed for the worker");
        Assert.That(duties.GetProperty("reveal").GetArrayLength(), Is.Zero);
        Assert.That(Q(duties.GetProperty("blockNumber")), Is.GreaterThan(0UL));
        duties = await client.CallAsync("iex_getWorkerDuties", worker);
        Assert.That(duties.GetProperty("closed").GetArrayLength(), Is.Zero, "tasks are optional");
        Assert.That((await client.CallAsync("iex_getWorkerJob", unknownTask)).ValueKind, Is.EqualTo(JsonValueKind.Null));

        await AssertRejected(client, "worker:", "iex_getWorkerDuties", "0x1234");
        await AssertRejected(client, "tasks must be an array", "iex_getWorkerDuties", worker, "0x" + new string('a', 64));
        await AssertRejected(client, "tasks[1] is not a 32-byte", "iex_getWorkerDuties", worker, new[] { unknownTask, "0x12" });
        await AssertRejected(client, "4097 tasks exceed the limit of 4096", "iex_getWorkerDuties", worker, Enumerable.Repeat(unknownTask, 4097).ToArray());
        await AssertRejected(client, "taskId", "iex_getWorkerJob", "not-a-hash");
        Assert.That((await client.CallAsync("iex_getWorkerApps", worker)).GetProperty("apps").GetArrayLength(), Is.Zero, "a worker in no pool is offered nothing");
        await AssertRejected(client, "worker:", "iex_getWorkerApps", "0x1234");
        Assert.That(Q(await client.CallAsync("iex_blockNumber")), Is.GreaterThan(0UL), "the node still answers");

        // A busy worker has a commit and a reveal in flight per open replica: the per-sender nonce window is
        // 4 × maxAssignmentsPerWorker (1,024 on this spec), not 256. 600 transactions sent at once all enter.
        var sender = DevChain.DevKey("account", 2);
        ulong nonce = Q((await client.CallAsync("iex_getAccount", sender.Address.ToString())).GetProperty("pendingNonce"));
        var burst = Enumerable.Range(0, 600).Select(i => new object?[] { Hex.Encode(TransactionCodec.Sign(new TransactionBody
        {
            ChainId = spec.ChainId,
            Nonce = nonce + (ulong)i,
            Fee = spec.Parameters.Fees.Transfer,
            Transfer = new Transfer { To = ByteString.CopyFrom(DevChain.DevAddress("account", 1).ToArray()), Amount = 1 },
        }, sender)) }).ToList();
        var answers = await client.CallBatchAsync("iex_sendRawTransaction", burst);
        Assert.That(answers.Where(a => a.Error is not null).Select(a => a.Error!.Message), Is.Empty, "no transaction of the burst is refused");
        Assert.That(Q((await client.CallAsync("iex_getAccount", sender.Address.ToString())).GetProperty("pendingNonce")), Is.EqualTo(nonce + 600),
            "the pending nonce counts the whole burst, included or still pending");
    }

    private static async Task AssertRejected(JsonRpcClient client, string message, string method, params object?[] args)
    {
        var e = (await Assert.ThrowsAsync<JsonRpcClientException>(async () => await client.CallAsync(method, args)))!;
        Assert.That(e.Code, Is.EqualTo(-32602), $"{method}: invalid params");
        Assert.That(e.Message, Does.Contain(message));
    }

    [Test, CancelAfter(120_000)]
    public async Task A_light_worker_waits_for_its_node_then_follows_its_head_and_serves_its_own_rpc()
    {
        using var chain = new DevChain();
        int workerPort = NodeProcess.FreePort();
        var data = chain.Dir.File("worker");
        using var worker = NodeProcess.Start("worker", "--node", chain.Rpc.ToString(), "--data", data, "--worker-key", chain.AccountKeyFile(2),
            "--password-file", chain.PasswordFile, "--rpc", $"127.0.0.1:{workerPort}", "--log-level", "Information");

        // Its node is not up yet: the worker waits for it instead of exiting.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!worker.Output.Contains("trying again", StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.That(worker.Output, Does.Contain("cannot reach the node"), worker.Output);
        Assert.That(worker.HasExited, Is.False);

        using var node = chain.StartValidator();
        await worker.WaitForRpcAsync(new Uri($"http://127.0.0.1:{workerPort}/"), TimeSpan.FromSeconds(60));
        using var client = new JsonRpcClient(new Uri($"http://127.0.0.1:{workerPort}/"));
        var info = await client.CallAsync("iex_nodeInfo");
        Assert.That(info.GetProperty("role").GetString(), Is.EqualTo("light-worker"));
        Assert.That(info.GetProperty("worker").GetString(), Is.EqualTo(DevChain.DevAddress("account", 2).ToString()).IgnoreCase);
        Assert.That(info.GetProperty("following").GetString(), Is.EqualTo(chain.Rpc.ToString()));
        Assert.That(File.ReadAllText(Path.Combine(data, "node.pid")).Trim(), Is.EqualTo(worker.Pid.ToString(CultureInfo.InvariantCulture)));

        ulong first = Q(await client.CallAsync("iex_blockNumber"));
        using var nodeClient = new JsonRpcClient(chain.Rpc);
        deadline = DateTime.UtcNow.AddSeconds(30);
        ulong seen = first;
        while (seen < first + 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            seen = Q(await client.CallAsync("iex_blockNumber"));
        }
        Assert.That(seen, Is.GreaterThanOrEqualTo(first + 3), "the worker follows its node's head");
        Assert.That(seen, Is.LessThanOrEqualTo(Q(await nodeClient.CallAsync("iex_blockNumber"))));
        Assert.That((await client.CallAsync("iex_getResult", "0x" + new string('b', 64))).ValueKind, Is.EqualTo(JsonValueKind.Null), "no result for a task it never ran");
        Assert.That(Q(await client.CallAsync("iex_chainId")), Is.EqualTo(Q(await nodeClient.CallAsync("iex_chainId"))));

        worker.Terminate();
        Assert.That(worker.WaitForExit(TimeSpan.FromSeconds(15)), Is.True);
        Assert.That(File.Exists(Path.Combine(data, "node.pid")), Is.False, "a clean stop removes its pid file");
    }

    [Test]
    public void Bad_light_worker_arguments_are_clear_errors()
    {
        using var dir = new TempDir();
        var (code, output) = NodeProcess.Run("worker", "--node", "ftp://example", "--data", dir.File("w"), "--worker-key", dir.File("k.json"));
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("--node").And.Contain("not an http(s) RPC address"));
        (code, output) = NodeProcess.Run("worker", "--node", "127.0.0.1:1", "--data", dir.File("w"), "--worker-key", dir.File("k.json"), "--concurrency", "5000");
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("--concurrency 5000"));
        (code, output) = NodeProcess.Run("worker", "--node", "127.0.0.1:1", "--data", dir.File("w"), "--worker-key", dir.File("k.json"), "--rpc", "nohost");
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("--rpc"));
        (code, output) = NodeProcess.Run("worker", "--data", dir.File("w"), "--worker-key", dir.File("k.json"));
        Assert.That(code, Is.Not.Zero, output);
        Assert.That(output, Does.Contain("--node"));
    }
}
