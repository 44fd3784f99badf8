using BenchmarkDotNet.Attributes;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Results;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Results;

namespace IExecChain.Benchmarks;

/// <summary>
/// A worker stores every result it computes before committing it (so a restarted worker can reveal):
/// one `Save` per task. An echo-sized result (a few bytes of stdout, no files) and one with two
/// output files, into a store on the system temp directory (disk here). Each operation writes a new
/// task's result.
/// </summary>
[MemoryDiagnoser]
public class ResultStoreBenchmarks
{
    private string _directory = null!;
    private ResultStore _store = null!;
    private ExecutionResult _echo = null!;
    private ExecutionResult _withFiles = null!;
    private long _next;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"iexec-results-bench-{Guid.NewGuid():N}");
        _store = new ResultStore(_directory);
        _echo = Result("hello world\n");
        _withFiles = Result("done\n", new OutputFile("counts.txt", "lines 4000 words 48000\n"u8.ToArray()), new OutputFile("out/log.txt", new byte[512]));
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    private static ExecutionResult Result(string stdout, params OutputFile[] files)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(stdout);
        var sorted = ResultDigest.InDigestOrder(files);
        return new ExecutionResult { Status = ExecutionStatus.Success, ExitCode = 0, Stdout = bytes, OutputFiles = sorted, Digest = ResultDigest.Compute(0, bytes, sorted) };
    }

    private Hash256 NextTask() => Keccak256.Hash(BitConverter.GetBytes(Interlocked.Increment(ref _next)));

    [Benchmark(Baseline = true)]
    public StoredResult SaveEcho() => _store.Save(NextTask(), _echo);

    [Benchmark]
    public StoredResult SaveWithTwoFiles() => _store.Save(NextTask(), _withFiles);
}
