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
        int p2p = NodeProcess.FreeUdpPort();
        var (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(120), "devnet", "--data", dir.File("devnet"), "--stop-at-height", "15",
            "--rpc", $"127.0.0.1:{port}", "--p2p-port", p2p.ToString(System.Globalization.CultureInfo.InvariantCulture), "--load", "50");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("reached height 15"));
        Assert.That(output, Does.Contain("tx/s"));
        Assert.That(File.Exists(Path.Combine(dir.File("devnet"), "keys", "account-0.json")), Is.True);

        // A second run reuses the directory and continues the same chain.
        (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(120), "devnet", "--data", dir.File("devnet"), "--stop-at-height", "20", "--rpc", $"127.0.0.1:{port}",
            "--p2p-port", p2p.ToString(System.Globalization.CultureInfo.InvariantCulture), "--load", "0");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("reached height 20"));
    }

    [TestCase("0")]
    [TestCase("17")]
    public void Devnet_refuses_a_validator_count_out_of_range(string count)
    {
        var (code, output) = NodeProcess.Run("devnet", "--validators", count, "--data", Path.Combine(Path.GetTempPath(), "unused-devnet"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain($"--validators {count}: must be from 1 to 16"));
    }

    [TestCase(new[] { "--eth-rpc", "http://127.0.0.1:1" }, "--eth-rpc needs --eth-key FILE")]
    [TestCase(new[] { "--anchor", "0x0000000000000000000000000000000000000001" }, "--eth-key and --anchor need --eth-rpc")]
    [TestCase(new[] { "--eth-rpc", "ftp://x", "--eth-key", "k.json" }, "--eth-rpc: 'ftp://x' is not an http(s) URL")]
    public void Devnet_anchoring_options_are_checked_before_anything_starts(string[] options, string message)
    {
        var (code, output) = NodeProcess.Run(["devnet", "--data", Path.Combine(Path.GetTempPath(), "unused-devnet"), .. options]);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain(message));
    }

    [TestCase(new[] { "--role", "relayer" }, "--role relayer needs --eth-rpc URL")]
    [TestCase(new[] { "--role", "relayer", "--eth-rpc", "http://127.0.0.1:1" }, "--role relayer needs --eth-key FILE")]
    [TestCase(new[] { "--role", "relayer", "--eth-rpc", "http://127.0.0.1:1", "--eth-key", "k.json" }, "--role relayer needs --anchor ADDRESS")]
    [TestCase(new[] { "--eth-rpc", "http://127.0.0.1:1" }, "--eth-rpc, --eth-key and --anchor are for --role relayer")]
    [TestCase(new[] { "--role", "validator" }, "--role validator needs --key FILE")]
    public void Run_roles_are_checked_before_the_node_opens(string[] options, string message)
    {
        var (code, output) = NodeProcess.Run(["run", "--data", Path.Combine(Path.GetTempPath(), "unused-node"), .. options]);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain(message));
    }
}
