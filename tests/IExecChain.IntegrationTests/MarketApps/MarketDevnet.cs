using System.Globalization;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests.MarketApps;

/// <summary>
/// The market devnet the app and dataset tests of this namespace share: one validator, three light workers,
/// demo tasks at trust 1, dev account 9 imported as the user's key. NUnit runs this namespace's fixtures
/// one after another between the setup and the teardown below, so the devnet lives only while they run.
/// </summary>
/// <remarks>
/// One devnet instead of one per test saves its start and market setup each time. The tests stay
/// independent of each other's order: each registers its own app or dataset and places its own orders from
/// account 9 (every send waits for inclusion, so no nonce is left pending), and reads counters that other
/// tasks move (compiles, failure reports, balances) as a difference over its own task. Worker scores do not
/// leak either: a fresh worker weighs max(score / 3, 3) − 1 = 2 until its score reaches 12, and only a
/// replicated task won moves a score (+1 per winner), so the few tasks here leave every weight at 2.
/// </remarks>
[SetUpFixture]
public sealed class MarketDevnet
{
    private static TempDir? _dir;
    private static NodeProcess? _process;
    private static JsonRpcClient? _client;
    private static List<JsonRpcClient> _workers = [];

    internal const int WorkerCount = 3;

    internal static NodeProcess Process => _process ?? throw new InvalidOperationException("the market devnet is not running");
    internal static JsonRpcClient Client => _client ?? throw new InvalidOperationException("the market devnet is not running");
    internal static IReadOnlyList<JsonRpcClient> Workers => _workers;
    internal static Uri Rpc { get; private set; } = null!;

    /// <summary>The devnet's data directory (worker i's is DATA/worker-i).</summary>
    internal static string Data { get; private set; } = null!;

    /// <summary>CLI options that sign with dev account 9 (the one the devnet leaves to its user) against the devnet.</summary>
    internal static string[] UserKey { get; private set; } = [];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _dir = new TempDir();
        int rpcBase = NodeProcess.FreePorts(105), p2pBase = NodeProcess.FreeUdpPorts(105);
        Data = _dir.File("devnet");
        // Demo tasks at trust 1 keep the workers' scores (and so their credibility weight, 2) as they start.
        _process = NodeProcess.Start("devnet", "--validators", "1", "--workers", WorkerCount.ToString(CultureInfo.InvariantCulture), "--market-trust", "1",
            "--data", Data, "--rpc", $"127.0.0.1:{rpcBase}", "--p2p-port", p2pBase.ToString(CultureInfo.InvariantCulture), "--load", "0", "--log-level", "Warning");
        Rpc = new Uri($"http://127.0.0.1:{rpcBase}/");
        await _process.WaitForRpcAsync(Rpc, TimeSpan.FromSeconds(120));
        _client = new JsonRpcClient(Rpc, TimeSpan.FromSeconds(30));
        // Workers listen 100 ports above the validators.
        _workers = Enumerable.Range(0, WorkerCount).Select(i => new JsonRpcClient(new Uri($"http://127.0.0.1:{rpcBase + 100 + i}/"), TimeSpan.FromSeconds(10))).ToList();

        File.WriteAllText(_dir.File("pw"), "pw\n");
        var (code, output) = NodeProcess.Run("keys", "import", "--private-key", DevChain.DevKey("account", 9).ToHex(), "--out", _dir.File("user.json"), "--password-file", _dir.File("pw"));
        Assert.That(code, Is.Zero, output);
        UserKey = ["--key", _dir.File("user.json"), "--password-file", _dir.File("pw"), "--rpc", Rpc.ToString()];
    }

    [OneTimeTearDown]
    public void Stop()
    {
        foreach (var worker in _workers) worker.Dispose();
        _workers = [];
        _client?.Dispose();
        _client = null;
        _process?.Terminate();
        _process?.Dispose();
        _process = null;
        _dir?.Dispose();
        _dir = null;
    }
}
