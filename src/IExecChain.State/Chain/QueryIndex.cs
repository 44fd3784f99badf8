using System.Buffers.Binary;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Market;
using IExecChain.State.Merkle;
using IExecChain.Storage;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Chain;

/// <summary>A transaction as the query index lists it: enough to show a row without reading the block.</summary>
public readonly record struct IndexedTransaction(ulong Height, uint Index, Hash256 Id, Address Sender, TransactionBody.PayloadOneofCase Kind, ReceiptStatus Status);

/// <summary>How an account took part in a transaction (both for a transfer to oneself).</summary>
[Flags]
public enum TransactionDirection : byte
{
    Sent = 1,
    Received = 2,
}

/// <summary>The party a deal is listed under.</summary>
public enum DealParty : byte
{
    Requester = 1,
    App = 2,
    Dataset = 3,
    Workerpool = 4,
}

/// <summary>One block's figures for chain statistics.</summary>
public readonly record struct BlockFigures(ulong Height, ulong TimeUnixMs, uint Transactions, uint TasksCompleted, uint TasksFailed);

/// <summary>
/// Secondary indexes for queries, in <see cref="DbColumn.QueryIndex"/>, written in each block's commit
/// batch: transactions by position and by account (sent, received), deals by party, tasks by worker
/// and by status, orders by owner, and per-block figures. Nothing here is hashed into a block: the
/// index is derived from blocks and state, and <see cref="Rebuild"/> derives it again, entry for entry,
/// when it is missing or behind the chain (docs/rpc.md "Queries", docs/decisions.md).
/// Every list is newest first; keys end in the height so a page is one backward seek.
/// </summary>
public sealed class QueryIndex
{
    // The first byte of every key. Layouts (big-endian numbers):
    private const byte MetaKind = 0x00;         // [kind] → indexed height (8)
    private const byte BlockTxKind = 0x01;      // [kind][height 8][index 4] → summary
    private const byte SentKind = 0x02;         // [kind][account 20][height 8][index 4] → empty (the summary is the block entry's)
    private const byte ReceivedKind = 0x03;     // same as sent
    private const byte DealKind = 0x04;         // [kind][party 1][address 20][created 8][deal 32] → empty
    private const byte WorkerTaskKind = 0x05;   // [kind][worker 20][assigned 8][task 32] → empty
    private const byte StatusTaskKind = 0x06;   // [kind][status 1][start 8][task 32] → empty
    private const byte TaskStateKind = 0x07;    // [kind][task 32] → status 1, start 8, finished 8
    private const byte OwnerOrderKind = 0x08;   // [kind][owner 20][placed 8][order 32] → order kind 1
    private const byte BlockKind = 0x09;        // [kind][height 8] → time 8, transactions 4
    private const byte FinishedKind = 0x0A;     // [kind][height 8][status 1] → tasks 4
    private const byte TransactionsMetaKind = 0x0B; // [kind] → height the transaction and block entries reach (8)

    private const int SummarySize = 32 + Address.Size + 1 + 1;
    private readonly IKeyValueStore _store;
    private readonly object _progress = new();
    private volatile Exception? _writerFailure;

    public QueryIndex(IKeyValueStore store) => _store = store;

    /// <summary>
    /// The height the market entries (orders, deals, tasks, finished counts) are complete up to: they are
    /// written in each block's commit batch, so this is the head. 0 when the index was never written or was deleted.
    /// </summary>
    public ulong IndexedHeight => ReadHeight(MetaKind);

    /// <summary>
    /// The height the transaction and block entries are complete up to. With a <see cref="QueryIndexWriter"/>
    /// they are written after the block's commit, so this may trail the head by the blocks in its queue
    /// (and after a crash by the blocks it had not written: <see cref="CatchUpTransactions"/>).
    /// </summary>
    public ulong TransactionsIndexedHeight => ReadHeight(TransactionsMetaKind);

