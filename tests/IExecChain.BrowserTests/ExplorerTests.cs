using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using IExecChain.Rpc.Contracts.Client;
using Microsoft.Playwright;
using NUnit.Framework;

namespace IExecChain.BrowserTests;

/// <summary>
/// The explorer in a real browser (Debian's chromium), served by a real single-validator devnet node.
/// Every page of every test must log no console error and throw no page error (checked in teardown).
/// Screenshots go to TestResults/browser/.
/// </summary>
[TestFixture]
[NonParallelizable]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Created in OneTimeSetUp and disposed in OneTimeTearDown")]
public sealed partial class ExplorerTests : BrowserFixture
{
    // Deadlines for conditions, generous for a busy 2-core CI machine: met early, they return at once.
    private static readonly TimeSpan NodeStart = TimeSpan.FromSeconds(90);
    private const float Patience = 60_000;
    // The uncompressed script and style sheet together (73 KB + 6 KB on 2026-12-05): room to grow, not to bloat.
    private const long BundleBudgetBytes = 256 * 1024;

    private DevNode _node = null!;
    private JsonRpcClient _rpc = null!;

    private string Url => _node.Rpc.ToString();

    [OneTimeSetUp]
    public async Task Start_a_devnet_node()
    {
        _node = new DevNode();
        await _node.StartAsync(NodeStart);
        _rpc = new JsonRpcClient(_node.Rpc, TimeSpan.FromSeconds(10));
        var deadline = Stopwatch.StartNew();
        while (await HeightAsync() < 3)
        {
            if (deadline.Elapsed > NodeStart) Assert.Fail($"the node did not reach height 3 in {NodeStart}:\n{_node.Output}");
            await Task.Delay(100);
        }

        // The node's first answers compile its RPC paths (JIT); a user meets a node that has been
        // running. This first load is reported, and must be clean, but is not the measured one.
        await using WatchedPage first = await WatchedPage.OpenAsync(Browser);
        await first.Page.GotoAsync(Url);
        await WaitReadyAsync(first.Page);
        double ms = await ReadyMillisecondsAsync(first.Page);
        Record($"first load after the node started (JIT warm-up): interactive after {ms.ToString("F0", CultureInfo.InvariantCulture)} ms");
        Assert.That(first.Errors, Is.Empty, "the browser reported errors on the first load");
    }

    [OneTimeTearDown]
    public void Stop_the_node()
    {
        _rpc?.Dispose();
        _node?.Dispose();
    }

