using BenchmarkDotNet.Attributes;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Native;

namespace IExecChain.Benchmarks;

/// <summary>
/// Per-task cost of the native runtime with its sandbox: a shell app that copies its dataset to an
/// output file and prints a line, run to completion (run directory, output tmpfs, pids cgroup, the
/// launcher chain and bwrap, output collection, digest, clean-up). Needs root and bubblewrap.
/// </summary>
[MemoryDiagnoser]
public class NativeRuntimeBenchmarks
{
    private static readonly ExecutionLimits Limits = new();

    private readonly TaskInput _input = new()
    {
        AppName = "app",
        Args = ["-c", "cat \"$IEXEC_IN/dataset\" > \"$IEXEC_OUT/copy\"; echo done"],
        Dataset = "dataset bytes"u8.ToArray(),
    };

    private NativeRuntime _runtime = null!;

    [GlobalSetup]
    public void Setup()
    {
        _runtime = new NativeRuntime();
        if (_runtime.SandboxProblem is { } problem) throw new InvalidOperationException("the native sandbox cannot be built here: " + problem);
    }

    [Benchmark]
    public async Task<ExecutionStatus> ShellAppInSandbox()
    {
        var result = await _runtime.RunAsync("/bin/sh", _input, Limits).ConfigureAwait(false);
        return result.Status == ExecutionStatus.Success ? result.Status : throw new InvalidOperationException($"{result.Status}: {result.Error}");
    }
}