    /// <summary>Why the background writer stopped, or null while it works (or when there is none).</summary>
    public Exception? WriterFailure => _writerFailure;

    /// <summary>
    /// Marks an empty index as complete up to <paramref name="height"/>: a node restored from a snapshot
    /// has no blocks below it to list, and indexes from the next block on (docs/state-sync.md).
    /// </summary>
    public static void StartAt(IWriteBatch batch, ulong height)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.Put(DbColumn.QueryIndex, [MetaKind], Height(height));
        batch.Put(DbColumn.QueryIndex, [TransactionsMetaKind], Height(height));
    }

    /// <summary>Adds all of a committed block's entries to <paramref name="batch"/> (the block's own commit batch).</summary>
    public void Add(IWriteBatch batch, ChainBlock block, IReadOnlyList<Receipt> receipts, MarketBlock? market)
    {
        AddMarket(batch, block.Height, market);
        AddTransactions(batch, block, receipts);
    }

    /// <summary>Adds a committed block's market entries and the indexed height to <paramref name="batch"/> (the block's commit batch).</summary>
    public void AddMarket(IWriteBatch batch, ulong height, MarketBlock? market)
    {
        var writer = new Writer(_store, batch);
        if (market is not null)
        {
            foreach (var (hash, order) in market.ChangedOrders) writer.Order(hash, order);
            foreach (var deal in market.ChangedDeals) writer.Deal(deal);
            foreach (var task in market.ChangedTasks) writer.Task(task);
        }
        writer.Finish(height);
    }

    /// <summary>
    /// Adds a block's transaction and block entries, and their indexed height, to <paramref name="batch"/>.
    /// They depend only on the block and its receipts, and writing them twice writes the same bytes.
    /// </summary>
    public static void AddTransactions(IWriteBatch batch, ChainBlock block, IReadOnlyList<Receipt> receipts)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(block);
        Writer.Block(batch, block, receipts);
        batch.Put(DbColumn.QueryIndex, [TransactionsMetaKind], Height(block.Height));
    }

    /// <summary>
    /// Deletes, in <paramref name="batch"/>, the entries <see cref="AddTransactions"/> wrote for a block being
    /// pruned: its figures, its transactions' summaries and the accounts' entries pointing at them. A pruned
    /// node then lists what it can still serve, and its index stops growing with the chain (benchmarks/RESULTS.md
    /// "Pruned node"). The sender is read from the summary, so entries of a block never indexed are left alone
    /// (there are none). Market entries describe state, which is not pruned, and stay.
    /// </summary>
    public static void RemoveTransactions(IKeyValueStore store, IWriteBatch batch, ChainBlock block)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(block);
        var height = Height(block.Height);
        batch.Delete(DbColumn.QueryIndex, Prefix(BlockKind, height));
        var position = new byte[12];
        height.CopyTo(position, 0);
        for (int i = 0; i < block.Transactions.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(position.AsSpan(8), (uint)i);
            var summaryKey = Prefix(BlockTxKind, position);
            var summary = store.Get(DbColumn.QueryIndex, summaryKey);
            if (summary is null || summary.Length != SummarySize) continue;
            batch.Delete(DbColumn.QueryIndex, summaryKey);
            batch.Delete(DbColumn.QueryIndex, Prefix(SentKind, summary[32..(32 + Address.Size)], position));
            if (block.Transactions[i].Body.Transfer is { } transfer && transfer.To.Length == Address.Size)
                batch.Delete(DbColumn.QueryIndex, Prefix(ReceivedKind, transfer.To.ToByteArray(), position));
        }
    }

    /// <summary>
    /// Writes the transaction entries of the blocks above <see cref="TransactionsIndexedHeight"/> up to
    /// <paramref name="head"/> from the stored blocks and receipts: what a background writer had not
    /// written when the node stopped. Returns the number of blocks read.
    /// </summary>
    public ulong CatchUpTransactions(BlockStore blocks, ulong head, int blocksPerBatch = 1000, Action<ulong>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ulong from = TransactionsIndexedHeight + 1;
        if (from > head) return 0;
        var batch = _store.NewBatch();
        try
        {
            for (ulong height = from; height <= head; height++)
            {
                var (block, receipts) = StoredBlock(blocks, height);
                AddTransactions(batch, block, receipts);
                if ((height - from + 1) % (ulong)blocksPerBatch == 0 && height != head)
                {
                    _store.Write(batch, sync: false);
                    batch.Dispose();
                    progress?.Invoke(height);
                    batch = _store.NewBatch();
                }
            }
            _store.Write(batch, sync: true);
        }
        finally
        {
            batch.Dispose();
        }
        Advanced();
        return head - from + 1;
    }

    /// <summary>
    /// Waits until the transaction entries reach <paramref name="height"/>; false when they do not within
    /// <paramref name="timeout"/> or the background writer failed (<see cref="WriterFailure"/>).
    /// </summary>
    public bool WaitForTransactions(ulong height, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_progress)
        {
            while (TransactionsIndexedHeight < height)
            {
                long left = deadline - Environment.TickCount64;
                if (_writerFailure is not null || left <= 0) return false;
                Monitor.Wait(_progress, (int)Math.Min(left, int.MaxValue));
            }
        }
        return true;
    }

    /// <summary>Wakes the callers of <see cref="WaitForTransactions"/> after a write.</summary>
    internal void Advanced()
    {
        lock (_progress) Monitor.PulseAll(_progress);
    }

    internal void WriterFailed(Exception failure)
    {
        _writerFailure = failure;
        Advanced();
    }

    private ulong ReadHeight(byte kind) =>
        _store.Get(DbColumn.QueryIndex, [kind]) is { Length: 8 } bytes ? BinaryPrimitives.ReadUInt64BigEndian(bytes) : 0;

    private static (ChainBlock Block, Receipt[] Receipts) StoredBlock(BlockStore blocks, ulong height)
    {
        var block = blocks.GetBlock(height) ?? throw new InvalidDataException($"block {height} is missing: the database is corrupt");
        var receipts = new Receipt[block.Transactions.Count];
        for (int i = 0; i < receipts.Length; i++)
            receipts[i] = blocks.GetReceipt(block.Transactions[i].Id) ?? throw new InvalidDataException($"the receipt of {block.Transactions[i].Id} is missing: the database is corrupt");
        return (block, receipts);
    }

    /// <summary>
    /// Derives the whole index again from the stored blocks and the current state: transactions from
    /// the blocks, orders from the orders the blocks placed, deals from their request orders, tasks from
    /// their deals. Returns the number of blocks read. Writes in batches of <paramref name="blocksPerBatch"/>;
    /// the indexed height is written last, so a crash midway leaves an index that is rebuilt again.
    /// </summary>
    public ulong Rebuild(BlockStore blocks, StateTree tree, ulong head, int blocksPerBatch = 1000, Action<ulong>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(tree);
        using (var clear = _store.NewBatch())
        {
            foreach (var (key, _) in _store.Iterate(DbColumn.QueryIndex)) clear.Delete(DbColumn.QueryIndex, key);
            _store.Write(clear, sync: false);
        }
        var batch = _store.NewBatch();
        var writer = new Writer(_store, batch);
        for (ulong height = 1; height <= head; height++)
        {
            var (block, receipts) = StoredBlock(blocks, height);
            AddTransactions(batch, block, receipts);
            for (int i = 0; i < receipts.Length; i++)
            {
                if (receipts[i].Status != ReceiptStatus.Success || block.Transactions[i].Body.PlaceOrder is not { } place) continue;
                var hash = OrderCodec.HashOf(place);
                if (MarketReader.Order(tree, hash) is not { } order) continue;
                writer.Order(hash, order);
                foreach (var dealId in order.Deals)
                {
                    var deal = MarketReader.Deal(tree, new Hash256(dealId.Span)) ?? throw new InvalidDataException($"deal {new Hash256(dealId.Span)} of order {hash} is missing from the state");
                    writer.Deal(deal);
                    var id = new Hash256(deal.Id.Span);
                    for (ulong t = deal.FirstTaskIndex; t < deal.FirstTaskIndex + deal.Volume; t++)
                        if (MarketReader.Task(tree, MarketBlock.TaskId(id, t)) is { } task) writer.Task(task);
                }
            }
            if (height % (ulong)blocksPerBatch == 0 && height != head)
            {
                writer.FlushCounts();
                _store.Write(batch, sync: false);
                batch.Dispose();
                progress?.Invoke(height);
                batch = _store.NewBatch();
                writer = new Writer(_store, batch);
            }
        }
        writer.Finish(head);
        _store.Write(batch, sync: true);
        batch.Dispose();
        Advanced();
        return head;
    }

    // ---- reads (each returns at most `limit` items and the cursor of the next page, null at the end) ----

    /// <summary>Transactions of the whole chain, newest first.</summary>
    public Page<IndexedTransaction> Transactions(int limit, byte[]? cursor) =>
        Read([BlockTxKind], cursor, limit, (key, value) => Summary(key.AsSpan(1), value));

    /// <summary>Transactions an account sent, received, or both (merged newest first).</summary>
    public Page<(IndexedTransaction Tx, TransactionDirection Direction)> Transactions(Address account, TransactionDirection? direction, int limit, byte[]? cursor)
    {
        // The cursor is the position (height 8, index 4) of the last item returned; both streams resume below it.
        byte[]? position = cursor;
        IEnumerable<(IndexedTransaction, TransactionDirection)> Stream(byte kind, TransactionDirection dir)
        {
            var prefix = Prefix(kind, account.ToArray());
            foreach (var (key, _) in _store.IterateBackward(DbColumn.QueryIndex, prefix, position is null ? null : [.. prefix, .. position]))
            {
                var at = key.AsSpan(1 + Address.Size);
                var summary = _store.Get(DbColumn.QueryIndex, Prefix(BlockTxKind, at.ToArray()))
                    ?? throw new InvalidDataException($"the query index lists a transaction of {account} at {Convert.ToHexString(at)} but not the transaction: rebuild the index");
                yield return (Summary(at, summary), dir);
            }
        }
        IEnumerable<(IndexedTransaction Tx, TransactionDirection Direction)> items = direction switch
        {
            TransactionDirection.Sent => Stream(SentKind, TransactionDirection.Sent),
            TransactionDirection.Received => Stream(ReceivedKind, TransactionDirection.Received),
            _ => Merge(Stream(SentKind, TransactionDirection.Sent), Stream(ReceivedKind, TransactionDirection.Received)),
        };
        var list = new List<(IndexedTransaction, TransactionDirection)>(Math.Min(limit, 128));
        foreach (var item in items)
        {
            if (list.Count == limit) return new Page<(IndexedTransaction, TransactionDirection)>(list, Position(list[^1].Item1));
            list.Add(item);
        }
        return new Page<(IndexedTransaction, TransactionDirection)>(list, null);
    }

    /// <summary>Deals made with <paramref name="address"/> as the given party, newest first.</summary>
    public Page<Hash256> Deals(DealParty party, Address address, int limit, byte[]? cursor) =>
        Read(Prefix(DealKind, [(byte)party], address.ToArray()), cursor, limit, (key, _) => new Hash256(key.AsSpan(key.Length - 32)));

    /// <summary>Tasks a worker was assigned a replica of, newest assignment first.</summary>
    public Page<Hash256> TasksOfWorker(Address worker, int limit, byte[]? cursor) =>
        Read(Prefix(WorkerTaskKind, worker.ToArray()), cursor, limit, (key, _) => new Hash256(key.AsSpan(key.Length - 32)));

    /// <summary>Tasks now in <paramref name="status"/>, most recently started first.</summary>
    public Page<Hash256> TasksByStatus(TaskStatus status, int limit, byte[]? cursor) =>
        Read(Prefix(StatusTaskKind, [(byte)status]), cursor, limit, (key, _) => new Hash256(key.AsSpan(key.Length - 32)));

    /// <summary>Orders an account placed, newest first.</summary>
    public Page<Hash256> OrdersOf(Address owner, int limit, byte[]? cursor) =>
        Read(Prefix(OwnerOrderKind, owner.ToArray()), cursor, limit, (key, _) => new Hash256(key.AsSpan(key.Length - 32)));

    /// <summary>The figures of the blocks from <paramref name="from"/> to <paramref name="to"/> (inclusive), oldest first.</summary>
    public List<BlockFigures> Figures(ulong from, ulong to)
    {
        var list = new List<BlockFigures>((int)Math.Min(to - from + 1, 100_000));
        var finished = new Dictionary<ulong, (uint Completed, uint Failed)>();
        foreach (var (key, value) in _store.IterateBackward(DbColumn.QueryIndex, [FinishedKind], Key(FinishedKind, to + 1)))
        {
            ulong height = BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(1));
            if (height < from) break;
            var counts = finished.GetValueOrDefault(height);
            uint n = BinaryPrimitives.ReadUInt32BigEndian(value);
            finished[height] = key[9] == (byte)TaskStatus.Completed ? (counts.Completed + n, counts.Failed) : (counts.Completed, counts.Failed + n);
        }
        foreach (var (key, value) in _store.IterateBackward(DbColumn.QueryIndex, [BlockKind], Key(BlockKind, to + 1)))
        {
            ulong height = BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(1));
            if (height < from) break;
            var (completed, failed) = finished.GetValueOrDefault(height);
            list.Add(new BlockFigures(height, BinaryPrimitives.ReadUInt64BigEndian(value), BinaryPrimitives.ReadUInt32BigEndian(value.AsSpan(8)), completed, failed));
        }
        list.Reverse();
        return list;
    }

    /// <summary>Every entry of the index, in key order (tests compare an incremental index with a rebuilt one).</summary>
    public IEnumerable<(byte[] Key, byte[] Value)> Entries() => _store.Iterate(DbColumn.QueryIndex);

    private Page<T> Read<T>(byte[] prefix, byte[]? cursor, int limit, Func<byte[], byte[], T> item)
    {
        var list = new List<T>(Math.Min(limit, 128));
        byte[]? last = null;
        foreach (var (key, value) in _store.IterateBackward(DbColumn.QueryIndex, prefix, cursor is null ? null : [.. prefix, .. cursor]))
        {
            if (list.Count == limit) return new Page<T>(list, last![prefix.Length..]);
            list.Add(item(key, value));
            last = key;
        }
        return new Page<T>(list, null);
    }

    private static IEnumerable<(IndexedTransaction Tx, TransactionDirection Direction)> Merge(
        IEnumerable<(IndexedTransaction Tx, TransactionDirection Direction)> sent, IEnumerable<(IndexedTransaction Tx, TransactionDirection Direction)> received)
    {
        using var a = sent.GetEnumerator();
        using var b = received.GetEnumerator();
        bool hasA = a.MoveNext(), hasB = b.MoveNext();
        while (hasA || hasB)
        {
            int order = !hasA ? -1 : !hasB ? 1 : Compare(a.Current.Tx, b.Current.Tx);
            if (order > 0) { yield return a.Current; hasA = a.MoveNext(); }
            else if (order < 0) { yield return b.Current; hasB = b.MoveNext(); }
            else
            {
                // A transfer to oneself: one row, both directions.
                yield return (a.Current.Tx, TransactionDirection.Sent | TransactionDirection.Received);
                hasA = a.MoveNext();
                hasB = b.MoveNext();
            }
        }

        static int Compare(IndexedTransaction x, IndexedTransaction y) =>
            x.Height != y.Height ? x.Height.CompareTo(y.Height) : x.Index.CompareTo(y.Index);
    }

    private static byte[] Position(IndexedTransaction tx)
    {
        var position = new byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(position, tx.Height);
        BinaryPrimitives.WriteUInt32BigEndian(position.AsSpan(8), tx.Index);
        return position;
    }

    private static IndexedTransaction Summary(ReadOnlySpan<byte> position, byte[] value) => new(
        BinaryPrimitives.ReadUInt64BigEndian(position),
        BinaryPrimitives.ReadUInt32BigEndian(position[8..]),
        new Hash256(value.AsSpan(0, 32)),
        new Address(value.AsSpan(32, Address.Size)),
        (TransactionBody.PayloadOneofCase)value[32 + Address.Size],
        (ReceiptStatus)value[33 + Address.Size]);

    private static byte[] Prefix(byte kind, params ReadOnlySpan<byte[]> parts)
    {
        int length = 1;
        foreach (var part in parts) length += part.Length;
        var key = new byte[length];
        key[0] = kind;
        int at = 1;
        foreach (var part in parts) { part.CopyTo(key, at); at += part.Length; }
        return key;
    }

    private static byte[] Key(byte kind, ulong height)
    {
        var key = new byte[9];
        key[0] = kind;
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(1), height);
        return key;
    }

    private static byte[] Height(ulong height)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, height);
        return bytes;
    }

    /// <summary>
    /// Writes entries into one batch. Task entries depend on what the index already says about the task
    /// (its previous status moves to the new one), so the writer remembers what it wrote and not yet
    /// committed: a rebuild batch may index the same task twice.
    /// </summary>
    private sealed class Writer(IKeyValueStore store, IWriteBatch batch)
    {
        private readonly Dictionary<Hash256, byte[]> _taskStates = [];
        private readonly Dictionary<(ulong Height, TaskStatus Status), int> _finishedDelta = [];

        public static void Block(IWriteBatch batch, ChainBlock block, IReadOnlyList<Receipt> receipts)
        {
            var height = Height(block.Height);
            var figures = new byte[12];
            BinaryPrimitives.WriteUInt64BigEndian(figures, block.Header.TimeUnixMs);
            BinaryPrimitives.WriteUInt32BigEndian(figures.AsSpan(8), (uint)block.Transactions.Count);
            batch.Put(DbColumn.QueryIndex, Prefix(BlockKind, height), figures);
            var summary = new byte[SummarySize];
            var position = new byte[12];
            height.CopyTo(position, 0);
            for (int i = 0; i < block.Transactions.Count; i++)
            {
                // The sender from the receipt: a block read back from the store has not recovered its signers.
                var tx = block.Transactions[i];
                var sender = receipts[i].Sender.ToByteArray();
                if (sender.Length != Address.Size) throw new InvalidDataException($"the receipt of {tx.Id} names no sender");
                tx.Id.CopyTo(summary);
                sender.CopyTo(summary, 32);
                summary[32 + Address.Size] = (byte)tx.Kind;
                summary[33 + Address.Size] = (byte)receipts[i].Status;
                BinaryPrimitives.WriteUInt32BigEndian(position.AsSpan(8), (uint)i);
                batch.Put(DbColumn.QueryIndex, Prefix(BlockTxKind, position), summary);
                // An account's entries only point at the position: the summary is read from the block's entry.
                batch.Put(DbColumn.QueryIndex, Prefix(SentKind, sender, position), []);
                if (tx.Body.Transfer is { } transfer && transfer.To.Length == Address.Size)
                    batch.Put(DbColumn.QueryIndex, Prefix(ReceivedKind, transfer.To.ToByteArray(), position), []);
            }
        }

        public void Order(Hash256 hash, OrderRecord order) =>
            batch.Put(DbColumn.QueryIndex, Prefix(OwnerOrderKind, order.Owner.ToByteArray(), Height(order.PlacedAt), hash.ToArray()), [(byte)order.Kind]);

        public void Deal(DealRecord deal)
        {
            var tail = Prefix(0, Height(deal.CreatedAt), deal.Id.ToByteArray())[1..];
            Put(DealParty.Requester, deal.Requester);
            Put(DealParty.App, deal.App);
            if (!deal.Dataset.IsEmpty && !new Address(deal.Dataset.Span).IsZero) Put(DealParty.Dataset, deal.Dataset);
            Put(DealParty.Workerpool, deal.Workerpool);

            void Put(DealParty party, ByteString address) =>
                batch.Put(DbColumn.QueryIndex, Prefix(DealKind, [(byte)party], address.ToByteArray(), tail), []);
        }

        public void Task(TaskRecord task)
        {
            var id = new Hash256(task.Id.Span);
            var taskId = task.Id.ToByteArray();
            foreach (var replica in task.Replicas)
                batch.Put(DbColumn.QueryIndex, Prefix(WorkerTaskKind, replica.Worker.ToByteArray(), Height(replica.AssignedAt), taskId), []);

            var state = new byte[17];
            state[0] = (byte)task.Status;
            BinaryPrimitives.WriteUInt64BigEndian(state.AsSpan(1), task.StartHeight);
            BinaryPrimitives.WriteUInt64BigEndian(state.AsSpan(9), task.FinishedAt);
            var before = _taskStates.GetValueOrDefault(id) ?? store.Get(DbColumn.QueryIndex, Prefix(TaskStateKind, taskId));
            if (before is not null && before.AsSpan().SequenceEqual(state)) return;
            if (before is not null)
            {
                batch.Delete(DbColumn.QueryIndex, Prefix(StatusTaskKind, [before[0]], before[1..9], taskId));
                Finished(before, -1);
            }
            batch.Put(DbColumn.QueryIndex, Prefix(StatusTaskKind, [state[0]], state[1..9], taskId), []);
            batch.Put(DbColumn.QueryIndex, Prefix(TaskStateKind, taskId), state);
            _taskStates[id] = state;
            Finished(state, +1);
        }

        private void Finished(byte[] state, int delta)
        {
            var status = (TaskStatus)state[0];
            if (status is not (TaskStatus.Completed or TaskStatus.Failed)) return;
            var key = (BinaryPrimitives.ReadUInt64BigEndian(state.AsSpan(9)), status);
            _finishedDelta[key] = _finishedDelta.GetValueOrDefault(key) + delta;
        }

        /// <summary>Applies the finished-task counts and records the indexed height.</summary>
        public void Finish(ulong indexedHeight)
        {
            FlushCounts();
            batch.Put(DbColumn.QueryIndex, [MetaKind], Height(indexedHeight));
        }

        /// <summary>Adds the finished-task counts gathered so far to the batch.</summary>
        public void FlushCounts()
        {
            foreach (var ((height, status), delta) in _finishedDelta)
            {
                if (delta == 0) continue;
                var key = Prefix(FinishedKind, Height(height), [(byte)status]);
                var stored = store.Get(DbColumn.QueryIndex, key);
                long count = (stored is { Length: 4 } ? BinaryPrimitives.ReadUInt32BigEndian(stored) : 0) + delta;
                if (count <= 0) batch.Delete(DbColumn.QueryIndex, key);
                else
                {
                    var value = new byte[4];
                    BinaryPrimitives.WriteUInt32BigEndian(value, (uint)count);
                    batch.Put(DbColumn.QueryIndex, key, value);
                }
            }
            _finishedDelta.Clear();
        }
    }
}

/// <summary>One page of a query: the items and the cursor of the next page (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, byte[]? Next);