    [Test]
    public async Task Dashboard_shows_the_node_height_and_follows_new_blocks_over_the_websocket()
    {
        IPage page = await OpenAsync();
        int headNotifications = 0;
        page.WebSocket += (_, socket) => socket.FrameReceived += (_, frame) =>
        {
            if (frame.Text is { } text && text.Contains("\"iex_subscription\"", StringComparison.Ordinal) && text.Contains("\"parentHash\"", StringComparison.Ordinal))
                Interlocked.Increment(ref headNotifications);
        };

        ulong before = await HeightAsync();
        await page.GotoAsync(Url);
        await WaitReadyAsync(page);
        ulong shown = await ShownHeightAsync(page);
        ulong after = await HeightAsync();
        Assert.That(shown, Is.InRange(before, after), "the dashboard's height is not the node's (iex_blockNumber before and after the load)");

        // Live: the figure moves on with the chain, in the same document (no reload), fed by newHeads.
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");
        await page.WaitForFunctionAsync(
            "h => Number(document.querySelector('[data-figure=height]').textContent.replace(/,/g, '')) >= h",
            (double)(shown + 5), new PageWaitForFunctionOptions { Timeout = Patience, PollingInterval = 50 });
        Assert.That(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), Is.True, "the page reloaded");
        // Playwright reports frames asynchronously: give its events time to arrive, then count.
        var frames = Stopwatch.StartNew();
        while (Volatile.Read(ref headNotifications) < 5 && frames.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
        Assert.That(Volatile.Read(ref headNotifications), Is.GreaterThanOrEqualTo(5), "newHeads notifications received over the page's WebSocket");
        Assert.That(await ShownHeightAsync(page), Is.LessThanOrEqualTo(await HeightAsync()), "the dashboard shows a height the node has not reached");
        Assert.That(await page.Locator("#conn").TextContentAsync(), Is.EqualTo("live"));

        // The single validator is listed with its standing.
        string validator = (await _rpc.CallAsync("iex_nodeInfo")).GetProperty("validator").GetString()!;
        ILocator rows = page.Locator("section[aria-labelledby=dash-validators] tbody tr");
        await rows.First.WaitForAsync();
        Assert.That(await rows.CountAsync(), Is.EqualTo(1));
        Assert.That(await rows.First.Locator("a").GetAttributeAsync("href"), Is.EqualTo($"#/account/{validator}"));
        Assert.That(await rows.First.Locator("td").Last.TextContentAsync(), Is.EqualTo("active"));

        // The table is updated in place: a keyboard user on the validator's link keeps the focus while
        // new heads arrive and the row's figures change (its "Signed" count, column 5).
        await rows.First.Locator("a").FocusAsync();
        string signed = (await rows.First.Locator("td").Nth(4).TextContentAsync())!;
        await page.WaitForFunctionAsync("s => document.querySelector('section[aria-labelledby=dash-validators] tbody tr td:nth-child(5)').textContent !== s",
            signed, new PageWaitForFunctionOptions { Timeout = Patience, PollingInterval = 100 });
        Assert.That(await page.EvaluateAsync<string?>("() => document.activeElement?.getAttribute('href')"), Is.EqualTo($"#/account/{validator}"),
            "the validators' refresh took the keyboard focus off the link");

        await Screenshots.TakeAsync(page, "dashboard");
    }

