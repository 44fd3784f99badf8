using System.Buffers.Binary;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Market;

/// <summary>A task's change of state, for subscribers (WebSocket "tasks" topic) and the devnet display.</summary>
public sealed record MarketEvent(string Kind, Hash256 TaskId, Hash256 DealId, Address Requester, Address Worker, string Status, ulong Height);

/// <summary>
/// The market's unit of work for one block: records are decoded once per block, changed by the
/// transactions and the end-of-block work, and written back once in <see cref="Finish"/>; one
/// transaction's changes can be taken back whole. The market's rules live in the components it owns:
/// the handlers of each transaction family, the escrow that moves nRLC, the replica lifecycle and
/// scheduler, the task lifecycle, deal making, the rollback window and verification.
/// </summary>
public sealed class MarketBlock
{
    private readonly MarketLedger _ledger;
    private readonly WorldState _state;
    private readonly Dictionary<Hash256, IMessage> _records = [];
    private readonly HashSet<Hash256> _dirty = [];

    // The open transaction's undo log (see BeginTransaction); unused during end-of-block work. Reads
    // copy with the record's own Clone; a record replaced by Put without a read first is copied through its encoding.
    private readonly UndoLog<Hash256, IMessage> _recordLog = new(r => r.Descriptor.Parser.ParseFrom(r.ToByteString()));
    private bool _inTransaction;
    private int _bookMark, _eventMark;
    private readonly Dictionary<Hash256, bool?> _indexBefore = [];
    private readonly List<Address> _poolsTouched = [];

    private readonly RegistryTransactions _registries;
    private readonly ResultTransactions _results;

    internal MarketBlock(MarketLedger ledger, WorldState state, ulong height, Hash256 seed, ChainParameters parameters)
    {
        _ledger = ledger;
        _state = state;
        Height = height;
        Seed = seed;
        Parameters = parameters;
        Escrow = new Escrow(this, state);
        Replicas = new ReplicaSet(this);
        Scheduler = new ReplicaScheduler(this, state);
        Tasks = new TaskLifecycle(this);
        Deals = new DealMaking(this, ledger);
        Window = new RollbackWindow(this, state);
        Verifications = new VerificationWorkflow(this);
        Orders = new OrderTransactions(this);
        _registries = new RegistryTransactions(this, state);
        _results = new ResultTransactions(this);
    }

    public ulong Height { get; }

    /// <summary>Randomness for replica assignment: the parent block's hash (known to all, fixed before the block).</summary>
    public Hash256 Seed { get; }

    public ChainParameters Parameters { get; }

    internal MarketParameters Market => Parameters.Market;

    internal BookJournal Journal { get; } = new();

    /// <summary>Order hash → true when it became open in this block, false when it closed.</summary>
    public Dictionary<Hash256, bool> IndexChanges { get; } = [];

    public HashSet<Address> TouchedPools { get; } = [];

    public List<MarketEvent> Events { get; } = [];

    internal OrderBook Book => _ledger.Book;

    internal Escrow Escrow { get; }
    internal ReplicaSet Replicas { get; }
    internal ReplicaScheduler Scheduler { get; }
    internal TaskLifecycle Tasks { get; }
    internal DealMaking Deals { get; }
    internal RollbackWindow Window { get; }
    internal VerificationWorkflow Verifications { get; }
    internal OrderTransactions Orders { get; }

