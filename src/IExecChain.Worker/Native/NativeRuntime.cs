using System.ComponentModel;
using System.Diagnostics;
using IExecChain.Worker.Execution;

namespace IExecChain.Worker.Native;

/// <summary>
/// Runs a native executable for pools that allow legacy apps (docs/worker.md), always inside a bubblewrap
/// sandbox: its own user, pid, network, IPC, UTS and mount namespaces, read-only system directories and
/// nothing else of the host but its input (read-only) and its output directory (a size-limited tmpfs),
/// a private /tmp, an unprivileged user, and bounds on processes, memory, CPU time and file size. A wall-clock
/// timeout kills the whole sandbox. Native runs are not deterministic in general; the digest rules are the
/// same as for WebAssembly. Linux only; the sandbox needs root (<see cref="SandboxProblem"/> says why not).
/// </summary>
public sealed class NativeRuntime
{
    private const int SignalExitBase = 128;
    private const int SigAbrt = 6, SigBus = 7, SigKill = 9, SigSegv = 11, SigXcpu = 24, SigXfsz = 25;

    // Messages with which common runtimes report a failed allocation before dying.
    private static readonly string[] AllocationFailures =
        ["cannot allocate memory", "out of memory", "memory exhausted", "bad_alloc", "memoryerror", "failed to allocate", "allocation failed"];

    private readonly NativeRuntimeOptions _options;
    private readonly SandboxCommand.Host _host;

