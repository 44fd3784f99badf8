using System.Collections.Concurrent;
using IExecChain.Core.Blocks;
using IExecChain.Core.Wire;
using IExecChain.Storage;

namespace IExecChain.State.Chain;

/// <summary>
/// Writes the query index's transaction and block entries on a thread of its own, after each block's
/// synced commit, so that a block's commit does not wait for a few index entries per transaction
/// (docs/decisions.md "Query indexes"). Blocks are written in order, several at once when they queue,
/// without the write-ahead log (<see cref="IKeyValueStore.WriteUnlogged"/>), so that the next block's
/// synced write does not carry their bytes: they reach the disk when RocksDB flushes the column or
/// closes. A crash loses what was not flushed, indexed height included, and at startup
/// <see cref="QueryIndex.CatchUpTransactions"/> writes it again from the stored blocks.
/// A full queue makes <see cref="Enqueue"/> wait: the index slows the chain rather than fill memory.
/// </summary>
public sealed class QueryIndexWriter : IDisposable
{
    /// <summary>Blocks waiting at most; a commit that finds the queue full waits for room.</summary>
    public const int Capacity = 64;

    /// <summary>Blocks written in one batch at most when several wait.</summary>
    private const int BlocksPerBatch = 16;

    private readonly IKeyValueStore _store;
    private readonly QueryIndex _index;
    private readonly Action<Exception>? _onFailure;
    private readonly BlockingCollection<(ChainBlock Block, IReadOnlyList<Receipt> Receipts)> _queue = new(Capacity);
    private readonly Thread _thread;
    private volatile bool _stopped;

    public QueryIndexWriter(IKeyValueStore store, QueryIndex index, Action<Exception>? onFailure = null)
    {
        _store = store;
        _index = index;
        _onFailure = onFailure;
        _thread = new Thread(Run) { Name = "query-index", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Queues a committed block (call in commit order, after its synced write).</summary>
    public void Enqueue(ChainBlock block, IReadOnlyList<Receipt> receipts)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (_stopped) throw new ObjectDisposedException(nameof(QueryIndexWriter), $"block {block.Height} was committed after the query index writer was stopped");
        _queue.Add((block, receipts));
    }

    /// <summary>Writes what is queued, then stops the thread. Call before the store is closed.</summary>
    public void Dispose()
    {
        if (_stopped) return;
        _stopped = true;
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
    }

    private void Run()
    {
        var taken = new List<(ChainBlock Block, IReadOnlyList<Receipt> Receipts)>(BlocksPerBatch);
        foreach (var first in _queue.GetConsumingEnumerable())
        {
            // After a failure the queue is still drained, so that commits never wait on a dead writer;
            // the index stays at the last height written and the node catches it up when it restarts.
            if (_index.WriterFailure is not null) continue;
            taken.Clear();
            taken.Add(first);
            while (taken.Count < BlocksPerBatch && _queue.TryTake(out var next)) taken.Add(next);
            try
            {
                using var batch = _store.NewBatch();
                foreach (var (block, receipts) in taken) QueryIndex.AddTransactions(batch, block, receipts);
                _store.WriteUnlogged(batch);
                _index.Advanced();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _index.WriterFailed(e);
                _onFailure?.Invoke(e);
            }
        }
    }
}
