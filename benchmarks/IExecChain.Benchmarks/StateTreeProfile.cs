using System.Diagnostics;
using IExecChain.State.Merkle;
using IExecChain.Storage;

namespace IExecChain.Benchmarks;

/// <summary>
/// Quick stopwatch run outside BenchmarkDotNet: `dotnet run -c Release --project benchmarks/IExecChain.Benchmarks -- profile [keys] [batch] [rounds]`.
/// Prints the mean Prepare time per changed key and how much of it was GC pause.
/// </summary>
internal static class StateTreeProfile
{
    public static void Run(string[] args)
    {
        int keys = args.Length > 1 ? int.Parse(args[1]) : 1_000_000;
        int batch = args.Length > 2 ? int.Parse(args[2]) : 10_000;
        int rounds = args.Length > 3 ? int.Parse(args[3]) : 30;
        var store = new MemoryStore();
        var tree = new StateTree(store, new StateTreeOptions { NodeCacheCapacity = 4_000_000 });
        var existing = StateTreeData.Populate(tree, store, keys, seed: 1);
        var changes = StateTreeData.Changes(existing, batch, seed: 2);
        for (int i = 0; i < 5; i++) tree.Prepare(changes);
        var pause = GC.GetTotalPauseDuration();
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < rounds; i++) tree.Prepare(changes);
        watch.Stop();
        double perKeyUs = watch.Elapsed.TotalMicroseconds / rounds / batch;
        double gcUs = (GC.GetTotalPauseDuration() - pause).TotalMicroseconds / rounds / batch;
        Console.WriteLine($"keys {keys} batch {batch}: {perKeyUs:F2} us/key, GC pause {gcUs:F2} us/key, " +
            $"gen0/1/2 {GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2} over {rounds} rounds, " +
            $"server GC {System.Runtime.GCSettings.IsServerGC}, latency {System.Runtime.GCSettings.LatencyMode}");
    }
}