    public NativeRuntime(NativeRuntimeOptions? options = null)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the native runtime needs Linux (namespaces, prlimit, process groups)");
        _options = options ?? new NativeRuntimeOptions();
        bool hasPrlimit = File.Exists(_options.PrlimitPath);
        if (!hasPrlimit && !File.Exists(_options.ShellPath))
            throw new InvalidOperationException($"neither {_options.PrlimitPath} nor {_options.ShellPath} exists: no way to set limits");
        _host = new SandboxCommand.Host(_options, hasPrlimit, File.Exists(_options.SetsidPath), DropToSandboxUser: true);
        SandboxProblem = FindSandboxProblem(_options);
        if (SandboxProblem is null) LeftoversCleaned = RunLeftovers.Sweep(WorkBase, _options.PidsCgroupRoot);
    }

    /// <summary>Runs of workers that died mid-task whose mounts, directories and cgroups this runtime removed when it started.</summary>
    public int LeftoversCleaned { get; }

    private string WorkBase => _options.WorkDirectory ?? Path.GetTempPath();

    /// <summary>
    /// Why native apps cannot run on this machine, or null when they can. There is no unsandboxed mode:
    /// while this is set every run is refused with <see cref="ExecutionStatus.HostError"/>.
    /// </summary>
    public string? SandboxProblem { get; }

    /// <summary>Whether each run gets its own pids cgroup (a fork bomb is then reported as such).</summary>
    public bool HasPidsCgroup => _options.PidsCgroupRoot is { } root && Directory.Exists(root);

    /// <summary>Whether limits are set with prlimit (true) or the shell's ulimit (false).</summary>
    public bool UsesPrlimit => _host.HasPrlimit;

    /// <summary>Runs <paramref name="executable"/> (a path, or a name looked up in <see cref="NativeRuntimeOptions.SearchPath"/>) once.</summary>
    public async Task<ExecutionResult> RunAsync(string executable, TaskInput input, ExecutionLimits limits, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executable);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        long started = Stopwatch.GetTimestamp();

        if (SandboxProblem is { } problem)
            return new ExecutionResult { Status = ExecutionStatus.HostError, Error = "native apps run only in the sandbox, which cannot be built here: " + problem, Elapsed = Stopwatch.GetElapsedTime(started) };
        string? program = Resolve(executable);
        if (program is null)
            return new ExecutionResult { Status = ExecutionStatus.InvalidModule, Error = $"no executable file '{executable}'", Elapsed = Stopwatch.GetElapsedTime(started) };

        RunDirectory? directory = null;
        OutputTmpfs? output = null;
        PidsCgroup? cgroup = null;
        try
        {
            string root = Path.Combine(WorkBase, RunLeftovers.Name(RunLeftovers.RunPrefix));
            directory = new RunDirectory(root);
            // The sandbox user only passes through the run's root and reads its input.
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            File.SetUnixFileMode(directory.InputDirectory, ReadableDirectory);
            if (directory.WriteDataset(input))
            {
                File.SetUnixFileMode(directory.DatasetPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }
            // The app is run from a copy in the run directory: the sandbox user may not be able to reach the
            // original (under the worker's 0700 data directory, say), and the copy cannot change under the run.
            string app = Path.Combine(root, "app", Path.GetFileName(program));
            Directory.CreateDirectory(Path.GetDirectoryName(app)!);
            File.SetUnixFileMode(Path.GetDirectoryName(app)!, ReadableDirectory);
            File.Copy(program, app);
            File.SetUnixFileMode(app, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            output = OutputTmpfs.Mount(directory.OutputDirectory, limits.MaxOutputBytes, limits.MaxOutputFiles, _options.SandboxUid, _options.SandboxGid);
            cgroup = PidsCgroup.TryCreate(_options.PidsCgroupRoot, _options.MaxProcesses);
            return await ExecuteAsync(app, input, limits, directory, output, cgroup, started, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ExecutionResult { Status = ExecutionStatus.HostError, Error = $"worker I/O failed: {e.Message}", Elapsed = Stopwatch.GetElapsedTime(started) };
        }
        finally
        {
            cgroup?.Dispose();
            output?.Dispose();
            directory?.Delete();
        }
    }

    private const UnixFileMode ReadableDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private async Task<ExecutionResult> ExecuteAsync(string program, TaskInput input, ExecutionLimits limits, RunDirectory directory, OutputTmpfs output, PidsCgroup? cgroup, long started, CancellationToken ct)
    {
        var info = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var command = SandboxCommand.Build(_host, program, input.Args, limits, directory.InputDirectory, directory.OutputDirectory, cgroup?.ProcsFile);
        info.FileName = command[0];
        foreach (string part in command.Skip(1)) info.ArgumentList.Add(part);
        // The launcher and bwrap need nothing from the environment; the app gets exactly this list.
        info.Environment.Clear();
        info.Environment["PATH"] = _options.SearchPath;
        info.Environment["HOME"] = SandboxCommand.Scratch;
        info.Environment["LC_ALL"] = "C";
        info.Environment["TZ"] = "UTC";
        info.Environment["IEXEC_IN"] = SandboxCommand.InputMount;
        info.Environment["IEXEC_OUT"] = SandboxCommand.OutputMount;
        if (input.HasDataset) info.Environment["IEXEC_DATASET_FILENAME"] = RunDirectory.DatasetFileName;

        var stdout = new CappedBuffer(limits.MaxStdoutBytes);
        var stderr = new CappedBuffer(limits.MaxStderrBytes);
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return Failed(ExecutionStatus.HostError, $"cannot start {info.FileName}: {e.Message}", stdout, stderr, started);
        }
        int groupId = _host.HasSetsid ? process.Id : 0;
        process.StandardInput.Close();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bool outputOverflow = false;
        var readStdout = DrainAsync(process.StandardOutput.BaseStream, stdout, () => { outputOverflow = true; stop.Cancel(); });
        var readStderr = DrainAsync(process.StandardError.BaseStream, stderr, null);

        bool timedOut = false;
        stop.CancelAfter(limits.WallClock);
        try
        {
            await process.WaitForExitAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = !outputOverflow && !ct.IsCancellationRequested;
            KillAll(process, groupId, cgroup);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        // The pid namespace ends with the app, but a launcher that failed half-way may leave processes behind.
        KillAll(process, groupId, cgroup);
        await Task.WhenAny(Task.WhenAll(readStdout, readStderr), Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();

        if (outputOverflow || stdout.Overflowed)
            return Failed(ExecutionStatus.OutputTooLarge, $"stdout exceeds {limits.MaxStdoutBytes} bytes", stdout, stderr, started);
        // The bounds first: a fork bomb or a disk filler usually ends in a timeout or an error exit, and the bound is the cause.
        if (cgroup is not null && cgroup.LimitReached())
            return Failed(ExecutionStatus.TooManyProcesses, $"the app reached its bound of {_options.MaxProcesses} processes", stdout, stderr, started);
        if (output.IsFull())
            return Failed(ExecutionStatus.OutputTooLarge, $"the output directory reached its bound ({limits.MaxOutputBytes} bytes of files, at most {limits.MaxOutputFiles} files)", stdout, stderr, started);
        if (timedOut)
            return Failed(ExecutionStatus.Timeout, $"still running after {limits.WallClock.TotalSeconds:0.###} s; its sandbox was killed", stdout, stderr, started);

        int exitCode = process.ExitCode;
        if (Classify(exitCode, stderr, limits) is { } failure)
            return Failed(failure.Status, failure.Error, stdout, stderr, started);

        var (files, outputError) = OutputCollector.Collect(directory.OutputDirectory, limits);
        if (files is null) return Failed(ExecutionStatus.OutputTooLarge, outputError, stdout, stderr, started);
        byte[] stdoutBytes = stdout.ToArray();
        return new ExecutionResult
        {
            Status = exitCode == 0 ? ExecutionStatus.Success : ExecutionStatus.NonZeroExit,
            ExitCode = exitCode,
            Stdout = stdoutBytes,
            Stderr = stderr.ToArray(),
            StderrTruncated = stderr.Overflowed,
            OutputFiles = files,
            Digest = ResultDigest.Compute(exitCode, stdoutBytes, files),
            Error = exitCode == 0 ? null : $"exited with code {exitCode}",
            Elapsed = Stopwatch.GetElapsedTime(started),
        };
    }

    private static string? FindSandboxProblem(NativeRuntimeOptions options)
    {
        if (!File.Exists(options.BwrapPath)) return $"{options.BwrapPath} is missing (Debian package bubblewrap)";
        if (!File.Exists(options.SetprivPath)) return $"{options.SetprivPath} is missing (util-linux)";
        // Root mounts the bounded output tmpfs and hands the app to an unprivileged user whose processes RLIMIT_NPROC can count.
        if (!Environment.IsPrivilegedProcess) return "the worker is not running as root (needed for the output tmpfs and the sandbox user)";
        return null;
    }

    /// <summary>
    /// An exit code above 128 is how .NET (like a shell) reports death by signal 128+N; an app
    /// that exits with such a code on purpose is read the same way.
    /// </summary>
    private (ExecutionStatus Status, string Error)? Classify(int exitCode, CappedBuffer stderr, ExecutionLimits limits)
    {
        int signal = exitCode - SignalExitBase;
        if (signal == SigXcpu)
            return (ExecutionStatus.Timeout, $"CPU-time limit of {SandboxCommand.CpuSeconds(limits)} s reached (SIGXCPU)");
        if (signal == SigXfsz)
            return (ExecutionStatus.OutputTooLarge, $"an output file passed {limits.MaxOutputBytes} bytes (SIGXFSZ)");
        if (signal is SigSegv or SigAbrt or SigBus or SigKill)
            return (ExecutionStatus.OutOfMemory, $"killed by signal {signal} under the {limits.MemoryBytes}-byte address-space limit; a failed allocation is the usual cause");
        string errors = System.Text.Encoding.UTF8.GetString(stderr.ToArray());
        // bwrap reports its own failures on stderr, prefixed with its name, and exits with 1: the run says nothing
        // about the app and must not become a result. An app that imitates this only loses its own digest.
        if (exitCode == 1 && errors.StartsWith("bwrap: ", StringComparison.Ordinal))
            return errors.StartsWith("bwrap: execvp ", StringComparison.Ordinal)
                ? (ExecutionStatus.InvalidModule, "the executable could not be started: " + errors.Trim())
                : (ExecutionStatus.HostError, "the sandbox could not be built: " + errors.Trim());
        if (exitCode is 126 or 127 && errors.Contains("failed to execute", StringComparison.Ordinal))
            return (ExecutionStatus.HostError, "the sandbox's launcher could not be started: " + errors.Trim());
        if (exitCode is 126 or 127 && errors.Contains("exec: " + SandboxCommand.AppMount + "/", StringComparison.Ordinal))
            return (ExecutionStatus.InvalidModule, "the executable could not be started: " + errors.Trim());
        if (signal is > 0 and < 32)
            return (ExecutionStatus.Trapped, $"killed by signal {signal}");
        if (exitCode != 0)
        {
            string text = errors.ToLowerInvariant();
            foreach (string phrase in AllocationFailures)
                if (text.Contains(phrase, StringComparison.Ordinal))
                    return (ExecutionStatus.OutOfMemory, $"exited with code {exitCode} after reporting a failed allocation under the {limits.MemoryBytes}-byte limit");
        }
        return null;
    }

    private string? Resolve(string executable)
    {
        if (executable.Contains('/', StringComparison.Ordinal))
            return IsExecutable(executable) ? Path.GetFullPath(executable) : null;
        foreach (string directory in _options.SearchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, executable);
            if (IsExecutable(candidate)) return candidate;
        }
        return null;
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    private static async Task DrainAsync(Stream stream, CappedBuffer buffer, Action? onOverflow)
    {
        byte[] chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
            {
                if (!buffer.Write(chunk.AsSpan(0, read)) && onOverflow is not null)
                {
                    onOverflow();
                    onOverflow = null;
                }
            }
        }
        catch (IOException)
        {
            // The pipe broke because the process was killed: what was read is kept.
        }
    }

    private static void KillAll(Process process, int groupId, PidsCgroup? cgroup)
    {
        ProcessGroup.Kill(groupId);
        ProcessGroup.WaitGone(groupId, TimeSpan.FromSeconds(2));
        cgroup?.KillAll(TimeSpan.FromSeconds(2));
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited in between.
        }
    }

    private static ExecutionResult Failed(ExecutionStatus status, string? error, CappedBuffer stdout, CappedBuffer stderr, long started) => new()
    {
        Status = status,
        Stdout = stdout.ToArray(),
        Stderr = stderr.ToArray(),
        StderrTruncated = stderr.Overflowed,
        Error = error,
        Elapsed = Stopwatch.GetElapsedTime(started),
    };
}
