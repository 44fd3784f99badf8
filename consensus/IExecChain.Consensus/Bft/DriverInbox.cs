using System.Collections.Concurrent;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// The consensus thread's bounded work queue. Waiting blocks in the kernel at once instead of
/// spinning first (as <see cref="BlockingCollection{T}"/>'s semaphore does): with several nodes on
/// one machine, or a busy one, a spinning idle thread takes CPU from the threads with work, and the
/// consensus thread is idle most of the time.
/// </summary>
internal sealed class DriverInbox(int capacity) : IDisposable
{
    private readonly ConcurrentQueue<Action> _queue = new();
    private readonly AutoResetEvent _signal = new(false);
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Queues an action; false (nothing queued) when the inbox holds <c>capacity</c> already.</summary>
    public bool TryAdd(Action action)
    {
        if (Interlocked.Increment(ref _count) > capacity)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }
        _queue.Enqueue(action);
        _signal.Set();
        return true;
    }

    public bool TryTake(out Action action)
    {
        if (!_queue.TryDequeue(out action!)) return false;
        Interlocked.Decrement(ref _count);
        return true;
    }

    /// <summary>Takes an action, waiting up to <paramref name="timeoutMs"/> for one; false when none came.</summary>
    public bool TryTake(out Action action, int timeoutMs, CancellationToken ct)
    {
        if (TryTake(out action)) return true;
        if (timeoutMs <= 0) return false;
        WaitHandle.WaitAny([_signal, ct.WaitHandle], timeoutMs);
        ct.ThrowIfCancellationRequested();
        return TryTake(out action);
    }

    public void Dispose() => _signal.Dispose();
}
