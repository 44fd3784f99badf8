namespace IExecChain.Worker.Native;

/// <summary>
/// Per-node settings of the native process runtime; per-task limits are <see cref="Execution.ExecutionLimits"/>.
/// There is deliberately no setting that turns the sandbox off (docs/decisions.md, "Worker", "Native sandbox").
/// </summary>
public sealed class NativeRuntimeOptions
{
    /// <summary>Where run directories are made; null for the system temp directory. The sandbox user must be able to traverse it.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>util-linux prlimit, used to set the limits when present; otherwise the shell's ulimit inside the sandbox.</summary>
    public string PrlimitPath { get; init; } = "/usr/bin/prlimit";

    /// <summary>util-linux setsid: the sandbox's launcher leads its own process group, so a timeout kills everything it started.</summary>
    public string SetsidPath { get; init; } = "/usr/bin/setsid";

    /// <summary>util-linux setpriv: drops from root to <see cref="SandboxUid"/> before the sandbox is built.</summary>
    public string SetprivPath { get; init; } = "/usr/bin/setpriv";

    /// <summary>bubblewrap (Debian package bubblewrap): builds the namespaces and mounts every native app runs in.</summary>
    public string BwrapPath { get; init; } = "/usr/bin/bwrap";

    public string ShellPath { get; init; } = "/bin/sh";

    /// <summary>PATH given to apps; nothing else of the worker's environment is passed on.</summary>
    public string SearchPath { get; init; } = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>
    /// The host user and group the app runs as: unprivileged, owning no file of the worker, and used for
    /// nothing else, so RLIMIT_NPROC bounds the processes of native apps alone. 65534 is Debian's nobody.
    /// </summary>
    public int SandboxUid { get; init; } = 65534;

    public int SandboxGid { get; init; } = 65534;

    /// <summary>
    /// Processes (and threads) one run may have at once, the sandbox's own two included. Enforced by a pids
    /// cgroup per run when <see cref="PidsCgroupRoot"/> is usable (the run is then told apart as
    /// TooManyProcesses), and always by RLIMIT_NPROC on the sandbox user, shared by concurrent runs.
    /// </summary>
    public int MaxProcesses { get; init; } = 64;

    /// <summary>A cgroup directory (v1 pids hierarchy, or a delegated v2 one with the pids controller) under which a cgroup per run is made; null for none.</summary>
    public string? PidsCgroupRoot { get; init; } = Directory.Exists("/sys/fs/cgroup/pids") ? "/sys/fs/cgroup/pids" : null;

    /// <summary>Size of the app's private /tmp (its working directory and HOME), held in memory while it runs.</summary>
    public long ScratchBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Host paths the app must never see even if they lie under a system directory the sandbox shows
    /// (/usr, /etc/alternatives...): the worker's data directory and key files. Each is covered by an empty mount.
    /// </summary>
    public IReadOnlyList<string> HiddenPaths { get; init; } = [];
}
