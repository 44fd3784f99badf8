namespace IExecChain.Worker.Wasm;

/// <summary>Per-node settings of the WebAssembly runtime; per-task limits are <see cref="Execution.ExecutionLimits"/>.</summary>
public sealed class WasmRuntimeOptions
{
    /// <summary>Runs at once; more callers wait. Also the number of pooled instance slots.</summary>
    public int MaxConcurrentRuns { get; init; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>The largest memory limit any task may have; sizes each pooled memory slot.</summary>
    public long MaxMemoryBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>Compiled modules kept (by code hash).</summary>
    public int ModuleCacheSize { get; init; } = 64;

    /// <summary>Where compiled modules are kept across restarts (a worker's DATA/compiled); null keeps them in memory only.</summary>
    public string? CompiledModuleDirectory { get; init; }

    /// <summary>Where run directories are made; null for a fresh directory under the system temp directory.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>How often the wall-clock watchdog ticks; a run is stopped within one tick of its limit.</summary>
    public TimeSpan WatchdogTick { get; init; } = TimeSpan.FromMilliseconds(20);

    public void Validate()
    {
        if (MaxConcurrentRuns is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(MaxConcurrentRuns), MaxConcurrentRuns, "1..1024");
        if (MaxMemoryBytes is < 65_536 or > 4L * 1024 * 1024 * 1024) throw new ArgumentOutOfRangeException(nameof(MaxMemoryBytes), MaxMemoryBytes, "64 KiB..4 GiB (32-bit WebAssembly)");
        if (ModuleCacheSize < 1) throw new ArgumentOutOfRangeException(nameof(ModuleCacheSize), ModuleCacheSize, "at least 1");
        if (WatchdogTick < TimeSpan.FromMilliseconds(1)) throw new ArgumentOutOfRangeException(nameof(WatchdogTick), WatchdogTick, "at least 1 ms");
    }
}
