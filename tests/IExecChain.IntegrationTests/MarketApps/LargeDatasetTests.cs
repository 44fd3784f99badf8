using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using IExecChain.Core.Content;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Tests.Support;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Wasm;
using NUnit.Framework;

namespace IExecChain.IntegrationTests.MarketApps;

/// <summary>
/// A dataset at the upload limit (256 MiB) goes through the whole path: uploaded in chunks through the
/// CLI, registered, fetched by a worker chunk by chunk against its root, handed to the app as a file, and
/// hashed by the app (chain-spec/apps/checksum.wat) to the same value as a local run over the original.
/// </summary>
[NonParallelizable]
public class LargeDatasetTests
{
    private const int Size = 256 * 1024 * 1024;

    [Test, CancelAfter(900_000)]
    public async Task A_256_MiB_dataset_round_trips_through_upload_chunk_proofs_and_a_task()
    {
        using var dir = new TempDir();
        string file = dir.File("big.bin");
        await using (var stream = File.Create(file))
        {
            var random = new Random(256);
            byte[] block = new byte[1 << 20];
            for (int i = 0; i < Size / block.Length; i++)
            {
                random.NextBytes(block);
                await stream.WriteAsync(block);
            }
        }
        var expectedRoot = ContentMerkle.ComputeFileRoot(file).Root;
        string checksum = dir.File("checksum.wasm");
        var module = WasmCode.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "apps", "checksum.wat")));
        File.WriteAllBytes(checksum, module.Bytes.ToArray());

        var devnet = MarketDevnet.Process;
        var client = MarketDevnet.Client;
        var rpc = MarketDevnet.Rpc;
        string[] key = MarketDevnet.UserKey;

        var (code, output) = NodeProcess.Run(TimeSpan.FromMinutes(5), ["dataset", "register", "--name", "big", "--file", file, .. key, "--wait"]);
        Assert.That(code, Is.Zero, output);
        string dataset = Regex.Match(output, "dataset (0x[0-9a-fA-F]{40})").Groups[1].Value;
        var record = await client.CallAsync("iex_getDataset", dataset);
        Assert.That(record.GetProperty("contentRoot").GetString(), Is.EqualTo(expectedRoot.ToString()));
        Assert.That(JsonRpcClient.Quantity(record.GetProperty("size")), Is.EqualTo((ulong)Size));

        (code, output) = NodeProcess.Run(["app", "register", "--name", "checksum", "--wasm", checksum, .. key, "--wait"]);
        Assert.That(code, Is.Zero, output);
        string app = Regex.Match(output, "app (0x[0-9a-fA-F]{40})").Groups[1].Value;
        foreach (var (name, json) in new[]
        {
            ("apporder", $$$"""{"apporder": {"app": "{{{app}}}", "appprice": 0, "volume": 10}}"""),
            ("datasetorder", $$$"""{"datasetorder": {"dataset": "{{{dataset}}}", "datasetprice": 0, "volume": 10}}"""),
        })
        {
            File.WriteAllText(dir.File(name + ".json"), json);
            (code, output) = NodeProcess.Run(["order", "place", dir.File(name + ".json"), .. key, "--wait"]);
            Assert.That(code, Is.Zero, output);
        }
        // Category M: the replica's deadline pays for fetching 256 MiB, which XS's 10 s cannot.
        File.WriteAllText(dir.File("request.json"), $$$"""
            {"requestorder": {"app": "{{{app}}}", "appmaxprice": 0, "dataset": "{{{dataset}}}", "datasetmaxprice": 0, "workerpoolmaxprice": "0.01RLC", "volume": 1, "category": 2, "trust": 1}}
            """);
        (code, output) = NodeProcess.Run(["order", "place", dir.File("request.json"), .. key, "--wait"]);
        Assert.That(code, Is.Zero, output);
        string order = Regex.Match(output, "order (0x[0-9a-f]{64})").Groups[1].Value;

        var (task, taskRecord) = await OrderTasks.WaitForAsync(client, order, "completed", "failed", TimeSpan.FromMinutes(8), devnet);

        (code, output) = NodeProcess.Run(["result", "get", task, "--out", dir.File("result"), "--rpc", rpc.ToString()]);
        Assert.That(code, Is.Zero, output);
        string stdout = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir.File("result"), "stdout")));
        Assert.That(stdout, Does.EndWith($" {Size}\n"), "the app read every byte");
        // The worker's copy, fetched against the root, is the original: a local run over the original agrees.
        using var runtime = new WasmRuntime();
        var local = runtime.Run(module, new TaskInput { AppName = "checksum", DatasetFile = file, RandomSeed = Hash256.Parse(task) }, new ExecutionLimits());
        Assert.That(local.Status, Is.EqualTo(ExecutionStatus.Success), local.Error);
        Assert.That(stdout, Is.EqualTo(Encoding.UTF8.GetString(local.Stdout)));
        Assert.That(taskRecord.GetProperty("resultDigest").GetString(), Is.EqualTo(local.Digest.ToString()));
    }
}
