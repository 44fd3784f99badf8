using IExecChain.Core.Primitives;
using IExecChain.Core.Results;

namespace IExecChain.Worker.Execution;

public enum ExecutionStatus
{
    /// <summary>The app exited with code 0.</summary>
    Success,

    /// <summary>The app exited with another code: still a deterministic result with a digest.</summary>
    NonZeroExit,

    /// <summary>A WebAssembly trap (unreachable, out-of-bounds access, stack overflow...) or a native crash.</summary>
    Trapped,

    /// <summary>The fuel limit was reached.</summary>
    OutOfFuel,

    /// <summary>The memory limit was reached (refused at instantiation, or the app trapped or crashed at the limit).</summary>
    OutOfMemory,

    /// <summary>The wall-clock watchdog (or the native CPU-time limit) stopped the run.</summary>
    Timeout,

    /// <summary>The code cannot run: not WebAssembly, no _start, an import the runtime does not offer, a missing executable.</summary>
    InvalidModule,

    /// <summary>stdout or the output files exceed their limits, or the output holds something other than regular files.</summary>
    OutputTooLarge,

    /// <summary>The worker itself failed (disk, permissions, a sandbox it could not build): says nothing about the app.</summary>
    HostError,

    /// <summary>A native app reached the bound on its processes (a fork bomb, or an app that needs more than the pool allows).</summary>
    TooManyProcesses,
}

/// <summary>The outcome of one run. Only a run that exited (<see cref="ExecutionStatus.Success"/> or <see cref="ExecutionStatus.NonZeroExit"/>) has a digest.</summary>
public sealed class ExecutionResult
{
    public required ExecutionStatus Status { get; init; }

    /// <summary>The exit code when the app exited; null when it did not (trap, timeout...).</summary>
    public int? ExitCode { get; init; }

    public byte[] Stdout { get; init; } = [];

    /// <summary>Up to the stderr limit; not part of the digest.</summary>
    public byte[] Stderr { get; init; } = [];

    public bool StderrTruncated { get; init; }

    /// <summary>Sorted by name (ordinal byte order of the UTF-8 names), as the digest takes them.</summary>
    public IReadOnlyList<OutputFile> OutputFiles { get; init; } = [];

    /// <summary>keccak256 of the canonical result encoding (docs/worker.md); what the worker contributes.</summary>
    public Hash256? Digest { get; init; }

    /// <summary>WebAssembly fuel consumed; 0 for native runs.</summary>
    public ulong FuelUsed { get; init; }

    /// <summary>What went wrong, for a person; null on success.</summary>
    public string? Error { get; init; }

    /// <summary>Wall-clock time of the run, for logs and metrics only (never part of a result).</summary>
    public TimeSpan Elapsed { get; init; }

    public bool HasDigest => Digest is not null;

    public override string ToString() =>
        $"{Status}{(ExitCode is { } code ? $" (exit {code})" : "")}{(Digest is { } digest ? $" digest {digest}" : "")}{(Error is null ? "" : $": {Error}")}";
}
