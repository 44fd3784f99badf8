using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Worker.Content;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Wasm;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// The market on real processes: `devnet --validators 4 --workers 5` with one saboteur (wrong results for
/// about half its tasks) at trust 3. Every task must complete with the result an independent run of the
/// app gives (WebAssembly apps, and a native script the pool allows); the saboteur loses stakes and score;
/// a worker frozen then killed while holding a replica has that replica reassigned, and the task still
/// completes. The devnet's workers are light workers (`iexchain worker`) unless a test asks for full nodes.
/// </summary>
[NonParallelizable]
public class MarketEndToEndTests
{
    private static ulong Q(JsonElement e) => JsonRpcClient.Quantity(e);

    [Test, CancelAfter(600_000)]
    public async Task Four_validators_and_five_workers_complete_every_task_despite_a_saboteur_and_a_killed_worker()
    {
        using var dir = new TempDir();
        int rpcBase = NodeProcess.FreePorts(105), p2pBase = NodeProcess.FreeUdpPorts(105);
        // Workers listen 100 ports above the validators.
        var data = dir.File("devnet");
        using var devnet = NodeProcess.Start("devnet", "--validators", "4", "--workers", "5", "--saboteurs", "1", "--market-trust", "3", "--market-volume", "4",
            "--worker-restart-delay", "40", "--data", data, "--rpc", $"127.0.0.1:{rpcBase}", "--p2p-port", p2pBase.ToString(CultureInfo.InvariantCulture),
            "--load", "0", "--log-level", "Warning");
        var rpc = new Uri($"http://127.0.0.1:{rpcBase}/");
        using var client = new JsonRpcClient(rpc, TimeSpan.FromSeconds(10));

        await WaitAsync(async () => Q((await client.CallAsync("iex_getOrderBook")).GetProperty("totals").GetProperty("tasksCompleted")) >= 2,
            TimeSpan.FromSeconds(240), "the first two tasks to complete", devnet);

        // Freeze honest worker 0 (it cannot contribute), wait until the chain gives it a replica, then kill it.
        var victim = Address(await client.CallAsync("iex_getWorker", WorkerAddress(0)));
        int pid = int.Parse(File.ReadAllText(Path.Combine(data, "worker-0", "node.pid")).Trim(), CultureInfo.InvariantCulture);
        Signal("STOP", pid);
        // A commit the worker sent just before it froze may still be on its way into a block: let a few blocks
        // pass, then take only a replica that is still merely assigned (the frozen worker can never commit it).
        ulong frozenAt = Q(await client.CallAsync("iex_blockNumber"));
        await WaitAsync(async () => Q(await client.CallAsync("iex_blockNumber")) >= frozenAt + 4,
            TimeSpan.FromSeconds(60), "four blocks after the freeze", devnet);
        string? stranded = null;
        await WaitAsync(async () =>
        {
            var w = await client.CallAsync("iex_getWorker", victim);
            foreach (var assigned in w.GetProperty("assignments").EnumerateArray())
            {
                var t = await client.CallAsync("iex_getTask", assigned.GetString()!);
                if (t.GetProperty("replicas").EnumerateArray().Any(r =>
                        r.GetProperty("worker").GetString()!.Equals(victim, StringComparison.OrdinalIgnoreCase)
                        && r.GetProperty("status").GetString() == "assigned"))
                {
                    stranded = assigned.GetString();
                    return true;
                }
            }
            return false;
        }, TimeSpan.FromSeconds(120), "a replica the frozen worker has not committed", devnet);
        Signal("KILL", pid);
        TestContext.Out.WriteLine($"killed worker 0 ({victim}) holding a replica of task {stranded}");

        await WaitAsync(async () => (await client.CallAsync("iex_getTask", stranded!)).GetProperty("status").GetString() == "completed",
            TimeSpan.FromSeconds(180), $"task {stranded} to complete without the killed worker", devnet);
        var task = await client.CallAsync("iex_getTask", stranded!);
        var killedReplica = task.GetProperty("replicas").EnumerateArray().Single(r => r.GetProperty("worker").GetString()!.Equals(victim, StringComparison.OrdinalIgnoreCase));
        Assert.That(killedReplica.GetProperty("status").GetString(), Is.EqualTo("timed-out"), "the dead worker's replica timed out");
        Assert.That(task.GetProperty("replicas").EnumerateArray().Count(r => r.GetProperty("status").GetString() == "revealed"), Is.GreaterThanOrEqualTo(1));

        // Let the saboteur both win and lose, until a loss cuts a positive score: each replicated win adds 1,
        // a loss takes the score to 2/3 of itself, so a saboteur that lost only while its score was 0 keeps
        // score == wins, and the wait goes on until a later loss shows the cut.
        var saboteur = WorkerAddress(4);
        await WaitAsync(async () =>
        {
            var w = await client.CallAsync("iex_getWorker", saboteur);
            return Q(w.GetProperty("losses")) >= 2 && Q(w.GetProperty("wins")) >= 1 && Q(w.GetProperty("score")) < Q(w.GetProperty("wins"));
        }, TimeSpan.FromSeconds(300), "the saboteur to win and lose tasks, and a loss to cut its score below its wins", devnet);

        var totals = (await client.CallAsync("iex_getOrderBook")).GetProperty("totals");
        Assert.That(Q(totals.GetProperty("tasksFailed")), Is.Zero, "no task failed");

        // Every completed task's agreed digest is what an independent run of its app gives.
        using var runs = new LocalRuns(client);
        int withDataset = 0;
        int checkedTasks = 0, saboteurLosses = 0;
        foreach (var taskId in await CompletedTasksAsync(client))
        {
            var t = await client.CallAsync("iex_getTask", taskId);
            var (digest, hasDataset) = await runs.ExpectedAsync(taskId);
            if (hasDataset) withDataset++;
            Assert.That(t.GetProperty("resultDigest").GetString(), Is.EqualTo(digest.ToString()), $"task {taskId}");
            checkedTasks++;
            foreach (var r in t.GetProperty("replicas").EnumerateArray())
                if (r.GetProperty("worker").GetString()!.Equals(saboteur, StringComparison.OrdinalIgnoreCase) && r.TryGetProperty("resultHash", out var h)
                    && h.ValueKind == JsonValueKind.String && h.GetString() != t.GetProperty("consensusHash").GetString())
                    saboteurLosses++;
        }
        TestContext.Out.WriteLine($"{checkedTasks} completed tasks checked; saboteur outvoted on {saboteurLosses}; totals {totals}");
        Assert.That(checkedTasks, Is.GreaterThanOrEqualTo(5));
        Assert.That(withDataset, Is.GreaterThanOrEqualTo(1), "tasks on the chunked dataset ran and agreed");
        Assert.That(runs.NativeTasks, Is.GreaterThanOrEqualTo(1), "native tasks (a script, on a pool that allows them) ran and agreed");
        Assert.That(saboteurLosses, Is.GreaterThanOrEqualTo(2), "the saboteur's wrong results were outvoted, never accepted");

        // An honest worker compiled each app once, when its app order was offered to the pool, and never for a replica.
        using var worker = new JsonRpcClient(new Uri($"http://127.0.0.1:{rpcBase + 100 + 1}/"), TimeSpan.FromSeconds(10));
        var info = await worker.CallAsync("iex_nodeInfo");
        TestContext.Out.WriteLine($"worker 1: {info}");
        Assert.That(info.GetProperty("appsPrepared").GetInt64(), Is.GreaterThanOrEqualTo(1), "the offered apps were prepared");
        Assert.That(info.GetProperty("modulesCompiled").GetInt64(), Is.EqualTo(info.GetProperty("appsPrepared").GetInt64()), "one compile per app, none for its tasks");
        Assert.That(info.GetProperty("tasksRun").GetInt64(), Is.GreaterThan(info.GetProperty("modulesCompiled").GetInt64()));

        // Every validator's /metrics, with the market running, passes Prometheus' checker and matches docs/metrics.md.
        await MetricsChecks.CheckAsync([.. Enumerable.Range(0, 4).Select(i => new Uri($"http://127.0.0.1:{rpcBase + i}/"))]);
    }

