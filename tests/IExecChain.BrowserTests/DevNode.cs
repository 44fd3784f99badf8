using System.Diagnostics;
using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.TestSupport;

namespace IExecChain.BrowserTests;

/// <summary>
/// A single-validator devnet node run as the real `iexchain` process (iexchain.dll next to these
/// binaries), made through the real CLI: keys imported, data initialised, then `run`. Small copies of
/// the integration tests' DevChain and NodeProcess, which this project does not reference.
/// </summary>
internal sealed class DevNode : IDisposable
{
    private const string Password = "browser-test-password";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "iexec-browser-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly StringBuilder _output = new();
    private Process? _process;

    public DevNode()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(PasswordFile, Password + "\n");
        Port = LocalPorts.FreeTcp();
        P2PPort = LocalPorts.FreeUdp();
    }

    public int Port { get; }
    public int P2PPort { get; }
    public Uri Rpc => new($"http://127.0.0.1:{Port}/");
    public string Output { get { lock (_output) return _output.ToString(); } }
    private string PasswordFile => Path.Combine(_dir, "password.txt");
    private string KeyFile => Path.Combine(_dir, "validator.json");
    private string DataDir => Path.Combine(_dir, "node");

    /// <summary>Imports the devnet's validator key, initialises the data directory and starts the node; returns once its RPC answers.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        var validator = new PrivateKey(Keccak256.HashToArray(Encoding.ASCII.GetBytes("iexecchain-devnet/validator/0")));
        Run("keys", "import", "--private-key", validator.ToHex(), "--out", KeyFile, "--password-file", PasswordFile);
        Run("init", "--chain-spec", Path.Combine(AppContext.BaseDirectory, "devnet.json"), "--data", DataDir);
        _process = Start("run", "--data", DataDir, "--key", KeyFile, "--password-file", PasswordFile, "--rpc", $"127.0.0.1:{Port}", "--p2p", $"127.0.0.1:{P2PPort}");
        using var client = new JsonRpcClient(Rpc, TimeSpan.FromSeconds(5));
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the node exited with {_process.ExitCode} before its RPC came up:\n{Output}");
            try { await client.CallAsync("iex_blockNumber"); return; }
            catch (JsonRpcClientException) when (deadline.Elapsed < timeout) { await Task.Delay(100); }
        }
    }

    private void Run(params string[] args)
    {
        using Process p = Start(args);
        if (!p.WaitForExit(TimeSpan.FromSeconds(120))) { p.Kill(entireProcessTree: true); throw new TimeoutException($"iexchain {args[0]} did not finish:\n{Output}"); }
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"iexchain {string.Join(' ', args)} failed ({p.ExitCode}):\n{Output}");
    }

    private Process Start(params string[] args) => IexchainProcess.Start(_output, args);

    public void Dispose() => IexchainProcess.Stop(_process, _dir);
}
