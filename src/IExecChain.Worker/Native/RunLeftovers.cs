using System.Globalization;

namespace IExecChain.Worker.Native;

/// <summary>
/// Cleans what a worker killed in the middle of native runs left behind: output tmpfs mounts (memory held
/// until unmounted), their run directories and empty pids cgroups. Every name carries the pid of the worker
/// that made it, so several workers on one machine (the devnet runs five) never touch each other's live runs:
/// only leftovers of a process that no longer exists are removed.
/// </summary>
internal static class RunLeftovers
{
    public const string RunPrefix = "iexec-native-";
    public const string CgroupPrefix = "iexec-";

    /// <summary>A name for something of this worker's run: prefix, worker pid, a fresh id.</summary>
    public static string Name(string prefix) =>
        prefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N");

    /// <summary>Removes leftovers of dead workers under <paramref name="workBase"/> and <paramref name="cgroupRoot"/>; returns how many runs were cleaned.</summary>
    public static int Sweep(string workBase, string? cgroupRoot)
    {
        int cleaned = 0;
        foreach (string line in Lines("/proc/self/mounts"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length < 3 || fields[0] != OutputTmpfs.Source || fields[2] != "tmpfs") continue;
            string? run = Path.GetDirectoryName(fields[1]);
            if (run is null || Path.GetDirectoryName(run) != Path.TrimEndingDirectorySeparator(workBase) || !IsOrphan(Path.GetFileName(run), RunPrefix)) continue;
            OutputTmpfs.Detach(fields[1]);
        }
        foreach (string run in Entries(workBase, RunPrefix))
            if (IsOrphan(Path.GetFileName(run), RunPrefix) && TryDelete(run, recursive: true)) cleaned++;
        if (cgroupRoot is not null)
            foreach (string cgroup in Entries(cgroupRoot, CgroupPrefix))
                if (IsOrphan(Path.GetFileName(cgroup), CgroupPrefix)) TryDelete(cgroup, recursive: false);
        return cleaned;
    }

    // Best effort throughout: a leftover costs memory or an empty directory, never correctness.
    private static List<string> Lines(string path)
    {
        try
        {
            return [.. File.ReadLines(path)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static List<string> Entries(string directory, string prefix)
    {
        try
        {
            return Directory.Exists(directory) ? [.. Directory.EnumerateDirectories(directory, prefix + "*")] : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static bool TryDelete(string directory, bool recursive)
    {
        try
        {
            // A cgroup (recursive: false) holds only kernel files and is removed with rmdir.
            Directory.Delete(directory, recursive);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True for "PREFIX{pid}-{id}" whose pid is not a running process.</summary>
    private static bool IsOrphan(string name, string prefix)
    {
        if (!name.StartsWith(prefix, StringComparison.Ordinal)) return false;
        string rest = name[prefix.Length..];
        int dash = rest.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || !int.TryParse(rest.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) return false;
        return pid != Environment.ProcessId && !Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture));
    }
}