    /// <summary>
    /// Applies a market transaction and returns the reason it failed; the transaction is then included
    /// with a failed receipt, having paid its fee, and whatever the handler changed is rolled back. An
    /// <see cref="OverflowException"/> is the executor's to turn into a failed receipt (it rolls the transaction back).
    /// </summary>
    public Reason? Execute(Address sender, ulong nonce, TransactionBody body) => body.PayloadCase switch
    {
        TransactionBody.PayloadOneofCase.RegisterApp => _registries.RegisterApp(sender, nonce, body.RegisterApp),
        TransactionBody.PayloadOneofCase.RegisterDataset => _registries.RegisterDataset(sender, nonce, body.RegisterDataset),
        TransactionBody.PayloadOneofCase.RegisterWorkerpool => _registries.RegisterWorkerpool(sender, nonce, body.RegisterWorkerpool),
        TransactionBody.PayloadOneofCase.JoinPool => _registries.JoinPool(sender, body.JoinPool),
        TransactionBody.PayloadOneofCase.LeavePool => _registries.LeavePool(sender),
        TransactionBody.PayloadOneofCase.PlaceOrder => Orders.PlaceOrder(sender, body.PlaceOrder),
        TransactionBody.PayloadOneofCase.CancelOrder => Orders.CancelOrder(sender, new Hash256(body.CancelOrder.OrderHash.Span)),
        TransactionBody.PayloadOneofCase.Contribute => _results.Contribute(sender, body.Contribute),
        TransactionBody.PayloadOneofCase.Reveal => _results.Reveal(sender, body.Reveal),
        TransactionBody.PayloadOneofCase.ReportFailure => _results.ReportFailure(sender, body.ReportFailure),
        TransactionBody.PayloadOneofCase.Challenge => Window.Challenge(sender, new Hash256(body.Challenge.TaskId.Span)),
        _ => Reasons.Of(ReasonCode.ReasonPayloadNotExecutable).Number(body.PayloadCase),
    };

    /// <inheritdoc cref="RegistryTransactions.DecideApp"/>
    public Reason? DecideApp(Address id, bool revoke) => _registries.DecideApp(id, revoke);

    /// <summary>True when <paramref name="worker"/> is in a pool (its worker stake must stay above the minimum).</summary>
    public bool IsPoolMember(Address worker) => Worker(worker) is { Workerpool.IsEmpty: false };

    /// <summary>
    /// End-of-block work, in this order: spot-checks drawn among the previous block's completions, deadlines
    /// that fall at this height (replica timeouts, reveal deadlines, final deadlines), tasks waiting for free
    /// workers, matching, then starting the tasks of matched deals. Every step has a per-block bound from the
    /// chain spec, so the work of a block is bounded. Writes the block's records; call once, last.
    /// </summary>
    public void Finish()
    {
        try
        {
            Window.RunSpotChecks();
            Tasks.RunTimers();
            Tasks.RetryAwaitingTasks();
            Deals.Match();
            Tasks.StartTasks();
        }
        finally
        {
            _ledger.Stop();
        }
        Flush();
    }

    // ---- one transaction ----

    /// <summary>
    /// Starts one transaction's changes: market records, the book, the order index, events and the
    /// pools to re-rank are logged until <see cref="CommitTransaction"/> or <see cref="RollbackTransaction"/>.
    /// Account and stake changes are the <see cref="WorldState"/>'s to log.
    /// </summary>
    public void BeginTransaction()
    {
        if (_inTransaction) throw new InvalidOperationException("a transaction is already open on this market block");
        _inTransaction = true;
        _bookMark = Journal.Count;
        _eventMark = Events.Count;
    }

    public void CommitTransaction()
    {
        _inTransaction = false;
        _recordLog.Clear();
        _indexBefore.Clear();
        _poolsTouched.Clear();
    }

    /// <summary>Takes back everything the open transaction did to the market.</summary>
    public void RollbackTransaction()
    {
        _inTransaction = false;
        _recordLog.Rollback(_records, _dirty);
        _ledger.UndoSince(Journal, _bookMark);
        Events.RemoveRange(_eventMark, Events.Count - _eventMark);
        foreach (var (hash, before) in _indexBefore)
        {
            if (before is { } open) IndexChanges[hash] = open;
            else IndexChanges.Remove(hash);
        }
        _indexBefore.Clear();
        foreach (var pool in _poolsTouched) TouchedPools.Remove(pool);
        _poolsTouched.Clear();
        // A timer list may have been put back as it was: its id cache is rebuilt from the list on next use.
        _timerIds.Clear();
    }

    internal void SetIndexChange(Hash256 order, bool open)
    {
        if (_inTransaction && !_indexBefore.ContainsKey(order))
            _indexBefore[order] = IndexChanges.TryGetValue(order, out var before) ? before : null;
        IndexChanges[order] = open;
    }

    internal void TouchPool(Address pool)
    {
        if (TouchedPools.Add(pool) && _inTransaction) _poolsTouched.Add(pool);
    }

    // ---- records ----

