using Microsoft.Playwright;

namespace IExecChain.BrowserTests;

/// <summary>
/// A page in its own browser context (fresh cache and storage) that records every console error and
/// uncaught page error; a test's teardown asserts there were none.
/// </summary>
internal sealed class WatchedPage : IAsyncDisposable
{
    private readonly List<string> _errors = [];
    private bool _closed;

    private WatchedPage(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error") lock (_errors) _errors.Add($"console error: {message.Text} ({message.Location})");
        };
        page.PageError += (_, error) => { lock (_errors) _errors.Add($"page error: {error}"); };
        page.Crash += (_, _) => { lock (_errors) _errors.Add("the page crashed"); };
    }

    public IBrowserContext Context { get; }
    public IPage Page { get; }

    public IReadOnlyList<string> Errors { get { lock (_errors) return [.. _errors]; } }

    public static async Task<WatchedPage> OpenAsync(IBrowser browser, int width = 1280, int height = 900)
    {
        IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        // Generous: CI is a busy 2-core machine; a condition met early returns at once.
        context.SetDefaultTimeout(30_000);
        context.SetDefaultNavigationTimeout(30_000);
        return new WatchedPage(context, await context.NewPageAsync());
    }

    /// <summary>Closes the context (once); the errors stay readable.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closed) return;
        _closed = true;
        await Context.CloseAsync();
    }
}
