using System.Diagnostics;
using System.Text;
using IExecChain.FaultTests.Lab;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.FaultTests.Cluster;

/// <summary>
/// One `iexchain run --config` process inside a network namespace (`ip netns exec` execs into
/// dotnet, so the process id is the node's and signals reach it directly). Output of every
/// incarnation of the node goes to one log, marked at each start.
/// </summary>
internal sealed class ValidatorProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log;

    private ValidatorProcess(Process process, StringBuilder log)
    {
        _process = process;
        _log = log;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "iexchain.dll");

    public int Pid => _process.Id;
    /// <summary>True once the process ended, or once this handle was disposed (a restart replaced it while the load was choosing a node).</summary>
    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }
    public int ExitCode => _process.ExitCode;
    public bool Paused { get; private set; }

    /// <summary>Runs `iexchain ARGS` in <paramref name="netns"/>, its output appended to <paramref name="log"/>.</summary>
    public static ValidatorProcess Start(string netns, StringBuilder log, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", netns, "dotnet", Executable }) info.ArgumentList.Add(a);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["IEXECCHAIN_PASSWORD"] = null;
        foreach (var (name, value) in environment) info.Environment[name] = value;
        lock (log) log.AppendLine($"==== {DateTime.UtcNow:HH:mm:ss.fff} start: iexchain {string.Join(' ', args)}");
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start iexchain");
        process.StandardInput.Close();
        return new ValidatorProcess(process, log);
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>Waits until the node answers RPC at <paramref name="endpoint"/>.</summary>
    public async Task WaitForRpcAsync(Uri endpoint, TimeSpan timeout)
    {
        using var client = new JsonRpcClient(endpoint, TimeSpan.FromSeconds(2));
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"node at {endpoint} exited with {_process.ExitCode} before its RPC came up");
            try { await client.CallAsync("iex_blockNumber"); return; }
            catch (JsonRpcClientException) when (DateTime.UtcNow < deadline) { await Task.Delay(100); }
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut.</summary>
    public void Kill()
    {
        if (!_process.HasExited) Native.Kill(_process.Id, Native.SigKill);
        _process.WaitForExit();
        Paused = false;
    }

    /// <summary>SIGSTOP: the process stays, its sockets stay open, nothing runs.</summary>
    public void Pause()
    {
        if (Native.Kill(_process.Id, Native.SigStop) != 0) throw new InvalidOperationException($"SIGSTOP to {_process.Id} failed");
        Paused = true;
    }

    public void Resume()
    {
        if (Native.Kill(_process.Id, Native.SigCont) != 0) throw new InvalidOperationException($"SIGCONT to {_process.Id} failed");
        Paused = false;
    }

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
