using System.Diagnostics;
using System.Runtime;

namespace IExecChain.Rpc.Tests.Hostile;

/// <summary>
/// Managed memory of this process (server and attackers share it) after full, compacting
/// collections, and the peak seen while an attack runs.
/// </summary>
/// <remarks>
/// The GC heap after a forced compacting collection is what the server still holds: it does not
/// depend on when the GC last ran or on how much the runtime keeps reserved, so it is steady on a
/// busy machine, where the working set is not. Kestrel returns idle pooled blocks on its
/// heartbeat (about once a second), so "back near baseline" is awaited, up to a bound, rather than
/// read once.
/// </remarks>
internal sealed class MemoryProbe : IDisposable
{
    private readonly Timer _sampler;
    private long _peakHeap;
    private long _peakWorkingSet;

    private MemoryProbe()
    {
        _sampler = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
    }

    public long PeakHeap => Interlocked.Read(ref _peakHeap);

    public long PeakWorkingSet => Interlocked.Read(ref _peakWorkingSet);

    public static MemoryProbe StartSampling() => new();

    /// <summary>
    /// The managed heap after full compacting collections, without the pinned object heap. That
    /// heap holds the I/O blocks Kestrel pools and keeps (about 1 MiB of read-ahead and 64 KiB of
    /// output per connection at the busiest moment); it is bounded by connections, not by how long
    /// an attack lasts, and is measured apart (<see cref="PinnedAfterLastCollection"/>).
    /// </summary>
    public static long HeapAfterFullCollection()
    {
        for (int i = 0; i < 2; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: false) - PinnedAfterLastCollection();
    }

    public static long PinnedAfterLastCollection()
    {
        GCMemoryInfo info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        return info.GenerationInfo.Length > 4 ? info.GenerationInfo[4].SizeAfterBytes : 0;
    }

    public static long WorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    /// <summary>Collects until the heap is within <paramref name="ratio"/> of <paramref name="baseline"/> or the patience runs out; returns the last reading.</summary>
    public static async Task<long> SettleTowards(long baseline, double ratio, TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        long heap = HeapAfterFullCollection();
        while (heap > baseline * ratio && clock.Elapsed < patience)
        {
            await Task.Delay(250);
            heap = HeapAfterFullCollection();
        }
        return heap;
    }

    private void Sample()
    {
        long heap = GC.GetTotalMemory(false);
        long workingSet = WorkingSet();
        InterlockedMax(ref _peakHeap, heap);
        InterlockedMax(ref _peakWorkingSet, workingSet);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    public void Dispose() => _sampler.Dispose();
}
