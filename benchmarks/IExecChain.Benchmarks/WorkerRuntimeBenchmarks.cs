using BenchmarkDotNet.Attributes;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Wasm;

namespace IExecChain.Benchmarks;

/// <summary>
/// Per-task overhead of the WebAssembly runtime: module cached, so each operation is a store,
/// WASI context, instantiation, the run, output collection and the digest. The node's target is
/// at least 1,000 trivial tasks/s on 2 cores.
/// </summary>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in GlobalCleanup")]
public class WorkerRuntimeBenchmarks
{
    private const int ParallelTasks = 200;

    private static readonly ExecutionLimits Limits = new() { Fuel = 10_000_000, MemoryBytes = 16 * 1024 * 1024 };

    private WasmRuntime _runtime = null!;
    private WasmCode _empty = null!;
    private WasmCode _echo = null!;
    private WasmCode _wordCount = null!;
    private readonly TaskInput _emptyInput = new() { AppName = "empty" };
    private readonly TaskInput _echoInput = new() { AppName = "echo", Args = ["hello", "world"] };
    private TaskInput _wordCountInput = null!;

    /// <summary>Where run directories live: the system temp directory (disk here) or tmpfs.</summary>
    [Params("temp", "/dev/shm")]
    public string WorkDirectory { get; set; } = "temp";

    [GlobalSetup]
    public void Setup()
    {
        _runtime = new WasmRuntime(new WasmRuntimeOptions
        {
            MaxConcurrentRuns = 4,
            MaxMemoryBytes = 16 * 1024 * 1024,
            WorkDirectory = WorkDirectory == "temp" ? null : WorkDirectory,
        });
        _empty = WasmCode.FromText("""(module (memory (export "memory") 1) (func (export "_start")))""");
        _echo = WasmCode.FromText(File.ReadAllText(App("echo.wat")));
        _wordCount = WasmCode.FromText(File.ReadAllText(App("wordcount.wat")));
        _wordCountInput = new TaskInput { AppName = "wordcount", Dataset = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet\n", 40))) };
        // Compile once so every measured run hits the module cache.
        foreach (var (code, input) in new[] { (_empty, _emptyInput), (_echo, _echoInput), (_wordCount, _wordCountInput) })
            if (_runtime.Run(code, input, Limits).Status != ExecutionStatus.Success) throw new InvalidOperationException("warm-up run failed");
    }

    [GlobalCleanup]
    public void Cleanup() => _runtime.Dispose();

    /// <summary>chain-spec/apps, found by walking up from the benchmark's output directory.</summary>
    private static string App(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "chain-spec", "apps", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"chain-spec/apps/{name} not found above {AppContext.BaseDirectory}");
    }

    [Benchmark(Description = "empty _start")]
    public ExecutionResult Empty() => _runtime.Run(_empty, _emptyInput, Limits);

    [Benchmark(Description = "echo, 2 args, 1 write")]
    public ExecutionResult Echo() => _runtime.Run(_echo, _echoInput, Limits);

    [Benchmark(Description = "wordcount, 1 KB dataset, 1 output file")]
    public ExecutionResult WordCount() => _runtime.Run(_wordCount, _wordCountInput, Limits);

    /// <summary>Two threads (the machine's cores) running echo tasks; per-task time = mean.</summary>
    [Benchmark(Description = "echo on 2 threads", OperationsPerInvoke = ParallelTasks)]
    public void EchoTwoThreads() =>
        Parallel.For(0, ParallelTasks, new ParallelOptions { MaxDegreeOfParallelism = 2 }, _ => _runtime.Run(_echo, _echoInput, Limits));
}