    [Test]
    public async Task Dashboard_is_drawn_after_one_round_of_requests_and_its_load_time_is_recorded()
    {
        // The issue's "interactive in at most 1 s" is a wall-clock figure, and this project runs beside
        // four-validator integration tests on a 2-core CI machine: there a load took 1.7 s once, on the
        // same code that takes 0.3 s alone. So the figure is recorded here and held to 1 s by
        // benchmarks/explorer-interactive.sh on a quiet machine (docs/decisions.md, "Timing in tests").
        // What this test holds, whatever the load, is what decides that figure: the page waits for no
        // more than the document, its two bundle files and ONE round of RPC calls sent together, and the
        // bundle stays small. Three first visits, each in a fresh browser context (nothing cached).
        var times = new List<double>();
        for (int visit = 0; visit < 3; visit++)
        {
            IPage page = await OpenAsync();
            // When the app called fetch and when each answer came back (Resource Timing's start is
            // when the network layer took the request, later than the call).
            await page.AddInitScriptAsync("""
                (() => {
                  const native = window.fetch;
                  window.__calls = [];
                  window.fetch = (...args) => {
                    const call = { sent: performance.now(), answered: null };
                    window.__calls.push(call);
                    return native(...args).then((r) => { call.answered = performance.now(); return r; });
                  };
                })();
                """);
            await page.GotoAsync(Url);
            await WaitReadyAsync(page);
            times.Add(await ReadyMillisecondsAsync(page));
            // Ready means drawn with data, not an empty frame.
            Assert.That(await page.Locator("[data-figure=height]").TextContentAsync(), Does.Match("^[0-9,]+$"));
            Assert.That(await page.Locator("section[aria-labelledby=dash-validators] tbody tr").CountAsync(), Is.GreaterThanOrEqualTo(1));

            // Every resource the page fetched before it was ready, from the browser's Resource Timing.
            string json = await page.EvaluateAsync<string>("""
                () => {
                  const ready = performance.getEntriesByName('explorer-ready')[0].startTime;
                  const before = performance.getEntriesByType('resource').filter((e) => e.startTime < ready);
                  return JSON.stringify(before.map((e) => ({ name: new URL(e.name).pathname, kind: e.initiatorType, start: e.startTime, end: e.responseEnd, bytes: e.decodedBodySize })));
                }
                """);
            using var entries = System.Text.Json.JsonDocument.Parse(json);
            var resources = entries.RootElement.EnumerateArray().Select(e => (
                Name: e.GetProperty("name").GetString()!, Kind: e.GetProperty("kind").GetString()!,
                Start: e.GetProperty("start").GetDouble(), End: e.GetProperty("end").GetDouble(), Bytes: e.GetProperty("bytes").GetInt64())).ToList();
            var assets = resources.Where(r => r.Name.StartsWith("/assets/", StringComparison.Ordinal)).ToList();
            var calls = resources.Where(r => r.Kind == "fetch").ToList();
            string all = string.Join("; ", resources.Select(r => $"{r.Kind} {r.Name} {r.Start:F0}-{r.End:F0} ms {r.Bytes} B"));
            Assert.That(resources.Count, Is.EqualTo(assets.Count + calls.Count), $"the page fetched something that is neither its bundle nor an RPC call before it was ready: {all}");
            Assert.That(assets.Select(a => Path.GetExtension(a.Name)).Order(), Is.EqualTo(new[] { ".css", ".js" }), $"the bundle is one script and one style sheet: {all}");
            Assert.That(assets.Sum(a => a.Bytes), Is.LessThanOrEqualTo(BundleBudgetBytes), $"the bundle outgrew its budget: {all}");
            Assert.That(calls, Is.Not.Empty, "the dashboard was drawn without data");
            Assert.That(calls.Count, Is.LessThanOrEqualTo(5), $"RPC calls before the first drawing: {all}");
            // One round trip: every call before the first drawing was sent before the first answer came
            // back (Promise.all, not a chain of awaits).
            string round = await page.EvaluateAsync<string>("""
                () => {
                  const ready = performance.getEntriesByName('explorer-ready')[0].startTime;
                  const before = window.__calls.filter((c) => c.sent < ready);
                  return JSON.stringify({ count: before.length, lastSent: Math.max(...before.map((c) => c.sent)), firstAnswer: Math.min(...before.map((c) => c.answered ?? Infinity)) });
                }
                """);
            using var roundFigures = System.Text.Json.JsonDocument.Parse(round);
            var r = roundFigures.RootElement;
            Assert.That(r.GetProperty("count").GetInt32(), Is.EqualTo(calls.Count), "fetch calls seen by the page and by Resource Timing");
            Assert.That(r.GetProperty("lastSent").GetDouble(), Is.LessThan(r.GetProperty("firstAnswer").GetDouble()), $"the dashboard waited for an answer before sending its next call: {round}; {all}");
            await CloseLastPageAsync();
        }
        double median = times.Order().ElementAt(1);
        Record($"dashboard interactive after {string.Join(", ", times.Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))} ms; median {median.ToString("F0", CultureInfo.InvariantCulture)} ms (performance mark 'explorer-ready': first data drawn, from navigation start)");
    }

