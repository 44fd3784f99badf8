using System.CommandLine;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Results;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Worker.Wasm;
using IExecChain.State.Market;

namespace IExecChain.Node.Cli;

/// <summary>
/// The market from the command line: `app register`, `dataset register`, `pool register|join|leave`,
/// `order place|cancel|show`, `deal show`, `task show`. Content (WebAssembly modules, datasets) is
/// uploaded to the node given by --rpc, which serves it to workers (iex_getChunk); that node's URL is
/// the endpoint registered on chain unless --endpoint says otherwise.
/// </summary>
public static class MarketCommands
{
    public static IEnumerable<Command> Build()
    {
        var task = BuildShow("task", "iex_getTask");
        task.Subcommands.Add(BuildWatch());
        task.Subcommands.Add(BuildChallenge());
        return [BuildApp(), BuildDataset(), BuildPool(), BuildOrder(), BuildShow("deal", "iex_getDeal"), task, BuildResult()];
    }

    /// <summary>`task challenge ID`: dispute a completed task's result inside its rollback window, locking the bond.</summary>
    private static Command BuildChallenge()
    {
        var id = new Argument<string>("id") { Description = "Task id" };
        var challenge = new Command("challenge",
            "Challenge a completed task's result inside its rollback window: locks the chain's challenge bond (a staked key only); verifiers re-run the task and a wrong result is reversed") { id };
        var common = TxCommands.CommonOptions.AddTo(challenge);
        challenge.SetAction(r => Cli.RunAsync(async () =>
        {
            if (!Hex.TryDecode(r.GetValue(id), out var bytes, out _) || bytes.Length != 32) throw new CliException("id: must be a 32-byte hex task id");
            return await TxCommands.SubmitAsync(r, common, b => b.Challenge = new Challenge { TaskId = ByteString.CopyFrom(bytes) }, "order");
        }));
        return challenge;
    }

