using System.Diagnostics;
using IExecChain.Core.Results;
using IExecChain.Worker.Execution;
using Wasmtime;

namespace IExecChain.Worker.Wasm;

/// <summary>
/// Runs apps compiled to WebAssembly as WASI commands on Wasmtime, deterministically
/// (docs/worker.md): argv = app name then the task's arguments, empty stdin and environment,
/// the dataset read-only at /iexec_in/dataset, results written under /iexec_out, no clock or
/// entropy from the host, fuel and memory limits from the task, and a wall-clock watchdog.
/// One instance serves the whole node: the engine, linker, compiled modules and instance slots
/// are shared by all runs. <see cref="Run"/> is synchronous and thread-safe; call it from as many
/// threads as <see cref="WasmRuntimeOptions.MaxConcurrentRuns"/>.
/// </summary>
public sealed class WasmRuntime : IDisposable
{
    public const string InputDirectory = "/iexec_in";
    public const string OutputDirectory = "/iexec_out";
    private const int PageSize = 65_536;

    private readonly WasmRuntimeOptions _options;
    private readonly Engine _engine;
    private readonly Linker _linker;
    private readonly ModuleCache _modules;
    private readonly RunDirectoryPool _directories;
    private readonly SemaphoreSlim _slots;
    private readonly Timer _watchdog;
    private int _disposed;

    public WasmRuntime(WasmRuntimeOptions? options = null)
    {
        _options = options ?? new WasmRuntimeOptions();
        _options.Validate();
        using (var pooling = new PoolingAllocationConfig())
        using (var config = new Config())
        {
            // Pre-reserved instance and memory slots make instantiation a few tens of
            // microseconds instead of an mmap/munmap of the whole reservation per run.
            pooling.WithMaxCoreInstances((uint)_options.MaxConcurrentRuns)
                .WithMaxMemories((uint)_options.MaxConcurrentRuns)
                .WithMaxTables((uint)_options.MaxConcurrentRuns)
                .WithMaxTableElements(200_000)
                .WithMaxMemorySize((nuint)_options.MaxMemoryBytes);
            config.WithFuelConsumption(true)
                .WithEpochInterruption(true)
                // Replicas on different CPUs must agree bit for bit: canonical NaNs, and no
                // relaxed SIMD (whose results the spec leaves to the hardware) or threads.
                .WithCraneliftNaNCanonicalization(true)
                .WithRelaxedSIMD(false, true)
                .WithWasmThreads(false)
                // Typed references (GC, function references, exnref) are refused at compile time: the C API
                // the .NET binding reads module types through aborts the whole process on a
                // reference type other than funcref/externref (found by fuzzing: a 37-byte module
                // with a `nofunc` result killed the worker, and with it the node).
                .WithGc(false)
                .WithFunctionReferences(false)
                .WithExceptions(false)
                .WithPoolingAllocationStrategy(pooling);
            _engine = new Engine(config);
        }
        _linker = new Linker(_engine);
        _linker.DefineWasi();
        DeterministicWasi.Define(_linker);
        // Everything above that shapes compiled code, and the Wasmtime build: a compiled module on disk is
        // looked up only by an engine made the same way (Wasmtime would refuse another's anyway).
        string settings = $"wasmtime {typeof(Engine).Assembly.GetName().Version}; fuel; epoch; nan-canonical; relaxed-simd deterministic off; " +
            $"no threads, gc, function references, exceptions; pooling {_options.MaxConcurrentRuns} x {_options.MaxMemoryBytes} bytes, 200000 table elements";
        _modules = new ModuleCache(_engine, _options.ModuleCacheSize, _options.CompiledModuleDirectory, settings, _options.MaxMemoryBytes);
        _directories = new RunDirectoryPool(_options.WorkDirectory, _options.MaxConcurrentRuns);
        _slots = new SemaphoreSlim(_options.MaxConcurrentRuns, _options.MaxConcurrentRuns);
        _watchdog = new Timer(_ => _engine.IncrementEpoch(), null, _options.WatchdogTick, _options.WatchdogTick);
    }