    [Test]
    public async Task Dashboard_aggregates_5_blocks_and_1000_task_events_a_second_into_at_most_4_drawings()
    {
        IPage page = await OpenAsync();
        // Keep a handle on the page's WebSocket (the app's, not a second one) to feed it events.
        await page.AddInitScriptAsync("""
            (() => {
              const Native = window.WebSocket;
              window.__sockets = [];
              window.WebSocket = class extends Native {
                constructor(...args) {
                  super(...args);
                  window.__sockets.push(this);
                  this.__sent = [];
                  this.__answers = {};
                  this.addEventListener('message', (e) => { const m = JSON.parse(e.data); if (m.id !== undefined) this.__answers[m.id] = m.result; });
                }
                send(text) { this.__sent.push(JSON.parse(text)); super.send(text); }
              };
            })();
            """);
        await page.GotoAsync(Url);
        await WaitReadyAsync(page);
        await page.WaitForFunctionAsync("() => document.querySelector('#conn').textContent === 'live'", null, new PageWaitForFunctionOptions { Timeout = Patience });

        // For 5 s, in the page: the node's notifications as they would come at 5 blocks/s and 1,000
        // task completions/s, dispatched into the app's socket; drawings counted by the throughput
        // chart's path updates; the main thread's stalls measured by a 20 ms timer.
        string result = await page.EvaluateAsync<string>("""
            async () => {
              const socket = window.__sockets.at(-1);
              const ids = {};
              const deadline = performance.now() + 30000;
              while (!(typeof ids.newHeads === 'string' && typeof ids.tasks === 'string')) {
                if (performance.now() > deadline) throw new Error('the app did not subscribe to newHeads and tasks');
                for (const m of socket.__sent) if (m.method === 'iex_subscribe' && typeof socket.__answers[m.id] === 'string') ids[m.params[0]] = socket.__answers[m.id];
                await new Promise((r) => setTimeout(r, 20));
              }
              const notify = (id, result) => socket.dispatchEvent(new MessageEvent('message', { data: JSON.stringify({ jsonrpc: '2.0', method: 'iex_subscription', params: { subscription: id, result } }) }));
              const path = document.querySelector('.chart-line');
              let draws = 0;
              new MutationObserver((records) => { draws += records.filter((r) => r.target === path).length; }).observe(path, { attributes: true, attributeFilter: ['d'] });
              let maxLag = 0;
              let lastTick = performance.now();
              const probe = setInterval(() => { const now = performance.now(); maxLag = Math.max(maxLag, now - lastTick - 20); lastTick = now; }, 20);
              const start = performance.now();
              let height = 1000000;
              let tasks = 0;
              let heads = 0;
              // 25 heads and 5,000 task events on the schedule of 5 s, each batch catching up with the clock; on a
              // starved CPU the feed runs late but still delivers all of them.
              while (heads < 25 || tasks < 5000) {
                const elapsed = Math.min(performance.now() - start, 4999);
                while (heads < Math.floor(elapsed / 200) + 1) {
                  height++; heads++;
                  notify(ids.newHeads, { number: '0x' + height.toString(16), hash: '0x' + '0'.repeat(64), parentHash: '0x' + '0'.repeat(64), timestamp: '0x' + Date.now().toString(16), transactionCount: '0x64', proposer: '0x' + '0'.repeat(40) });
                }
                while (tasks < Math.floor(elapsed) + 1) {
                  tasks++;
                  notify(ids.tasks, { event: 'completed', taskId: '0x' + tasks.toString(16).padStart(64, '0'), dealId: '0x' + '1'.repeat(64), requester: '0x' + '2'.repeat(40), status: 'completed', blockNumber: '0x' + height.toString(16) });
                }
                await new Promise((r) => setTimeout(r, 10));
              }
              const seconds = (performance.now() - start) / 1000;
              await new Promise((r) => setTimeout(r, 600));
              clearInterval(probe);
              return JSON.stringify({ seconds, draws, heads, tasks, maxLag, height, shown: document.querySelector('[data-figure=height]').textContent, tasksRate: document.querySelectorAll('.chart-latest')[2].textContent });
            }
            """);
        using var figures = System.Text.Json.JsonDocument.Parse(result);
        var r = figures.RootElement;
        double seconds = r.GetProperty("seconds").GetDouble();
        int draws = r.GetProperty("draws").GetInt32();
        Record($"aggregation: {r.GetProperty("heads").GetInt32()} heads and {r.GetProperty("tasks").GetInt32()} task events in {seconds.ToString("F1", CultureInfo.InvariantCulture)} s drew {draws} times; longest main-thread stall {r.GetProperty("maxLag").GetDouble().ToString("F0", CultureInfo.InvariantCulture)} ms; tasks chart latest {r.GetProperty("tasksRate").GetString()}/s");

        // The rate the page took them at is recorded (1,000/s on a quiet machine); what must hold on any machine:
        // every event taken, and the drawings coalesced over however long that took.
        Assert.That((r.GetProperty("heads").GetInt32(), r.GetProperty("tasks").GetInt32()), Is.EqualTo((25, 5000)), "every event was fed");
        Assert.That(draws, Is.LessThanOrEqualTo((int)(seconds * 4) + 4), "drawings are coalesced: at most one per 250 ms");
        Assert.That(draws, Is.GreaterThanOrEqualTo(4), "the page kept drawing under the load");
        Assert.That(r.GetProperty("shown").GetString()!.Replace(",", "", StringComparison.Ordinal), Is.EqualTo(r.GetProperty("height").GetInt32().ToString(CultureInfo.InvariantCulture)), "the last head is shown");
    }

