using System.Diagnostics;
using System.Globalization;
using IExecChain.Rpc.Contracts.Client;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node.Devnet;

/// <summary>One validator process of the devnet: `iexchain run` on its own data, RPC and UDP ports, logging to a file.</summary>
internal sealed class DevnetNode : IDisposable
{
    public void Dispose()
    {
        _client.Dispose();
        _process?.Dispose();
    }

    private TimeSpan RestartDelay { get; init; } = TimeSpan.FromSeconds(2);
    private readonly string[] _arguments;
    private readonly JsonRpcClient _client;
    private Process? _process;
    private long _exitedAt = -1;
    private bool _stopping;

    private DevnetNode(int index, string nodeDir, Uri rpc, string[] arguments, string name)
    {
        Index = index;
        Name = name;
        LogPath = Path.Combine(nodeDir, "node.log");
        Rpc = rpc;
        _arguments = arguments;
        _client = new JsonRpcClient(Rpc, TimeSpan.FromSeconds(2));
    }

    /// <summary>
    /// Worker <paramref name="index"/>, its own data in DIR/worker-i, RPC on port + 100 + i (it serves its
    /// results there). A light worker (`iexchain worker`) follows validator i mod n over RPC (the others are
    /// its fallbacks); a full one (`run --role worker`) is a non-voting node on UDP port p2p port + 100 + i.
    /// </summary>
    public static DevnetNode Worker(string dataDir, int index, int validators, string host, int rpcPort, int p2pPort, LogLevel logLevel, bool sabotage, TimeSpan restartDelay, bool light)
    {
        var nodeDir = Path.Combine(dataDir, $"worker-{index}");
        var rpc = new Uri($"http://{host}:{rpcPort + WorkerPortOffset + index}/");
        var args = new List<string>
        {
            light ? "worker" : "run", "--data", nodeDir,
            "--worker-key", Path.Combine(dataDir, "keys", $"worker-{index}.json"),
            "--password-file", Path.Combine(dataDir, "password.txt"),
            "--rpc", $"{host}:{rpcPort + WorkerPortOffset + index}",
            "--log-level", logLevel.ToString(),
        };
        if (sabotage) args.Add("--sabotage-for-testing");
        if (light)
        {
            for (int j = 0; j < validators; j++) args.AddRange(["--node", $"http://{host}:{rpcPort + (index + j) % validators}/"]);
        }
        else
        {
            args.AddRange(["--role", "worker", "--p2p", $"127.0.0.1:{p2pPort + WorkerPortOffset + index}"]);
            for (int j = 0; j < validators; j++) args.AddRange(["--peer", $"{DevKeys.Validator(j).Address}@127.0.0.1:{p2pPort + j}"]);
        }
        return new DevnetNode(index, nodeDir, rpc, [.. args], $"{(light ? "light " : "")}worker {index}") { RestartDelay = restartDelay };
    }

    /// <summary>Workers' ports start this far above the validators'.</summary>
    public const int WorkerPortOffset = 100;

    public string Name { get; } = "";

    public DevnetNode(string dataDir, int index, int count, string host, int rpcPort, int p2pPort, LogLevel logLevel, Uri? ethRpc = null)
    {
        Name = $"node {index}";
        Index = index;
        var nodeDir = Path.Combine(dataDir, $"node-{index}");
        LogPath = Path.Combine(nodeDir, "node.log");
        Rpc = new Uri($"http://{host}:{rpcPort + index}/");
        var args = new List<string>
        {
            "run", "--data", nodeDir,
            "--key", Path.Combine(dataDir, "keys", $"validator-{index}.json"),
            "--password-file", Path.Combine(dataDir, "password.txt"),
            "--rpc", $"{host}:{rpcPort + index}",
            "--p2p", $"127.0.0.1:{p2pPort + index}",
            "--log-level", logLevel.ToString(),
        };
        if (ethRpc is not null) args.AddRange(["--eth-rpc", ethRpc.ToString()]);
        for (int j = 0; j < count; j++)
            if (j != index) args.AddRange(["--peer", $"{DevKeys.Validator(j).Address}@127.0.0.1:{p2pPort + j}"]);
        _arguments = [.. args];
        _client = new JsonRpcClient(Rpc, TimeSpan.FromSeconds(2));
    }

    public int Index { get; }
    public Uri Rpc { get; }
    public string LogPath { get; }

    public void Start()
    {
        var info = new ProcessStartInfo(ExecutablePath()) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (IsDotnetHost()) info.ArgumentList.Add(typeof(DevnetNode).Assembly.Location);
        foreach (var a in _arguments) info.ArgumentList.Add(a);
        var log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.Exited += (_, _) => { lock (log) log.Dispose(); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _exitedAt = -1;
    }

    /// <summary>A node that died (killed, crashed) comes back after a short delay and catches up by block sync.</summary>
    public void RestartIfExited(Action<string> report)
    {
        if (_stopping || _process is null || !_process.HasExited) return;
        if (_exitedAt < 0)
        {
            _exitedAt = Stopwatch.GetTimestamp();
            report($"{Name} exited with code {_process.ExitCode}; restarting in {RestartDelay.TotalSeconds:F0}s (log: {LogPath})");
            return;
        }
        if (Stopwatch.GetElapsedTime(_exitedAt) < RestartDelay) return;
        _process.Dispose();
        Start();
        report($"{Name} restarted");
    }

    /// <summary>The exit code of the node's process once it has exited; null while it runs.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>CPU time the node's current process has used (zero when it is not running).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            try { return _process is { HasExited: false } p ? p.TotalProcessorTime : TimeSpan.Zero; }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { return TimeSpan.Zero; }
        }
    }

    public async Task<ulong?> HeightAsync()
    {
        try
        {
            return JsonRpcClient.Quantity(await _client.CallAsync("iex_blockNumber").ConfigureAwait(false));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonRpcClientException)
        {
            return null;
        }
    }

    public async Task StopAsync()
    {
        _stopping = true;
        var process = _process;
        if (process is null || process.HasExited) return;
        Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    private static string ExecutablePath() => Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the iexchain executable");

    private static bool IsDotnetHost() => Path.GetFileNameWithoutExtension(ExecutablePath()) == "dotnet";
}