    /// <summary>`task watch [ID]`: the tasks topic over WebSocket, until the task finishes (or forever without an id).</summary>
    private static Command BuildWatch()
    {
        var id = new Argument<string?>("id") { Description = "Task id (default: every task)", Arity = ArgumentArity.ZeroOrOne };
        var requester = new Option<string?>("--requester") { Description = "Only tasks of this requester" };
        var rpc = RpcOption();
        var watch = new Command("watch", "Print task events as blocks commit them (WebSocket subscription)") { id, requester, rpc };
        watch.SetAction((r, ct) => Cli.RunAsync(async () =>
        {
            var filter = new Dictionary<string, string>();
            if (r.GetValue(id) is { } task) filter["taskId"] = task;
            if (r.GetValue(requester) is { } who) filter["requester"] = who;
            await using var client = await JsonRpcWebSocketClient.ConnectAsync(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!), ct);
            var subscription = await client.SubscribeAsync("tasks", filter, ct: ct);
            try
            {
                await foreach (var e in subscription.ReadAllAsync<TaskEvent>(ct))
                {
                    string status = e.Status;
                    Console.WriteLine($"block {e.BlockNumber} task {e.TaskId} {e.Event} -> {status}" + (e.Worker is { } w ? $" (worker {w})" : ""));
                    if (r.GetValue(id) is not null && status is "completed" or "failed") return status == "completed" ? 0 : 1;
                }
            }
            catch (OperationCanceledException) { }
            return 0;
        }));
        return watch;
    }

    /// <summary>
    /// `result get TASK --out DIR`: fetches a completed task's result from a worker that revealed it and
    /// checks it against the digest agreed on chain before writing it.
    /// </summary>
    private static Command BuildResult()
    {
        var id = new Argument<string>("task") { Description = "Task id" };
        var output = new Option<string>("--out") { Description = "Directory to write stdout and the output files to", Required = true };
        var rpc = RpcOption();
        var get = new Command("get", "Download a completed task's result from a worker and verify it against the on-chain digest") { id, output, rpc };
        get.SetAction(r => Cli.RunAsync(async () =>
        {
            using var client = new NodeRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!));
            var task = await client.GetTaskAsync(r.GetValue(id)!) ?? throw new CliException($"task {r.GetValue(id)} does not exist");
            if (task.Status != "completed")
                throw new CliException($"task {r.GetValue(id)} is {task.Status}: only a completed task has an agreed result");
            var digest = Hash256.Parse(task.ResultDigest ?? throw new CliException($"the node shows completed task {r.GetValue(id)} without its result digest"));
            var errors = new List<string>();
            foreach (var replica in task.Replicas)
            {
                if (replica.Status != "revealed") continue;
                var worker = replica.Worker;
                try
                {
                    var info = await client.GetWorkerAsync(worker) ?? throw new InvalidOperationException("the node has no record of this worker");
                    using var workerClient = new NodeRpcClient(JsonRpcClient.ParseEndpoint(info.Endpoint), TimeSpan.FromSeconds(30));
                    var result = await workerClient.GetResultAsync(r.GetValue(id)!);
                    if (result is null) { errors.Add($"{worker}: has no stored result"); continue; }
                    var stdout = Hex.Decode(result.Stdout);
                    var files = result.Files.Select(f => new OutputFile(f.Name, Hex.Decode(f.Data))).ToList();
                    int exitCode = result.ExitCode;
                    var computed = IExecChain.Worker.Execution.ResultDigest.Compute(exitCode, stdout, files);
                    if (computed != digest) { errors.Add($"{worker}: served a result whose digest {computed} is not the agreed {digest}"); continue; }
                    Write(r.GetValue(output)!, stdout, files);
                    Console.WriteLine($"result of task {r.GetValue(id)} from worker {worker}: exit code {exitCode}, {stdout.Length} bytes of stdout, {files.Count} file(s), digest {digest} verified; written to {Path.GetFullPath(r.GetValue(output)!)}");
                    return 0;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonRpcClientException or FormatException or KeyNotFoundException or InvalidOperationException)
                {
                    errors.Add($"{worker}: {e.Message}");
                }
            }
            throw new CliException($"no worker served a result matching the agreed digest {digest}: {(errors.Count == 0 ? "no revealed replica" : string.Join("; ", errors))}");
        }));
        var result = new Command("result", "Task results");
        result.Subcommands.Add(get);
        return result;
    }

    private static void Write(string directory, byte[] stdout, IReadOnlyList<OutputFile> files)
    {
        var root = Path.GetFullPath(directory);
        Directory.CreateDirectory(root);
        File.WriteAllBytes(Path.Combine(root, "stdout"), stdout);
        foreach (var f in files)
        {
            var path = Path.GetFullPath(Path.Combine(root, "out", f.Name));
            if (!path.StartsWith(Path.Combine(root, "out") + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new CliException($"output file name '{f.Name}' leaves the output directory");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, f.Content);
        }
    }

    private static Command BuildApp()
    {
        var name = new Option<string>("--name") { Description = "App name (1..64 characters)", Required = true };
        var wasm = new Option<string?>("--wasm") { Description = "WebAssembly module (.wasm) to register; uploaded to the node in chunks (resumed if interrupted)" };
        var native = new Option<string?>("--native") { Description = "Native executable path on the workers' machines (pools that allow native apps)" };
        var contentRoot = new Option<string?>("--content-root") { Description = "A WebAssembly module you serve yourself (`content serve`): its content root; with --size and --endpoint" };
        var size = new Option<ulong?>("--size") { Description = "Size in bytes of the module named by --content-root" };
        var endpoint = new Option<string?>("--endpoint") { Description = "URL serving the module to workers (default: the --rpc node)" };
        var chunkSize = ContentCommands.ChunkSizeOption();
        var register = new Command("register", "Register an app") { name, wasm, native, contentRoot, size, endpoint, chunkSize };
        var common = TxCommands.CommonOptions.AddTo(register);
        register.SetAction(r => Cli.RunAsync(async () =>
        {
            string? wasmPath = r.GetValue(wasm), nativePath = r.GetValue(native), served = r.GetValue(contentRoot);
            if (new[] { wasmPath, nativePath, served }.Count(v => v is not null) != 1) throw new CliException("give exactly one of --wasm FILE, --native PATH or --content-root ROOT");
            var app = new RegisterApp { Name = r.GetValue(name)! };
            PrivateKey? key = null;
            if (served is not null)
            {
                var (root, length, at) = await ServedContentAsync(r, contentRoot, size, endpoint, common, wasmApp: true);
                app.Runtime = AppRuntime.Wasm;
                app.ContentRoot = ByteString.CopyFrom(root.ToArray());
                app.ContentSize = length;
                app.Endpoint = at;
            }
            else if (wasmPath is not null)
            {
                key = KeyFiles.Load(r.GetValue(common.Key)!, r.GetValue(common.PasswordFile));
                var (root, length) = await ContentCommands.UploadAsync(r.GetValue(common.Rpc)!, wasmPath, "--wasm", key, wasmApp: true, r.GetValue(chunkSize));
                app.Runtime = AppRuntime.Wasm;
                app.ContentRoot = ByteString.CopyFrom(root.ToArray());
                app.ContentSize = length;
                app.Endpoint = r.GetValue(endpoint) ?? r.GetValue(common.Rpc)!;
            }
            else
            {
                if (!File.Exists(nativePath)) throw new CliException($"--native: '{nativePath}' does not exist here; workers run the same path and check its hash");
                app.Runtime = AppRuntime.Native;
                app.ContentRoot = ByteString.CopyFrom(Keccak256.HashToArray(File.ReadAllBytes(nativePath!)));
                app.ContentSize = (ulong)new FileInfo(nativePath!).Length;
                app.Manifest = Path.GetFullPath(nativePath!);
            }
            return await TxCommands.SubmitAsync(r, common, b => b.RegisterApp = app, "registry",
                (b, sender) => Console.WriteLine($"app {MarketBlock.ResourceId(MarketBlock.AppIdKind, sender, b.Nonce)}"), key);
        }));
        var app = new Command("app", "Register and show apps");
        app.Subcommands.Add(register);
        app.Subcommands.Add(BuildShow("show", "iex_getApp", "Show an app: owner, runtime, content root and size, endpoint"));
        return app;
    }

    private static Command BuildDataset()
    {
        var name = new Option<string>("--name") { Description = "Dataset name", Required = true };
        var file = new Option<string?>("--file") { Description = "The dataset; uploaded to the node in chunks (resumed if interrupted), which serves them with proofs" };
        var contentRoot = new Option<string?>("--content-root") { Description = "A dataset you serve yourself (`content serve`): its content root; with --size and --endpoint" };
        var sizeOption = new Option<ulong?>("--size") { Description = "Size in bytes of the dataset named by --content-root" };
        var endpoint = new Option<string?>("--endpoint") { Description = "URL serving the chunks to workers (default: the --rpc node)" };
        var chunkSize = ContentCommands.ChunkSizeOption();
        var register = new Command("register", "Register a dataset") { name, file, contentRoot, sizeOption, endpoint, chunkSize };
        var common = TxCommands.CommonOptions.AddTo(register);
        register.SetAction(r => Cli.RunAsync(async () =>
        {
            if ((r.GetValue(file) is null) == (r.GetValue(contentRoot) is null)) throw new CliException("give exactly one of --file FILE or --content-root ROOT");
            var key = KeyFiles.Load(r.GetValue(common.Key)!, r.GetValue(common.PasswordFile));
            Hash256 root;
            ulong size;
            string at;
            if (r.GetValue(file) is { } path)
            {
                (root, size) = await ContentCommands.UploadAsync(r.GetValue(common.Rpc)!, path, "--file", key, chunkSize: r.GetValue(chunkSize));
                at = r.GetValue(endpoint) ?? r.GetValue(common.Rpc)!;
            }
            else
            {
                (root, size, at) = await ServedContentAsync(r, contentRoot, sizeOption, endpoint, common, wasmApp: false);
            }
            var dataset = new RegisterDataset { Name = r.GetValue(name)!, ContentRoot = ByteString.CopyFrom(root.ToArray()), Size = size, Endpoint = at };
            return await TxCommands.SubmitAsync(r, common, b => b.RegisterDataset = dataset, "registry",
                (b, sender) => Console.WriteLine($"dataset {MarketBlock.ResourceId(MarketBlock.DatasetIdKind, sender, b.Nonce)} (root {root}, {size} bytes)"), key);
        }));
        var dataset = new Command("dataset", "Register and show datasets");
        dataset.Subcommands.Add(register);
        dataset.Subcommands.Add(BuildShow("show", "iex_getDataset", "Show a dataset: owner, content root and size, endpoint"));
        return dataset;
    }

    /// <summary>--content-root, --size and --endpoint of content the provider serves, checked at that endpoint.</summary>
    private static async Task<(Hash256 Root, ulong Size, string Endpoint)> ServedContentAsync(ParseResult r, Option<string?> contentRoot, Option<ulong?> size, Option<string?> endpoint,
        TxCommands.CommonOptions common, bool wasmApp)
    {
        if (r.GetValue(size) is not { } length) throw new CliException("--content-root needs --size N (bytes) and --endpoint URL");
        if (r.GetValue(endpoint) is not { } at) throw new CliException("--content-root needs --endpoint URL: where workers fetch the content");
        await ContentCommands.CheckServedAsync(r.GetValue(common.Rpc)!, at, r.GetValue(contentRoot)!, length, wasmApp);
        return (Hash256.Parse(r.GetValue(contentRoot)!), length, at);
    }

    private static Command BuildPool()
    {
        var description = new Option<string>("--description") { Description = "What the pool offers", DefaultValueFactory = _ => "" };
        var stakeRatio = new Option<uint>("--worker-stake-ratio") { Description = "Percent of the pool price each contribution locks", DefaultValueFactory = _ => 10 };
        var schedulerRatio = new Option<uint>("--scheduler-ratio") { Description = "Percent of the reward pot kept by the pool owner", DefaultValueFactory = _ => 10 };
        var allowNative = new Option<bool>("--allow-native") { Description = "Workers of this pool run native apps" };
        var allow = new Option<string[]>("--worker") { Description = "Admit only these workers (repeatable; default: anyone with the minimum worker stake)", AllowMultipleArgumentsPerToken = true };
        var register = new Command("register", "Register a workerpool") { description, stakeRatio, schedulerRatio, allowNative, allow };
        var registerCommon = TxCommands.CommonOptions.AddTo(register);
        register.SetAction(r => Cli.RunAsync(async () =>
        {
            if (r.GetValue(stakeRatio) > 100 || r.GetValue(schedulerRatio) > 100) throw new CliException("--worker-stake-ratio and --scheduler-ratio are percentages (0..100)");
            var pool = new RegisterWorkerpool { Description = r.GetValue(description)!, WorkerStakeRatio = r.GetValue(stakeRatio), SchedulerRewardRatio = r.GetValue(schedulerRatio), AllowNative = r.GetValue(allowNative) };
            foreach (var w in r.GetValue(allow) ?? [])
                pool.WorkerAllow.Add(ByteString.CopyFrom((Address.TryParse(w, out var a, out var e) ? a : throw new CliException($"--worker: {e}")).ToArray()));
            return await TxCommands.SubmitAsync(r, registerCommon, b => b.RegisterWorkerpool = pool, "registry",
                (b, sender) => Console.WriteLine($"workerpool {MarketBlock.ResourceId(MarketBlock.WorkerpoolIdKind, sender, b.Nonce)}"));
        }));

        var poolOption = new Option<string>("--pool") { Description = "Workerpool address", Required = true };
        var endpoint = new Option<string>("--endpoint") { Description = "This worker node's RPC URL, where beneficiaries fetch results", Required = true };
        var join = new Command("join", "Join a workerpool (needs the minimum worker stake: `tx stake --role worker`)") { poolOption, endpoint };
        var joinCommon = TxCommands.CommonOptions.AddTo(join);
        join.SetAction(r => Cli.RunAsync(async () =>
        {
            if (!Address.TryParse(r.GetValue(poolOption), out var poolId, out var error)) throw new CliException($"--pool: {error}");
            var payload = new JoinPool { Workerpool = ByteString.CopyFrom(poolId.ToArray()), Endpoint = r.GetValue(endpoint)! };
            return await TxCommands.SubmitAsync(r, joinCommon, b => b.JoinPool = payload, "registry");
        }));

        var leave = new Command("leave", "Leave the current workerpool");
        var leaveCommon = TxCommands.CommonOptions.AddTo(leave);
        leave.SetAction(r => Cli.RunAsync(() => TxCommands.SubmitAsync(r, leaveCommon, b => b.LeavePool = new LeavePool(), "registry")));

        var show = BuildShow("show", "iex_getPool", "Show a workerpool: policies, members and their scores, SLA counters");
        var pool = new Command("pool", "Workerpools: register, join, leave, show");
        pool.Subcommands.Add(register);
        pool.Subcommands.Add(join);
        pool.Subcommands.Add(leave);
        pool.Subcommands.Add(show);
        return pool;
    }

    private static Command BuildOrder()
    {
        var file = new Argument<string>("file") { Description = "Order JSON, iExec style: {\"requestorder\": {\"app\": \"0x..\", \"appmaxprice\": 1000, ...}}" };
        var place = new Command("place", "Place an app, dataset, workerpool or request order") { file };
        var placeCommon = TxCommands.CommonOptions.AddTo(place);
        place.SetAction(r => Cli.RunAsync(async () =>
        {
            var path = r.GetValue(file)!;
            if (!File.Exists(path)) throw new CliException($"order file '{path}' does not exist");
            var key = KeyFiles.Load(r.GetValue(placeCommon.Key)!, r.GetValue(placeCommon.PasswordFile));
            var order = OrderJson.Parse(File.ReadAllText(path), key.Address);
            var (kind, wire, error) = order.OrderCase switch
            {
                PlaceOrder.OrderOneofCase.App => (OrderCodec.Kind.App, (IMessage)order.App, OrderCodec.TryDecode(order.App, out _, out var e1) ? null : e1),
                PlaceOrder.OrderOneofCase.Dataset => (OrderCodec.Kind.Dataset, order.Dataset, OrderCodec.TryDecode(order.Dataset, out _, out var e2) ? null : e2),
                PlaceOrder.OrderOneofCase.Workerpool => (OrderCodec.Kind.Workerpool, order.Workerpool, OrderCodec.TryDecode(order.Workerpool, out _, out var e3) ? null : e3),
                _ => (OrderCodec.Kind.Request, (IMessage)order.Request, OrderCodec.TryDecode(order.Request, out _, out var e4) ? null : e4),
            };
            if (error is not null) throw new CliException($"{path}: {error}");
            Console.WriteLine($"order {OrderCodec.HashOf(kind, wire)}");
            return await TxCommands.SubmitAsync(r, placeCommon, b => b.PlaceOrder = order, "order", loadedKey: key);
        }));

        var hash = new Argument<string>("hash") { Description = "Order hash" };
        var cancel = new Command("cancel", "Cancel an open order; its remaining lock returns to the balance") { hash };
        var cancelCommon = TxCommands.CommonOptions.AddTo(cancel);
        cancel.SetAction(r => Cli.RunAsync(async () =>
        {
            if (!Hex.TryDecode(r.GetValue(hash), out var bytes, out _) || bytes.Length != 32) throw new CliException("hash: must be a 32-byte hex string");
            return await TxCommands.SubmitAsync(r, cancelCommon, b => b.CancelOrder = new CancelOrder { OrderHash = ByteString.CopyFrom(bytes) }, "order");
        }));

        var templateKind = new Argument<string>("kind") { Description = "request, app, workerpool or dataset" };
        var template = new Command("template", "Print a commented order file to start from (fields explained; docs/orders.md)") { templateKind };
        template.SetAction(r => Cli.Run(() => Console.WriteLine(OrderTemplates.For(r.GetValue(templateKind)!))));

        var order = new Command("order", "Place, cancel and show market orders");
        order.Subcommands.Add(template);
        order.Subcommands.Add(place);
        order.Subcommands.Add(cancel);
        order.Subcommands.Add(BuildShow("show", "iex_getOrder", "Show an order: remaining volume, status, deals"));
        order.Subcommands.Add(BuildBook());
        return order;
    }

    private static Command BuildBook()
    {
        var kind = new Option<string?>("--kind") { Description = "app, dataset, workerpool or request" };
        var rpc = RpcOption();
        var book = new Command("book", "List the open orders") { kind, rpc };
        book.SetAction(r => Cli.RunAsync(async () =>
        {
            using var client = new JsonRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!));
            var filter = r.GetValue(kind) is { } k ? new Dictionary<string, object> { ["kind"] = k } : new Dictionary<string, object>();
            Print(await client.CallAsync("iex_getOrderBook", filter));
            return 0;
        }));
        return book;
    }

    private static Command BuildShow(string name, string method, string? description = null)
    {
        var id = new Argument<string>("id") { Description = "Address or hash" };
        var rpc = RpcOption();
        bool nested = name is "deal" or "task";
        var command = new Command(nested ? "show" : name, description ?? $"Show a {name}") { id, rpc };
        command.SetAction(r => Cli.RunAsync(async () =>
        {
            using var client = new JsonRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!));
            var result = await client.CallAsync(method, r.GetValue(id)!);
            if (result.ValueKind == JsonValueKind.Null) throw new CliException($"{r.GetValue(id)} does not exist");
            Print(result);
            return 0;
        }));
        if (!nested) return command;
        var parent = new Command(name, name == "deal" ? "Show deals" : "Show tasks and get their results");
        parent.Subcommands.Add(command);
        return parent;
    }

    internal static Option<string> RpcOption() => new("--rpc") { Description = "Node RPC URL", DefaultValueFactory = _ => $"http://{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}" };

    internal static void Print(JsonElement result) => Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
}