    /// <summary>
    /// At trust 1 a task has one replica, so the saboteur's wrong results are accepted. A staked account
    /// challenges one inside its rollback window with `task challenge`; verifiers (other pool members) re-run it, and
    /// the chain reverses the result to what an independent run gives. Its workers are full nodes
    /// (`--worker-mode full`); the other test's are light workers, so both kinds run tasks end to end.
    /// </summary>
    [Test, CancelAfter(600_000)]
    public async Task A_challenged_wrong_result_inside_the_window_is_reversed()
    {
        using var dir = new TempDir();
        int rpcBase = NodeProcess.FreePorts(105), p2pBase = NodeProcess.FreeUdpPorts(105);
        var data = dir.File("devnet");
        using var devnet = NodeProcess.Start("devnet", "--validators", "4", "--workers", "5", "--saboteurs", "1", "--market-trust", "1", "--market-volume", "4",
            "--worker-mode", "full", "--data", data, "--rpc", $"127.0.0.1:{rpcBase}", "--p2p-port", p2pBase.ToString(CultureInfo.InvariantCulture), "--load", "0", "--log-level", "Warning");
        var rpc = $"http://127.0.0.1:{rpcBase}/";
        using var client = new JsonRpcClient(new Uri(rpc), TimeSpan.FromSeconds(10));
        using var runs = new LocalRuns(client);
        var saboteur = WorkerAddress(4);

        // A completed task whose only winner is the saboteur, with a wrong digest, not yet verified, window open.
        string? wrongTask = null;
        string? wrongDigest = null;
        Hash256 expected = default;
        var seen = new HashSet<string>();
        await WaitAsync(async () =>
        {
            ulong head = Q(await client.CallAsync("iex_blockNumber"));
            foreach (var taskId in await CompletedTasksAsync(client))
            {
                if (!seen.Add(taskId)) continue;
                var t = await client.CallAsync("iex_getTask", taskId);
                var pending = t.GetProperty("pending");
                // Null fields are left out of RPC answers: no "verification" means none ran. The spot-check draw
                // happens in the block after completion (it may take the task first): wait until it is past.
                if (head < Q(t.GetProperty("finishedAt")) + 2) { seen.Remove(taskId); continue; }
                if (t.TryGetProperty("verification", out _) || pending.GetArrayLength() != 1
                    || !pending[0].GetProperty("worker").GetString()!.Equals(saboteur, StringComparison.OrdinalIgnoreCase)
                    || Q(t.GetProperty("windowEnd")) < head + 60) continue;
                var (digest, _) = await runs.ExpectedAsync(taskId);
                if (t.GetProperty("resultDigest").GetString() == digest.ToString()) continue;
                (wrongTask, wrongDigest, expected) = (taskId, t.GetProperty("resultDigest").GetString(), digest);
                return true;
            }
            return false;
        }, TimeSpan.FromSeconds(240), "a wrong result of the saboteur accepted at trust 1", devnet);
        TestContext.Out.WriteLine($"challenging task {wrongTask}: accepted {wrongDigest}, an independent run gives {expected}");

        // The challenger: a dev account that stakes as a worker (any staked party may challenge). A working
        // worker's key would race its own node's contributions for nonces.
        string key = Path.Combine(data, "keys", "account-1.json"), password = Path.Combine(data, "password.txt");
        var (code, output) = NodeProcess.Run("tx", "stake", "--role", "worker", "--amount", "100RLC", "--key", key, "--password-file", password, "--rpc", rpc, "--wait");
        Assert.That(code, Is.Zero, output);
        (code, output) = NodeProcess.Run("task", "challenge", wrongTask!, "--key", key, "--password-file", password, "--rpc", rpc, "--wait");
        Assert.That(code, Is.Zero, output);

        JsonElement task = default;
        await WaitAsync(async () =>
        {
            task = await client.CallAsync("iex_getTask", wrongTask!);
            return task.TryGetProperty("verification", out var v) && v.GetProperty("phase").GetString() is "reversed" or "upheld" or "inconclusive";
        }, TimeSpan.FromSeconds(180), $"the verification of task {wrongTask} to conclude", devnet);
        var verification = task.GetProperty("verification");
        TestContext.Out.WriteLine($"verification: {verification}");
        Assert.That(verification.GetProperty("kind").GetString(), Is.EqualTo("challenge"));
        Assert.That(verification.GetProperty("challenger").GetString(), Is.EqualTo(DevChain.DevAddress("account", 1).ToString()).IgnoreCase);
        Assert.That(verification.GetProperty("phase").GetString(), Is.EqualTo("reversed"), verification.ToString());
        Assert.That(task.GetProperty("resultDigest").GetString(), Is.EqualTo(expected.ToString()), "the result is now the one an independent run gives");
        Assert.That(task.GetProperty("originalDigest").GetString(), Is.EqualTo(wrongDigest));
        Assert.That(task.GetProperty("pending").GetArrayLength(), Is.Zero, "the saboteur's pending reward was taken");
        var verifiers = verification.GetProperty("verifiers").EnumerateArray().Where(r => r.GetProperty("status").GetString() == "revealed").ToList();
        Assert.That(verifiers, Has.Count.EqualTo(2));
        foreach (var r in verifiers)
        {
            Assert.That(r.GetProperty("worker").GetString(), Is.Not.EqualTo(saboteur).IgnoreCase);
            Assert.That(r.GetProperty("resultDigest").GetString(), Is.EqualTo(expected.ToString()));
        }
        var totals = (await client.CallAsync("iex_getOrderBook")).GetProperty("totals");
        Assert.That(Q(totals.GetProperty("reversals")), Is.GreaterThanOrEqualTo(1));
        Assert.That(Q(totals.GetProperty("challenges")), Is.GreaterThanOrEqualTo(1));
    }

