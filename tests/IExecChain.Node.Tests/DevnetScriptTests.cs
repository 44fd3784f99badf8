using System.Diagnostics;
using NUnit.Framework;

namespace IExecChain.Node.Tests;

/// <summary>
/// scripts/devnet.sh, run in a copy of its folder with a stand-in `dotnet` first on PATH: the build's own
/// output (progress and errors) reaches the user, a failed build stops it with a non-zero exit.
/// </summary>
public class DevnetScriptTests
{
    private string _root = "";

    [SetUp]
    public void CopyTheScript()
    {
        _root = Path.Combine(Path.GetTempPath(), "devnet-script-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_root, "scripts"));
        Directory.CreateDirectory(Path.Combine(_root, "bin"));
        File.Copy(Path.Combine(TestContext.CurrentContext.TestDirectory, "scripts", "devnet.sh"), Path.Combine(_root, "scripts", "devnet.sh"));
        Executable(Path.Combine(_root, "scripts", "devnet.sh"), null);
        Executable(Path.Combine(_root, "scripts", "prerequisites.sh"), "#!/usr/bin/env bash\nexit 0\n");
    }

    [TearDown]
    public void Remove() => Directory.Delete(_root, recursive: true);

    [Test]
    public void A_failed_build_prints_its_errors_and_exits_non_zero_without_starting_the_devnet()
    {
        FakeDotnet("""
            if [ "$1" = build ]; then echo "Program.cs(3,1): error CS1002: ; expected"; echo "Build FAILED."; exit 1; fi
            echo "STARTED $*"
            """);
        var (code, output) = Run("--stop-at-height", "5");
        Assert.That(code, Is.Not.Zero, output);
        Assert.That(output, Does.Contain("Program.cs(3,1): error CS1002: ; expected"));
        Assert.That(output, Does.Contain("the build failed"));
        Assert.That(output, Does.Not.Contain("STARTED"));
    }

    [Test]
    public void A_good_build_shows_its_progress_then_starts_the_devnet_with_the_arguments()
    {
        FakeDotnet("""
            if [ "$1" = build ]; then echo "BUILD $*"; echo "  IExecChain.Node -> /x/iexchain.dll"; exit 0; fi
            echo "STARTED $*"
            """);
        var (code, output) = Run("--stop-at-height", "5");
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("IExecChain.Node -> /x/iexchain.dll"), "the build's progress is shown");
        Assert.That(output, Does.Contain("-v minimal"));
        Assert.That(output, Does.Contain("STARTED node/IExecChain.Node/bin/Release/net10.0/iexchain.dll devnet --stop-at-height 5"));
    }

    private void FakeDotnet(string body) => Executable(Path.Combine(_root, "bin", "dotnet"), "#!/usr/bin/env bash\n" + body + "\n");

    private static void Executable(string path, string? text)
    {
        if (text is not null) File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private (int Code, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(_root, "scripts", "devnet.sh"));
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["PATH"] = Path.Combine(_root, "bin") + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.That(process.WaitForExit(30_000), Is.True, "devnet.sh did not finish");
        return (process.ExitCode, stdout + stderr.Result);
    }
}
