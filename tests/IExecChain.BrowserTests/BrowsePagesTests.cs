using System.Globalization;
using System.Text.Json;
using IExecChain.Rpc.Contracts.Client;
using Microsoft.Playwright;
using NUnit.Framework;

namespace IExecChain.BrowserTests;

/// <summary>
/// The browse pages (blocks, transactions, accounts, search, market, governance, checkpoints, bridge) in
/// a real browser, served by a devnet running its market demo. Each page's text is compared with the
/// same record fetched over the node's RPC from here. Every page must log no console error and throw
/// no page error (checked in teardown). Screenshots go to TestResults/browser/browse-*.png.
/// </summary>
[TestFixture]
[NonParallelizable]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Created in OneTimeSetUp and disposed in OneTimeTearDown")]
public sealed class BrowsePagesTests : BrowserFixture
{
    // Generous deadlines for a busy 2-core CI machine: a condition met early returns at once.
    private static readonly TimeSpan DevnetStart = TimeSpan.FromSeconds(240);
    private const float Patience = 60_000;
    // The pages group thousands with commas (en-US); the invariant culture writes numbers the same way
    // (the tests run in globalization-invariant mode, where en-US is not available).
    private static readonly CultureInfo English = CultureInfo.InvariantCulture;

    private MarketDevnet _devnet = null!;
    private JsonRpcClient _rpc = null!;
    private string _completedTask = null!;

    private string Url => _devnet.Rpc.ToString();

    [OneTimeSetUp]
    public async Task Start_a_market_devnet()
    {
        _devnet = new MarketDevnet();
        _completedTask = await _devnet.StartAsync(DevnetStart);
        _rpc = new JsonRpcClient(_devnet.Rpc, TimeSpan.FromSeconds(30));
    }

    [OneTimeTearDown]
    public void Stop_the_devnet()
    {
        _rpc?.Dispose();
        _devnet?.Dispose();
    }

    [Test]
    public async Task Blocks_list_shows_the_chain_newest_first_and_follows_new_blocks()
    {
        IPage page = await OpenAsync();
        await page.GotoAsync(Url + "#/blocks");
        ILocator rows = page.Locator("table[data-list=blocks] tbody tr");
        await rows.First.Locator("a").First.WaitForAsync();

        // The list redraws as blocks come: read the top row's cells in one go, from one drawing.
        string[] cells = await page.EvaluateAsync<string[]>(
            "() => { const r = document.querySelector('table[data-list=blocks] tbody tr'); const c = r.querySelectorAll('td'); return [c[0].textContent, c[1].querySelector('a').title, c[3].textContent]; }");
        ulong top = ulong.Parse(Clean(cells[0]), CultureInfo.InvariantCulture);
        JsonElement block = await _rpc.CallAsync("iex_getBlockByNumber", top.ToString(CultureInfo.InvariantCulture));
        Assert.That(cells[1], Is.EqualTo(block.GetProperty("hash").GetString()), "the top row's hash");
        Assert.That(cells[2], Is.EqualTo(Int(block.GetProperty("transactionCount"))), "the top row's transaction count");
        var heights = (await rows.Locator("td:first-child").AllTextContentsAsync()).Select(t => ulong.Parse(Clean(t), CultureInfo.InvariantCulture)).ToList();
        // A page of 25, or down to genesis (which the list includes) on a chain younger than that.
        int first = (int)Math.Min(25UL, heights[0] + 1);
        Assert.That(heights, Has.Count.EqualTo(first), "a page of 25 blocks, or down to genesis");
        Assert.That(heights, Is.EqualTo(Enumerable.Range(0, first).Select(i => heights[0] - (ulong)i)), "consecutive heights, newest first");

        // Live: new heads arrive over the WebSocket and the top row moves on, in the same document.
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");
        await page.WaitForFunctionAsync(
            "h => Number(document.querySelector('table[data-list=blocks] tbody tr td').textContent.replace(/,/g, '')) >= h",
            (double)(top + 5), new PageWaitForFunctionOptions { Timeout = Patience, PollingInterval = 100 });
        Assert.That(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), Is.True, "the page reloaded");
        await Screenshots.TakeAsync(page, "browse-blocks");

