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
    private string AccountKeyFile => Path.Combine(_dir, "account-0.json"); // a funded dev account
    private string DataDir => Path.Combine(_dir, "node");

    /// <summary>Imports the devnet's validator key, initialises the data directory and starts the node; returns once its RPC answers.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        var validator = new PrivateKey(Keccak256.HashToArray(Encoding.ASCII.GetBytes("iexecchain-devnet/validator/0")));
        Run("keys", "import", "--private-key", validator.ToHex(), "--out", KeyFile, "--password-file", PasswordFile);
        var account = new PrivateKey(Keccak256.HashToArray(Encoding.ASCII.GetBytes("iexecchain-devnet/account/0")));
        Run("keys", "import", "--private-key", account.ToHex(), "--out", AccountKeyFile, "--password-file", PasswordFile);
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

    /// <summary>
    /// Signs and sends a transaction as the validator through the real CLI (`iexchain gov vote …`, say):
    /// the key and password options and this node's RPC are appended; returns once it is in a block.
    /// </summary>
    public void SendAsValidator(params string[] args) =>
        Run([.. args, "--key", KeyFile, "--password-file", PasswordFile, "--rpc", Rpc.ToString(), "--wait"]);

    /// <summary>As <see cref="SendAsValidator"/>, from the funded dev account 0 (the validator's RLC is all staked).</summary>
    public void SendAsAccount(params string[] args) =>
        Run([.. args, "--key", AccountKeyFile, "--password-file", PasswordFile, "--rpc", Rpc.ToString(), "--wait"]);

    /// <summary>A file in this node's directory, for the CLI's file arguments.</summary>
    public string WriteFile(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
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
