using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.Node.Cli;

/// <summary>`iexchain chain ...`: what the chain a node runs offers, as it is in force now.</summary>
public static class ChainCommands
{
    public static Command Build()
    {
        var rpc = MarketCommands.RpcOption();
        var json = new Option<bool>("--json") { Description = "Print the node's answer (iex_getCategories) as JSON" };
        var categories = new Command("categories", "The task categories: fuel, memory and deadlines of each (a request order's \"category\")") { rpc, json };
        categories.SetAction(r => Cli.RunAsync(async () =>
        {
            using var client = new JsonRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!));
            var answer = await client.CallAsync("iex_getCategories");
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(answer, new JsonSerializerOptions { WriteIndented = true }));
                return;
            }
            Console.Write(Table(answer));
        }));
        var chain = new Command("chain", "What the chain offers: categories");
        chain.Subcommands.Add(categories);
        return chain;
    }

    /// <summary>One line per category; deadlines in blocks and, at the chain's block interval, seconds.</summary>
    public static string Table(JsonElement categories)
    {
        var rows = new List<string[]> { new[] { "id", "name", "max fuel", "max memory", "T", "replica (2T)", "contribution (7T)", "reveal (2T)", "final (10T)" } };
        foreach (var c in categories.EnumerateArray())
        {
            ulong Q(string name) => JsonRpcClient.Quantity(c.GetProperty(name));
            double seconds = c.GetProperty("timeRefSeconds").GetDouble() / Math.Max(1, Q("timeRefBlocks"));
            string Blocks(string name) => $"{Q(name)} blocks ({Q(name) * seconds:0.#} s)";
            rows.Add([
                Q("id").ToString(CultureInfo.InvariantCulture), c.GetProperty("name").GetString()!, Q("maxFuel").ToString("N0", CultureInfo.InvariantCulture),
                $"{Q("maxMemoryMb")} MiB", Blocks("timeRefBlocks"), Blocks("replicaDeadlineBlocks"), Blocks("contributionDeadlineBlocks"),
                Blocks("revealDeadlineBlocks"), Blocks("finalDeadlineBlocks"),
            ]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(row => row[i].Length)).ToArray();
        var text = new System.Text.StringBuilder();
        foreach (var row in rows) text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        text.AppendLine("A replica must contribute within 2T of its assignment; contributions close 7T after the task starts, reveals 2T after consensus; a task not completed 10T after it started fails and the requester is refunded.");
        return text.ToString();
    }
}