    /// <summary>Compiled modules currently cached.</summary>
    public int CachedModules => _modules.Count;

    /// <summary>Modules compiled from their bytes since start.</summary>
    public long ModulesCompiled => _modules.Compiled;

    /// <summary>Modules loaded compiled from <see cref="WasmRuntimeOptions.CompiledModuleDirectory"/> since start.</summary>
    public long ModulesLoaded => _modules.Loaded;

    /// <summary>The file <paramref name="code"/>'s compiled form is kept in, or null without a directory.</summary>
    public string? CompiledPath(WasmCode code) => _modules.CompiledPath(code.CodeHash);

    /// <summary>
    /// Compiles <paramref name="code"/> (or loads it compiled from disk) ahead of its first run, so that
    /// run does not pay for it; null when it can run, else why it cannot (the same reason a run gives).
    /// </summary>
    public string? Prepare(WasmCode code)
    {
        ArgumentNullException.ThrowIfNull(code);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        using var lease = _modules.Acquire(code);
        return lease.Error;
    }

    /// <summary>Runs <paramref name="code"/> once; never throws for anything the app does, only for bad arguments.</summary>
    public ExecutionResult Run(WasmCode code, TaskInput input, ExecutionLimits limits)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        if (limits.MemoryBytes > _options.MaxMemoryBytes)
            throw new ArgumentOutOfRangeException(nameof(limits), limits.MemoryBytes, $"the memory limit exceeds this runtime's MaxMemoryBytes ({_options.MaxMemoryBytes})");
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        long started = Stopwatch.GetTimestamp();
        using var lease = _modules.Acquire(code);
        if (lease.Module is null)
            return new ExecutionResult { Status = ExecutionStatus.InvalidModule, Error = lease.Error, Elapsed = Stopwatch.GetElapsedTime(started) };