    /// <summary>Independent local runs of tasks: the app (and dataset) fetched from the chain's endpoints with chunk proofs, run on Wasmtime.</summary>
    private sealed class LocalRuns(JsonRpcClient client) : IDisposable
    {
        private readonly ContentFetcher _fetcher = new();
        private readonly WasmRuntime _wasm = new();
        private readonly Worker.Native.NativeRuntime _native = new();
        private readonly Dictionary<(string App, string Params), Hash256> _digests = [];

        public async Task<(Hash256 Digest, bool HasDataset)> ExpectedAsync(string taskId)
        {
            var t = await client.CallAsync("iex_getTask", taskId);
            var deal = await client.CallAsync("iex_getDeal", t.GetProperty("dealId").GetString()!);
            var key = (deal.GetProperty("app").GetString()!, deal.GetProperty("params").GetString()!);
            bool hasDataset = deal.TryGetProperty("dataset", out var ds) && ds.ValueKind == JsonValueKind.String;
            if (_digests.TryGetValue(key, out var digest)) return (digest, hasDataset);
            byte[]? dataset = null;
            if (hasDataset)
            {
                var record = await client.CallAsync("iex_getDataset", ds.GetString()!);
                dataset = await _fetcher.FetchAsync(new Uri(record.GetProperty("endpoint").GetString()!), Hash256.Parse(record.GetProperty("contentRoot").GetString()!),
                    (long)Q(record.GetProperty("size")));
            }
            var app = await client.CallAsync("iex_getApp", key.Item1);
            var input = new TaskInput { AppName = app.GetProperty("name").GetString()!, Args = TaskArguments.Split(key.Item2), RandomSeed = Hash256.Parse(taskId), Dataset = dataset };
            ExecutionResult run;
            if (app.GetProperty("runtime").GetString() == "native")
            {
                // The devnet's native app is a script on this machine; its registered hash must match it.
                string executable = app.GetProperty("manifest").GetString()!;
                Assert.That(Core.Crypto.Keccak256.Hash(await File.ReadAllBytesAsync(executable)).ToString(), Is.EqualTo(app.GetProperty("contentRoot").GetString()));
                NativeTasks++;
                run = await _native.RunAsync(executable, input, new ExecutionLimits { Fuel = ulong.MaxValue }, CancellationToken.None);
            }
            else
            {
                var code = await _fetcher.FetchAsync(new Uri(app.GetProperty("endpoint").GetString()!), Hash256.Parse(app.GetProperty("contentRoot").GetString()!),
                    (long)Q(app.GetProperty("contentSize")));
                run = _wasm.Run(new WasmCode(code), input, new ExecutionLimits());
            }
            digest = _digests[key] = run.Digest ?? throw new AssertionException($"local run of {key} failed: {run.Error}");
            return (digest, hasDataset);
        }

