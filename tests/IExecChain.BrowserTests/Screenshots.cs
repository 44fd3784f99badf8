using Microsoft.Playwright;
using NUnit.Framework;

namespace IExecChain.BrowserTests;

/// <summary>Test artifacts (screenshots, recorded timings) in TestResults/browser/ at the repository root (where scripts/test.sh collects results), else beside the binaries.</summary>
internal static class Screenshots
{
    public static async Task TakeAsync(IPage page, string name)
    {
        string file = Path.Combine(Directory(), name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        TestContext.AddTestAttachment(file);
    }

    public static string Directory()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "iExecChain.sln"))) dir = Path.GetDirectoryName(dir);
        string path = Path.Combine(dir ?? AppContext.BaseDirectory, "TestResults", "browser");
        System.IO.Directory.CreateDirectory(path);
        return path;
    }
}