        _slots.Wait();
        RunDirectory? directory = null;
        try
        {
            directory = _directories.Rent();
            directory.WriteDataset(input);
            return Execute(lease.Module, input, limits, directory, started);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ExecutionResult { Status = ExecutionStatus.HostError, Error = $"worker I/O failed: {e.Message}", Elapsed = Stopwatch.GetElapsedTime(started) };
        }
        finally
        {
            if (directory is not null) _directories.Return(directory);
            _slots.Release();
        }
    }

    private ExecutionResult Execute(Module module, TaskInput input, ExecutionLimits limits, RunDirectory directory, long started)
    {
        var stdout = new CappedBuffer(limits.MaxStdoutBytes);
        var stderr = new CappedBuffer(limits.MaxStderrBytes);
        ExecutionStatus? failure = null;
        string? error = null;
        int? exitCode = null;
        ulong fuelUsed;

        using (var store = new Store(_engine, new RunContext(input.RandomSeed, input.ClockNanos)))
        {
            store.Fuel = limits.Fuel;
            store.SetLimits(memorySize: limits.MemoryBytes);
            store.SetEpochDeadline((ulong)Math.Ceiling(limits.WallClock / _options.WatchdogTick) + 1);
            store.SetWasiConfiguration(new WasiConfiguration()
                .WithArgs(input.Argv())
                // Throwing closes stdout for the guest: its further writes fail fast instead of spinning.
                .WithStandardOutputCallback(data => { if (!stdout.Write(data)) throw new InvalidOperationException("stdout limit"); })
                .WithStandardErrorCallback(data => stderr.Write(data))
                .WithPreopenedDirectory(directory.InputDirectory, InputDirectory, false)
                .WithPreopenedDirectory(directory.OutputDirectory, OutputDirectory, true));

            Instance? instance = null;
            try
            {
                instance = _linker.Instantiate(store, module);
                instance.GetAction("_start")!.Invoke();
                exitCode = 0;
            }
            catch (TrapException trap)
            {
                (failure, error) = Classify(trap, instance, limits);
            }
            catch (WasmtimeException e) when (e.ExitCode is { } code)
            {
                exitCode = code;
            }
            catch (WasmtimeException e) when (instance is null)
            {
                string cause = WasmErrors.Summarize(e.Message);
                (failure, error) = cause.Contains("exceeds memory limits", StringComparison.Ordinal)
                    ? (ExecutionStatus.OutOfMemory, $"the module's initial memory exceeds the {limits.MemoryBytes}-byte limit ({cause})")
                    : (ExecutionStatus.InvalidModule, $"cannot instantiate: {cause}");
            }
            catch (WasmtimeException e)
            {
                // A host call failed in a way WASI reports as a trap (e.g. a bad pointer given to fd_write).
                (failure, error) = (ExecutionStatus.Trapped, WasmErrors.Summarize(e.Message));
            }
            fuelUsed = limits.Fuel - store.Fuel;
        }

        if (stdout.Overflowed)
            (failure, error) = (ExecutionStatus.OutputTooLarge, $"stdout exceeds {limits.MaxStdoutBytes} bytes");
        if (failure is { } status)
            return Result(status, null, stdout, stderr, [], null, fuelUsed, error, started);

        var (files, outputError) = OutputCollector.Collect(directory.OutputDirectory, limits);
        if (files is null)
            return Result(ExecutionStatus.OutputTooLarge, exitCode, stdout, stderr, [], null, fuelUsed, outputError, started);
        byte[] stdoutBytes = stdout.ToArray();
        var digest = ResultDigest.Compute(exitCode!.Value, stdoutBytes, files);
        return new ExecutionResult
        {
            Status = exitCode == 0 ? ExecutionStatus.Success : ExecutionStatus.NonZeroExit,
            ExitCode = exitCode,
            Stdout = stdoutBytes,
            Stderr = stderr.ToArray(),
            StderrTruncated = stderr.Overflowed,
            OutputFiles = files,
            Digest = digest,
            FuelUsed = fuelUsed,
            Error = exitCode == 0 ? null : $"exited with code {exitCode}",
            Elapsed = Stopwatch.GetElapsedTime(started),
        };
    }

    private static (ExecutionStatus, string) Classify(TrapException trap, Instance? instance, ExecutionLimits limits)
    {
        string cause = WasmErrors.Summarize(trap.Message);
        switch (trap.Type)
        {
            case TrapCode.OutOfFuel:
                return (ExecutionStatus.OutOfFuel, $"ran out of fuel ({limits.Fuel} units)");
            case TrapCode.Interrupt:
                return (ExecutionStatus.Timeout, $"still running after {limits.WallClock.TotalSeconds:0.###} s");
        }
        // Wasmtime does not say that a memory.grow was refused; a trap with memory within a page
        // of the limit is what an allocator aborting on a failed grow looks like.
        long memory = instance?.GetMemory("memory")?.GetLength() ?? 0;
        if (memory + PageSize > limits.MemoryBytes)
            return (ExecutionStatus.OutOfMemory, $"trapped with its memory at the {limits.MemoryBytes}-byte limit ({cause})");
        return (ExecutionStatus.Trapped, $"trap {trap.Type}: {cause}");
    }

    private static ExecutionResult Result(ExecutionStatus status, int? exitCode, CappedBuffer stdout, CappedBuffer stderr,
        IReadOnlyList<OutputFile> files, IExecChain.Core.Primitives.Hash256? digest, ulong fuelUsed, string? error, long started) => new()
        {
            Status = status,
            ExitCode = exitCode,
            Stdout = stdout.ToArray(),
            Stderr = stderr.ToArray(),
            StderrTruncated = stderr.Overflowed,
            OutputFiles = files,
            Digest = digest,
            FuelUsed = fuelUsed,
            Error = error,
            Elapsed = Stopwatch.GetElapsedTime(started),
        };

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _watchdog.Dispose();
        _modules.Dispose();
        _linker.Dispose();
        _engine.Dispose();
        _directories.Dispose();
        _slots.Dispose();
    }
}
