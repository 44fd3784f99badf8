using System.CommandLine;
using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Client;

namespace IExecChain.Node.Cli;

public static class QueryCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Build()
    {
        var query = new Command("query", "Read accounts, blocks and transactions from a node");

        var address = new Argument<string>("address") { Description = "Account address" };
        var account = new Command("account", "Show an account's balance, nonce and stakes") { address };
        var accountRpc = RpcOption();
        account.Options.Add(accountRpc);
        account.SetAction(r => Cli.RunAsync(async () =>
        {
            if (!Address.TryParse(r.GetValue(address), out var parsed, out var error)) throw new CliException($"address: {error}");
            await PrintAsync(r.GetValue(accountRpc)!, "iex_getAccount", parsed.ToString());
        }));

        var which = new Argument<string>("block") { Description = "Height (decimal or 0x-hex), 'latest', or a block hash", DefaultValueFactory = _ => "latest" };
        var full = new Option<bool>("--full") { Description = "Include whole transactions" };
        var block = new Command("block", "Show a block with its commit") { which, full };
        var blockRpc = RpcOption();
        block.Options.Add(blockRpc);
        block.SetAction(r => Cli.RunAsync(async () =>
        {
            var id = r.GetValue(which)!;
            if (id.Length == 66 && id.StartsWith("0x", StringComparison.Ordinal))
                await PrintAsync(r.GetValue(blockRpc)!, "iex_getBlockByHash", id, r.GetValue(full));
            else
                await PrintAsync(r.GetValue(blockRpc)!, "iex_getBlockByNumber", id, r.GetValue(full));
        }));

        var hash = new Argument<string>("hash") { Description = "Transaction id" };
        var tx = new Command("tx", "Show a transaction and its receipt") { hash };
        var txRpc = RpcOption();
        tx.Options.Add(txRpc);
        tx.SetAction(r => Cli.RunAsync(async () =>
        {
            if (!Hash256.TryParse(r.GetValue(hash), out var id)) throw new CliException("hash: must be a 32-byte 0x-hex transaction id");
            using var client = new JsonRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(txRpc)!));
            var transaction = await client.CallAsync("iex_getTransaction", id.ToString());
            if (transaction.ValueKind == JsonValueKind.Null) throw new CliException($"transaction {id} is not in any block of this node");
            var receipt = await client.CallAsync("iex_getReceipt", id.ToString());
            Console.WriteLine(JsonSerializer.Serialize(new { transaction, receipt }, Indented));
        }));

        query.Subcommands.Add(account);
        query.Subcommands.Add(block);
        query.Subcommands.Add(tx);
        return query;
    }

    private static Option<string> RpcOption() =>
        new("--rpc") { Description = "Node RPC URL", DefaultValueFactory = _ => $"http://{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}" };

    private static async Task PrintAsync(string rpc, string method, params object?[] parameters)
    {
        using var client = new JsonRpcClient(JsonRpcClient.ParseEndpoint(rpc));
        var result = await client.CallAsync(method, parameters);
        if (result.ValueKind == JsonValueKind.Null) throw new CliException("not found");
        Console.WriteLine(JsonSerializer.Serialize(result, Indented));
    }
}
