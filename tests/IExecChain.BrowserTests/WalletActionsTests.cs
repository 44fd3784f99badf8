using System.Text;
using System.Text.Json;
using IExecChain.Rpc.Contracts.Client;
using Microsoft.Playwright;
using NUnit.Framework;

namespace IExecChain.BrowserTests;

/// <summary>
/// The explorer's act half in a real browser: a dev keystore decrypted in the page, a request order
/// placed, confirmed and followed to its task, the result fetched and verified against the chain's
/// digest; bad input explained in place and nothing sent before the user confirms. A devnet whose
/// worker is a full node (`--worker-mode full`), so the worker's own node serves the explorer and the
/// result. Screenshots: TestResults/browser/act-*.png.
/// </summary>
[TestFixture]
[NonParallelizable]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Created in OneTimeSetUp and disposed in OneTimeTearDown")]
public sealed class WalletActionsTests : BrowserFixture
{
    // Generous deadlines for a busy 2-core CI machine: a condition met early returns at once.
    private static readonly TimeSpan DevnetStart = TimeSpan.FromSeconds(300);
    private const float Patience = 90_000;

    // Counts the JSON-RPC requests naming iex_sendRawTransaction that the page hands to fetch, before
    // any script of the app runs.
    private const string CountSends = """
        window.__sends = 0;
        const realFetch = window.fetch;
        window.fetch = function (input, init) {
          if (init && typeof init.body === 'string' && init.body.includes('"iex_sendRawTransaction"')) window.__sends++;
          return realFetch.apply(this, arguments);
        };
        """;

    private MarketDevnet _devnet = null!;
    private JsonRpcClient _rpc = null!;

    private string Url => _devnet.Rpc.ToString();

    [OneTimeSetUp]
    public async Task Start_a_devnet_with_a_full_worker_node()
    {
        _devnet = new MarketDevnet(fullWorker: true);
        await _devnet.StartAsync(DevnetStart);
        _rpc = new JsonRpcClient(_devnet.Rpc, TimeSpan.FromSeconds(30));
    }

    [OneTimeTearDown]
    public void Stop_the_devnet()
    {
        _rpc?.Dispose();
        _devnet?.Dispose();
    }

