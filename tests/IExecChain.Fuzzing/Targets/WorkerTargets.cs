using IExecChain.Core.Content;
using IExecChain.Core.Primitives;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Wasm;

namespace IExecChain.Fuzzing.Targets;

/// <summary>
/// What a worker takes from others: app modules registered on chain (admitted, then run with a small
/// fuel budget) and content chunks with their proofs from another node.
/// </summary>
public static class WorkerTargets
{
    private static readonly Lazy<WasmRuntime> Runtime = new(() => new WasmRuntime(new WasmRuntimeOptions
    {
        WorkDirectory = Path.Combine(Path.GetTempPath(), $"iexec-fuzz-wasm-{Environment.ProcessId}"),
        MaxConcurrentRuns = 1,
    }));

    private static readonly ExecutionLimits Limits = new()
    {
        Fuel = 1_000_000, MemoryBytes = 16 << 20, WallClock = TimeSpan.FromSeconds(2), CpuTime = TimeSpan.FromSeconds(2),
        MaxStdoutBytes = 4096, MaxStderrBytes = 4096, MaxOutputBytes = 64 << 10, MaxOutputFiles = 8,
    };

    private static readonly TaskInput Input = new() { AppName = "fuzz", Args = ["a"], Dataset = [1, 2, 3] };

    private static readonly byte[] Content = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
    private const int ChunkSize = 1024;
    private static readonly Hash256 Root = ContentMerkle.ComputeRoot(Content, ChunkSize);

    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget("wasm", "WebAssembly app modules (registered content), admitted and run by workers", Wasm);
        yield return new FuzzTarget("content-chunk", "iex_getChunk answers (a chunk and its proof) from another node", Chunk);
    }

    private static void Wasm(byte[] input)
    {
        // Admission refuses with a failed result, traps and fuel exhaustion end the run: both are outcomes, not exceptions.
        StallRecorder.Phase("runtime start");
        var runtime = Runtime.Value;
        var code = new WasmCode(input);
        StallRecorder.Phase("admit and compile");
        runtime.Prepare(code);
        StallRecorder.Phase("run");
        var result = runtime.Run(code, Input, Limits);
        StallRecorder.Phase("done");
        if (result is null) throw new InvalidOperationException("a run must have an outcome");
    }

    private static void Chunk(byte[] input)
    {
        // Layout: index (8 bytes), size (8), chunk size (4), proof hash count (1), proof hashes, chunk bytes.
        if (input.Length < 21) return;
        long index = BitConverter.ToInt64(input, 0);
        long size = input[20] % 2 == 0 ? Content.Length : BitConverter.ToInt64(input, 8);
        int chunkSize = input[19] % 2 == 0 ? ChunkSize : BitConverter.ToInt32(input, 16);
        int hashes = Math.Min(input[20] / 2, (input.Length - 21) / Hash256.Size);
        var proof = new Hash256[hashes];
        for (int i = 0; i < hashes; i++) proof[i] = new Hash256(input.AsSpan(21 + i * Hash256.Size, Hash256.Size));
        var chunk = input.AsSpan(21 + hashes * Hash256.Size);
        string? problem = ContentMerkle.Check(Root, size, chunkSize, index, chunk, proof);
        if (problem is null && !ContentMerkle.Verify(Root, size, chunkSize, index, chunk, proof))
            throw new InvalidOperationException("Check and Verify disagree");
    }
}
