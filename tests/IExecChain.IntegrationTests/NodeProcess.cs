using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.TestSupport;

namespace IExecChain.IntegrationTests;

/// <summary>Runs the real `iexchain` executable (the built iexchain.dll) as a child process.</summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NodeProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "iexchain.dll");

    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int Pid => _process.Id;
    public int ExitCode => _process.ExitCode;

    public static NodeProcess Start(params string[] args) => Start(new Dictionary<string, string?>(), args);

    public static NodeProcess Start(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(Executable);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["IEXECCHAIN_PASSWORD"] = null;
        foreach (var (name, value) in environment) info.Environment[name] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start iexchain");
        process.StandardInput.Close();
        return new NodeProcess(process);
    }

    /// <summary>Runs a command to completion and returns its exit code and combined output.</summary>
    public static (int ExitCode, string Output) Run(TimeSpan timeout, params string[] args)
    {
        using var p = Start(args);
        if (!p._process.WaitForExit(timeout)) { p.Kill(); throw new TimeoutException($"iexchain {string.Join(' ', args)} did not finish in {timeout}:\n{p.Output}"); }
        p._process.WaitForExit();
        return (p.ExitCode, p.Output);
    }

    public static (int ExitCode, string Output) Run(params string[] args) => Run(TimeSpan.FromSeconds(60), args);

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit();
        return true;
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Terminate()
    {
        if (_process.HasExited) return;
        Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(15))) Kill();
        _process.WaitForExit();
    }

    public async Task WaitForRpcAsync(Uri endpoint, TimeSpan timeout)
    {
        using var client = new JsonRpcClient(endpoint, TimeSpan.FromSeconds(2));
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"node exited with {_process.ExitCode} before its RPC came up:\n{Output}");
            try { await client.CallAsync("iex_blockNumber"); return; }
            catch (JsonRpcClientException) when (DateTime.UtcNow < deadline) { await Task.Delay(100); }
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    public static int FreeUdpPort() => LocalPorts.FreeUdp();

    /// <summary>A free TCP port for a node to listen on (<see cref="LocalPorts"/>).</summary>
    public static int FreePort() => LocalPorts.FreeTcp();

    /// <summary>A base port with <paramref name="count"/> consecutive free UDP ports (<see cref="LocalPorts"/>).</summary>
    public static int FreeUdpPorts(int count) => LocalPorts.FreeUdp(count);

    /// <summary>A base port with <paramref name="count"/> consecutive free TCP ports (<see cref="LocalPorts"/>).</summary>
    public static int FreePorts(int count) => LocalPorts.FreeTcp(count);
}

/// <summary>A temporary directory removed after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "iexec-it-" + Guid.NewGuid().ToString("N")[..12]));

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
