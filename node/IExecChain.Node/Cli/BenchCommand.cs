using System.CommandLine;
using System.Globalization;
using IExecChain.LoadGenerator;
using IExecChain.Node.Devnet;
using IExecChain.Rpc.Client;

namespace IExecChain.Node.Cli;

public static class BenchCommand
{
    public static Command Build()
    {
        var rpc = new Option<string>("--rpc") { Description = "Node RPC URL", DefaultValueFactory = _ => $"http://{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}" };
        var accounts = new Option<int>("--accounts") { Description = "Number of sending accounts (funded first)", DefaultValueFactory = _ => 2000 };
        var rate = new Option<int>("--rate") { Description = "Transfers per second to submit", DefaultValueFactory = _ => 1000 };
        var duration = new Option<int>("--duration") { Description = "Seconds of load", DefaultValueFactory = _ => 10 };
        var funderKey = new Option<string?>("--funder-key") { Description = "Keystore of the funding account (default: devnet account 0)" };
        var password = new Option<string?>("--password-file") { Description = "Password file for --funder-key" };
        var batch = new Option<int>("--batch") { Description = "Transactions per JSON-RPC batch", DefaultValueFactory = _ => 200 };
        var connections = new Option<int>("--connections") { Description = "Concurrent HTTP requests", DefaultValueFactory = _ => 8 };
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
                BatchSize = Math.Clamp(r.GetValue(batch), 1, 2000),
                Connections = Math.Clamp(r.GetValue(connections), 1, 64),
            };
            var report = await TransferLoad.RunAsync(options, line => Console.Error.WriteLine(line), ct);
            Print(report);
            return report.Committed > 0 ? 0 : 1;
        }));
        var bench = new Command("bench", "Load generators");
        bench.Subcommands.Add(transfers);
        return bench;
    }

    private static void Print(TransferLoadReport r)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"accounts {r.Accounts}, target {r.TargetRate} tx/s for {r.DurationSeconds} s, blocks {r.FirstHeight + 1}..{r.LastHeight}"));
        Console.WriteLine(string.Create(c, $"submitted {r.Submitted} ({r.SubmittedPerSecond:F0} tx/s), accepted {r.Accepted}, rejected {r.Rejected}"));
        Console.WriteLine(string.Create(c, $"committed {r.Committed} ({r.CommittedPerSecond:F0} tx/s)"));
        Console.WriteLine(string.Create(c, $"submit-to-finality latency: p50 {r.P50Ms:F0} ms, p99 {r.P99Ms:F0} ms, max {r.MaxMs:F0} ms"));
        foreach (var (reason, count) in r.RejectReasons.OrderByDescending(p => p.Value).Take(5))
            Console.WriteLine($"  rejected x{count}: {reason}");
    }
}
