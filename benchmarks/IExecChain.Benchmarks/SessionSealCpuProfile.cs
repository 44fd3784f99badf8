using System.Diagnostics;

namespace IExecChain.Benchmarks;

/// <summary>
/// The cost of sealing in CPU time rather than wall time: on a shared, loaded machine BenchmarkDotNet's
/// wall-clock means inflate with the run queue, while the process's CPU time per operation (one busy
/// thread) does not. Usage: <c>seal-cpu [seconds per size]</c>.
/// </summary>
public static class SessionSealCpuProfile
{
    public static void Run(string[] args)
    {
        double seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2;
        Console.WriteLine("| bytes | seal, CPU ns | seal + open, CPU ns | ChaCha20-Poly1305 seal, CPU ns | seal + open, MiB/s of CPU |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        foreach (int bytes in new[] { 200, 1_000, 16_384, 1_048_576 })
        {
            using var bench = new SessionSealBenchmarks { Bytes = bytes };
            bench.Setup();
            double seal = CpuNanosPerOp(() => bench.Seal(), seconds);
            double both = CpuNanosPerOp(() => bench.SealAndOpen(), seconds);
            double chacha = CpuNanosPerOp(bench.ChaChaSeal, seconds);
            Console.WriteLine($"| {bytes:N0} | {seal:N0} | {both:N0} | {chacha:N0} | {bytes / (both / 1e9) / (1 << 20):N0} |");
        }
    }

    private static double CpuNanosPerOp(Action op, double seconds)
    {
        for (int i = 0; i < 1000; i++) op(); // warm up (tiered JIT)
        var process = Process.GetCurrentProcess();
        process.Refresh();
        TimeSpan start = process.TotalProcessorTime;
        long ops = 0;
        var wall = Stopwatch.StartNew();
        while (wall.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < 64; i++) op();
            ops += 64;
        }
        process.Refresh();
        return (process.TotalProcessorTime - start).TotalNanoseconds / ops;
    }
}
