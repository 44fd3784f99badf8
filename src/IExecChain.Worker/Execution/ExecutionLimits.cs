namespace IExecChain.Worker.Execution;

/// <summary>
/// What one run may use. The node derives these from the task's category; the defaults here are
/// for tests and tools. Fuel applies to WebAssembly only and CPU time to native processes only.
/// </summary>
public sealed record ExecutionLimits
{
    /// <summary>Wasmtime fuel (about one unit per WebAssembly instruction): the deterministic bound on work.</summary>
    public ulong Fuel { get; init; } = 10_000_000_000;

    /// <summary>Linear memory (WebAssembly) or address space (native) in bytes.</summary>
    public long MemoryBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Safety net: a run still going after this long is stopped and reported as a timeout (never a digest).</summary>
    public TimeSpan WallClock { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Native processes: CPU seconds before the kernel stops them (rounded up to whole seconds).</summary>
    public TimeSpan CpuTime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>stdout is part of the result: a run that writes more fails with <see cref="ExecutionStatus.OutputTooLarge"/>.</summary>
    public int MaxStdoutBytes { get; init; } = 1024 * 1024;

    /// <summary>stderr is diagnostic only: what goes past this is dropped.</summary>
    public int MaxStderrBytes { get; init; } = 64 * 1024;

    /// <summary>Total bytes of the files the app leaves in its output directory.</summary>
    public long MaxOutputBytes { get; init; } = 64L * 1024 * 1024;

    public int MaxOutputFiles { get; init; } = 1024;

    public void Validate()
    {
        if (Fuel == 0) throw new ArgumentOutOfRangeException(nameof(Fuel), "fuel must be positive");
        if (MemoryBytes < 65_536) throw new ArgumentOutOfRangeException(nameof(MemoryBytes), MemoryBytes, "at least one 64 KiB page");
        if (WallClock <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(WallClock), WallClock, "must be positive");
        if (CpuTime <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(CpuTime), CpuTime, "must be positive");
        if (MaxStdoutBytes < 0) throw new ArgumentOutOfRangeException(nameof(MaxStdoutBytes), MaxStdoutBytes, "must not be negative");
        if (MaxStderrBytes < 0) throw new ArgumentOutOfRangeException(nameof(MaxStderrBytes), MaxStderrBytes, "must not be negative");
        if (MaxOutputBytes < 0) throw new ArgumentOutOfRangeException(nameof(MaxOutputBytes), MaxOutputBytes, "must not be negative");
        if (MaxOutputFiles < 0) throw new ArgumentOutOfRangeException(nameof(MaxOutputFiles), MaxOutputFiles, "must not be negative");
    }
}
