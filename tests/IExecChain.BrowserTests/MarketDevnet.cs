using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.TestSupport;

namespace IExecChain.BrowserTests;

/// <summary>
/// A devnet with its market demo, run as the real `iexchain devnet` process (iexchain.dll next to these
/// binaries): one validator, one light worker, the demo's workerpool, apps, dataset and requests, and a
/// light transfer load. The browse pages need deals, tasks, orders and transactions of every kind, which
/// the frame's bare node (<see cref="DevNode"/>) does not make.
/// </summary>
internal sealed partial class MarketDevnet : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "iexec-browse-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly StringBuilder _output = new();
    private Process? _process;
    private readonly bool _fullWorker;

    /// <param name="fullWorker">Run the worker as a full node (`--worker-mode full`): it then serves the explorer
    /// and its results on its own RPC port, <see cref="WorkerRpc"/>, where a page can fetch them.</param>
    public MarketDevnet(bool fullWorker = false)
    {
        _fullWorker = fullWorker;
        Directory.CreateDirectory(_dir);
        // The devnet takes consecutive ports: node i at base + i, worker i at base + 100 + i.
        RpcPort = LocalPorts.FreeTcp(101);
        P2PPort = LocalPorts.FreeUdp(101);
    }

    public int RpcPort { get; }
    public int P2PPort { get; }
    public Uri Rpc => new($"http://127.0.0.1:{RpcPort}/");
    /// <summary>The worker's node (worker i at the validators' base port + 100 + i).</summary>
    public Uri WorkerRpc => new($"http://127.0.0.1:{RpcPort + 100}/");
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The dev account no demo sends from (printed by the devnet): its balance stays put.</summary>
    public string UserAccount => UserKeyLine().Match(Output) is { Success: true } m ? m.Groups[2].Value : throw new InvalidOperationException("the devnet did not print the user's key:\n" + Output);

    /// <summary>The user account's keystore file, as the devnet printed it (password <see cref="KeystorePassword"/>).</summary>
    public string UserKeystore => UserKeyLine().Match(Output) is { Success: true } m
        ? Path.Combine(_dir, "devnet", "keys", $"account-{m.Groups[1].Value}.json")
        : throw new InvalidOperationException("the devnet did not print the user's key:\n" + Output);

    /// <summary>The devnet's keystore password (DevKeys.Password, written to its password file).</summary>
    public string KeystorePassword => File.ReadAllText(Path.Combine(_dir, "devnet", "password.txt")).TrimEnd('\n', '\r');

    /// <summary>Starts the devnet; returns once its RPC answers and the market demo has completed a task (its id).</summary>
    public async Task<string> StartAsync(TimeSpan timeout)
    {
        string[] arguments = ["devnet", "--validators", "1", "--workers", "1", "--market-trust", "1", "--load", "5",
            "--data", Path.Combine(_dir, "devnet"), "--rpc", $"127.0.0.1:{RpcPort}", "--p2p-port", P2PPort.ToString(CultureInfo.InvariantCulture)];
        _process = IexchainProcess.Start(_output, _fullWorker ? [.. arguments, "--worker-mode", "full"] : arguments, noColor: true);

        using var client = new JsonRpcClient(Rpc, TimeSpan.FromSeconds(10));
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the devnet exited with {_process.ExitCode} before a task completed:\n{Output}");
            if (deadline.Elapsed > timeout) throw new TimeoutException($"no demo task completed within {timeout}:\n{Output}");
            Match completed = CompletedTask().Match(Output);
            if (completed.Success)
            {
                try
                {
                    var task = await client.CallAsync("iex_getTask", completed.Groups[1].Value);
                    if (task.ValueKind != System.Text.Json.JsonValueKind.Null) return completed.Groups[1].Value;
                }
                catch (JsonRpcClientException) { }
            }
            await Task.Delay(200);
        }
    }

    public void Dispose() => IexchainProcess.Stop(_process, _dir);

    [GeneratedRegex(@"task (0x[0-9a-f]{64}) completed")]
    private static partial Regex CompletedTask();

    [GeneratedRegex(@"your key: dev account (\d+) (0x[0-9a-f]{40})")]
    private static partial Regex UserKeyLine();
}