    internal T? Get<T>(Hash256 key, MessageParser<T> parser) where T : class, IMessage<T>
    {
        if (_inTransaction) _recordLog.Touch(key, _records, static r => ((T)r).Clone());
        if (_records.TryGetValue(key, out var cached)) return (T)cached;
        var record = _state.GetRecord(key, parser);
        if (record is not null) _records[key] = record;
        return record;
    }

    internal void Put(Hash256 key, IMessage record)
    {
        if (_inTransaction)
        {
            _recordLog.Touch(key, _records);
            _recordLog.MarkDirty(key, _dirty);
        }
        else _dirty.Add(key);
        _records[key] = record;
    }

    /// <summary>Deletes a per-height list once its height's work is done (end of block only).</summary>
    internal void Drop(Hash256 key)
    {
        _records.Remove(key);
        _dirty.Remove(key);
        _state.SetRecord(key, null);
    }

    internal MarketTotals Totals
    {
        get
        {
            // Cached like any record, so the transaction's undo log covers it too; absent means all zero.
            var key = StateKeys.MarketTotals;
            if (_inTransaction) _recordLog.Touch(key, _records, static r => ((MarketTotals)r).Clone());
            if (_records.TryGetValue(key, out var cached)) return (MarketTotals)cached;
            var totals = _state.GetRecord(key, MarketTotals.Parser) ?? new MarketTotals();
            _records[key] = totals;
            return totals;
        }
    }

    internal void TotalsChanged()
    {
        if (_inTransaction) _recordLog.MarkDirty(StateKeys.MarketTotals, _dirty);
        else _dirty.Add(StateKeys.MarketTotals);
    }

    internal AppRecord? App(Address id) => Get(StateKeys.App(id), AppRecord.Parser);
    internal DatasetRecord? Dataset(Address id) => Get(StateKeys.Dataset(id), DatasetRecord.Parser);
    internal WorkerpoolRecord? Pool(Address id) => Get(StateKeys.Workerpool(id), WorkerpoolRecord.Parser);
    internal WorkerRecord? Worker(Address id) => Get(StateKeys.Worker(id), WorkerRecord.Parser);
    internal OrderRecord? Order(Hash256 hash) => Get(StateKeys.Order(hash), OrderRecord.Parser);
    internal DealRecord? Deal(Hash256 id) => Get(StateKeys.Deal(id), DealRecord.Parser);
    internal TaskRecord? Task(Hash256 id) => Get(StateKeys.Task(id), TaskRecord.Parser);

    internal void Save(AppRecord r) => Put(StateKeys.App(Addr(r.Id)), r);
    internal void Save(DatasetRecord r) => Put(StateKeys.Dataset(Addr(r.Id)), r);
    internal void Save(WorkerpoolRecord r) => Put(StateKeys.Workerpool(Addr(r.Id)), r);
    internal void Save(Address worker, WorkerRecord r) => Put(StateKeys.Worker(worker), r);
    internal void Save(Hash256 hash, OrderRecord r) => Put(StateKeys.Order(hash), r);
    internal void Save(DealRecord r) => Put(StateKeys.Deal(H(r.Id)), r);
    internal void Save(TaskRecord r) => Put(StateKeys.Task(H(r.Id)), r);

    /// <summary>Per height, the ids already in its timer list this block (a block may add thousands: no linear search).</summary>
    private readonly Dictionary<ulong, HashSet<Hash256>> _timerIds = [];

    internal void AddTimer(ulong height, Hash256 task)
    {
        var key = StateKeys.TaskTimers(height);
        var list = Get(key, HashList.Parser) ?? new HashList();
        if (!_timerIds.TryGetValue(height, out var ids))
        {
            _timerIds[height] = ids = new HashSet<Hash256>(list.Hashes.Count);
            foreach (var h in list.Hashes) ids.Add(H(h));
        }
        if (ids.Add(task)) list.Hashes.Add(Bytes(task));
        Put(key, list);
    }

    /// <summary>Orders this block changed, as written (for the query index).</summary>
    public List<(Hash256 Hash, OrderRecord Record)> ChangedOrders { get; } = [];

    /// <summary>Deals this block changed, as written (for the query index).</summary>
    public List<DealRecord> ChangedDeals { get; } = [];

    /// <summary>Tasks this block changed, as written (for the query index).</summary>
    public List<TaskRecord> ChangedTasks { get; } = [];