    [Test]
    public async Task A_request_order_placed_from_the_page_runs_and_its_result_is_verified_in_the_page()
    {
        string app = await DemoAppAsync("echo");
        IPage page = await OpenCountingAsync();
        await UnlockAsync(page);
        Assert.That(await page.EvaluateAsync<int>("() => localStorage.length + sessionStorage.length"), Is.Zero, "nothing stored");
        await Screenshots.TakeAsync(page, "act-wallet");

        ILocator form = page.Locator("form[data-form=request]");
        await form.GetByLabel("App (address)").FillAsync(app);
        await form.GetByLabel("Trust").FillAsync("1");
        await form.GetByLabel("Parameters (the app's arguments)").FillAsync("hello from the browser");
        await form.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();

        // The confirmation shows what will be signed; nothing has gone to the node yet.
        ILocator confirm = page.Locator("[data-action-section=request] [data-confirm]");
        await confirm.WaitForAsync();
        var rows = await ConfirmRowsAsync(confirm);
        Assert.That(rows["Order kind"], Is.EqualTo("request order"));
        Assert.That(rows["App"], Is.EqualTo(app));
        Assert.That(rows["Requester"], Is.EqualTo(_devnet.UserAccount));
        Assert.That(rows["Parameters"], Is.EqualTo("hello from the browser"));
        Assert.That(rows["Workerpool"], Is.EqualTo("any"));
        JsonElement account = await _rpc.CallAsync("iex_getAccount", _devnet.UserAccount);
        Assert.That(rows["Nonce"], Is.EqualTo(JsonRpcClient.Quantity(account.GetProperty("pendingNonce")).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        JsonElement info = await _rpc.CallAsync("iex_nodeInfo");
        Assert.That(rows["Fee"], Does.EndWith($"({JsonRpcClient.Quantity(info.GetProperty("fees").GetProperty("order"))} nRLC)"));
        Assert.That(await page.EvaluateAsync<int>("() => window.__sends"), Is.Zero, "sent before the user confirmed");
        await Screenshots.TakeAsync(page, "act-confirmation");

        await page.Locator("[data-action-section=request] [data-action=send]").ClickAsync();
        ILocator outcome = page.Locator("[data-action-section=request] [data-outcome=success]");
        await outcome.WaitForAsync(new() { Timeout = Patience });
        Assert.That(await page.EvaluateAsync<int>("() => window.__sends"), Is.EqualTo(1));
        string orderHash = (await outcome.Locator("[data-order-link]").GetAttributeAsync("href"))!.Split('/').Last();
        string txId = (await outcome.Locator("[data-tx-link]").GetAttributeAsync("href"))!.Split('/').Last();
        JsonElement receipt = await _rpc.CallAsync("iex_getReceipt", txId);
        Assert.That(receipt.GetProperty("status").GetString(), Is.EqualTo("success"));
        Assert.That(receipt.GetProperty("from").GetString(), Is.EqualTo(_devnet.UserAccount), "signed by the keystore's key");

        // The chain matches the order with the demo's app and workerpool orders: follow it to its task.
        string task = await TaskOfOrderAsync(orderHash);
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");
        await page.EvaluateAsync("t => { location.hash = '#/task/' + t; }", task);
        await page.Locator("main [role=status]", new() { HasTextString = "Final: completed." }).WaitForAsync(new() { Timeout = Patience });
        Assert.That(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), Is.True, "the task page followed the task live");
        string digest = (await _rpc.CallAsync("iex_getTask", task)).GetProperty("resultDigest").GetString()!;

        // The validator runs no worker: the page says so and links the worker's node, whose explorer fetches it.
        await page.Locator("[data-action=fetch-result]").ClickAsync();
        ILocator elsewhere = page.Locator("[data-result=elsewhere]");
        await elsewhere.WaitForAsync();
        string workerPage = (await page.Locator("[data-worker-node]").First.GetAttributeAsync("href"))!;
        Assert.That(workerPage, Is.EqualTo(new Uri(_devnet.WorkerRpc, "/") + "#/task/" + task));
        await page.Locator("[data-worker-node]").First.ClickAsync();
        await page.Locator("[data-action=fetch-result]").ClickAsync(new() { Timeout = Patience });
        ILocator verified = page.Locator("[data-result=verified]");
        await verified.WaitForAsync(new() { Timeout = Patience });
        Assert.That(await verified.TextContentAsync(), Does.Contain(digest));

        using var worker = new JsonRpcClient(_devnet.WorkerRpc, TimeSpan.FromSeconds(30));
        JsonElement result = await worker.CallAsync("iex_getResult", task);
        byte[] stdout = Convert.FromHexString(result.GetProperty("stdout").GetString()![2..]);
        Assert.That(Encoding.UTF8.GetString(stdout), Does.Contain("hello from the browser"), "the echo app ran with the page's parameters");
        IDownload download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-download=stdout]").ClickAsync());
        string saved = await download.PathAsync();
        Assert.That(await File.ReadAllBytesAsync(saved), Is.EqualTo(stdout), "the download is the verified stdout");
        await Screenshots.TakeAsync(page, "act-result-verified");

        // A worker serving other bytes than the agreed result: one byte of stdout changed on the way.
        await page.RouteAsync("**/*", async route =>
        {
            if (route.Request.Method != "POST" || route.Request.PostData?.Contains("\"iex_getResult\"", StringComparison.Ordinal) != true)
            {
                await route.ContinueAsync();
                return;
            }
            IAPIResponse real = await route.FetchAsync();
            var answer = System.Text.Json.Nodes.JsonNode.Parse(await real.TextAsync())!;
            string hex = answer["result"]!["stdout"]!.GetValue<string>();
            answer["result"]!["stdout"] = hex[..^1] + (hex[^1] == '0' ? '1' : '0');
            await route.FulfillAsync(new() { Response = real, Body = answer.ToJsonString() });
        });
        await page.Locator("[data-action=fetch-result]").ClickAsync();
        ILocator mismatch = page.Locator("[data-result=mismatch]");
        await mismatch.WaitForAsync(new() { Timeout = Patience });
        Assert.That(await mismatch.TextContentAsync(), Does.Contain("Mismatch").And.Contain(digest));
        Assert.That(await page.Locator("[data-download]").CountAsync(), Is.Zero, "nothing offered for download");
    }

