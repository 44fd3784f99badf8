using System.Text.RegularExpressions;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>`iexchain content fetch` against `iexchain content serve`: the file arrives verified with progress, and a wrong size writes nothing.</summary>
public class ContentFetchCliTests
{
    [Test, CancelAfter(120_000)]
    public async Task Content_fetched_by_root_is_the_served_file_and_a_wrong_size_leaves_no_file()
    {
        using var dir = new TempDir();
        string served = Directory.CreateDirectory(dir.File("served")).FullName;
        var bytes = new byte[3 << 20];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(served, "data.bin"), bytes);
        int port = NodeProcess.FreePort();
        using var server = NodeProcess.Start("content", "serve", served, "--listen", $"127.0.0.1:{port}");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!server.Output.Contains("data.bin: ", StringComparison.Ordinal) && DateTime.UtcNow < deadline && !server.HasExited) await Task.Delay(100);
        var line = Regex.Match(server.Output, @"data\.bin: --content-root (\S+) --size (\d+) --endpoint (\S+)");
        Assert.That(line.Success, Is.True, server.Output);
        string root = line.Groups[1].Value, size = line.Groups[2].Value, endpoint = line.Groups[3].Value;

        var (code, output) = NodeProcess.Run("content", "fetch", "--endpoint", endpoint, "--content-root", root, "--size", size, "--out", dir.File("copy.bin"));
        Assert.That(code, Is.Zero, output);
        Assert.That(File.ReadAllBytes(dir.File("copy.bin")), Is.EqualTo(bytes));
        Assert.That(output, Does.Contain("fetching ").And.Contain("3.0 MiB of 3.0 MiB (100%)").And.Contain("every chunk verified"));

        (code, output) = NodeProcess.Run("content", "fetch", "--endpoint", endpoint, "--content-root", root, "--size", (bytes.Length + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", dir.File("wrong.bin"));
        Assert.That(code, Is.Not.Zero, output);
        Assert.That(output, Does.Contain("nothing was written"));
        Assert.That(File.Exists(dir.File("wrong.bin")) || File.Exists(dir.File("wrong.bin.partial")), Is.False, "no file, not even a partial one");

        (code, output) = NodeProcess.Run("content", "fetch", "--endpoint", endpoint, "--content-root", "0x12", "--size", size, "--out", dir.File("bad.bin"));
        Assert.That(code, Is.Not.Zero);
        Assert.That(output, Does.Contain("--content-root: '0x12' is not a 32-byte 0x-hex hash"));
    }
}
