using System.CommandLine;
using IExecChain.Core.Primitives;
using IExecChain.Node.Worker;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Rpc;
using IExecChain.Rpc.OpenRpc;
using IExecChain.Rpc.Chain;
using IExecChain.Worker.Content;
using IExecChain.Worker.Results;
using IExecChain.Worker.Wasm;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node.Cli;

/// <summary>
/// `iexchain worker`: a light worker. It keeps no chain of its own: it follows a node it trusts over
/// JSON-RPC, runs the tasks the chain assigns to its key, and serves its results (iex_getResult) and the
/// content it fetched (iex_getChunk) on its own RPC address, the endpoint it registered when joining its pool.
/// </summary>
public static class WorkerCommand
{
    public static Command Build()
    {
        var nodes = new Option<string[]>("--node") { Description = "RPC address of a node to follow (repeatable: the next is used when one cannot be reached)", AllowMultipleArgumentsPerToken = false, Required = true };
        var data = new Option<string>("--data") { Description = "Directory for results and fetched content (created if missing)", Required = true };
        var workerKey = new Option<string>("--worker-key") { Description = "Keystore of the worker account (staked, member of a pool)", Required = true };
        var password = new Option<string?>("--password-file") { Description = "File whose first line is the keystore password" };
        var rpc = new Option<string?>("--rpc") { Description = "Listen address host:port where results are served (the endpoint registered with the pool); none: results are kept but not served" };
        var concurrency = new Option<int>("--concurrency") { Description = "Tasks run at once (default: the number of cores)" };
        var sabotage = new Option<bool>("--sabotage-for-testing") { Description = "TEST ONLY: the worker contributes wrong results", Hidden = true };
        var logLevel = LogOptions.Level();
        var logFormat = LogOptions.Format();
        var command = new Command("worker", "Run a light worker that follows a trusted node over RPC (see docs/worker.md)") { nodes, data, workerKey, password, rpc, concurrency, sabotage, logLevel, logFormat };
        command.SetAction((r, ct) => Cli.RunAsync(async () =>
        {
            var endpoints = new List<Uri>();
            foreach (var text in r.GetValue(nodes) ?? [])
            {
                try { endpoints.Add(JsonRpcClient.ParseEndpoint(text)); }
                catch (ArgumentException e) { throw new CliException($"--node: {e.Message}"); }
            }
            if (endpoints.Count == 0) throw new CliException("--node: give the RPC address of at least one node");
            int threads = r.GetValue(concurrency);
            if (threads is < 0 or > 1024) throw new CliException($"--concurrency {threads}: must be from 1 to 1024 (0 = the number of cores)");
            string host = "";
            int port = 0;
            if (r.GetValue(rpc) is { } rpcText && !NodeOptions.TryParseEndpoint(rpcText, out host, out port, out var error)) throw new CliException($"--rpc: {error}");
            var dataDir = r.GetValue(data)!;
            var key = KeyFiles.Load(r.GetValue(workerKey)!, r.GetValue(password));
            Directory.CreateDirectory(dataDir);

            using var loggerFactory = LogOptions.CreateFactory(r.GetValue(logLevel), r.GetValue(logFormat));
            var logger = loggerFactory.CreateLogger("iexchain.worker");
            RpcWorkerChain chain;
            while (true)
            {
                try
                {
                    chain = await RpcWorkerChain.ConnectAsync(endpoints, key.Address, loggerFactory.CreateLogger<RpcWorkerChain>(), ct: ct);
                    break;
                }
                catch (NodeUnreachableException e)
                {
                    // A node that is not up yet (or restarting) is waited for; a wrong chain is an error.
                    logger.LogWarning("{Error}; trying again in 2 s", e.Message);
                    await Task.Delay(TimeSpan.FromSeconds(2), ct);
                }
                catch (InvalidOperationException e)
                {
                    throw new CliException(e.Message);
                }
            }
            await using var _ = chain;
            var content = new ContentStore(Path.Combine(dataDir, "content"));
            var results = new ResultStore(Path.Combine(dataDir, "results"));
            await using var worker = new WorkerService(chain, key, content, results, loggerFactory.CreateLogger<WorkerService>(), threads,
                NodeCommands.HiddenFromNativeApps(dataDir, r.GetValue(workerKey), r.GetValue(password)), Path.Combine(dataDir, "compiled")) { SabotageForTesting = r.GetValue(sabotage) };

            await using var server = r.GetValue(rpc) is null ? null : Serve(host, port, chain, worker, content, results, loggerFactory);
            if (server is not null) await server.StartAsync(ct);
            worker.Start();
            var pidPath = Path.Combine(dataDir, NodeOptions.PidFileName);
            File.WriteAllText(pidPath, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            logger.LogInformation("light worker {Address} following {Node} (chain '{Chain}', id {ChainId}, head {Head}){Serving}",
                key.Address, chain.Node, chain.Spec.Name, chain.Spec.ChainId, chain.Head, server is null ? "" : $"; results on {server.Endpoint}");
            try
            {
                await NodeCommands.WaitForShutdownAsync(() => false, ct);
            }
            finally
            {
                File.Delete(pidPath);
            }
            return 0;
        }));
        return command;
    }

    private static RpcServer Serve(string host, int port, RpcWorkerChain chain, WorkerService worker, ContentStore content, ResultStore results, ILoggerFactory loggerFactory)
    {
        var registry = new RpcMethodRegistry();
        registry.Register("iex_chainId", (_, _) => ValueTask.FromResult<object?>(RpcFormat.Quantity(chain.Spec.ChainId)));
        // The head of the node it follows, as last seen.
        registry.Register("iex_blockNumber", (_, _) => ValueTask.FromResult<object?>(RpcFormat.Quantity(chain.Head)));
        registry.Register("iex_nodeInfo", (_, _) => ValueTask.FromResult<object?>(new
        {
            role = "light-worker",
            worker = worker.Address.ToString(),
            following = chain.Node.ToString(),
            chainId = RpcFormat.Quantity(chain.Spec.ChainId),
            head = RpcFormat.Quantity(chain.Head),
            tasksRun = Interlocked.Read(ref worker.TasksRun),
            contributions = Interlocked.Read(ref worker.Contributions),
            reveals = Interlocked.Read(ref worker.Reveals),
            failureReports = Interlocked.Read(ref worker.FailureReports),
            appsPrepared = Interlocked.Read(ref worker.AppsPrepared),
            modulesCompiled = worker.ModulesCompiled,
            modulesLoaded = worker.ModulesLoaded,
            transactionsSent = Interlocked.Read(ref chain.TransactionsSent),
            transactionsRefused = Interlocked.Read(ref chain.TransactionsRefused),
        }));
        new ContentRpcMethods(content) { CheckApp = WasmAppValidator.Problem }.RegisterAll(registry);
        new ResultRpcMethods(results).RegisterAll(registry);
        RpcDiscovery.Register(registry, "iExecChain light worker", "The JSON-RPC API of an iExecChain light worker: content and results it serves (docs/rpc.md).",
            [.. RpcCatalog.FullNode, RpcCatalog.LightWorkerNodeInfo]);
        var dispatcher = new JsonRpcDispatcher(registry, loggerFactory.CreateLogger<JsonRpcDispatcher>());
        return new RpcServer(new RpcServerOptions { Host = host, Port = port }, dispatcher, loggerFactory);
    }
}
