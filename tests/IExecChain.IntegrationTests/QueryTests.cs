using System.Globalization;
using System.Text.Json;
using IExecChain.Node;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// The query methods on a real devnet with transfers and the market demo running: each list read in
/// pages is what a scan of every block finds, every item once; after the node's index is deleted, the
/// restarted node rebuilds it and answers the same.
/// </summary>
[NonParallelizable]
public class QueryTests
{
    private const ulong Height = 250;
    private static ulong Q(JsonElement e) => JsonRpcClient.Quantity(e);

    private sealed record Tx(ulong Height, ulong Index, string Hash, string From, string? To, string Type);

    [Test, CancelAfter(420_000)]
    public async Task Lists_match_a_scan_of_the_blocks_and_a_deleted_index_is_rebuilt_to_the_same_answers()
    {
        using var dir = new TempDir();
        int rpcBase = NodeProcess.FreePorts(105), p2pBase = NodeProcess.FreeUdpPorts(105);
        var rpc = new Uri($"http://127.0.0.1:{rpcBase}/");
        string[] Devnet(ulong stopAt) => ["devnet", "--validators", "1", "--workers", "2", "--market-trust", "1", "--data", dir.File("devnet"),
            "--rpc", $"127.0.0.1:{rpcBase}", "--p2p-port", p2pBase.ToString(CultureInfo.InvariantCulture), "--load", "100", "--log-level", "Information",
            "--stop-at-height", stopAt.ToString(CultureInfo.InvariantCulture)];

        using (var devnet = NodeProcess.Start(Devnet(Height)))
        {
            Assert.That(devnet.WaitForExit(TimeSpan.FromSeconds(240)), Is.True, "the devnet stops at its height\n" + devnet.Output);
        }
        // The chain as the stopped node's database holds it: scanned block by block over RPC after a restart
        // that first deletes the index, so both the rebuilt index and the scan read the same blocks.
        string database = Path.Combine(dir.File("devnet"), "node-0", NodeOptions.DatabaseFolderName);
        int entries;
        using (var store = new RocksDbStore(database))
        {
            using var batch = store.NewBatch();
            entries = 0;
            foreach (var (key, _) in store.Iterate(DbColumn.QueryIndex)) { batch.Delete(DbColumn.QueryIndex, key); entries++; }
            store.Write(batch);
        }
        Assert.That(entries, Is.GreaterThan(10_000), "the first run indexed its blocks");

        // The node alone and without its validator key: a follower with no peers, so the chain stays as the
        // scan reads it. On a live chain a task can move from one status list to the next between two
        // calls, and a deal start a task between reading the deal and its tasks.
        using (var node = NodeProcess.Start("run", "--data", Path.Combine(dir.File("devnet"), "node-0"), "--rpc", $"127.0.0.1:{rpcBase}",
            "--p2p", $"127.0.0.1:{p2pBase}", "--log-level", "Information"))
        {
            await node.WaitForRpcAsync(rpc, TimeSpan.FromSeconds(120));
            using var client = new JsonRpcClient(rpc, TimeSpan.FromSeconds(30));
            Assert.That(node.Output, Does.Contain("Query index rebuilt"), "the node noticed the missing index and rebuilt it");

            var scan = new List<Tx>();
            for (ulong h = 1; h <= Height; h++)
            {
                var block = await client.CallAsync("iex_getBlockByNumber", RpcQuantity(h), true);
                foreach (var tx in block.GetProperty("transactions").EnumerateArray())
                {
                    string? to = tx.GetProperty("type").GetString() == "transfer" ? tx.GetProperty("payload").GetProperty("to").GetString() : null;
                    scan.Add(new Tx(h, Q(tx.GetProperty("transactionIndex")), tx.GetProperty("hash").GetString()!, tx.GetProperty("from").GetString()!, to, tx.GetProperty("type").GetString()!));
                }
            }
            TestContext.Out.WriteLine($"{scan.Count} transactions in {Height} blocks: {string.Join(", ", scan.GroupBy(t => t.Type).Select(g => $"{g.Count()} {g.Key}"))}");
            Assert.That(scan, Has.Count.GreaterThan(2_000), "a few thousand transactions");
            Assert.That(scan.Count(t => t.Type == "place-order"), Is.GreaterThan(5), "the market ran");

            // The devnet may have committed a block past Height while it stopped: compare the part up to it.
            var all = (await ReadAll(client, "iex_listTransactions", new() { }, 100)).Where(r => Q(r.GetProperty("blockNumber")) <= Height).ToList();
            Assert.That(all.Select(r => r.GetProperty("hash").GetString()), Is.EqualTo(scan.AsEnumerable().Reverse().Select(t => t.Hash)), "all transactions, newest first");

            foreach (var account in scan.Select(t => t.From).Distinct().Take(12))
            {
                var rows = (await ReadAll(client, "iex_listTransactions", new() { ["account"] = account }, 37)).Where(r => Q(r.GetProperty("blockNumber")) <= Height).ToList();
                var expected = scan.Where(t => t.From == account || t.To == account).Reverse().ToList();
                Assert.That(rows.Select(r => r.GetProperty("hash").GetString()), Is.EqualTo(expected.Select(t => t.Hash)), $"transactions of {account}");
                Assert.That(rows.Select(r => r.GetProperty("direction").GetString()), Is.EqualTo(expected.Select(t => t.From == t.To ? "self" : t.From == account ? "sent" : "received")));
            }

            // Tasks: every started task is listed under exactly one status, with that status.
            var totals = (await client.CallAsync("iex_getOrderBook")).GetProperty("totals");
            var byStatus = new Dictionary<string, List<string>>();
            foreach (var status in new[] { "active", "revealing", "completed", "failed" })
            {
                var tasks = await ReadAll(client, "iex_listTasks", new() { ["status"] = status }, 50);
                Assert.That(tasks.All(t => t.GetProperty("status").GetString() == status), Is.True, $"every {status} task listed is {status}");
                byStatus[status] = tasks.Select(t => t.GetProperty("id").GetString()!).ToList();
            }
            Assert.That(byStatus.Values.Sum(v => v.Count), Is.GreaterThanOrEqualTo((int)Q(totals.GetProperty("tasksStarted"))), "every started task has a status entry");
            Assert.That(byStatus["completed"], Is.Not.Empty, "the demo completed tasks");
            Assert.That(byStatus.Values.SelectMany(v => v).Distinct().Count(), Is.EqualTo(byStatus.Values.Sum(v => v.Count)), "no task under two statuses");

            // Deals of the demo requester (the sender of the request orders), each with its tasks by index.
            var requester = scan.Where(t => t.Type == "place-order").GroupBy(t => t.From).OrderByDescending(g => g.Count()).First().Key;
            var deals = await ReadAll(client, "iex_listDeals", new() { ["requester"] = requester }, 10);
            Assert.That(deals, Is.Not.Empty);
            Assert.That(deals.All(d => d.GetProperty("requester").GetString() == requester));
            Assert.That(deals.Select(d => Q(d.GetProperty("createdAt"))), Is.Ordered.Descending, "newest deal first");
            foreach (var deal in deals.Take(5))
            {
                var tasks = await ReadAll(client, "iex_listTasks", new() { ["deal"] = deal.GetProperty("id").GetString()! }, 2);
                Assert.That(tasks.Select(t => t.GetProperty("id").GetString()), Is.EqualTo(deal.GetProperty("tasks").EnumerateArray().Select(t => t.GetString()).Take(tasks.Count)), "a deal's tasks by index");
                Assert.That(tasks, Has.Count.EqualTo((int)Q(deal.GetProperty("started"))));
            }
            var orders = await ReadAll(client, "iex_listOrders", new() { ["owner"] = requester }, 25);
            Assert.That(orders.Count(o => Q(o.GetProperty("placedAt")) <= Height), Is.EqualTo(scan.Count(t => t.From == requester && t.Type == "place-order")), "the requester's orders, one per order placed");

            var stats = await client.CallAsync("iex_chainStats", new { fromBlock = 1, toBlock = Height });
            Assert.That(Q(stats.GetProperty("transactions")), Is.EqualTo((ulong)scan.Count));
            TestContext.Out.WriteLine($"chain stats 1..{Height}: {stats}");
        }
    }

    private static string RpcQuantity(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    private static async Task<List<JsonElement>> ReadAll(JsonRpcClient client, string method, Dictionary<string, object> fields, int limit)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        for (int pages = 0; pages < 10_000; pages++)
        {
            var call = new Dictionary<string, object>(fields) { ["limit"] = limit };
            if (cursor is not null) call["cursor"] = cursor;
            var result = await client.CallAsync(method, call);
            var page = result.GetProperty("items").EnumerateArray().Select(e => e.Clone()).ToList();
            items.AddRange(page);
            if (!result.TryGetProperty("next", out var next)) return items;
            Assert.That(page, Has.Count.EqualTo(limit), "only the last page is short");
            cursor = next.GetString();
        }
        Assert.Fail($"{method} did not end");
        return items;
    }
}