        /// <summary>Distinct native (app, params) pairs run locally.</summary>
        public int NativeTasks { get; private set; }

        public void Dispose()
        {
            _wasm.Dispose();
            _fetcher.Dispose();
        }
    }

    private static string WorkerAddress(int i) => DevChain.DevAddress("worker", i).ToString();

    private static string Address(JsonElement worker) => worker.GetProperty("address").GetString()!;

    /// <summary>Completed tasks of the demo requester's orders (every order it placed leads to its deals).</summary>
    private static async Task<List<string>> CompletedTasksAsync(JsonRpcClient client)
    {
        var tasks = new List<string>();
        var requester = DevChain.DevAddress("market", 2);
        // Deals are found from the blocks' place-order transactions of the requester.
        ulong head = Q(await client.CallAsync("iex_blockNumber"));
        for (ulong h = 1; h <= head; h++)
        {
            var block = await client.CallAsync("iex_getBlockByNumber", "0x" + h.ToString("x", CultureInfo.InvariantCulture), true);
            foreach (var tx in block.GetProperty("transactions").EnumerateArray())
            {
                if (tx.GetProperty("type").GetString() != "place-order" || !tx.GetProperty("from").GetString()!.Equals(requester.ToString(), StringComparison.OrdinalIgnoreCase)) continue;
                var hash = Keccak(tx);
                var order = await client.CallAsync("iex_getOrder", hash);
                foreach (var dealId in order.GetProperty("deals").EnumerateArray())
                {
                    var deal = await client.CallAsync("iex_getDeal", dealId.GetString()!);
                    foreach (var t in deal.GetProperty("tasks").EnumerateArray())
                        if ((await client.CallAsync("iex_getTask", t.GetString()!)).GetProperty("status").GetString() == "completed") tasks.Add(t.GetString()!);
                }
            }
        }
        return tasks;
    }

