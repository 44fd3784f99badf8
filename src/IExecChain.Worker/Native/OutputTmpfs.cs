using System.Globalization;
using System.Runtime.InteropServices;

namespace IExecChain.Worker.Native;

/// <summary>
/// A size-limited tmpfs mounted on a run's output directory, owned by the sandbox user: an app that
/// writes without end gets ENOSPC at the bound instead of filling the worker's disk. Per-file RLIMIT_FSIZE
/// alone would let it write many files. Mounting needs CAP_SYS_ADMIN, one of the reasons the sandbox needs root.
/// </summary>
internal sealed partial class OutputTmpfs : IDisposable
{
    /// <summary>The mount's source name, which is how <see cref="RunLeftovers"/> finds those of a dead worker in /proc/self/mounts.</summary>
    public const string Source = "iexec-out";

    private const ulong MsNoSuid = 2, MsNoDev = 4, MsNoExec = 8;
    private const int MntDetach = 2;
    private const long Page = 4096;

    private readonly string _path;
    private bool _mounted;

    private OutputTmpfs(string path, long sizeBytes)
    {
        _path = path;
        SizeBytes = sizeBytes;
    }

    /// <summary>The tmpfs size: room for every allowed byte, plus a page of rounding per allowed file, plus slack for directories.</summary>
    public long SizeBytes { get; }

    /// <summary>Mounts the tmpfs on <paramref name="path"/> (an existing empty directory); throws IOException with the reason on failure.</summary>
    public static OutputTmpfs Mount(string path, long maxOutputBytes, int maxOutputFiles, int uid, int gid)
    {
        // Within the limits an app never meets ENOSPC; at ENOSPC it is over one of them, and the collector says which.
        long size = maxOutputBytes + (maxOutputFiles + 16L) * Page;
        long inodes = 2L * maxOutputFiles + 64;
        var mount = new OutputTmpfs(path, size);
        string data = string.Create(CultureInfo.InvariantCulture, $"size={size},nr_inodes={inodes},mode=0700,uid={uid},gid={gid}");
        if (MountTmpfs(Source, path, "tmpfs", MsNoSuid | MsNoDev | MsNoExec, data) != 0)
            throw new IOException($"cannot mount a tmpfs on {path}: {Marshal.GetLastPInvokeErrorMessage()} (the native sandbox needs root)");
        mount._mounted = true;
        return mount;
    }

    /// <summary>True when less than a page is left: the app ran into the bound (whether it then reported it or not).</summary>
    public bool IsFull()
    {
        var info = new DriveInfo(_path);
        return info.AvailableFreeSpace < Page;
    }

    public void Dispose()
    {
        if (_mounted && Detach(_path)) _mounted = false;
    }

    /// <summary>Unmounts lazily: a process of the sandbox still dying cannot keep the mount busy; the memory is freed when it is gone.</summary>
    public static bool Detach(string path) => Unmount(path, MntDetach) == 0;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MountTmpfs(string source, string target, string fileSystemType, ulong flags, string data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Unmount(string target, int flags);
}
