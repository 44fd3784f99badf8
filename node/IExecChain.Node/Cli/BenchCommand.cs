using System.CommandLine;
using System.Globalization;
using IExecChain.LoadGenerator;
using IExecChain.Node.Devnet;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Rpc;

namespace IExecChain.Node.Cli;

public static class BenchCommand
{
    public static Command Build()
    {
        var rpc = new Option<string>("--rpc") { Description = "Node RPC URL", DefaultValueFactory = _ => $"http://{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}" };
        var accounts = new Option<int>("--accounts") { Description = "Number of sending accounts (funded first)", DefaultValueFactory = _ => TransferLoadOptions.DefaultAccounts };
        var rate = new Option<int>("--rate") { Description = "Transfers per second to submit", DefaultValueFactory = _ => TransferLoadOptions.DefaultRate };
        var duration = new Option<int>("--duration") { Description = "Seconds of load", DefaultValueFactory = _ => TransferLoadOptions.DefaultDurationSeconds };
        var funderKey = new Option<string?>("--funder-key") { Description = "Keystore of the funding account (default: devnet account 0)" };
        var password = new Option<string?>("--password-file") { Description = "Password file for --funder-key" };
        var batch = new Option<int>("--batch") { Description = $"Transactions per JSON-RPC batch (at most {RpcServerOptions.DefaultMaxBatchSize}, the node's default limit)", DefaultValueFactory = _ => TransferLoadOptions.DefaultBatchSize };
        var connections = new Option<int>("--connections") { Description = $"Concurrent HTTP requests (at most {TransferLoadOptions.MaxConnections})", DefaultValueFactory = _ => TransferLoadOptions.DefaultConnections };
        var transfers = new Command("transfers", "Submit transfers at a fixed rate; report committed tx/s and submit-to-finality latency")
        { rpc, accounts, rate, duration, funderKey, password, batch, connections };
        transfers.SetAction((r, ct) => Cli.RunAsync(async () =>
        {
            var funder = r.GetValue(funderKey) is { } file ? KeyFiles.Load(file, r.GetValue(password)) : DevKeys.Account(0);
            var options = new TransferLoadOptions
            {
                Rpc = JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!),
                Funder = funder,
                Accounts = r.GetValue(accounts),
                Rate = r.GetValue(rate),
                DurationSeconds = r.GetValue(duration),
                BatchSize = Math.Clamp(r.GetValue(batch), 1, RpcServerOptions.DefaultMaxBatchSize),
                Connections = Math.Clamp(r.GetValue(connections), 1, TransferLoadOptions.MaxConnections),
            };
            var report = await TransferLoad.RunAsync(options, line => Console.Error.WriteLine(line), ct);
            Print(report);
            return report.Committed > 0 ? 0 : 1;
        }));
        var bench = new Command("bench", "Load generators");
        bench.Subcommands.Add(transfers);
        bench.Subcommands.Add(BuildTasks());
        return bench;
    }

    /// <summary>
    /// `bench tasks`: one task order of --volume tasks for an app offered on the chain (default: the
    /// first open app order's), then waits for every task to finish and reports the whole lifecycle's
    /// rate (match, assignment, contribute, reveal, finalize) and each task's start-to-finish blocks.
    /// </summary>
    private static Command BuildTasks()
    {
        var rpc = MarketCommands.RpcOption();
        var volume = new Option<ulong>("--volume") { Description = "Tasks in the order", DefaultValueFactory = _ => 1000 };
        var trust = new Option<ulong>("--trust") { Description = "Trust of the order (1: one contribution per task)", DefaultValueFactory = _ => 1 };
        var app = new Option<string?>("--app") { Description = "App address (default: the app of the first open app order)" };
        var parameters = new Option<string>("--params") { Description = "Task arguments", DefaultValueFactory = _ => "bench" };
        var funderKey = new Option<string?>("--funder-key") { Description = "Keystore of the account that funds the requester (default: devnet account 0)" };
        var password = new Option<string?>("--password-file") { Description = "Password file for --funder-key" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the tasks", DefaultValueFactory = _ => 600 };
        var tasks = new Command("tasks", "Order tasks and measure the whole task lifecycle: tasks/s and blocks per task") { rpc, volume, trust, app, parameters, funderKey, password, timeout };
        tasks.SetAction((r, ct) => Cli.RunAsync(async () =>
        {
            using var node = new NodeRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!), TimeSpan.FromSeconds(30));
            var info = await node.NodeInfoAsync();
            ulong chainId = info.ChainId;
            var fees = info.Fees;
            var book = await node.GetOrderBookAsync(limit: 1000);
            var appOrder = book.Orders.Where(o => o.Kind == "app").Select(o => o.ReadTerms())
                .FirstOrDefault(o => o.App is not null && (r.GetValue(app) is not { } wanted || o.App.Equals(wanted, StringComparison.OrdinalIgnoreCase)));
            var poolOrder = book.Orders.Where(o => o.Kind == "workerpool").Select(o => o.ReadTerms()).FirstOrDefault();
            if (appOrder is null || poolOrder is null)
                throw new CliException("no open app order and workerpool order to buy from (run `iexchain devnet`, which offers its sample apps)");
            var appAddress = Core.Primitives.Address.Parse(appOrder.App!);
            ulong appPrice = appOrder.Price ?? 0;
            ulong poolPrice = poolOrder.Price ?? 0;

            // A fresh requester, funded for the whole order.
            var funder = r.GetValue(funderKey) is { } file ? KeyFiles.Load(file, r.GetValue(password)) : DevKeys.Account(0);
            var requester = new Core.Crypto.PrivateKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            ulong n = r.GetValue(volume);
            ulong cost = checked((appPrice + poolPrice) * n + 10 * fees.Order);
            ulong funderNonce = (await node.GetAccountAsync(funder.Address.ToString())).Nonce;
            await Send(node, funder, new Core.Wire.TransactionBody
            {
                ChainId = chainId, Nonce = funderNonce, Fee = fees.Transfer,
                Transfer = new Core.Wire.Transfer { To = Google.Protobuf.ByteString.CopyFrom(requester.Address.ToArray()), Amount = cost },
            });
            await WaitNonce(node, funder.Address, funderNonce + 1);
            var order = new Core.Wire.RequestOrder
            {
                App = Google.Protobuf.ByteString.CopyFrom(appAddress.ToArray()), AppMaxPrice = appPrice, WorkerpoolMaxPrice = poolPrice,
                Requester = Google.Protobuf.ByteString.CopyFrom(requester.Address.ToArray()), Volume = n, Category = 0, Trust = r.GetValue(trust), Params = r.GetValue(parameters)!,
                Salt = Google.Protobuf.ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)),
            };
            var hash = State.Market.OrderCodec.HashOf(State.Market.OrderCodec.Kind.Request, order).ToString();
            ulong startHeight = await node.BlockNumberAsync();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await Send(node, requester, new Core.Wire.TransactionBody
            {
                ChainId = chainId, Nonce = 0, Fee = fees.Order, PlaceOrder = new Core.Wire.PlaceOrder { Request = order },
            });
            Console.Error.WriteLine($"ordered {n} tasks of app {appAddress} at trust {r.GetValue(trust)} (order {hash})");
            var deadline = DateTime.UtcNow.AddSeconds(r.GetValue(timeout));
            ulong done = 0, completed = 0, lastReported = 0;
            var dealIds = new List<string>();
            while (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, ct);
                if (await node.GetOrderAsync(hash) is not { } placed) continue;
                dealIds = [.. placed.Deals ?? []];
                done = completed = 0;
                foreach (var d in dealIds)
                {
                    if (await node.GetDealAsync(d) is not { } deal) continue;
                    completed += deal.Completed;
                    done += deal.Completed + deal.Failed;
                }
                if (done - lastReported >= Math.Max(1, n / 10)) { Console.Error.WriteLine($"  {done}/{n} finished after {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"); lastReported = done; }
                if (done >= n) break;
            }
            double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            ulong endHeight = await node.BlockNumberAsync();
            // Blocks from task start to finish, over a sample of tasks.
            var spans = new List<ulong>();
            var contributions = new SortedDictionary<int, int>();   // contributions per task → tasks
            foreach (var d in dealIds)
            {
                if (await node.GetDealAsync(d) is not { } deal) continue;
                foreach (var t in deal.Tasks.Take(200))
                {
                    if (await node.GetTaskAsync(t) is { FinishedAt: { } finishedAt } task)
                    {
                        spans.Add(finishedAt - task.StartHeight);
                        int count = task.Replicas.Count(r => r.ResultHash is not null);
                        contributions[count] = contributions.GetValueOrDefault(count) + 1;
                    }
                }
            }
            spans.Sort();
            var c = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(c, $"{completed} of {n} tasks completed, {done - completed} failed, in {seconds:F1} s (blocks {startHeight}..{endHeight}): {done / seconds:F0} tasks/s"));
            if (spans.Count > 0)
                Console.WriteLine(string.Create(c, $"blocks from task start to finish: p50 {spans[spans.Count / 2]}, p99 {spans[Math.Min(spans.Count - 1, spans.Count * 99 / 100)]}; contributions per task: {string.Join(", ", contributions.Select(kv => $"{kv.Key} in {kv.Value}"))} (sample of {spans.Count})"));
            return done >= n ? 0 : 1;
        }));
        return tasks;
    }

    private static async Task Send(NodeRpcClient node, Core.Crypto.PrivateKey key, Core.Wire.TransactionBody body) =>
        await node.SendRawTransactionAsync(Core.Primitives.Hex.Encode(Core.Transactions.TransactionCodec.Sign(body, key)));

    private static async Task WaitNonce(NodeRpcClient node, Core.Primitives.Address funder, ulong nonce)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if ((await node.GetAccountAsync(funder.ToString())).Nonce >= nonce) return;
            await Task.Delay(100);
        }
        throw new CliException("the funding transfer was not included within 60 s");
    }

    private static void Print(TransferLoadReport r)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"accounts {r.Accounts}, target {r.TargetRate} tx/s for {r.DurationSeconds} s, blocks {r.FirstHeight + 1}..{r.LastHeight}"));
        Console.WriteLine(string.Create(c, $"offered {r.Submitted} ({r.SubmittedPerSecond:F0} tx/s), accepted {r.Accepted}, rejected {r.Rejected}"));
        if (r.Refused > 0 || r.Unsent > 0)
            Console.WriteLine(string.Create(c, $"refused for load {r.Refused} times ({r.RefusedWithoutHint} without a retry hint), each sent again when told; {r.Unsent} offered but not admitted when the load stopped"));
        Console.WriteLine(string.Create(c, $"committed {r.Committed} ({r.CommittedPerSecond:F0} tx/s)"));
        Console.WriteLine(string.Create(c, $"submit-to-finality latency of admitted transactions: p50 {r.P50Ms:F0} ms, p99 {r.P99Ms:F0} ms, max {r.MaxMs:F0} ms"));
        foreach (var (reason, count) in r.RejectReasons.OrderByDescending(p => p.Value).Take(5))
            Console.WriteLine($"  rejected x{count}: {reason}");
    }
}
