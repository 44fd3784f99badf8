using System.Threading.Channels;
using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.TxPool;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// Mempool gossip that never touches the consensus thread: transactions submitted to this node
/// are batched (every few milliseconds or <see cref="MaxBatchBytes"/>) and broadcast; batches from peers are decoded
/// and verified on a worker (signatures in parallel) and added without being re-announced. When
/// the inbound queue is full, batches are dropped: the sender's mempool still holds them, and a
/// full node is exactly when back-pressure is wanted. So that a dropped batch is not lost for good
/// (one lost transaction blocks every later nonce of its sender), a transaction submitted here that
/// is still pending <see cref="RebroadcastAfterMs"/> after it was sent, and is by then its sender's
/// next executable one, is sent again, with the wait doubling after each send (up to
/// <see cref="MaxBackoffShift"/> doublings), at most <see cref="MaxRebroadcasts"/> times.
/// </summary>
/// <remarks>
/// Only the sender's next transaction is re-sent because that is the one a loss blocks; its later
/// nonces follow it into blocks wherever they were received. Re-sending everything still pending
/// made a backlog feed itself: under overload nearly every transaction waited over 2 s, so each was
/// sent up to ten times, and the peers spent their CPU decoding copies instead of committing.
/// </remarks>
public sealed class TransactionGossip : IDisposable
{
    /// <summary>Stays under the network's 64 KiB transaction-channel limit with room for the framing.</summary>
    public const int MaxBatchBytes = 56 << 10;
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>A local transaction still pending this long after it was sent is sent again.</summary>
    public const long RebroadcastAfterMs = 2_000;

    /// <summary>Times a local transaction is sent again at most (then only its own mempool keeps it).</summary>
    public const int MaxRebroadcasts = 10;

    /// <summary>The wait before the next re-send doubles after each send, up to 2^this × <see cref="RebroadcastAfterMs"/>.</summary>
    public const int MaxBackoffShift = 3;

    /// <summary>Local transactions tracked for rebroadcast at most; beyond it new ones are sent once.</summary>
    public const int MaxTracked = 200_000;

    private readonly Mempool _mempool;
    private readonly IConsensusTransport _transport;
    private readonly ulong _chainId;
    private readonly int _maxTxBytes;
    private readonly Lock _lock = new();
    private readonly Channel<(Address From, byte[] Batch)> _inbound = Channel.CreateBounded<(Address, byte[])>(
        new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private TransactionBatch _pending = new();
    private int _pendingBytes;
    private readonly PriorityQueue<(Transaction Tx, int Sends), long> _local = new();  // by due time; under _lock
    private Task? _flusher, _receiver;

    public TransactionGossip(Mempool mempool, IConsensusTransport transport, ulong chainId, int maxTxBytes)
    {
        _mempool = mempool;
        _transport = transport;
        _chainId = chainId;
        _maxTxBytes = maxTxBytes;
        _mempool.Announce += OnAnnounce;
    }

    public long Received { get; private set; }
    public long Dropped { get; private set; }
    public long Rebroadcast { get; private set; }

    public void Start()
    {
        _flusher = Task.Run(FlushLoop);
        _receiver = Task.Run(ReceiveLoop);
    }

    /// <summary>From the network thread: queue a peer's batch for verification.</summary>
    public void OnMessage(Address from, ReadOnlyMemory<byte> payload)
    {
        if (!_inbound.Writer.TryWrite((from, payload.ToArray()))) Dropped++;
    }

    private void OnAnnounce(Transaction tx)
    {
        lock (_lock)
            if (_local.Count < MaxTracked) _local.Enqueue((tx, 0), Environment.TickCount64 + RebroadcastAfterMs);
        Send(tx);
    }

    private void Send(Transaction tx)
    {
        TransactionBatch? full = null;
        lock (_lock)
        {
            // Close the batch before it would pass the limit (a transaction adds its bytes and ~4 of framing).
            if (_pendingBytes + tx.Size + 8 > MaxBatchBytes) full = TakePending();
            _pending.Transactions.Add(UnsafeByteOperations.UnsafeWrap(tx.SignedBytes));
            _pendingBytes += tx.Size + 8;
        }
        if (full is not null) _transport.Broadcast(ConsensusChannel.Transactions, full.ToByteArray());
    }

    private TransactionBatch? TakePending()
    {
        if (_pending.Transactions.Count == 0) return null;
        var batch = _pending;
        _pending = new TransactionBatch();
        _pendingBytes = 0;
        return batch;
    }

    /// <summary>
    /// Sends again the local transactions due by <paramref name="nowMs"/> that are still pending and are
    /// their sender's next executable transaction; returns how many. Pending ones behind their sender's
    /// next nonce are checked again <see cref="RebroadcastAfterMs"/> later without being sent.
    /// </summary>
    public int RebroadcastStale(long nowMs)
    {
        var due = new List<(Transaction Tx, int Sends)>();
        lock (_lock)
            while (_local.TryPeek(out _, out long dueAt) && dueAt <= nowMs)
                due.Add(_local.Dequeue());
        int sent = 0;
        foreach (var (tx, sends) in due)
        {
            if (!_mempool.Contains(tx.Id) || sends >= MaxRebroadcasts) continue;
            if (!_mempool.IsNextExecutable(tx))
            {
                lock (_lock) _local.Enqueue((tx, sends), nowMs + RebroadcastAfterMs);
                continue;
            }
            lock (_lock) _local.Enqueue((tx, sends + 1), nowMs + (RebroadcastAfterMs << Math.Min(sends + 1, MaxBackoffShift)));
            Send(tx);
            sent++;
        }
        Rebroadcast += sent;
        return sent;
    }

    private async Task FlushLoop()
    {
        using var timer = new PeriodicTimer(FlushInterval);
        long lastCheck = Environment.TickCount64;
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            long now = Environment.TickCount64;
            if (now - lastCheck >= 500)
            {
                lastCheck = now;
                RebroadcastStale(now);
            }
            TransactionBatch? batch;
            lock (_lock) batch = TakePending();
            if (batch is not null) _transport.Broadcast(ConsensusChannel.Transactions, batch.ToByteArray());
        }
    }

    private async Task ReceiveLoop()
    {
        await foreach (var (from, bytes) in _inbound.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
        {
            TransactionBatch batch;
            try
            {
                batch = TransactionBatch.Parser.ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException e)
            {
                _transport.Penalize(from, $"malformed transaction batch: {e.Message}", 20);
                continue;
            }
            // Decoding and the mempool's signature check run in parallel; the mempool is thread-safe.
            int bad = 0;
            Parallel.For(0, batch.Transactions.Count, i =>
            {
                if (TransactionCodec.TryDecode(batch.Transactions[i].ToByteArray(), _chainId, _maxTxBytes, out var tx, out _))
                    _mempool.Add(tx!, announce: false);
                else
                    Interlocked.Increment(ref bad);
            });
            if (bad > 0) _transport.Penalize(from, $"{bad} undecodable transactions in a batch", Math.Min(100, bad * 10));
            Received += batch.Transactions.Count;
        }
    }

    public void Dispose()
    {
        _mempool.Announce -= OnAnnounce;
        _stop.Cancel();
        _inbound.Writer.TryComplete();
        try
        {
            Task.WaitAll([.. new[] { _flusher, _receiver }.OfType<Task>()], TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Cancellation is how these loops end.
        }
        _stop.Dispose();
    }
}
