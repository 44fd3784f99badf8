using Microsoft.Playwright;
using NUnit.Framework;

namespace IExecChain.BrowserTests;

/// <summary>
/// What every browser test fixture shares: one Debian chromium for the fixture, the pages each test
/// opens (every one watched: a console error or page error fails the test in teardown) and the
/// artifacts directory. NUnit runs this class's one-time setup before the fixture's own and its
/// one-time teardown after, so the browser is there for the fixture's first page and outlives its node.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Created in OneTimeSetUp and disposed in OneTimeTearDown")]
public abstract class BrowserFixture
{
    private IPlaywright _playwright = null!;
    private readonly List<WatchedPage> _pages = [];

    protected IBrowser Browser { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task Launch_the_browser() => (_playwright, Browser) = await Chromium.LaunchAsync();

    [OneTimeTearDown]
    public async Task Close_the_browser()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
    }

    [TearDown]
    public async Task Close_the_pages_and_require_no_browser_errors()
    {
        var errors = _pages.SelectMany(p => p.Errors).ToList();
        foreach (WatchedPage page in _pages) await page.DisposeAsync();
        _pages.Clear();
        Assert.That(errors, Is.Empty, "the browser reported errors");
    }

    /// <summary>A watched page in a fresh browser context (no cache, no storage); closed after the test.</summary>
    protected async Task<IPage> OpenAsync(int width = 1280, int height = 900)
    {
        WatchedPage page = await WatchedPage.OpenAsync(Browser, width, height);
        _pages.Add(page);
        return page.Page;
    }

    /// <summary>Closes the page opened last now; its errors still count in teardown.</summary>
    protected ValueTask CloseLastPageAsync() => _pages[^1].DisposeAsync();
}
