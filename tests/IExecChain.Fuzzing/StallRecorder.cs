using System.Diagnostics;
using System.Globalization;

namespace IExecChain.Fuzzing;

/// <summary>
/// Records where an execution stalls under afl-fuzz. afl-fuzz kills a run that exceeds its timeout and
/// saves the input as a hang, but an input that replays quickly says nothing about what the process was
/// doing. A thread watches each execution; one still running after <see cref="Threshold"/> gets a line
/// in the file named by <c>IEXEC_FUZZ_STALL_LOG</c> (scripts/fuzz.sh sets it): the target's phase, the
/// process's CPU time against the wall time (busy or waiting), the garbage collector's pauses, and the
/// thread pool. It is written before afl-fuzz's kill, so the line survives it.
/// </summary>
public sealed class StallRecorder
{
    public static readonly TimeSpan Threshold = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    private static volatile string _phase = "";

    private readonly string _path;
    private long _execution;
    private long _startedAt;          // Stopwatch timestamp; 0 between executions
    private TimeSpan _cpuAtStart;
    private TimeSpan _gcPauseAtStart;
    private int _gcCountAtStart;

    private StallRecorder(string path) => _path = path;

    /// <summary>Names what the running target is doing, for the stall line (a target calls it between its phases).</summary>
    public static void Phase(string phase) => _phase = phase;

    /// <summary>The recorder named by the environment, started; null when no log is asked for.</summary>
    public static StallRecorder? FromEnvironment()
    {
        var path = Environment.GetEnvironmentVariable("IEXEC_FUZZ_STALL_LOG");
        if (string.IsNullOrEmpty(path)) return null;
        var recorder = new StallRecorder(path);
        new Thread(recorder.Watch) { IsBackground = true, Name = "fuzz stall recorder" }.Start();
        return recorder;
    }

    /// <summary>Runs one execution under watch.</summary>
    public void Run(Action execution)
    {
        _phase = "";
        _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        _gcPauseAtStart = GC.GetTotalPauseDuration();
        _gcCountAtStart = GC.CollectionCount(0);
        Interlocked.Increment(ref _execution);
        Volatile.Write(ref _startedAt, Stopwatch.GetTimestamp());
        try
        {
            execution();
        }
        finally
        {
            Volatile.Write(ref _startedAt, 0);
        }
    }

    private void Watch()
    {
        long reported = -1;
        while (true)
        {
            Thread.Sleep(Poll);
            long started = Volatile.Read(ref _startedAt);
            long execution = Interlocked.Read(ref _execution);
            if (started == 0 || execution == reported) continue;
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed < Threshold) continue;
            reported = execution;
            using var process = Process.GetCurrentProcess();
            ThreadPool.GetAvailableThreads(out int workers, out _);
            string line = string.Create(CultureInfo.InvariantCulture,
                $"{DateTime.UtcNow:O} pid {Environment.ProcessId} execution {execution} running {elapsed.TotalMilliseconds:0} ms in phase '{_phase}'; " +
                $"process CPU {(process.TotalProcessorTime - _cpuAtStart).TotalMilliseconds:0} ms since it started; " +
                $"GC pauses {(GC.GetTotalPauseDuration() - _gcPauseAtStart).TotalMilliseconds:0} ms, gen0 collections {GC.CollectionCount(0) - _gcCountAtStart}; " +
                $"threads {process.Threads.Count}, thread pool {ThreadPool.ThreadCount} threads, {ThreadPool.PendingWorkItemCount} queued, {workers} available\n");
            try
            {
                File.AppendAllText(_path, line);
            }
            catch (IOException)
            {
                // The log is a diagnostic; the fuzzing goes on without it.
            }
        }
    }
}
