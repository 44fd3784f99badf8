using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.Storage;

namespace IExecChain.State.Market;

/// <summary>
/// The market's long-lived part: the in-memory <see cref="OrderBook"/> of the committed state, kept in
/// step with blocks as they are executed and committed. Blocks are executed before anyone knows they
/// will be committed, so each execution records its book changes in a journal: executing another block
/// on the same parent first undoes them, and committing a block re-applies its own. The open orders are
/// indexed outside the state tree (<see cref="DbColumn.MarketOrders"/>, written in the commit's batch)
/// so the book can be rebuilt at startup exactly as a node that never stopped holds it.
/// Used by the one thread that executes blocks.
/// </summary>
public sealed class MarketLedger
{
    private readonly ChainSpec _spec;
    private readonly StateTree _tree;
    private MarketBlock? _applied;

    public MarketLedger(ChainSpec spec, StateTree tree, IKeyValueStore store)
    {
        _spec = spec;
        _tree = tree;
        Statistics = new StateWorkerpoolStatistics(tree);
        Book = new OrderBook(Statistics);
        Rebuild(store);
    }

    public OrderBook Book { get; }

    public StateWorkerpoolStatistics Statistics { get; }

    public MatchBudget Budget { get; init; } = new();

    /// <summary>Starts executing a block on the committed state: the book is brought back to it first.</summary>
    public MarketBlock Begin(WorldState state, ulong height, Hash256 seed, ChainParameters parameters)
    {
        Rewind();
        var block = new MarketBlock(this, state, height, seed, parameters);
        Book.Record(block.Journal);
        _applied = block;
        return block;
    }

    /// <summary>Takes one failed transaction's changes out of the book, which goes on recording the block's.</summary>
    internal void UndoSince(BookJournal journal, int mark)
    {
        Book.Record(null);
        journal.UndoSince(Book, mark);
        Book.Record(journal);
    }

    /// <summary>Ends the recording of a block's book changes (its changes stay applied until the next Begin or Commit).</summary>
    internal void Stop() => Book.Record(null);

    /// <summary>
    /// Makes the book reflect <paramref name="committed"/> and writes its order-index changes into the
    /// commit's batch. Call before the batch is written; <see cref="AfterCommit"/> after.
    /// </summary>
    public void Commit(MarketBlock? committed, IWriteBatch batch)
    {
        Book.Record(null);
        if (!ReferenceEquals(_applied, committed))
        {
            _applied?.Journal.Undo(Book);
            committed?.Journal.Redo(Book);
            _applied = committed;
        }
        if (committed is null) return;
        foreach (var (hash, open) in committed.IndexChanges)
        {
            if (open) batch.Put(DbColumn.MarketOrders, hash.ToArray(), []);
            else batch.Delete(DbColumn.MarketOrders, hash.ToArray());
        }
    }

    /// <summary>After the commit is written: pools whose statistics the block changed are re-ranked.</summary>
    public void AfterCommit(MarketBlock? committed)
    {
        _applied = null;
        if (committed is null) return;
        foreach (var pool in committed.TouchedPools) Book.RefreshWorkerpool(pool);
    }

    private void Rewind()
    {
        Book.Record(null);
        _applied?.Journal.Undo(Book);
        _applied = null;
    }

    private void Rebuild(IKeyValueStore store)
    {
        foreach (var (key, _) in store.Iterate(DbColumn.MarketOrders))
        {
            var hash = new Hash256(key);
            var bytes = _tree.Get(StateKeys.Order(hash)) ?? throw new InvalidDataException($"open order {hash} is indexed but missing from the state: the database is corrupt");
            var record = OrderRecord.Parser.ParseFrom(bytes);
            if (record.Status != OrderStatus.Open) throw new InvalidDataException($"order {hash} is indexed as open but its state is {record.Status}");
            var order = Decode(record, out var error) ?? throw new InvalidDataException($"order {hash} in the state does not decode: {error}");
            Book.AddOrder(order, record.Remaining, (long)record.Sequence);
        }
    }

    /// <summary>The market record of a stored order (an AppOffer, DatasetOffer, ResourceOffer or TaskOrder).</summary>
    public static object? Decode(OrderRecord record, out string? error)
    {
        error = null;
        switch (record.Kind)
        {
            case OrderKind.App: return OrderCodec.TryDecode(AppOrder.Parser.ParseFrom(record.Order), out var a, out error) ? a : null;
            case OrderKind.Dataset: return OrderCodec.TryDecode(DatasetOrder.Parser.ParseFrom(record.Order), out var d, out error) ? d : null;
            case OrderKind.Workerpool: return OrderCodec.TryDecode(WorkerpoolOrder.Parser.ParseFrom(record.Order), out var w, out error) ? w : null;
            case OrderKind.Request: return OrderCodec.TryDecode(RequestOrder.Parser.ParseFrom(record.Order), out var r, out error) ? r : null;
            default: error = $"unknown order kind {record.Kind}"; return null;
        }
    }

    internal ChainSpec Spec => _spec;
}

/// <summary>Workerpool statistics read from the committed state (ranking uses them as of the block's parent).</summary>
public sealed class StateWorkerpoolStatistics(StateTree tree) : IWorkerpoolStatistics
{
    public WorkerpoolStats Get(Address workerpool)
    {
        var bytes = tree.Get(StateKeys.Workerpool(workerpool));
        if (bytes is null) return default;
        var pool = WorkerpoolRecord.Parser.ParseFrom(bytes);
        ulong mean = pool.Workers.Count == 0 ? 0 : pool.ScoreSum / (ulong)pool.Workers.Count;
        // A reversed result counts as a failure, not a completion.
        ulong reversed = Math.Min(pool.TasksReversed, pool.TasksCompleted);
        return new WorkerpoolStats(pool.TasksCompleted - reversed, pool.TasksFailed + reversed, mean);
    }
}

/// <summary>Reads market records from the committed state (RPC, workers, tests).</summary>
public static class MarketReader
{
    public static AppRecord? App(StateTree tree, Address id) => Read(tree, StateKeys.App(id), AppRecord.Parser);
    public static DatasetRecord? Dataset(StateTree tree, Address id) => Read(tree, StateKeys.Dataset(id), DatasetRecord.Parser);
    public static WorkerpoolRecord? Workerpool(StateTree tree, Address id) => Read(tree, StateKeys.Workerpool(id), WorkerpoolRecord.Parser);
    public static WorkerRecord? Worker(StateTree tree, Address id) => Read(tree, StateKeys.Worker(id), WorkerRecord.Parser);
    public static OrderRecord? Order(StateTree tree, Hash256 hash) => Read(tree, StateKeys.Order(hash), OrderRecord.Parser);
    public static DealRecord? Deal(StateTree tree, Hash256 id) => Read(tree, StateKeys.Deal(id), DealRecord.Parser);
    public static TaskRecord? Task(StateTree tree, Hash256 id) => Read(tree, StateKeys.Task(id), TaskRecord.Parser);
    public static MarketTotals Totals(StateTree tree) => Read(tree, StateKeys.MarketTotals, MarketTotals.Parser) ?? new MarketTotals();

    /// <summary>Open orders as indexed in the store (committed), unordered.</summary>
    public static IEnumerable<Hash256> OpenOrders(IKeyValueStore store)
    {
        foreach (var (key, _) in store.Iterate(DbColumn.MarketOrders)) yield return new Hash256(key);
    }

    private static T? Read<T>(StateTree tree, Hash256 key, MessageParser<T> parser) where T : class, IMessage<T> =>
        tree.Get(key) is { } bytes ? parser.ParseFrom(bytes) : null;
}