    [Test]
    public async Task An_order_is_cancelled_on_its_page_and_a_dataset_is_registered_from_the_wallet()
    {
        string app = await DemoAppAsync("echo");
        IPage page = await OpenCountingAsync();
        await UnlockAsync(page);

        // A request order no pool takes (it pays pools nothing), so it stays open.
        ILocator form = page.Locator("form[data-form=request]");
        await form.GetByLabel("App (address)").FillAsync(app);
        await form.GetByLabel("Most paid to the workerpool").FillAsync("0");
        await form.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await page.Locator("[data-action-section=request] [data-action=send]").ClickAsync();
        ILocator placed = page.Locator("[data-action-section=request] [data-outcome=success]");
        await placed.WaitForAsync(new() { Timeout = Patience });
        string orderHash = (await placed.Locator("[data-order-link]").GetAttributeAsync("href"))!.Split('/').Last();

        // Its page, in the same document (the key is unlocked there), offers its owner the cancel.
        await placed.Locator("[data-order-link]").ClickAsync();
        ILocator cancel = page.Locator("[data-action-section=cancel-order]");
        await cancel.GetByRole(AriaRole.Button, new() { Name = "Review the cancel" }).ClickAsync();
        var rows = await ConfirmRowsAsync(cancel.Locator("[data-confirm]"));
        Assert.That(rows["Order hash"], Is.EqualTo(orderHash));
        await cancel.Locator("[data-action=send]").ClickAsync();
        await cancel.Locator("[data-outcome=success]").WaitForAsync(new() { Timeout = Patience });
        Assert.That((await _rpc.CallAsync("iex_getOrder", orderHash)).GetProperty("status").GetString(), Is.EqualTo("cancelled"));

        // A dataset served elsewhere, registered by its content root: its address is named before signing.
        await page.EvaluateAsync("() => { location.hash = '#/wallet'; }");
        ILocator register = page.Locator("[data-action-section=register-dataset]");
        string root = "0x" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await register.GetByLabel("Name").FillAsync("browser-dataset");
        await register.GetByLabel("Content root").FillAsync(root);
        await register.GetByLabel("Size in bytes").FillAsync("1000");
        await register.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        string dataset = (await ConfirmRowsAsync(register.Locator("[data-confirm]")))["The dataset's address will be"];
        await register.Locator("[data-action=send]").ClickAsync();
        await register.Locator("[data-outcome=success]").WaitForAsync(new() { Timeout = Patience });
        JsonElement record = await _rpc.CallAsync("iex_getDataset", dataset);
        Assert.That(record.GetProperty("name").GetString(), Is.EqualTo("browser-dataset"));
        Assert.That(record.GetProperty("owner").GetString(), Is.EqualTo(_devnet.UserAccount));
    }

