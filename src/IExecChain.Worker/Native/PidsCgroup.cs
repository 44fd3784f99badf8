using System.Globalization;

namespace IExecChain.Worker.Native;

/// <summary>
/// A pids cgroup for one run: bounds the processes of that run alone (RLIMIT_NPROC counts the whole
/// sandbox user), tells afterwards whether the bound was hit (a fork bomb becomes TooManyProcesses rather
/// than whatever the app printed when fork failed), and lists every member so none outlives the run.
/// The files used (pids.max, pids.events, cgroup.procs) are the same in cgroup v1 and v2.
/// </summary>
internal sealed class PidsCgroup : IDisposable
{
    private PidsCgroup(string path) => Path = path;

    public string Path { get; }

    /// <summary>The file the run's first process writes its pid to, joining the cgroup.</summary>
    public string ProcsFile => System.IO.Path.Combine(Path, "cgroup.procs");

    /// <summary>Makes a cgroup under <paramref name="root"/> limited to <paramref name="maxProcesses"/>; null when the hierarchy cannot be used.</summary>
    public static PidsCgroup? TryCreate(string? root, int maxProcesses)
    {
        if (root is null) return null;
        string path = System.IO.Path.Combine(root, RunLeftovers.Name(RunLeftovers.CgroupPrefix));
        try
        {
            Directory.CreateDirectory(path);
            File.WriteAllText(System.IO.Path.Combine(path, "pids.max"), maxProcesses.ToString(CultureInfo.InvariantCulture));
            return new PidsCgroup(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryRemove(path);
            return null;
        }
    }

    /// <summary>Whether a fork was refused because the run was at its bound ("max N" in pids.events, N &gt; 0).</summary>
    public bool LimitReached()
    {
        try
        {
            foreach (string line in File.ReadLines(System.IO.Path.Combine(Path, "pids.events")))
                if (line.StartsWith("max ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
                    return n > 0;
        }
        catch (IOException)
        {
        }
        return false;
    }

    /// <summary>SIGKILL to every member, then waits (at most <paramref name="timeout"/>) until none is left.</summary>
    public void KillAll(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            bool any = false;
            foreach (int pid in Members())
            {
                any = true;
                ProcessGroup.KillProcess(pid);
            }
            if (!any || Environment.TickCount64 >= deadline) return;
            Thread.Sleep(2);
        }
    }

    public void Dispose()
    {
        KillAll(TimeSpan.FromSeconds(2));
        TryRemove(Path);
    }

    private List<int> Members()
    {
        var pids = new List<int>();
        try
        {
            foreach (string line in File.ReadLines(ProcsFile))
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) pids.Add(pid);
        }
        catch (IOException)
        {
        }
        return pids;
    }

    private static void TryRemove(string path)
    {
        try
        {
            // A cgroup directory holds only kernel files: it is removed with rmdir, never recursively.
            if (Directory.Exists(path)) Directory.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Still busy or already gone: an empty leftover cgroup costs nothing.
        }
    }
}
