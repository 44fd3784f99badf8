using System.Text;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Chain;
using IExecChain.State.Chain;
using IExecChain.Storage;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>The iex_list* queries and iex_chainStats through the dispatcher, on a one-validator chain with transfers.</summary>
[TestFixture]
public sealed class QueryRpcTests
{
    private static readonly PrivateKey Alice = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/query-rpc/alice")));
    private static readonly PrivateKey Bob = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/query-rpc/bob")));
    private const int Blocks = 30, Proposals = 3;

    private static (BlockProcessor Processor, JsonRpcDispatcher Dispatcher, List<(ulong Height, Hash256 Id, Address From, Address To)> Transfers) Chain()
    {
        var spec = OneValidatorChain.Spec() with
        {
            Accounts = [new GenesisAccount(Alice.Address, 1_000_000_000), new GenesisAccount(Bob.Address, 1_000_000_000), new GenesisAccount(OneValidatorChain.Validator.Address, 1_000_000_000)],
        };
        spec = spec with { Parameters = spec.Parameters.WithCheckpointInterval(4) };
        var processor = OneValidatorChain.Processor(spec);
        var registry = new RpcMethodRegistry();
        var governance = new GovernanceRpcMethods(spec, processor);
        var checkpoints = new CheckpointRpcMethods(spec.ChainId, processor);
        var market = new MarketRpcMethods(processor, new MemoryStore());
        new QueryRpcMethods(processor, market, governance, checkpoints).RegisterAll(registry);
        checkpoints.RegisterAll(registry);
        governance.RegisterAll(registry);

        var transfers = new List<(ulong, Hash256, Address, Address)>();
        var nonces = new Dictionary<Address, ulong>();
        Transaction Sign(PrivateKey from, ulong fee, Action<TransactionBody> payload)
        {
            ulong nonce = nonces.GetValueOrDefault(from.Address);
            nonces[from.Address] = nonce + 1;
            var body = new TransactionBody { ChainId = spec.ChainId, Nonce = nonce, Fee = fee };
            payload(body);
            Assert.That(TransactionCodec.TryDecode(TransactionCodec.Sign(body, from), spec.ChainId, 4096, out var tx, out var error), Is.True, error);
            return tx!;
        }
        Transaction Transfer(PrivateKey from, Address to) =>
            Sign(from, spec.Parameters.Fees.Transfer, b => b.Transfer = new Transfer { To = ByteString.CopyFrom(to.ToArray()), Amount = 7 });

        // Three governance proposals (ids 1 to 3) in a block of their own, before the transfers.
        var proposals = Enumerable.Range(0, Proposals).Select(i => Sign(OneValidatorChain.Validator, spec.Parameters.Fees.Governance, b => b.Propose = new GovernancePropose
        {
            ChangeParameter = new ChangeParameter { Name = "fees.order", Value = 5 + (ulong)i },
            DescriptionHash = ByteString.CopyFrom(Keccak256.HashToArray([(byte)i])),
        })).ToList();
        var proposed = OneValidatorChain.Produce(processor, proposals);
        Assert.That(proposed.Receipts.Select(r => r.Status), Is.All.EqualTo(ReceiptStatus.Success));
        foreach (var tx in proposals) transfers.Add((1, tx.Id, tx.Sender, default));
        for (ulong h = 2; h <= Blocks; h++)
        {
            // Alice pays Bob every block, Bob pays Alice every third, Alice pays herself every fifth.
            var txs = new List<(Transaction Tx, Address To)> { (Transfer(Alice, Bob.Address), Bob.Address) };
            if (h % 3 == 0) txs.Add((Transfer(Bob, Alice.Address), Alice.Address));
            if (h % 5 == 0) txs.Add((Transfer(Alice, Alice.Address), Alice.Address));
            var executed = OneValidatorChain.Produce(processor, txs.Select(t => t.Tx));
            Assert.That(executed.Block.Transactions, Has.Count.EqualTo(txs.Count));
            foreach (var (tx, to) in txs) transfers.Add((h, tx.Id, tx.Sender, to));
        }
        return (processor, new JsonRpcDispatcher(registry), transfers);
    }