    [Test]
    public async Task Stake_unstake_and_an_app_registration_from_the_wallet_change_the_chain_as_confirmed()
    {
        IPage page = await OpenCountingAsync();
        await UnlockAsync(page);
        JsonElement before = await _rpc.CallAsync("iex_getAccount", _devnet.UserAccount);

        // Stake 150 RLC as a worker (the devnet's minimum is 100), then unstake 50: the worker stake moves
        // by what was confirmed.
        await RunAsync(page, "stake", async form =>
        {
            await form.GetByLabel("Role").SelectOptionAsync("worker");
            await form.GetByLabel("Amount").FillAsync("150");
        });
        JsonElement staked = await _rpc.CallAsync("iex_getAccount", _devnet.UserAccount);
        Assert.That(JsonRpcClient.Quantity(staked.GetProperty("workerStake")) - JsonRpcClient.Quantity(before.GetProperty("workerStake")), Is.EqualTo(150_000_000_000UL));
        await RunAsync(page, "unstake", async form =>
        {
            await form.GetByLabel("Role").SelectOptionAsync("worker");
            await form.GetByLabel("Amount").FillAsync("50");
        });
        JsonElement unstaked = await _rpc.CallAsync("iex_getAccount", _devnet.UserAccount);
        Assert.That(JsonRpcClient.Quantity(staked.GetProperty("workerStake")) - JsonRpcClient.Quantity(unstaked.GetProperty("workerStake")), Is.EqualTo(50_000_000_000UL));
        Assert.That(unstaked.GetProperty("unbonding").GetArrayLength(), Is.GreaterThan(staked.GetProperty("unbonding").GetArrayLength()), "the unstaked RLC waits out the unbonding period");

        // An app by its content root and size: registered at the address the confirmation named, as typed.
        string root = "0x" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string app = (await RunAsync(page, "register-app", async form =>
        {
            await form.GetByLabel("Name").FillAsync("browser-app");
            await form.GetByLabel("Runtime").SelectOptionAsync("wasm");
            await form.GetByLabel("Content root (or the executable's keccak-256)").FillAsync(root);
            await form.GetByLabel("Size in bytes").FillAsync("4096");
        }, "The app's address will be"))!;
        JsonElement record = await _rpc.CallAsync("iex_getApp", app);
        Assert.That((record.GetProperty("name").GetString(), record.GetProperty("owner").GetString(), record.GetProperty("contentRoot").GetString(), JsonRpcClient.Quantity(record.GetProperty("contentSize"))),
            Is.EqualTo(("browser-app", _devnet.UserAccount, root, 4096UL)));
        Assert.That(await page.EvaluateAsync<int>("() => window.__sends"), Is.EqualTo(3), "one send per confirmed action");
    }

    /// <summary>Fills the wallet form of <paramref name="action"/>, reviews, confirms and waits for success; returns the confirmation row named <paramref name="row"/>, if any.</summary>
    private static async Task<string?> RunAsync(IPage page, string action, Func<ILocator, Task> fill, string? row = null)
    {
        ILocator section = page.Locator($"[data-action-section={action}]");
        await fill(section.Locator("form"));
        await section.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        var rows = await ConfirmRowsAsync(section.Locator("[data-confirm]"));
        await section.Locator("[data-action=send]").ClickAsync();
        ILocator outcome = section.Locator("[data-outcome]:not([data-outcome=pending]):not([data-outcome=sending])");
        await outcome.WaitForAsync(new() { Timeout = Patience });
        Assert.That(await outcome.GetAttributeAsync("data-outcome"), Is.EqualTo("success"), $"{action}: {await outcome.TextContentAsync()}");
        return row is null ? null : rows[row];
    }

