using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using IExecChain.Rpc.Contracts;
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
            Console.Write(Table(RpcJson.Read<List<CategoryResult>>(answer, "iex_getCategories")));
        }));
        var chain = new Command("chain", "What the chain offers: categories");
        chain.Subcommands.Add(categories);
        return chain;
    }

    /// <summary>One line per category; deadlines in blocks and, at the chain's block interval, seconds.</summary>
    public static string Table(IReadOnlyList<CategoryResult> categories)
    {
        var rows = new List<string[]> { new[] { "id", "name", "max fuel", "max memory", "T", "replica (2T)", "contribution (7T)", "reveal (2T)", "final (10T)" } };
        foreach (var c in categories)
        {
            double seconds = c.TimeRefSeconds / Math.Max(1, c.TimeRefBlocks.Value);
            string Blocks(ulong blocks) => $"{blocks} blocks ({blocks * seconds:0.#} s)";
            rows.Add([
                c.Id.ToString(), c.Name, c.MaxFuel.Value.ToString("N0", CultureInfo.InvariantCulture),
                $"{c.MaxMemoryMb} MiB", Blocks(c.TimeRefBlocks), Blocks(c.ReplicaDeadlineBlocks), Blocks(c.ContributionDeadlineBlocks),
                Blocks(c.RevealDeadlineBlocks), Blocks(c.FinalDeadlineBlocks),
            ]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(row => row[i].Length)).ToArray();
        var text = new System.Text.StringBuilder();
        foreach (var row in rows) text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        text.AppendLine("A replica must contribute within 2T of its assignment; contributions close 7T after the task starts, reveals 2T after consensus; a task not completed 10T after it started fails and the requester is refunded.");
        return text.ToString();
    }
}
