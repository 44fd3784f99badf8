using System.Runtime.InteropServices;

namespace IExecChain.Worker.Native;

/// <summary>Signals a whole process group: the only libc call the worker makes.</summary>
internal static partial class ProcessGroup
{
    private const int SigKill = 9;

    /// <summary>SIGKILL to every process in group <paramref name="groupId"/>; a group already gone is fine.</summary>
    public static void Kill(int groupId)
    {
        if (groupId > 1) _ = kill(-groupId, SigKill);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