    private static async Task<JsonElement> Call(JsonRpcDispatcher dispatcher, string method, object? parameters)
    {
        byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = 1, method, @params = parameters });
        using var response = JsonDocument.Parse((await dispatcher.HandleAsync(request, CancellationToken.None))!);
        return response.RootElement.Clone();
    }

    /// <summary>Follows 'next' to the end; every page but the last is full.</summary>
    private static async Task<List<JsonElement>> ReadAll(JsonRpcDispatcher dispatcher, string method, Dictionary<string, object> fields, int limit)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        while (true)
        {
            var call = new Dictionary<string, object>(fields) { ["limit"] = limit };
            if (cursor is not null) call["cursor"] = cursor;
            var response = await Call(dispatcher, method, call);
            Assert.That(response.TryGetProperty("result", out var result), Is.True, response.ToString());
            Assert.That(result.TryGetProperty("items", out var pageItems), Is.True, result.ToString());
            var page = pageItems.EnumerateArray().ToList();
            items.AddRange(page);
            if (!result.TryGetProperty("next", out var next)) return items;   // absent on the last page
            Assert.That(page, Has.Count.EqualTo(limit), "only the last page is short");
            cursor = next.GetString();
        }
    }

    [Test]
    public async Task An_accounts_transactions_in_pages_are_every_transfer_it_sent_or_received_once_newest_first()
    {
        var (_, dispatcher, transfers) = Chain();
        var rows = await ReadAll(dispatcher, "iex_listTransactions", new() { ["account"] = Alice.Address.ToString() }, limit: 4);
        var expected = transfers.Where(t => t.From == Alice.Address || t.To == Alice.Address).Reverse().ToList();
        Assert.That(rows.Select(r => r.GetProperty("hash").GetString()), Is.EqualTo(expected.Select(t => t.Id.ToString())));
        Assert.That(rows.Select(r => r.GetProperty("direction").GetString()), Is.EqualTo(expected.Select(t =>
            t.From == t.To ? "self" : t.From == Alice.Address ? "sent" : "received")));
        Assert.That(rows.All(r => r.GetProperty("type").GetString() == "transfer" && r.GetProperty("status").GetString() == "success"));

        var received = await ReadAll(dispatcher, "iex_listTransactions", new() { ["account"] = Bob.Address.ToString(), ["direction"] = "received" }, limit: 7);
        Assert.That(received.Select(r => r.GetProperty("hash").GetString()), Is.EqualTo(transfers.Where(t => t.To == Bob.Address).Reverse().Select(t => t.Id.ToString())));

        var all = await ReadAll(dispatcher, "iex_listTransactions", [], limit: 9);
        Assert.That(all.Select(r => r.GetProperty("hash").GetString()), Is.EqualTo(transfers.AsEnumerable().Reverse().Select(t => t.Id.ToString())));
    }

    [Test]
    public async Task Blocks_page_from_the_head_to_genesis_and_statistics_count_the_window()
    {
        var (processor, dispatcher, transfers) = Chain();
        var blocks = await ReadAll(dispatcher, "iex_listBlocks", [], limit: 8);
        Assert.That(blocks.Select(b => b.GetProperty("number").GetString()), Is.EqualTo(Enumerable.Range(0, Blocks + 1).Reverse().Select(h => RpcFormat.Quantity((ulong)h))));

        var stats = (await Call(dispatcher, "iex_chainStats", new { fromBlock = 11, toBlock = 20 })).GetProperty("result");
        Assert.That(stats.GetProperty("blocks").GetString(), Is.EqualTo("0xa"));
        Assert.That(stats.GetProperty("transactions").GetString(), Is.EqualTo(RpcFormat.Quantity((ulong)transfers.Count(t => t.Height is >= 11 and <= 20))));
        Assert.That(stats.GetProperty("blockIntervalMs").GetProperty("median").GetUInt64(), Is.EqualTo(100UL), "blocks are 100 ms apart");
        Assert.That(stats.GetProperty("transactionsPerSecond").GetDouble(), Is.EqualTo(transfers.Count(t => t.Height is >= 11 and <= 20) / 1.0).Within(0.001));
        var latest = (await Call(dispatcher, "iex_chainStats", null)).GetProperty("result");
        Assert.That(latest.GetProperty("toBlock").GetString(), Is.EqualTo(RpcFormat.Quantity(processor.Head.Height)));
    }

    [Test]
    public async Task Proposals_and_checkpoints_page_from_the_latest_to_the_first_as_their_get_methods_show_them()
    {
        var (_, dispatcher, _) = Chain();
        var proposals = await ReadAll(dispatcher, "iex_listProposals", [], limit: 2);
        Assert.That(proposals.Select(p => p.GetProperty("id").GetString()), Is.EqualTo(new[] { "0x3", "0x2", "0x1" }));
        var second = (await Call(dispatcher, "iex_getProposal", new[] { "2" })).GetProperty("result");
        Assert.That(proposals[1].ToString(), Is.EqualTo(second.ToString()), "an item is the record iex_getProposal shows");

        var latest = (await Call(dispatcher, "iex_getCheckpoint", new[] { "latest" })).GetProperty("result");
        ulong count = Convert.ToUInt64(latest.GetProperty("number").GetString(), 16);
        Assert.That(count, Is.GreaterThanOrEqualTo(6UL), "30 blocks at one checkpoint per 4");
        var checkpoints = await ReadAll(dispatcher, "iex_listCheckpoints", [], limit: 4);
        Assert.That(checkpoints.Select(c => c.GetProperty("number").GetString()), Is.EqualTo(Enumerable.Range(1, (int)count).Reverse().Select(n => RpcFormat.Quantity((ulong)n))));
        Assert.That(checkpoints[0].ToString(), Is.EqualTo(latest.ToString()));
    }

    private static readonly object[][] BadCalls =
    [
        ["iex_listTransactions", new { limit = 0 }, "limit must be from 1 to 100"],
        ["iex_listTransactions", new { limit = 101 }, "limit must be from 1 to 100"],
        ["iex_listTransactions", new { limit = "many" }, "limit must be a non-negative integer"],
        ["iex_listTransactions", new { cursor = "0x1234" }, "cursor '0x1234' is not a cursor of this query"],
        ["iex_listTransactions", new { cursor = 5 }, "cursor must be a string"],
        ["iex_listTransactions", new { account = "0x12" }, "account is not an address"],
        ["iex_listTransactions", new { account = 12 }, "account must be a string"],
        ["iex_listTransactions", new { direction = "sent" }, "direction applies only with account"],
        ["iex_listTransactions", new { account = "0x000000000000000000000000000000000000dead", direction = "up" }, "direction 'up' is not one of sent, received, all"],
        ["iex_listTransactions", new { acount = "0x000000000000000000000000000000000000dead" }, "acount is not a field of iex_listTransactions"],
        ["iex_listTransactions", new object[] { 1, 2 }, "iex_listTransactions takes one object of named fields"],
        ["iex_listDeals", new { }, "filter is missing: give exactly one of requester, app, dataset, workerpool"],
        ["iex_listDeals", new { app = "0x000000000000000000000000000000000000dead", requester = "0x000000000000000000000000000000000000dead" }, "are exclusive"],
        ["iex_listTasks", new { status = "done" }, "status 'done' is not one of active, revealing, completed, failed"],
        ["iex_listTasks", new { deal = "0x12" }, "deal must be a 0x-prefixed 32-byte hex string"],
        ["iex_listOrders", new { }, "owner is required"],
        ["iex_chainStats", new { fromBlock = 20, toBlock = 10 }, "fromBlock is after toBlock"],
        ["iex_chainStats", new { toBlock = 1000 }, "toBlock is beyond the head"],
        ["iex_chainStats", new { limit = 5 }, "limit is not a field of iex_chainStats"],
    ];

    [TestCaseSource(nameof(BadCalls))]
    public async Task A_bad_query_is_refused_with_invalid_params_naming_the_field(string method, object parameters, string message)
    {
        var (_, dispatcher, _) = Chain();
        var error = (await Call(dispatcher, method, parameters)).GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain(message));
    }
}
