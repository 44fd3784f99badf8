using System.Globalization;
using System.Runtime.InteropServices;

namespace IExecChain.Worker.Native;

/// <summary>Signals a whole process group, or one process of a run's cgroup.</summary>
internal static partial class ProcessGroup
{
    private const int SigKill = 9;

    /// <summary>SIGKILL to every process in group <paramref name="groupId"/>; a group already gone is fine.</summary>
    public static void Kill(int groupId)
    {
        if (groupId > 1) _ = kill(-groupId, SigKill);
    }

    /// <summary>SIGKILL to one process; one already gone is fine.</summary>
    public static void KillProcess(int pid)
    {
        if (pid > 1) _ = kill(pid, SigKill);
    }

    /// <summary>
    /// Waits, at most <paramref name="timeout"/>, until no process of group <paramref name="groupId"/> is still
    /// running. SIGKILL is delivered asynchronously, so a member can run for a moment after <see cref="Kill"/>
    /// returns; a zombie waiting for its new parent to reap it counts as gone. Returns whether the group is gone.
    /// </summary>
    public static bool WaitGone(int groupId, TimeSpan timeout)
    {
        if (groupId <= 1) return true;
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            // kill(pid, 0) probes without signalling: -1 means no process (not even a zombie) is left.
            if (kill(-groupId, 0) != 0 || !AnyRunningMember(groupId)) return true;
            if (Environment.TickCount64 >= deadline) return false;
            Thread.Sleep(2);
        }
    }

    private static bool AnyRunningMember(int groupId)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            string name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0])) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // exited while we looked
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses, so parse after the last ')'.
            int close = stat.LastIndexOf(')');
            if (close < 0) continue;
            string[] fields = stat[(close + 2)..].Split(' ', 4);
            if (fields.Length < 3) continue;
            if (fields[0] != "Z" && fields[0] != "X"
                && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out int pgrp) && pgrp == groupId)
                return true;
        }
        return false;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
