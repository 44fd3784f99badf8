using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using IExecChain.Worker.Execution;

namespace IExecChain.Worker.Native;

/// <summary>
/// Runs a native executable for pools that allow legacy apps (docs/worker.md): a fresh working
/// directory per run, the dataset at $IEXEC_IN/dataset, results in $IEXEC_OUT, an empty stdin, a
/// minimal environment, address-space, CPU-time and file-size limits set by prlimit (or ulimit),
/// and a wall-clock timeout that kills the app's whole process group. Native runs are not
/// deterministic in general; the digest rules are the same as for WebAssembly. Linux only.
/// </summary>
public sealed class NativeRuntime
{
    private const int SignalExitBase = 128;
    private const int SigAbrt = 6, SigBus = 7, SigKill = 9, SigSegv = 11, SigXcpu = 24, SigXfsz = 25;

    // Messages with which common runtimes report a failed allocation before dying.
    private static readonly string[] AllocationFailures =
        ["cannot allocate memory", "out of memory", "memory exhausted", "bad_alloc", "memoryerror", "failed to allocate", "allocation failed"];

    private readonly NativeRuntimeOptions _options;
    private readonly bool _hasPrlimit;
    private readonly bool _hasSetsid;

    public NativeRuntime(NativeRuntimeOptions? options = null)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the native runtime needs Linux (prlimit, process groups)");
        _options = options ?? new NativeRuntimeOptions();
        _hasPrlimit = File.Exists(_options.PrlimitPath);
        _hasSetsid = File.Exists(_options.SetsidPath);
        if (!_hasPrlimit && !File.Exists(_options.ShellPath))
            throw new InvalidOperationException($"neither {_options.PrlimitPath} nor {_options.ShellPath} exists: no way to set limits");
    }

    /// <summary>Whether limits are set with prlimit (true) or the shell's ulimit (false).</summary>
    public bool UsesPrlimit => _hasPrlimit;

    /// <summary>Runs <paramref name="executable"/> (a path, or a name looked up in <see cref="NativeRuntimeOptions.SearchPath"/>) once.</summary>
    public async Task<ExecutionResult> RunAsync(string executable, TaskInput input, ExecutionLimits limits, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executable);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        long started = Stopwatch.GetTimestamp();

        string? program = Resolve(executable);
        if (program is null)
            return new ExecutionResult { Status = ExecutionStatus.InvalidModule, Error = $"no executable file '{executable}'", Elapsed = Stopwatch.GetElapsedTime(started) };

        RunDirectory? directory = null;
        try
        {
            string root = Path.Combine(_options.WorkDirectory ?? Path.GetTempPath(), "iexec-native-" + Guid.NewGuid().ToString("N"));
            directory = new RunDirectory(root);
            string work = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
            if (input.Dataset is { } dataset) directory.WriteDataset(dataset);
            return await ExecuteAsync(program, input, limits, directory, work, started, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ExecutionResult { Status = ExecutionStatus.HostError, Error = $"worker I/O failed: {e.Message}", Elapsed = Stopwatch.GetElapsedTime(started) };
        }
        finally
        {
            directory?.Delete();
        }
    }

    private async Task<ExecutionResult> ExecuteAsync(string program, TaskInput input, ExecutionLimits limits, RunDirectory directory, string work, long started, CancellationToken ct)
    {
        var info = new ProcessStartInfo
        {
            WorkingDirectory = work,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        BuildCommand(info, program, input, limits);
        info.Environment.Clear();
        info.Environment["PATH"] = _options.SearchPath;
        info.Environment["HOME"] = work;
        info.Environment["LC_ALL"] = "C";
        info.Environment["TZ"] = "UTC";
        info.Environment["IEXEC_IN"] = directory.InputDirectory;
        info.Environment["IEXEC_OUT"] = directory.OutputDirectory;
        if (input.Dataset is not null) info.Environment["IEXEC_DATASET_FILENAME"] = RunDirectory.DatasetFileName;

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
        int groupId = _hasSetsid ? process.Id : 0;
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
            KillAll(process, groupId);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        // Children the app left running would hold the pipes open (and keep running): end them.
        KillAll(process, groupId);
        await Task.WhenAny(Task.WhenAll(readStdout, readStderr), Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();

        if (timedOut)
            return Failed(ExecutionStatus.Timeout, $"still running after {limits.WallClock.TotalSeconds:0.###} s; its process group was killed", stdout, stderr, started);
        if (outputOverflow || stdout.Overflowed)
            return Failed(ExecutionStatus.OutputTooLarge, $"stdout exceeds {limits.MaxStdoutBytes} bytes", stdout, stderr, started);

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

    /// <summary>
    /// An exit code above 128 is how .NET (like a shell) reports death by signal 128+N; an app
    /// that exits with such a code on purpose is read the same way.
    /// </summary>
    private (ExecutionStatus Status, string Error)? Classify(int exitCode, CappedBuffer stderr, ExecutionLimits limits)
    {
        int signal = exitCode - SignalExitBase;
        if (signal == SigXcpu)
            return (ExecutionStatus.Timeout, $"CPU-time limit of {CpuSeconds(limits)} s reached (SIGXCPU)");
        if (signal == SigXfsz)
            return (ExecutionStatus.OutputTooLarge, $"an output file passed {limits.MaxOutputBytes} bytes (SIGXFSZ)");
        if (signal is SigSegv or SigAbrt or SigBus or SigKill)
            return (ExecutionStatus.OutOfMemory, $"killed by signal {signal} under the {limits.MemoryBytes}-byte address-space limit; a failed allocation is the usual cause");
        if (exitCode is 126 or 127 && System.Text.Encoding.UTF8.GetString(stderr.ToArray()).Contains("failed to execute", StringComparison.Ordinal))
            return (ExecutionStatus.InvalidModule, "the executable could not be started: " + System.Text.Encoding.UTF8.GetString(stderr.ToArray()).Trim());
        if (signal is > 0 and < 32)
            return (ExecutionStatus.Trapped, $"killed by signal {signal}");
        if (exitCode != 0)
        {
            string text = System.Text.Encoding.UTF8.GetString(stderr.ToArray()).ToLowerInvariant();
            foreach (string phrase in AllocationFailures)
                if (text.Contains(phrase, StringComparison.Ordinal))
                    return (ExecutionStatus.OutOfMemory, $"exited with code {exitCode} after reporting a failed allocation under the {limits.MemoryBytes}-byte limit");
        }
        return null;
    }

    private void BuildCommand(ProcessStartInfo info, string program, TaskInput input, ExecutionLimits limits)
    {
        var command = new List<string>();
        if (_hasSetsid) command.Add(_options.SetsidPath);
        long cpu = CpuSeconds(limits);
        if (_hasPrlimit)
        {
            command.Add(_options.PrlimitPath);
            command.Add($"--as={limits.MemoryBytes}");
            // Soft limit sends SIGXCPU (reported as a CPU-time timeout); the hard one a second later SIGKILL.
            command.Add($"--cpu={cpu}:{cpu + 1}");
            command.Add($"--fsize={limits.MaxOutputBytes + 1}");
            command.Add("--core=0");
            command.Add("--");
            command.Add(program);
        }
        else
        {
            command.Add(_options.ShellPath);
            command.Add("-c");
            command.Add(string.Create(CultureInfo.InvariantCulture,
                $"ulimit -v {(limits.MemoryBytes + 1023) / 1024} && ulimit -S -t {cpu} && ulimit -H -t {cpu + 1} && ulimit -c 0 && exec \"$0\" \"$@\""));
            command.Add(program);
        }
        // argv[0] is the program path as executed; the app name is not passed as a separate argument
        // because native programs expect their own path there.
        foreach (string arg in input.Args) command.Add(arg);
        info.FileName = command[0];
        foreach (string part in command.Skip(1)) info.ArgumentList.Add(part);
    }

    private static long CpuSeconds(ExecutionLimits limits) => Math.Max(1, (long)Math.Ceiling(limits.CpuTime.TotalSeconds));

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

    private static void KillAll(Process process, int groupId)
    {
        ProcessGroup.Kill(groupId);
        ProcessGroup.WaitGone(groupId, TimeSpan.FromSeconds(2));
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
