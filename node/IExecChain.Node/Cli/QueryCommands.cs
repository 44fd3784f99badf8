using System.CommandLine;
using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.Node.Cli;

public static class QueryCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Build()
    {
        var query = new Command("query", "Read accounts, blocks and transactions from a node (amounts in RLC, heights and nonces in decimal; --raw: the RPC's JSON)");

        var address = new Argument<string>("address") { Description = "Account address" };
        var account = new Command("account", "Show an account's balance, nonce and stakes") { address };
        var accountRpc = RpcOption();
        var accountRaw = RawOption();
        account.Options.Add(accountRpc);
        account.Options.Add(accountRaw);
        account.SetAction(r => Cli.RunAsync(async () =>
        {
            if (!Address.TryParse(r.GetValue(address), out var parsed, out var error)) throw new CliException($"address: {error}");
            await PrintAsync(r.GetValue(accountRpc)!, r.GetValue(accountRaw), "iex_getAccount", parsed.ToString());
        }));

        var which = new Argument<string>("block") { Description = "Height (decimal or 0x-hex), 'latest', or a block hash", DefaultValueFactory = _ => "latest" };
        var full = new Option<bool>("--full") { Description = "Include whole transactions" };
        var block = new Command("block", "Show a block with its commit") { which, full };
        var blockRpc = RpcOption();
        var blockRaw = RawOption();
        block.Options.Add(blockRpc);
        block.Options.Add(blockRaw);
        block.SetAction(r => Cli.RunAsync(async () =>
        {
            var id = r.GetValue(which)!;
            if (id.Length == 66 && id.StartsWith("0x", StringComparison.Ordinal))
                await PrintAsync(r.GetValue(blockRpc)!, r.GetValue(blockRaw), "iex_getBlockByHash", id, r.GetValue(full));
            else
                await PrintAsync(r.GetValue(blockRpc)!, r.GetValue(blockRaw), "iex_getBlockByNumber", id, r.GetValue(full));
        }));

        var hash = new Argument<string>("hash") { Description = "Transaction id" };
        var tx = new Command("tx", "Show a transaction and its receipt") { hash };
        var txRpc = RpcOption();
        var txRaw = RawOption();
        tx.Options.Add(txRpc);
        tx.Options.Add(txRaw);
        tx.SetAction(r => Cli.RunAsync(async () =>
        {
            if (!Hash256.TryParse(r.GetValue(hash), out var id)) throw new CliException("hash: must be a 32-byte 0x-hex transaction id");
            using var client = new JsonRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(txRpc)!));
            var transaction = await client.CallAsync("iex_getTransaction", id.ToString());
            if (transaction.ValueKind == JsonValueKind.Null) throw new CliException($"transaction {id} is not in any block of this node");
            var receipt = await client.CallAsync("iex_getReceipt", id.ToString());
            Print(JsonSerializer.SerializeToElement(new { transaction, receipt }), r.GetValue(txRaw));
        }));

        query.Subcommands.Add(account);
        query.Subcommands.Add(block);
        query.Subcommands.Add(tx);
        return query;
    }

    private static Option<string> RpcOption() =>
        new("--rpc") { Description = "Node RPC URL", DefaultValueFactory = _ => $"http://{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}" };

    private static Option<bool> RawOption() =>
        new("--raw") { Description = "Print the RPC result as it comes: quantities as 0x-hex, amounts in nRLC" };

    private static async Task PrintAsync(string rpc, bool raw, string method, params object?[] parameters)
    {
        using var client = new JsonRpcClient(JsonRpcClient.ParseEndpoint(rpc));
        var result = await client.CallAsync(method, parameters);
        if (result.ValueKind == JsonValueKind.Null) throw new CliException("not found");
        Print(result, raw);
    }

    private static void Print(JsonElement result, bool raw) =>
        Console.WriteLine(raw ? JsonSerializer.Serialize(result, Indented) : QueryDisplay.Format(result));
}
