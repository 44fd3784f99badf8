using System.Diagnostics;
using System.Text;

namespace IExecChain.BrowserTests;

/// <summary>The real `iexchain` (iexchain.dll next to these binaries) as a child process, for <see cref="DevNode"/> and <see cref="MarketDevnet"/>.</summary>
internal static class IexchainProcess
{
    /// <summary>Starts iexchain with <paramref name="args"/>, its stdout and stderr appended to <paramref name="output"/> (under its lock), stdin closed.</summary>
    public static Process Start(StringBuilder output, IEnumerable<string> args, bool noColor = false)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "iexchain.dll"));
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment["IEXECCHAIN_PASSWORD"] = null;
        if (noColor) info.Environment["NO_COLOR"] = "1";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start iexchain {string.Join(' ', args)}");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Kills the process (if any) with its children and deletes its working directory.</summary>
    public static void Stop(Process? process, string directory)
    {
        if (process is not null)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit();
            process.Dispose();
        }
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
