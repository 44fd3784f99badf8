using NUnit.Framework;

namespace IExecChain.IntegrationTests;

[NonParallelizable]
public class DevnetTests
{
    [Test]
    public void Devnet_runs_on_embedded_defaults_until_the_requested_height_and_exits_zero()
    {
        using var dir = new TempDir();
        int port = NodeProcess.FreePort();
        var (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(120), "devnet", "--data", dir.File("devnet"), "--stop-at-height", "15",
            "--rpc", $"127.0.0.1:{port}", "--load", "50");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("reached height 15"));
        Assert.That(output, Does.Contain("tx/s"));
        Assert.That(File.Exists(Path.Combine(dir.File("devnet"), "keys", "account-0.json")), Is.True);

        // A second run reuses the directory and continues the same chain.
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(120), "devnet", "--data", dir.File("devnet"), "--stop-at-height", "20", "--rpc", $"127.0.0.1:{port}", "--load", "0");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("reached height 20"));
    }

    [Test]
    public void Devnet_refuses_more_validators_than_this_build_supports()
    {
        var (code, output) = NodeProcess.Run("devnet", "--validators", "4", "--data", Path.Combine(Path.GetTempPath(), "unused-devnet"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain("--validators 4"));
    }
}