        // Older pages follow the node's cursor: the next page starts below the live one.
        await page.GetByRole(AriaRole.Button, new() { Name = "Older →" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "← Newest (live)" }).WaitForAsync();
        ILocator older = page.Locator("table[data-list=blocks] tbody tr");
        await older.First.Locator("a").First.WaitForAsync();
        var olderHeights = (await older.Locator("td:first-child").AllTextContentsAsync()).Select(t => ulong.Parse(Clean(t), CultureInfo.InvariantCulture)).ToList();
        // A young chain's second page ends at genesis, which the list includes.
        int full = (int)Math.Min(25UL, olderHeights[0] + 1);
        Assert.That(olderHeights, Has.Count.EqualTo(full), "a page of 25 blocks, or down to genesis");
        Assert.That(olderHeights, Is.EqualTo(Enumerable.Range(0, full).Select(i => olderHeights[0] - (ulong)i)), "consecutive heights, newest first");
        Assert.That(olderHeights[0], Is.GreaterThanOrEqualTo(top + 5 - 25), "the page after the newest 25 when the button was pressed");
        Assert.That(olderHeights[0] + 25, Is.LessThanOrEqualTo(JsonRpcClient.Quantity(await _rpc.CallAsync("iex_blockNumber"))), "below a page of newer blocks");
        JsonElement olderBlock = await _rpc.CallAsync("iex_getBlockByNumber", olderHeights[0].ToString(CultureInfo.InvariantCulture));
        Assert.That(await older.First.Locator("td").Nth(1).Locator("a").GetAttributeAsync("title"), Is.EqualTo(olderBlock.GetProperty("hash").GetString()));
    }

    [Test]
    public async Task Block_page_shows_the_header_and_the_transactions_the_rpc_gives()
    {
        // A block with several transactions: the newest listed transactions' block.
        JsonElement recent = (await _rpc.CallAsync("iex_listTransactions", new { limit = 1 })).GetProperty("items")[0];
        ulong number = JsonRpcClient.Quantity(recent.GetProperty("blockNumber"));
        JsonElement block = await _rpc.CallAsync("iex_getBlockByNumber", number.ToString(CultureInfo.InvariantCulture), true);

        IPage page = await OpenAsync();
        await page.GotoAsync(Url + $"#/block/{number}");
        await page.Locator("[data-field=hash]").WaitForAsync();
        Assert.That(await page.Locator("main h1").TextContentAsync(), Is.EqualTo($"Block {Int(number)}"));
        Assert.That(await page.Locator("[data-field=hash] code").TextContentAsync(), Is.EqualTo(block.GetProperty("hash").GetString()));
        Assert.That(await page.Locator("[data-field=transactionCount] td").TextContentAsync(), Is.EqualTo(Int(block.GetProperty("transactionCount"))));
        Assert.That(await page.Locator("[data-field=proposer] a").GetAttributeAsync("title"), Is.EqualTo(block.GetProperty("proposer").GetString()));

        var transactions = block.GetProperty("transactions").EnumerateArray().ToList();
        ILocator rows = page.Locator("table[data-list=block-transactions] tbody tr");
        await rows.First.Locator("a").First.WaitForAsync();
        Assert.That(await rows.CountAsync(), Is.EqualTo(Math.Min(transactions.Count, 50)));
        for (int i = 0; i < Math.Min(transactions.Count, 50); i++)
        {
            ILocator cells = rows.Nth(i).Locator("td");
            Assert.That(await cells.Nth(1).Locator("a").GetAttributeAsync("title"), Is.EqualTo(transactions[i].GetProperty("hash").GetString()), $"transaction {i}");
            Assert.That(await cells.Nth(2).TextContentAsync(), Is.EqualTo(transactions[i].GetProperty("type").GetString()), $"type of transaction {i}");
            Assert.That(await cells.Nth(3).Locator("a").GetAttributeAsync("title"), Is.EqualTo(transactions[i].GetProperty("from").GetString()), $"sender of transaction {i}");
            JsonElement receipt = await _rpc.CallAsync("iex_getReceipt", transactions[i].GetProperty("hash").GetString());
            Assert.That(await cells.Nth(5).TextContentAsync(), Is.EqualTo(receipt.GetProperty("status").GetString()), $"status of transaction {i}");
        }
        await Screenshots.TakeAsync(page, "browse-block");
    }

    [Test]
    public async Task Transaction_page_shows_the_sender_amount_status_and_fee_the_rpc_gives()
    {
        JsonElement transfer = await FindTransactionAsync("transfer");
        string id = transfer.GetProperty("hash").GetString()!;
        JsonElement tx = await _rpc.CallAsync("iex_getTransaction", id);
        JsonElement receipt = await _rpc.CallAsync("iex_getReceipt", id);

        IPage page = await OpenAsync();
        await page.GotoAsync(Url + $"#/tx/{id}");
        await page.Locator("[data-field=from]").WaitForAsync();
        Assert.That(await page.Locator("[data-field=hash] code").TextContentAsync(), Is.EqualTo(id));
        Assert.That(await page.Locator("[data-field=from] a").GetAttributeAsync("title"), Is.EqualTo(tx.GetProperty("from").GetString()));
        Assert.That(await page.Locator("[data-field=status] td").TextContentAsync(), Is.EqualTo(receipt.GetProperty("status").GetString()));
        Assert.That(await page.Locator("[data-field=type] td").TextContentAsync(), Is.EqualTo("transfer"));
        Assert.That(await page.Locator("[data-field=amount] td").TextContentAsync(), Is.EqualTo(Rlc(tx.GetProperty("payload").GetProperty("amount"))));
        Assert.That(await page.Locator("[data-field=to] a").GetAttributeAsync("title"), Is.EqualTo(tx.GetProperty("payload").GetProperty("to").GetString()));
        Assert.That(await page.Locator("[data-field=feePaid] td").TextContentAsync(), Is.EqualTo(Rlc(receipt.GetProperty("feePaid"))));
        Assert.That(await page.Locator("[data-field=nonce] td").TextContentAsync(), Is.EqualTo(Int(tx.GetProperty("nonce"))));
        Assert.That(await page.Locator("[data-field=blockNumber] a").GetAttributeAsync("href"), Is.EqualTo($"#/block/{JsonRpcClient.Quantity(tx.GetProperty("blockNumber"))}"));
        await Screenshots.TakeAsync(page, "browse-tx");

        // A payload the node does not decode is read from the raw bytes: the demo's app registration
        // shows the name the chain registered for the app.
        JsonElement registration = await FindTransactionAsync("register-app");
        await page.GotoAsync(Url + $"#/tx/{registration.GetProperty("hash").GetString()}");
        await page.Locator("[data-record=payload]").WaitForAsync();
        string name = Clean(await page.Locator("[data-record=payload] tr", new() { Has = page.Locator("th", new() { HasText = "Name" }) }).Locator("td").TextContentAsync());
        JsonElement book = await _rpc.CallAsync("iex_getOrderBook", new { kind = "app", limit = 1000 });
        var names = new List<string>();
        foreach (JsonElement order in book.GetProperty("orders").EnumerateArray())
            names.Add((await _rpc.CallAsync("iex_getApp", order.GetProperty("order").GetProperty("app").GetString())).GetProperty("name").GetString()!);
        Assert.That(names, Does.Contain(name), "the decoded app name is one the chain registered");
    }

    [Test]
    public async Task Account_page_shows_the_balance_and_transactions_the_rpc_gives()
    {
        // The user's dev account: no demo sends from it, so its balance holds still.
        string user = _devnet.UserAccount;
        JsonElement account = await _rpc.CallAsync("iex_getAccount", user);
        IPage page = await OpenAsync();
        await page.GotoAsync(Url + $"#/account/{user}");
        await page.Locator("[data-field=balance]").WaitForAsync();
        Assert.That(await page.Locator("[data-field=balance] td").TextContentAsync(), Is.EqualTo(Rlc(account.GetProperty("balance"))));
        Assert.That(await page.Locator("[data-field=nonce] td").TextContentAsync(), Is.EqualTo(Int(account.GetProperty("nonce"))));
        Assert.That(await page.Locator("[data-field=workerStake] td").TextContentAsync(), Is.EqualTo(Rlc(account.GetProperty("workerStake"))));

        // A busy account (a demo sender): the transactions listed are its newest, as the node lists them.
        JsonElement transfer = await FindTransactionAsync("transfer");
        string sender = transfer.GetProperty("from").GetString()!;
        await page.GotoAsync(Url + $"#/account/{sender}");
        ILocator rows = page.Locator("table[data-list=account-transactions] tbody tr");
        await rows.First.Locator("a").First.WaitForAsync();
        var shown = new List<string>();
        foreach (ILocator row in await rows.AllAsync()) shown.Add((await row.Locator("td").First.Locator("a").GetAttributeAsync("title"))!);
        JsonElement listed = await _rpc.CallAsync("iex_listTransactions", new { account = sender, limit = 100 });
        var hashes = listed.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("hash").GetString()!).ToList();
        Assert.That(hashes, Is.SupersetOf(shown), "every transaction shown is one of the account's newest");
        int start = hashes.IndexOf(shown[0]);
        Assert.That(hashes.Skip(start).Take(shown.Count), Is.EqualTo(shown), "in the node's order (newest first), none left out");
        // A full page, or all the account had when the page was drawn (it may have sent more since).
        Assert.That(shown.Count == 20 || start + shown.Count == hashes.Count, Is.True, $"a page of 20, or the account's whole list: {shown.Count} shown from position {start} of {hashes.Count}");
        await Screenshots.TakeAsync(page, "browse-account");
    }

    [Test]
    public async Task Search_opens_a_block_a_transaction_and_an_account_and_explains_malformed_input()
    {
        IPage page = await OpenAsync();
        await page.GotoAsync(Url + "#/search");
        ILocator box = page.Locator("#search-q");

        await box.FillAsync("7");
        await box.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => location.hash === '#/block/7' && document.querySelector('[data-field=hash]')", null, new() { Timeout = Patience });
        JsonElement block = await _rpc.CallAsync("iex_getBlockByNumber", "7");
        Assert.That(await page.Locator("[data-field=hash] code").TextContentAsync(), Is.EqualTo(block.GetProperty("hash").GetString()));

        string id = (await FindTransactionAsync("transfer")).GetProperty("hash").GetString()!;
        await page.GotoAsync(Url + "#/search");
        await box.FillAsync("  " + id.ToUpperInvariant().Replace("0X", "0x", StringComparison.Ordinal) + " ");
        await box.PressAsync("Enter");
        await page.WaitForFunctionAsync($"() => location.hash === '#/tx/{id}' && document.querySelector('[data-field=hash]')", null, new() { Timeout = Patience });

        string user = _devnet.UserAccount;
        await page.GotoAsync(Url + "#/search");
        await box.FillAsync(user);
        await box.PressAsync("Enter");
        await page.WaitForFunctionAsync($"() => location.hash === '#/account/{user}' && document.querySelector('[data-field=balance]')", null, new() { Timeout = Patience });

        await page.GotoAsync(Url + "#/search");
        await box.FillAsync("0x12zz");
        await box.PressAsync("Enter");
        ILocator malformed = page.Locator("[data-search=malformed]");
        await malformed.WaitForAsync();
        Assert.That(await malformed.TextContentAsync(), Is.EqualTo("Not a block number, hash or address: “0x12zz”."));
        Assert.That(await box.InputValueAsync(), Is.EqualTo("0x12zz"), "the input is kept");
        await Screenshots.TakeAsync(page, "browse-search-malformed");

        string unknown = "0x" + new string('0', 63) + "1";
        await page.GotoAsync(Url + "#/search?q=" + unknown);
        ILocator none = page.Locator("[data-search=not-found]");
        await none.WaitForAsync();
        Assert.That(await none.TextContentAsync(), Is.EqualTo($"No block, transaction, deal, task or order has the id {unknown}."));
    }

    [Test]
    public async Task Market_pages_show_the_demo_task_its_deal_and_its_pool_as_the_rpc_gives_them()
    {
        JsonElement task = await _rpc.CallAsync("iex_getTask", _completedTask);
        JsonElement deal = await _rpc.CallAsync("iex_getDeal", task.GetProperty("dealId").GetString());
        JsonElement pool = await _rpc.CallAsync("iex_getPool", deal.GetProperty("workerpool").GetString());

        IPage page = await OpenAsync();
        await page.GotoAsync(Url + $"#/task/{_completedTask}");
        await page.Locator("[data-field=status]").WaitForAsync();
        Assert.That(await page.Locator("[data-field=status] td").TextContentAsync(), Is.EqualTo("completed"));
        Assert.That(await page.Locator("[data-field=resultDigest] code").TextContentAsync(), Is.EqualTo(task.GetProperty("resultDigest").GetString()));
        Assert.That(await page.Locator("[data-field=consensusHash] code").TextContentAsync(), Is.EqualTo(task.GetProperty("consensusHash").GetString()));
        Assert.That(await page.Locator("[data-field=outcome] td").TextContentAsync(), Is.EqualTo(task.GetProperty("outcome").GetString()));
        var replicas = task.GetProperty("replicas").EnumerateArray().ToList();
        ILocator replicaRows = page.Locator("table[data-list=replicas] tbody tr");
        Assert.That(await replicaRows.CountAsync(), Is.EqualTo(replicas.Count));
        Assert.That(await replicaRows.First.Locator("td").First.Locator("a").GetAttributeAsync("title"), Is.EqualTo(replicas[0].GetProperty("worker").GetString()));
        Assert.That(await replicaRows.First.Locator("td").Nth(1).TextContentAsync(), Is.EqualTo(replicas[0].GetProperty("status").GetString()));
        Assert.That(await replicaRows.First.Locator("td").Nth(4).Locator("span").GetAttributeAsync("title"), Is.EqualTo(replicas[0].GetProperty("resultHash").GetString()), "the contribution");
        Assert.That(await replicaRows.First.Locator("td").Nth(5).Locator("span").GetAttributeAsync("title"), Is.EqualTo(replicas[0].GetProperty("resultDigest").GetString()), "the reveal");
        await Screenshots.TakeAsync(page, "browse-task");

        // Task → deal by its link.
        await page.Locator("[data-field=dealId] a").ClickAsync();
        await page.Locator("[data-field=requester]").WaitForAsync();
        Assert.That(await page.Locator("[data-field=requester] a").GetAttributeAsync("title"), Is.EqualTo(deal.GetProperty("requester").GetString()));
        Assert.That(await page.Locator("[data-field=workerpoolPrice] td").TextContentAsync(), Is.EqualTo(Rlc(deal.GetProperty("workerpoolPrice"))));
        ILocator dealTasks = page.Locator("table[data-list=tasks] tbody tr");
        await dealTasks.First.Locator("a").First.WaitForAsync();
        Assert.That(await dealTasks.First.Locator("td").First.Locator("a").GetAttributeAsync("title"), Is.EqualTo(_completedTask));
        await Screenshots.TakeAsync(page, "browse-deal");

        // Deal → workerpool by its link: workers and their scores.
        await page.Locator("[data-field=workerpool] a").ClickAsync();
        ILocator workers = page.Locator("table[data-list=pool-workers] tbody tr");
        await workers.First.Locator("a").WaitForAsync();
        var expected = pool.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("address").GetString()).ToList();
        var shownWorkers = new List<string?>();
        foreach (ILocator row in await workers.AllAsync()) shownWorkers.Add(await row.Locator("a").GetAttributeAsync("title"));
        Assert.That(shownWorkers, Is.EqualTo(expected));
        await Screenshots.TakeAsync(page, "browse-pool");

        // The market: the demo pool's open workerpool orders are in the book.
        await page.GotoAsync(Url + "#/market");
        ILocator orders = page.Locator("table[data-list=orders] tbody tr");
        await orders.First.Locator("a").First.WaitForAsync();
        JsonElement book = await _rpc.CallAsync("iex_getOrderBook", new { kind = "workerpool", limit = 100 });
        var shownOrders = new List<string?>();
        foreach (ILocator row in await orders.AllAsync()) shownOrders.Add(await row.Locator("td").First.Locator("a").GetAttributeAsync("title"));
        foreach (JsonElement order in book.GetProperty("orders").EnumerateArray())
            Assert.That(shownOrders, Does.Contain(order.GetProperty("hash").GetString()), "a workerpool order of the book");
        await page.Locator("[data-field=deals]").WaitForAsync();
        Assert.That(ulong.Parse(Clean(await page.Locator("[data-field=deals] td").TextContentAsync()), NumberStyles.AllowThousands, English), Is.GreaterThanOrEqualTo(1UL));
        await Screenshots.TakeAsync(page, "browse-market");
    }

    [Test]
    public async Task Order_app_and_dataset_pages_show_the_records_of_the_demo_deal()
    {
        JsonElement task = await _rpc.CallAsync("iex_getTask", _completedTask);
        JsonElement deal = await _rpc.CallAsync("iex_getDeal", task.GetProperty("dealId").GetString());
        string appOrderHash = deal.GetProperty("appOrderHash").GetString()!;
        JsonElement order = await _rpc.CallAsync("iex_getOrder", appOrderHash);
        JsonElement app = await _rpc.CallAsync("iex_getApp", deal.GetProperty("app").GetString());

        IPage page = await OpenAsync();
        await page.GotoAsync(Url + $"#/order/{appOrderHash}");
        await page.Locator("[data-field=owner]").WaitForAsync();
        Assert.That(await page.Locator("[data-field=kind] td").TextContentAsync(), Is.EqualTo("app order"));
        Assert.That(await page.Locator("[data-field=owner] a").GetAttributeAsync("title"), Is.EqualTo(order.GetProperty("owner").GetString()));
        Assert.That(await page.Locator("[data-field=status] td").TextContentAsync(), Is.EqualTo(order.GetProperty("status").GetString()));
        Assert.That(await page.Locator("[data-record=order-terms] [data-field=price] td").TextContentAsync(),
            Is.EqualTo(Rlc(ulong.Parse(order.GetProperty("order").GetProperty("price").GetString()!, CultureInfo.InvariantCulture))));
        await Screenshots.TakeAsync(page, "browse-order");

        // Order → app by its link.
        await page.Locator("[data-record=order-terms] [data-field=app] a").ClickAsync();
        await page.Locator("[data-field=name]").WaitForAsync();
        Assert.That(await page.Locator("main h1").TextContentAsync(), Is.EqualTo($"App “{app.GetProperty("name").GetString()}”"));
        Assert.That(await page.Locator("[data-field=owner] a").GetAttributeAsync("title"), Is.EqualTo(app.GetProperty("owner").GetString()));
        Assert.That(await page.Locator("[data-field=status] td").TextContentAsync(), Is.EqualTo(app.GetProperty("status").GetString()));
        await Screenshots.TakeAsync(page, "browse-app");

        // The demo's dataset, from the dataset order book.
        JsonElement datasetOrders = await _rpc.CallAsync("iex_getOrderBook", new { kind = "dataset", limit = 1 });
        string datasetId = datasetOrders.GetProperty("orders")[0].GetProperty("order").GetProperty("dataset").GetString()!;
        JsonElement dataset = await _rpc.CallAsync("iex_getDataset", datasetId);
        await page.GotoAsync(Url + $"#/dataset/{datasetId}");
        await page.Locator("[data-field=name]").WaitForAsync();
        Assert.That(await page.Locator("[data-field=name] td").TextContentAsync(), Is.EqualTo(dataset.GetProperty("name").GetString()));
        Assert.That(await page.Locator("[data-field=owner] a").GetAttributeAsync("title"), Is.EqualTo(dataset.GetProperty("owner").GetString()));
        await Screenshots.TakeAsync(page, "browse-dataset");
    }

    [Test]
    public async Task Governance_checkpoint_and_bridge_pages_show_what_the_rpc_gives()
    {
        IPage page = await OpenAsync();
        await page.GotoAsync(Url + "#/governance");
        ILocator parameters = page.Locator("table[data-list=parameters] tbody tr");
        await parameters.First.WaitForAsync();
        JsonElement governable = await _rpc.CallAsync("iex_getGovernableParameters");
        var names = governable.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.That(await parameters.Locator("td:first-child").AllTextContentsAsync(), Is.EqualTo(names));
        Assert.That(await page.Locator("table[data-list=proposals] tbody").TextContentAsync(), Is.EqualTo("No proposals yet."), "the devnet has none");
        await Screenshots.TakeAsync(page, "browse-governance");

        await page.GotoAsync(Url + "#/checkpoints");
        ILocator checkpoints = page.Locator("table[data-list=checkpoints] tbody tr");
        await checkpoints.First.Locator("a").First.WaitForAsync();
        string first = Clean(await checkpoints.First.Locator("td").First.TextContentAsync()).TrimStart('#');
        JsonElement checkpoint = await _rpc.CallAsync("iex_getCheckpoint", first);
        Assert.That(Clean(await checkpoints.First.Locator("td").Nth(1).TextContentAsync()),
            Is.EqualTo(Clean($"{Int(checkpoint.GetProperty("firstHeight"))} – {Int(checkpoint.GetProperty("lastHeight"))}")));
        Assert.That(await checkpoints.First.Locator("td").Nth(4).TextContentAsync(), Is.EqualTo("not reported anchored"), "no relayer on this devnet");
        await Screenshots.TakeAsync(page, "browse-checkpoints");
        await checkpoints.First.Locator("a").First.ClickAsync();
        await page.Locator("[data-field=digest]").WaitForAsync();
        Assert.That(await page.Locator("[data-field=digest] code").TextContentAsync(), Is.EqualTo(checkpoint.GetProperty("digest").GetString()));

        await page.GotoAsync(Url + "#/bridge");
        await page.Locator("[data-field=bridgedSupply]").WaitForAsync();
        JsonElement bridge = await _rpc.CallAsync("iex_bridgeStatus");
        Assert.That(await page.Locator("[data-field=bridgedSupply] td").TextContentAsync(), Is.EqualTo(Rlc(bridge.GetProperty("bridgedSupply"))));
        await Screenshots.TakeAsync(page, "browse-bridge");
    }

    [Test]
    public async Task Bad_and_unknown_ids_are_explained_in_place()
    {
        IPage page = await OpenAsync();
        await page.GotoAsync(Url + "#/tx/0x1234");
        Assert.That(await page.Locator("main [role=alert]").TextContentAsync(), Is.EqualTo("Not a valid transaction id: “0x1234” (expected 0x followed by 64 hex digits)."));
        await page.GotoAsync(Url + "#/block/999999999");
        await page.Locator("[data-not-found]").WaitForAsync();
        Assert.That(await page.Locator("[data-not-found]").TextContentAsync(), Does.Match("^No block 999999999 yet: the head is [0-9,]+\\.$"));
        string unknown = "0x" + new string('0', 63) + "2";
        await page.GotoAsync(Url + $"#/deal/{unknown}");
        await page.Locator("[data-not-found]").WaitForAsync();
        Assert.That(await page.Locator("[data-not-found]").TextContentAsync(), Is.EqualTo($"No deal {unknown} on this chain."));

        // An id of the right shape that the node refuses: its error message is shown in place of the page.
        await page.GotoAsync(Url + "#/proposal/99999999999999999999");
        ILocator refused = page.Locator("main [role=alert]");
        await refused.WaitForAsync();
        Assert.That(await refused.TextContentAsync(), Does.StartWith("Could not show this page: ").And.Contain("'99999999999999999999' is above 2^64 - 1"));
    }

    [Test]
    public async Task Pages_fit_a_390_pixel_phone()
    {
        JsonElement task = await _rpc.CallAsync("iex_getTask", _completedTask);
        string tx = (await FindTransactionAsync("transfer")).GetProperty("hash").GetString()!;
        IPage page = await OpenAsync(390, 844);
        foreach (var (route, ready, name) in new[]
                 {
                     ("#/blocks", "table[data-list=blocks] tbody tr a", "blocks"),
                     ("#/block/5", "[data-field=hash]", "block"),
                     ($"#/tx/{tx}", "[data-field=from]", "tx"),
                     ($"#/account/{_devnet.UserAccount}", "[data-field=balance]", "account"),
                     ($"#/task/{_completedTask}", "[data-field=status]", "task"),
                     ($"#/deal/{task.GetProperty("dealId").GetString()}", "[data-field=requester]", "deal"),
                     ("#/market", "table[data-list=orders] tbody tr a", "market"),
                 })
        {
            await page.GotoAsync(Url + route);
            await page.Locator(ready).First.WaitForAsync();
            int overflow = await page.EvaluateAsync<int>("() => document.scrollingElement.scrollWidth - innerWidth");
            Assert.That(overflow, Is.LessThanOrEqualTo(0), $"{route} is wider than the phone's screen");
            await Screenshots.TakeAsync(page, $"browse-{name}-phone");
        }
    }

    /// <summary>A recent included transaction of this type (the newest blocks first, then the chain's start).</summary>
    private async Task<JsonElement> FindTransactionAsync(string type)
    {
        JsonElement recent = await _rpc.CallAsync("iex_listTransactions", new { limit = 100 });
        foreach (JsonElement t in recent.GetProperty("items").EnumerateArray())
            if (t.GetProperty("type").GetString() == type && t.GetProperty("status").GetString() == "success") return t;
        // The demo registers and places its records in its first blocks.
        for (int height = 1; height <= 60; height++)
        {
            JsonElement block = await _rpc.CallAsync("iex_getBlockByNumber", height.ToString(CultureInfo.InvariantCulture), true);
            foreach (JsonElement t in block.GetProperty("transactions").EnumerateArray())
                if (t.GetProperty("type").GetString() == type) return t;
        }
        throw new AssertionException($"no {type} transaction on the devnet");
    }

    /// <summary>An nRLC quantity as the pages write it: exact RLC, thousands grouped, no trailing zeros.</summary>
    private static string Rlc(JsonElement quantity) => Rlc(JsonRpcClient.Quantity(quantity));

    private static string Rlc(ulong nrlc)
    {
        string fraction = (nrlc % 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        return (nrlc / 1_000_000_000).ToString("N0", English) + (fraction.Length > 0 ? "." + fraction : "") + " RLC";
    }

    private static string Int(JsonElement quantity) => Int(JsonRpcClient.Quantity(quantity));

    private static string Int(ulong value) => value.ToString("N0", English);

    private static string Clean(string? text) => (text ?? "").Replace(",", "", StringComparison.Ordinal).Trim();
}
