using Microsoft.Playwright;
using IExecChain.TestSupport;

namespace IExecChain.BrowserTests;

/// <summary>
/// Debian's chromium driven by Playwright: headless, no sandbox (tests run as root), nothing fetched
/// from the network by the browser itself. Playwright gives each launch a fresh temporary profile
/// (user data directory) and removes it on close.
/// </summary>
internal static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] Arguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    /// <summary>Launches the browser; a missing chromium fails the test under CI and skips it elsewhere.</summary>
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
            ExternalTool.Unavailable($"{ExecutablePath} is missing: install Debian's chromium (scripts/prerequisites.sh)");
        IPlaywright playwright = await Playwright.CreateAsync();
        try
        {
            IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                ChromiumSandbox = false,
                Args = Arguments,
                Timeout = 60_000,
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}
