namespace IExecChain.Worker.Native;

/// <summary>Per-node settings of the native process runtime; per-task limits are <see cref="Execution.ExecutionLimits"/>.</summary>
public sealed class NativeRuntimeOptions
{
    /// <summary>Where run directories are made; null for the system temp directory.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>util-linux prlimit, used to set the limits when present; otherwise the shell's ulimit.</summary>
    public string PrlimitPath { get; init; } = "/usr/bin/prlimit";

    /// <summary>util-linux setsid: runs the app as the leader of its own process group, so a timeout kills everything it started.</summary>
    public string SetsidPath { get; init; } = "/usr/bin/setsid";

    public string ShellPath { get; init; } = "/bin/sh";

    /// <summary>PATH given to apps; nothing else of the worker's environment is passed on.</summary>
    public string SearchPath { get; init; } = "/usr/local/bin:/usr/bin:/bin";
}