    [Test]
    public async Task The_app_is_served_with_a_strict_content_security_policy_and_no_inline_script()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, _node.Rpc);
        request.Headers.Accept.ParseAdd("text/html");
        using HttpResponseMessage response = await http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        AssertStrictPolicy(response);
        string html = await response.Content.ReadAsStringAsync();

        // No inline script: every <script> names a file of the bundle.
        var scripts = ScriptTag().Matches(html);
        Assert.That(scripts, Is.Not.Empty);
        foreach (Match script in scripts) Assert.That(script.Value, Does.Match("src=\"/assets/[^\"]+\\.js\""), "an inline script");
        Assert.That(html, Does.Not.Contain(" style=").And.Not.Contain("<style"), "inline style");
        Assert.That(html, Does.Not.Match("\\son[a-z]+="), "an inline event handler");

        // Assets: their own content types, cached for good under their hashed names, revalidated by ETag.
        var assets = AssetReference().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.That(assets, Has.Some.EndsWith(".js").And.Some.EndsWith(".css"));
        foreach (string asset in assets)
        {
            using HttpResponseMessage file = await http.GetAsync(new Uri(_node.Rpc, asset));
            Assert.That(file.StatusCode, Is.EqualTo(HttpStatusCode.OK), asset);
            Assert.That(file.Content.Headers.ContentType?.MediaType, Is.EqualTo(asset.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript" : "text/css"), asset);
            Assert.That(file.Headers.CacheControl?.ToString(), Does.Contain("immutable"), asset);
            AssertStrictPolicy(file);
            using var again = new HttpRequestMessage(HttpMethod.Get, new Uri(_node.Rpc, asset));
            again.Headers.IfNoneMatch.Add(file.Headers.ETag!);
            using HttpResponseMessage cached = await http.SendAsync(again);
            Assert.That(cached.StatusCode, Is.EqualTo(HttpStatusCode.NotModified), asset);
        }
        using HttpResponseMessage missing = await http.GetAsync(new Uri(_node.Rpc, "/assets/none.js"));
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        // Not a browser: GET / keeps its plain-text description; POST / is JSON-RPC as before.
        using HttpResponseMessage plain = await http.GetAsync(_node.Rpc);
        Assert.That(plain.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
        Assert.That(await plain.Content.ReadAsStringAsync(), Does.StartWith("iExecChain JSON-RPC 2.0 endpoint"));
        Assert.That(await HeightAsync(), Is.GreaterThan(0UL));

        // The browser enforces Trusted Types on the app: a string written as HTML is refused. (A page
        // of its own, not watched: the refusal is logged as a console error on purpose.)
        IBrowserContext context = await Browser.NewContextAsync();
        try
        {
            IPage probe = await context.NewPageAsync();
            await probe.GotoAsync(Url);
            await WaitReadyAsync(probe);
            string outcome = await probe.EvaluateAsync<string>("() => { try { document.body.insertAdjacentHTML('beforeend', '<b>x</b>'); return 'written'; } catch (e) { return e.name; } }");
            Assert.That(outcome, Is.EqualTo("TypeError"), "HTML from a string was written: Trusted Types are not enforced");
        }
        finally
        {
            await context.CloseAsync();
        }

        // The browser gets the same header and runs the page under it without a violation (teardown).
        IPage page = await OpenAsync();
        IResponse? loaded = await page.GotoAsync(Url);
        Assert.That(loaded, Is.Not.Null);
        Assert.That(await loaded!.HeaderValueAsync("content-security-policy"), Does.Contain("script-src 'self'"));
        await WaitReadyAsync(page);
    }

    [Test]
    public async Task Dashboard_fits_a_390_px_phone_without_horizontal_scrolling()
    {
        IPage page = await OpenAsync(width: 390, height: 844);
        await page.GotoAsync(Url);
        await WaitReadyAsync(page);
        await page.Locator("section[aria-labelledby=dash-validators] tbody tr").First.WaitForAsync();
        int overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.That(overflow, Is.LessThanOrEqualTo(0), "the page is wider than the phone's screen");
        int visibleFigures = await page.EvaluateAsync<int>(
            "() => [...document.querySelectorAll('.figure')].filter(e => { const r = e.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth; }).length");
        Assert.That(visibleFigures, Is.EqualTo(await page.Locator(".figure").CountAsync()), "a figure sticks out of the screen");
        await Screenshots.TakeAsync(page, "dashboard-phone");
    }

    [Test]
    public async Task Keyboard_reaches_the_nav_links_with_tab_and_enter_follows_them()
    {
        IPage page = await OpenAsync();
        await page.GotoAsync(Url + "#/nowhere");
        await WaitReadyAsync(page);
        Assert.That(await page.Locator("h1").TextContentAsync(), Is.EqualTo("Not found"));

        string? focused = null;
        for (int i = 0; i < 15 && focused != "#/"; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            focused = await page.EvaluateAsync<string?>("() => document.activeElement?.closest('nav') ? document.activeElement.getAttribute('href') : null");
        }
        Assert.That(focused, Is.EqualTo("#/"), "Tab never reached the Dashboard link of the nav");
        Assert.That(await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle"), Is.Not.EqualTo("none"), "the focus is not visible");

        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => location.hash === '#/' && document.querySelector('main h1')?.textContent === 'Dashboard'",
            null, new PageWaitForFunctionOptions { Timeout = Patience });
        Assert.That(await page.Locator("nav a[href='#/']").GetAttributeAsync("aria-current"), Is.EqualTo("page"));
        await page.Locator("[data-figure=height]").Filter(new LocatorFilterOptions { HasTextRegex = new Regex("^[0-9,]+$") }).WaitForAsync();
    }

    private static Task WaitReadyAsync(IPage page) =>
        page.WaitForFunctionAsync("() => document.documentElement.dataset.ready === 'true'", null, new PageWaitForFunctionOptions { Timeout = Patience });

    private static Task<double> ReadyMillisecondsAsync(IPage page) =>
        page.EvaluateAsync<double>("() => performance.getEntriesByName('explorer-ready')[0].startTime");

    private static async Task<ulong> ShownHeightAsync(IPage page)
    {
        string text = (await page.Locator("[data-figure=height]").TextContentAsync())!;
        return ulong.Parse(text.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
    }

    private async Task<ulong> HeightAsync() => JsonRpcClient.Quantity(await _rpc.CallAsync("iex_blockNumber"));

    private static void AssertStrictPolicy(HttpResponseMessage response)
    {
        Assert.That(response.Headers.TryGetValues("Content-Security-Policy", out var values), Is.True, "no Content-Security-Policy header");
        string policy = string.Join(";", values!);
        var directives = policy.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToDictionary(d => d.Split(' ')[0], d => d.Split(' ').Skip(1).ToArray());
        Assert.That(directives["default-src"], Is.EqualTo(new[] { "'self'" }));
        Assert.That(directives["script-src"], Is.EqualTo(new[] { "'self'" }));
        Assert.That(directives["connect-src"], Does.Contain("'self'").And.Some.Match("^ws://127\\.0\\.0\\.1:[0-9]+$"));
        Assert.That(policy, Does.Not.Contain("unsafe-inline").And.Not.Contain("unsafe-eval"));
        Assert.That(directives["require-trusted-types-for"], Is.EqualTo(new[] { "'script'" }));
        Assert.That(directives["trusted-types"], Is.EqualTo(new[] { "'none'" }));
        Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
    }

    private static void Record(string line)
    {
        TestContext.Progress.WriteLine(line);
        File.AppendAllText(Path.Combine(Screenshots.Directory(), "timings.txt"), $"{DateTime.UtcNow:O} {line}\n");
    }

    [GeneratedRegex("<script\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptTag();

    [GeneratedRegex("(?:src|href)=\"(/assets/[^\"]+)\"")]
    private static partial Regex AssetReference();
}