    /// <summary>Writes every changed record into the block's state; call once, last.</summary>
    internal void Flush()
    {
        foreach (var key in _dirty)
        {
            var record = _records[key];
            _state.SetRecord(key, record);
            switch (record)
            {
                case OrderRecord order: ChangedOrders.Add((OrderCodec.HashOf(order), order)); break;
                case DealRecord deal: ChangedDeals.Add(deal); break;
                case TaskRecord task: ChangedTasks.Add(task); break;
            }
        }
        _dirty.Clear();
    }


    internal void Emit(string kind, TaskRecord task, DealRecord deal, Address worker, string? status = null) =>
        Events.Add(new MarketEvent(kind, H(task.Id), H(deal.Id), Addr(deal.Requester), worker, status ?? StatusName(task.Status), Height));

    // ---- ids and names ----

    internal static Address Addr(ByteString bytes) => new(bytes.Span);
    internal static Hash256 H(ByteString bytes) => new(bytes.Span);
    internal static ByteString Bytes(Address a) => UnsafeByteOperations.UnsafeWrap(a.ToArray());
    internal static ByteString Bytes(Hash256 h) => UnsafeByteOperations.UnsafeWrap(h.ToArray());

    /// <summary>Address of a registered resource: last 20 bytes of keccak256(kind ‖ owner ‖ nonce).</summary>
    public static Address ResourceId(byte kind, Address owner, ulong nonce)
    {
        Span<byte> buffer = stackalloc byte[1 + Address.Size + 8];
        buffer[0] = kind;
        owner.CopyTo(buffer[1..]);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[(1 + Address.Size)..], nonce);
        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(buffer, hash);
        return new Address(hash[12..]);
    }

    public const byte AppIdKind = 1, DatasetIdKind = 2, WorkerpoolIdKind = 3;

    /// <summary>iExec's task id: keccak256(deal id ‖ task index as uint256).</summary>
    public static Hash256 TaskId(Hash256 dealId, ulong index) => Matchmaker.DealId(dealId, index);

    /// <summary>The commit a worker sends: keccak256(task id ‖ digest).</summary>
    public static Hash256 ResultHash(Hash256 taskId, Hash256 digest) => Keccak256.HashConcat(taskId.ToArray(), digest.ToArray());

    /// <summary>The seal binding the commit to its worker: keccak256(worker ‖ task id ‖ digest).</summary>
    public static Hash256 ResultSeal(Address worker, Hash256 taskId, Hash256 digest)
    {
        Span<byte> buffer = stackalloc byte[Address.Size + 64];
        worker.CopyTo(buffer);
        taskId.CopyTo(buffer[Address.Size..]);
        digest.CopyTo(buffer[(Address.Size + 32)..]);
        return Keccak256.Hash(buffer);
    }

    public static string StatusName(TaskStatus s) => s switch
    {
        TaskStatus.Active => "active",
        TaskStatus.Revealing => "revealing",
        TaskStatus.Completed => "completed",
        TaskStatus.Failed => "failed",
        _ => s.ToString().ToLowerInvariant(),
    };

    /// <summary>A reported failure's name in RPC and CLI output: the enum's name in kebab case ("invalid-app", "out-of-fuel").</summary>
    public static string FailureName(ReplicaFailure failure) => failure switch
    {
        ReplicaFailure.InvalidApp => "invalid-app",
        ReplicaFailure.OutOfFuel => "out-of-fuel",
        ReplicaFailure.OutOfMemory => "out-of-memory",
        ReplicaFailure.Trapped => "trapped",
        ReplicaFailure.OutputTooLarge => "output-too-large",
        ReplicaFailure.Timeout => "timeout",
        ReplicaFailure.FetchFailed => "fetch-failed",
        ReplicaFailure.AppUnavailable => "app-unavailable",
        ReplicaFailure.TooManyProcesses => "too-many-processes",
        _ => "unknown-" + (int)failure,
    };

    public static string PhaseName(VerificationPhase phase) => phase switch
    {
        VerificationPhase.Committing => "committing",
        VerificationPhase.Revealing => "revealing",
        VerificationPhase.Upheld => "upheld",
        VerificationPhase.Reversed => "reversed",
        VerificationPhase.Inconclusive => "inconclusive",
        _ => phase.ToString().ToLowerInvariant(),
    };
}
