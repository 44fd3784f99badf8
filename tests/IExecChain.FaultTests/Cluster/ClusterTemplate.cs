using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using IExecChain.FaultTests.Lab;

namespace IExecChain.FaultTests.Cluster;

/// <summary>
/// Keys, password, chain spec and initialized node directories for N dev validators, made once per
/// test run and validator count by the real CLI (`iexchain devnet --validators N --stop-at-height 1`),
/// then copied for each scenario. Made inside a lab namespace, so its loopback ports never collide
/// with anything on the machine.
/// </summary>
internal static class ClusterTemplate
{
    private static readonly ConcurrentDictionary<int, Lazy<string>> Templates = new();
    private static readonly string Root = Path.Combine(Path.GetTempPath(), $"{NetworkLab.Prefix}-templates-{Environment.ProcessId}");

    /// <summary>The template directory for <paramref name="validators"/> validators, made in <paramref name="netns"/> on first use.</summary>
    public static string For(int validators, string netns) =>
        Templates.GetOrAdd(validators, n => new Lazy<string>(() => Make(n, netns))).Value;

    private static string Make(int validators, string netns)
    {
        string dir = Path.Combine(Root, validators.ToString(CultureInfo.InvariantCulture));
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        var log = new StringBuilder();
        using var devnet = ValidatorProcess.Start(netns, log, new Dictionary<string, string?>(),
            "devnet", "--validators", validators.ToString(CultureInfo.InvariantCulture), "--data", dir, "--stop-at-height", "1",
            "--load", "0", "--workers", "0", "--rpc", "127.0.0.1:8645", "--p2p-port", "30400");
        if (!devnet.WaitForExit(TimeSpan.FromMinutes(3))) throw new TimeoutException($"devnet preparation did not finish in 3 min:\n{log}");
        devnet.WaitForExit(Timeout.InfiniteTimeSpan);
        if (devnet.ExitCode != 0) throw new InvalidOperationException($"devnet preparation exited {devnet.ExitCode}:\n{log}");
        return dir;
    }

    /// <summary>Deletes the templates of this run.</summary>
    public static void DeleteAll()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from)) CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)));
    }
}