    /// <summary>The order hash of a place-order transaction: keccak256(kind ‖ order bytes), from the signed body.</summary>
    private static string Keccak(JsonElement tx)
    {
        var signed = Core.Wire.SignedTransaction.Parser.ParseFrom(Hex.Decode(tx.GetProperty("raw").GetString()!));
        var body = Core.Wire.TransactionBody.Parser.ParseFrom(signed.Body);
        return State.Market.OrderCodec.HashOf(State.Market.OrderCodec.Kind.Request, body.PlaceOrder.Request).ToString();
    }

    private static void Signal(string signal, int pid) => Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, NodeProcess devnet)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (devnet.HasExited) Assert.Fail($"devnet exited with {devnet.ExitCode} while waiting for {what}:\n{devnet.Output}");
            try
            {
                if (await condition()) return;
            }
            catch (Exception e) when (e is JsonRpcClientException or HttpRequestException or TaskCanceledException or InvalidOperationException or KeyNotFoundException)
            {
                last = e;
            }
            await Task.Delay(500);
        }
        Assert.Fail($"timed out after {timeout.TotalSeconds} s waiting for {what} (last error: {last?.Message}):\n{Tail(devnet.Output)}");
    }

    private static string Tail(string text) => text.Length > 6000 ? text[^6000..] : text;
}