    [Test]
    public async Task Bad_input_and_refusals_are_explained_in_place_and_nothing_is_sent_unconfirmed()
    {
        IPage page = await OpenCountingAsync();
        await page.GotoAsync(Url + "#/wallet");
        await page.Locator("#wallet-file").SetInputFilesAsync(_devnet.UserKeystore);
        await page.Locator("#wallet-password").FillAsync("not the password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).ClickAsync();
        ILocator keyError = page.Locator("[data-wallet-error]");
        await keyError.WaitForAsync(new() { Timeout = Patience });
        Assert.That(await keyError.TextContentAsync(), Does.Contain("wrong password"));
        Assert.That(await page.Locator("[data-wallet-address]").CountAsync(), Is.Zero, "still locked");

        await page.Locator("#wallet-password").FillAsync(_devnet.KeystorePassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).ClickAsync();
        await page.Locator("[data-wallet-address]").WaitForAsync(new() { Timeout = Patience });

        // A malformed address: said beside the field, no confirmation, nothing sent.
        ILocator transfer = page.Locator("form[data-form=transfer]");
        await transfer.GetByLabel("To (address)").FillAsync("0x12zz");
        await transfer.GetByLabel("Amount").FillAsync("1");
        await transfer.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        ILocator toError = transfer.Locator(".field-error").First;
        await toError.WaitForAsync();
        Assert.That(await toError.TextContentAsync(), Is.EqualTo("'0x12zz' is not an address: 0x followed by 40 hex digits"));
        Assert.That(await transfer.GetByLabel("To (address)").GetAttributeAsync("aria-invalid"), Is.EqualTo("true"));
        Assert.That(await page.Locator("[data-action-section=transfer] [data-confirm]").CountAsync(), Is.Zero);

        // A well-formed transfer reaches the confirmation; Cancel sends nothing.
        string recipient = "0x" + new string('7', 40);
        await transfer.GetByLabel("To (address)").FillAsync(recipient);
        await transfer.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await page.Locator("[data-action-section=transfer] [data-confirm]").WaitForAsync();
        Assert.That(await transfer.Locator(".field-error").First.IsHiddenAsync(), Is.True, "the fixed field's message is gone");
        await page.Locator("[data-action-section=transfer] [data-action=cancel]").ClickAsync();
        await page.Locator("[data-action-section=transfer] [data-confirm]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.That(await page.EvaluateAsync<int>("() => window.__sends"), Is.Zero, "sent without a confirmation");

        // More than the balance: signed and sent once confirmed, and the chain's refusal is shown in place.
        ulong balance = JsonRpcClient.Quantity((await _rpc.CallAsync("iex_getAccount", _devnet.UserAccount)).GetProperty("balance"));
        await transfer.GetByLabel("Amount").FillAsync($"{balance + 1} nRLC");
        await transfer.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await page.Locator("[data-action-section=transfer] [data-action=send]").ClickAsync();
        ILocator refusal = page.Locator("[data-action-section=transfer] [data-outcome=failed], [data-action-section=transfer] [data-outcome=refused]");
        await refusal.WaitForAsync(new() { Timeout = Patience });
        Assert.That(await page.EvaluateAsync<int>("() => window.__sends"), Is.EqualTo(1));
        string said = (await refusal.TextContentAsync())!;
        if (await refusal.GetAttributeAsync("data-outcome") == "failed")
        {
            string txId = (await refusal.Locator("[data-tx-link]").GetAttributeAsync("href"))!.Split('/').Last();
            JsonElement receipt = await _rpc.CallAsync("iex_getReceipt", txId);
            Assert.That(said, Does.Contain(receipt.GetProperty("error").GetString()), "the receipt's own words");
        }
        // The mempool refuses it at once (the balance cannot cover it), or a block records the failure.
        Assert.That(said, Does.Contain("cannot cover").Or.Contain("insufficient balance"));
        await Screenshots.TakeAsync(page, "act-refused");

        // Lock forgets the key: the unlock form is back.
        await page.Locator("[data-action=lock]").ClickAsync();
        await page.Locator("#wallet-file").WaitForAsync();
        Assert.That(await page.Locator("[data-wallet-address]").CountAsync(), Is.Zero);
    }

    [Test]
    public async Task The_wallet_and_a_confirmation_fit_a_390_pixel_phone()
    {
        IPage page = await OpenCountingAsync(390, 844);
        await UnlockAsync(page);
        ILocator transfer = page.Locator("form[data-form=transfer]");
        await transfer.GetByLabel("To (address)").FillAsync("0x" + new string('7', 40));
        await transfer.GetByLabel("Amount").FillAsync("1");
        await transfer.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await page.Locator("[data-action-section=transfer] [data-confirm]").WaitForAsync();
        int overflow = await page.EvaluateAsync<int>("() => document.scrollingElement.scrollWidth - innerWidth");
        Assert.That(overflow, Is.LessThanOrEqualTo(0), "the wallet is wider than the phone's screen");
        await Screenshots.TakeAsync(page, "act-wallet-phone");
        await page.Locator("[data-action-section=transfer] [data-action=cancel]").ClickAsync();
        Assert.That(await page.EvaluateAsync<int>("() => window.__sends"), Is.Zero);
    }

    private async Task UnlockAsync(IPage page)
    {
        await page.GotoAsync(Url + "#/wallet");
        await page.Locator("#wallet-file").SetInputFilesAsync(_devnet.UserKeystore);
        await page.Locator("#wallet-password").FillAsync(_devnet.KeystorePassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).ClickAsync();
        ILocator address = page.Locator("[data-wallet-address]");
        await address.WaitForAsync(new() { Timeout = Patience });
        Assert.That(await address.TextContentAsync(), Is.EqualTo(_devnet.UserAccount));
        JsonElement account = await _rpc.CallAsync("iex_getAccount", _devnet.UserAccount);
        Assert.That(JsonRpcClient.Quantity(account.GetProperty("balance")), Is.GreaterThan(0UL), "the devnet funds the user account");
    }

    /// <summary>The address of the demo app of that name that an open app order offers.</summary>
    private async Task<string> DemoAppAsync(string name)
    {
        JsonElement book = await _rpc.CallAsync("iex_getOrderBook", new { kind = "app", limit = 100 });
        foreach (JsonElement order in book.GetProperty("orders").EnumerateArray())
        {
            string app = order.GetProperty("order").GetProperty("app").GetString()!;
            JsonElement record = await _rpc.CallAsync("iex_getApp", app);
            if (record.ValueKind == JsonValueKind.Object && record.GetProperty("name").GetString() == name) return app;
        }
        throw new InvalidOperationException($"no open app order offers the demo app '{name}'");
    }

    /// <summary>Waits until the order has a deal, and returns its first task's id.</summary>
    private async Task<string> TaskOfOrderAsync(string orderHash)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMilliseconds(Patience))
        {
            JsonElement order = await _rpc.CallAsync("iex_getOrder", orderHash);
            if (order.ValueKind == JsonValueKind.Object && order.TryGetProperty("deals", out JsonElement deals) && deals.GetArrayLength() > 0)
            {
                JsonElement tasks = await _rpc.CallAsync("iex_listTasks", new { deal = deals[0].GetString() });
                if (tasks.GetProperty("items").GetArrayLength() > 0) return tasks.GetProperty("items")[0].GetProperty("id").GetString()!;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"order {orderHash} made no deal with a task");
    }

    /// <summary>The confirmation's label → value rows, once it is shown.</summary>
    private static async Task<Dictionary<string, string>> ConfirmRowsAsync(ILocator table)
    {
        await table.WaitForAsync(new() { Timeout = Patience });
        var labels = await table.Locator("th").AllTextContentsAsync();
        var values = await table.Locator("td").AllTextContentsAsync();
        return labels.Zip(values).ToDictionary(p => p.First, p => p.Second);
    }

    /// <summary>A watched page that counts the iex_sendRawTransaction calls the app makes (window.__sends).</summary>
    private async Task<IPage> OpenCountingAsync(int width = 1280, int height = 900)
    {
        IPage page = await OpenAsync(width, height);
        await page.Context.AddInitScriptAsync(CountSends);
        return page;
    }
}
