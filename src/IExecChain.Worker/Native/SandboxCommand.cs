using System.Globalization;
using IExecChain.Worker.Execution;

namespace IExecChain.Worker.Native;

/// <summary>
/// The command line that starts one native app inside its bubblewrap sandbox (docs/worker.md, "Sandbox"):
/// <c>[join the run's pids cgroup] setsid prlimit … setpriv --reuid … bwrap … -- /iexec_app/NAME args</c>.
/// What the app can see is decided here and nowhere else.
/// </summary>
internal static class SandboxCommand
{
    public const string InputMount = "/iexec_in";
    public const string OutputMount = "/iexec_out";
    public const string AppMount = "/iexec_app";
    public const string Scratch = "/tmp";

    // System directories shown read-only: programs and their libraries. Merged-/usr systems have the
    // top-level ones as symbolic links into /usr, recreated as links.
    private static readonly string[] SystemDirectories = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

    // From /etc only what the dynamic loader and Debian's alternatives links (/usr/bin/awk → /etc/alternatives/awk)
    // need: no passwd, hosts, ssl or anything the operator configured.
    private static readonly string[] EtcEntries = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives"];

    // A handful of device nodes; bwrap's --dev would also give a writable, unbounded /dev/shm.
    private static readonly string[] Devices = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"];

    /// <summary>What the launcher needs to know about the host; filled once per runtime.</summary>
    public sealed record Host(NativeRuntimeOptions Options, bool HasPrlimit, bool HasSetsid, bool DropToSandboxUser);

    /// <summary>The app's path inside the sandbox: its file is shown read-only under <see cref="AppMount"/> with its own name.</summary>
    public static string AppPath(string program) => AppMount + "/" + Path.GetFileName(program);

    public static List<string> Build(Host host, string program, IReadOnlyList<string> args, ExecutionLimits limits, string inputDirectory, string outputDirectory, string? cgroupProcs)
    {
        var options = host.Options;
        var command = new List<string>();
        if (cgroupProcs is not null)
        {
            // The first process joins the run's cgroup before anything forks, so every descendant is counted.
            command.AddRange([options.ShellPath, "-c", "echo $$ > \"$0\" && exec \"$@\"", cgroupProcs]);
        }
        if (host.HasSetsid) command.Add(options.SetsidPath);
        long cpu = CpuSeconds(limits);
        if (host.HasPrlimit)
        {
            // Soft CPU limit sends SIGXCPU (reported as a CPU-time timeout); the hard one a second later SIGKILL.
            command.AddRange([options.PrlimitPath, $"--as={limits.MemoryBytes}", $"--cpu={cpu}:{cpu + 1}", $"--fsize={limits.MaxOutputBytes + 1}", "--core=0",
                $"--nproc={SandboxUserProcesses(options)}", "--"]);
        }
        if (host.DropToSandboxUser)
        {
            command.AddRange([options.SetprivPath, $"--reuid={options.SandboxUid}", $"--regid={options.SandboxGid}", "--clear-groups", "--"]);
        }
        AddBwrap(command, options, program, inputDirectory, outputDirectory);
        if (!host.HasPrlimit)
        {
            // Without prlimit the limits are set by the sandbox's own shell just before it becomes the app.
            command.AddRange(["/bin/sh", "-c", string.Create(CultureInfo.InvariantCulture,
                $"ulimit -v {(limits.MemoryBytes + 1023) / 1024} && ulimit -S -t {cpu} && ulimit -H -t {cpu + 1} && ulimit -f {(limits.MaxOutputBytes + 1 + 511) / 512} && ulimit -c 0 && ulimit -p {SandboxUserProcesses(options)} && exec \"$0\" \"$@\"")]);
        }
        // argv[0] is the program path as executed: native programs expect their own path there.
        command.Add(AppPath(program));
        command.AddRange(args);
        return command;
    }

    /// <summary>RLIMIT_NPROC counts every process of the sandbox user, so it bounds all concurrent runs together; the per-run bound is the cgroup.</summary>
    public static int SandboxUserProcesses(NativeRuntimeOptions options) => options.MaxProcesses * 8;

    public static long CpuSeconds(ExecutionLimits limits) => Math.Max(1, (long)Math.Ceiling(limits.CpuTime.TotalSeconds));

    private static void AddBwrap(List<string> command, NativeRuntimeOptions options, string program, string inputDirectory, string outputDirectory)
    {
        command.Add(options.BwrapPath);
        // Every namespace: no network (only a loopback nobody listens on), no view of the worker's processes,
        // no shared IPC, its own host name; no nested user namespaces (a way back to mount privileges).
        command.AddRange(["--unshare-all", "--unshare-user", "--disable-userns", "--hostname", "iexec"]);
        command.AddRange(["--uid", Number(options.SandboxUid), "--gid", Number(options.SandboxGid), "--cap-drop", "ALL"]);
        // The app dies with the worker, and cannot push input into the worker's terminal (TIOCSTI).
        command.AddRange(["--die-with-parent", "--new-session"]);
        foreach (string directory in SystemDirectories)
        {
            var info = new DirectoryInfo(directory);
            if (info.LinkTarget is { } target) command.AddRange(["--symlink", target, directory]);
            else if (info.Exists) command.AddRange(["--ro-bind", directory, directory]);
        }
        foreach (string entry in EtcEntries)
            command.AddRange(["--ro-bind-try", entry, entry]);
        foreach (string hidden in options.HiddenPaths)
            AddHidden(command, hidden);
        command.AddRange(["--proc", "/proc"]);
        command.AddRange(["--size", "65536", "--tmpfs", "/dev"]);
        foreach (string device in Devices)
            command.AddRange(["--dev-bind-try", device, device]);
        command.AddRange(["--symlink", "/proc/self/fd", "/dev/fd", "--symlink", "/proc/self/fd/0", "/dev/stdin",
            "--symlink", "/proc/self/fd/1", "/dev/stdout", "--symlink", "/proc/self/fd/2", "/dev/stderr", "--remount-ro", "/dev"]);
        command.AddRange(["--size", Number(options.ScratchBytes), "--tmpfs", Scratch]);
        command.AddRange(["--ro-bind", inputDirectory, InputMount]);
        command.AddRange(["--bind", outputDirectory, OutputMount]);
        command.AddRange(["--ro-bind", program, AppPath(program)]);
        command.AddRange(["--chdir", Scratch]);
        // The sandbox's root is a tmpfs bwrap made: read-only, or it would be unbounded scratch space.
        command.AddRange(["--remount-ro", "/"]);
        command.Add("--");
    }

    /// <summary>A hidden path under a shown directory is covered by an empty one (or /dev/null for a file); elsewhere it is not there to begin with.</summary>
    private static void AddHidden(List<string> command, string hidden)
    {
        string full = Path.GetFullPath(hidden);
        bool shown = false;
        foreach (string directory in SystemDirectories)
            shown |= IsUnder(full, directory);
        foreach (string entry in EtcEntries)
            shown |= IsUnder(full, entry);
        if (!shown) return;
        if (Directory.Exists(full)) command.AddRange(["--size", "4096", "--tmpfs", full, "--remount-ro", full]);
        else if (File.Exists(full)) command.AddRange(["--ro-bind", "/dev/null", full]);
    }

    private static bool IsUnder(string path, string directory) =>
        path == directory || path.StartsWith(directory + "/", StringComparison.Ordinal);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
