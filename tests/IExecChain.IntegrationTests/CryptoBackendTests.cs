using NUnit.Framework;

namespace IExecChain.IntegrationTests;

[NonParallelizable]
public class CryptoBackendTests
{
    [TestCase("managed", "signatures: managed")]
    [TestCase("native", "signatures: native (libsecp256k1)")]
    public async Task Node_uses_and_logs_the_signature_backend_it_is_told_to(string backend, string logged)
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator(new Dictionary<string, string?> { ["IEXECCHAIN_CRYPTO"] = backend });
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        node.Terminate();
        Assert.That(node.Output, Does.Contain(logged));
    }

    [Test]
    public void Unknown_backend_name_is_a_clear_error()
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator(new Dictionary<string, string?> { ["IEXECCHAIN_CRYPTO"] = "quantum" });
        Assert.That(node.WaitForExit(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(node.ExitCode, Is.Not.EqualTo(0));
        Assert.That(node.Output, Does.Contain("IEXECCHAIN_CRYPTO").And.Contain("quantum"));
    }
}
