using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Tests.Support;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Wasm;
using NUnit.Framework;

namespace IExecChain.IntegrationTests.MarketApps;

/// <summary>
/// A real third-party program on the market: yosys (30.8 MB, a WASI command published on npm by
/// YoWASP), uploaded and registered through the CLI, prepared by the workers when its app order is
/// offered to their pool, and run by three replicas in category XS, whose 10 s replica deadline a
/// compile (34 s on this machine alone) could never fit.
/// </summary>
/// <remarks>
/// Worker 0 compiles yosys itself when the order is offered; workers 1 and 2 find it compiled on their
/// disk, as a restarted worker would (the test compiles it once while the upload runs and puts the
/// artifact in their compiled-module directories). Three compiles of 30 MB at once on 2 cores were most
/// of this test's time; the compile path is the same code on every worker, and each worker still has to
/// fetch the app and prepare it before any request exists, and compile nothing for its replica.
/// </remarks>
[NonParallelizable]
public class RealAppTests
{
    private static ulong Q(JsonElement e) => JsonRpcClient.Quantity(e);

    [Test, CancelAfter(900_000)]
    public async Task A_30_MB_wasi_command_from_npm_is_prepared_by_three_workers_and_run_by_three_replicas_within_category_XS()
    {
        NodeTools.EnsureInstalled();
        string yosys = Path.Combine(NodeTools.ScriptDirectory, "node_modules", "@yowasp", "yosys", "gen", "yosys.core.wasm");
        byte[] module = await File.ReadAllBytesAsync(yosys);
        Assert.That(module.Length, Is.GreaterThan(20_000_000), "a real-size app");
        string codeHash = Convert.ToHexStringLower(Keccak256.HashToArray(module));

        using var dir = new TempDir();
        string data = MarketDevnet.Data;
        var devnet = MarketDevnet.Process;
        var client = MarketDevnet.Client;
        var workers = MarketDevnet.Workers;
        var rpc = MarketDevnet.Rpc;
        string[] key = MarketDevnet.UserKey;
        // Compiled once here, beside the upload, for workers 1 and 2 (see the remarks).
        var compiledHere = Task.Run(() =>
        {
            using var compiler = new WasmRuntime(new WasmRuntimeOptions { CompiledModuleDirectory = dir.File("compiled") });
            var wasm = new WasmCode(module);
            return (Problem: compiler.Prepare(wasm), Path: compiler.CompiledPath(wasm)!);
        });

        // Uploaded in chunks (30.8 MB is over one request's limit) and registered.
        var (code, output) = NodeProcess.Run(TimeSpan.FromMinutes(5), ["app", "register", "--name", "yosys", "--wasm", yosys, .. key, "--wait"]);
        Assert.That(code, Is.Zero, output);
        string app = Regex.Match(output, "app (0x[0-9a-fA-F]{40})").Groups[1].Value;
        Assert.That((await client.CallAsync("iex_getApp", app)).GetProperty("contentSize").GetString(), Is.EqualTo("0x" + module.Length.ToString("x", CultureInfo.InvariantCulture)));

        // Before the order exists (no worker prepares an app that is not offered), workers 1 and 2 get the artifact.
        var (problem, artifact) = await compiledHere;
        Assert.That(problem, Is.Null, "yosys is a module a worker can run");
        Assert.That(File.Exists(artifact), Is.True, "compiled here: " + artifact);
        var loadedBefore = new List<long>();
        foreach (var worker in workers) loadedBefore.Add((await worker.CallAsync("iex_nodeInfo")).GetProperty("modulesLoaded").GetInt64());
        for (int i = 1; i < workers.Count; i++)
        {
            string target = Path.Combine(Directory.CreateDirectory(Path.Combine(data, $"worker-{i}", "compiled")).FullName, Path.GetFileName(artifact));
            File.Copy(artifact, target + ".copy");
            File.Move(target + ".copy", target);
        }

        // Offered to every pool: each worker fetches and prepares it before any request exists: worker 0 by
        // compiling it (its artifact appears), workers 1 and 2 by loading theirs from disk.
        File.WriteAllText(dir.File("apporder.json"), $$$"""{"apporder": {"app": "{{{app}}}", "appprice": 0, "volume": 10}}""");
        (code, output) = NodeProcess.Run(["order", "place", dir.File("apporder.json"), .. key, "--wait"]);
        Assert.That(code, Is.Zero, output);
        var deadline = DateTime.UtcNow.AddMinutes(8);
        string compiled0 = Path.Combine(data, "worker-0", "compiled");
        while (!(Directory.Exists(compiled0) && Directory.GetFiles(compiled0, $"{codeHash}-*.cwasm").Length == 1))
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"worker 0 did not compile yosys ahead:\n{devnet.Output}");
            Assert.That(devnet.HasExited, Is.False, devnet.Output);
            await Task.Delay(500);
        }
        // A fresh worker loads from disk only what it did not compile itself (its cache holds 64 modules): yosys.
        for (int i = 1; i < workers.Count; i++)
            while ((await workers[i].CallAsync("iex_nodeInfo")).GetProperty("modulesLoaded").GetInt64() <= loadedBefore[i])
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"worker {i} did not load yosys ahead:\n{devnet.Output}");
                Assert.That(devnet.HasExited, Is.False, devnet.Output);
                await Task.Delay(500);
            }
        for (int i = 0; i < workers.Count; i++)
            Assert.That(Directory.GetFiles(Path.Combine(data, $"worker-{i}", "compiled"), $"{codeHash}-*.cwasm"), Has.Length.EqualTo(1), $"worker {i}'s compiled yosys");
        var compiledBefore = new List<long>();
        foreach (var worker in workers) compiledBefore.Add((await worker.CallAsync("iex_nodeInfo")).GetProperty("modulesCompiled").GetInt64());

        // The workers weigh 2 each (MarketDevnet): trust 6 needs exactly three agreeing replicas (2^2 = 4 ≤ 5 < 2^3).
        File.WriteAllText(dir.File("request.json"), $$$"""
            {"requestorder": {"app": "{{{app}}}", "appmaxprice": 0, "workerpoolmaxprice": "0.01RLC", "volume": 1, "category": 0, "trust": 6, "params": "-V"}}
            """);
        (code, output) = NodeProcess.Run(["order", "place", dir.File("request.json"), .. key, "--wait"]);
        Assert.That(code, Is.Zero, output);
        string order = Regex.Match(output, "order (0x[0-9a-f]{64})").Groups[1].Value;

        var (task, record) = await OrderTasks.WaitForAsync(client, order, "completed", "failed", TimeSpan.FromMinutes(3), devnet);
        TestContext.Out.WriteLine($"task {task}: {record}");
        var replicas = record.GetProperty("replicas").EnumerateArray().ToList();
        Assert.That(replicas.Count(r => r.GetProperty("status").GetString() == "revealed"), Is.EqualTo(3), "three replicas agreed");
        Assert.That(replicas.Select(r => r.GetProperty("status").GetString()), Has.None.EqualTo("timed-out"), "no replica missed its 10 s deadline");
        for (int i = 0; i < workers.Count; i++)
            Assert.That((await workers[i].CallAsync("iex_nodeInfo")).GetProperty("modulesCompiled").GetInt64(), Is.EqualTo(compiledBefore[i]),
                $"worker {i} compiled nothing for its replica");

        // The result, fetched and checked against the chain's digest, is what a local run gives.
        (code, output) = NodeProcess.Run(["result", "get", task, "--out", dir.File("result"), "--rpc", rpc.ToString()]);
        Assert.That(code, Is.Zero, output);
        // Run from worker 0's compiled module (a fourth compile would add half a minute, and
        // loading it also shows the artifact on disk is what Wasmtime runs).
        using var runtime = new WasmRuntime(new WasmRuntimeOptions { CompiledModuleDirectory = Path.Combine(data, "worker-0", "compiled") });
        var local = runtime.Run(new WasmCode(module), new TaskInput { AppName = "yosys", Args = ["-V"], RandomSeed = Hash256.Parse(task) }, new ExecutionLimits());
        Assert.That(local.Status, Is.EqualTo(ExecutionStatus.Success), local.Error);
        Assert.That((runtime.ModulesLoaded, runtime.ModulesCompiled), Is.EqualTo((1L, 0L)), "the local run loaded worker 0's compiled module");
        Assert.That(record.GetProperty("resultDigest").GetString(), Is.EqualTo(local.Digest.ToString()));
        string stdout = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir.File("result"), "stdout")));
        Assert.That(stdout, Is.EqualTo(Encoding.UTF8.GetString(local.Stdout)).And.StartWith("Yosys 0.55"));
    }
}
