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
/// The market's work in one block: the transactions' effects (registries, orders, contributions,
/// reveals) and the end-of-block work (deadlines, replica assignment, matching, task starts, payouts).
/// Records are decoded once per block and written back once in <see cref="Finish"/>.
/// </summary>
public sealed partial class MarketBlock
{
    private readonly MarketLedger _ledger;
    private readonly WorldState _state;
    private readonly Dictionary<Hash256, IMessage> _records = [];
    private readonly HashSet<Hash256> _dirty = [];
    private MarketTotals? _totals;

    // The open transaction's undo log (see BeginTransaction); unused during end-of-block work. Reads
    // copy with the record's own Clone; a record replaced by Put without a read first is copied through its encoding.
    private readonly UndoLog<Hash256, IMessage> _recordLog = new(r => r.Descriptor.Parser.ParseFrom(r.ToByteString()));
    private bool _inTransaction;
    private MarketTotals? _totalsBefore;
    private bool _totalsTouched;
    private int _bookMark, _eventMark;
    private readonly Dictionary<Hash256, bool?> _indexBefore = [];
    private readonly List<Address> _poolsTouched = [];

    internal MarketBlock(MarketLedger ledger, WorldState state, ulong height, Hash256 seed, ChainParameters parameters)
    {
        _ledger = ledger;
        _state = state;
        Height = height;
        Seed = seed;
        Parameters = parameters;
    }

    public ulong Height { get; }

    /// <summary>Randomness for replica assignment: the parent block's hash (known to all, fixed before the block).</summary>
    public Hash256 Seed { get; }

    public ChainParameters Parameters { get; }

    private MarketParameters Market => Parameters.Market;

    internal BookJournal Journal { get; } = new();

    /// <summary>Order hash → true when it became open in this block, false when it closed.</summary>
    public Dictionary<Hash256, bool> IndexChanges { get; } = [];

    public HashSet<Address> TouchedPools { get; } = [];

    /// <summary>
    /// Starts one transaction's changes: market records, the book, the order index, events and the
    /// pools to re-rank are logged until <see cref="CommitTransaction"/> or <see cref="RollbackTransaction"/>.
    /// Account and stake changes are the <see cref="WorldState"/>'s to log.
    /// </summary>
    public void BeginTransaction()
    {
        if (_inTransaction) throw new InvalidOperationException("a transaction is already open on this market block");
        _inTransaction = true;
        _totalsTouched = false;
        _bookMark = Journal.Count;
        _eventMark = Events.Count;
    }

    public void CommitTransaction()
    {
        _inTransaction = false;
        _recordLog.Clear();
        _totalsBefore = null;
        _indexBefore.Clear();
        _poolsTouched.Clear();
    }

    /// <summary>Takes back everything the open transaction did to the market.</summary>
    public void RollbackTransaction()
    {
        _inTransaction = false;
        _recordLog.Rollback(_records, _dirty);
        if (_totalsTouched) _totals = _totalsBefore;
        _totalsBefore = null;
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

    private void SetIndexChange(Hash256 order, bool open)
    {
        if (_inTransaction && !_indexBefore.ContainsKey(order))
            _indexBefore[order] = IndexChanges.TryGetValue(order, out var before) ? before : null;
        IndexChanges[order] = open;
    }

    private void TouchPool(Address pool)
    {
        if (TouchedPools.Add(pool) && _inTransaction) _poolsTouched.Add(pool);
    }

    public List<MarketEvent> Events { get; } = [];

    private OrderBook Book => _ledger.Book;

    // ---- records ----

    private T? Get<T>(Hash256 key, MessageParser<T> parser) where T : class, IMessage<T>
    {
        if (_inTransaction) _recordLog.Touch(key, _records, static r => ((T)r).Clone());
        if (_records.TryGetValue(key, out var cached)) return (T)cached;
        var record = _state.GetRecord(key, parser);
        if (record is not null) _records[key] = record;
        return record;
    }

    private void Put(Hash256 key, IMessage record)
    {
        if (_inTransaction)
        {
            _recordLog.Touch(key, _records);
            _recordLog.MarkDirty(key, _dirty);
        }
        else _dirty.Add(key);
        _records[key] = record;
    }

    private MarketTotals Totals
    {
        get
        {
            _totals ??= _state.GetRecord(StateKeys.MarketTotals, MarketTotals.Parser) ?? new MarketTotals();
            if (_inTransaction && !_totalsTouched)
            {
                _totalsTouched = true;
                _totalsBefore = _totals.Clone();
            }
            return _totals;
        }
    }

    private void TotalsChanged()
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

    private void Save(AppRecord r) => Put(StateKeys.App(Addr(r.Id)), r);
    private void Save(DatasetRecord r) => Put(StateKeys.Dataset(Addr(r.Id)), r);
    private void Save(WorkerpoolRecord r) => Put(StateKeys.Workerpool(Addr(r.Id)), r);
    private void Save(Address worker, WorkerRecord r) => Put(StateKeys.Worker(worker), r);
    private void Save(Hash256 hash, OrderRecord r) => Put(StateKeys.Order(hash), r);
    private void Save(DealRecord r) => Put(StateKeys.Deal(H(r.Id)), r);
    private void Save(TaskRecord r) => Put(StateKeys.Task(H(r.Id)), r);

    /// <summary>Per height, the ids already in its timer list this block (a block may add thousands: no linear search).</summary>
    private readonly Dictionary<ulong, HashSet<Hash256>> _timerIds = [];

    private void AddTimer(ulong height, Hash256 task)
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

    /// <summary>Writes every changed record into the block's state; call once, last.</summary>
    internal void Flush()
    {
        foreach (var key in _dirty)
        {
            if (key == StateKeys.MarketTotals) { _state.SetRecord(key, Totals); continue; }
            _state.SetRecord(key, _records[key]);
        }
        _dirty.Clear();
    }

    // ---- money ----

    private void Freeze(Address owner, ulong amount)
    {
        if (amount == 0) return;
        var account = _state.GetAccount(owner);
        account.Balance = checked(account.Balance - amount);
        account.Frozen = checked(account.Frozen + amount);
        _state.MarkAccountDirty(owner);
    }

    private void Unfreeze(Address owner, ulong amount)
    {
        if (amount == 0) return;
        var account = _state.GetAccount(owner);
        account.Frozen = checked(account.Frozen - amount);
        account.Balance = checked(account.Balance + amount);
        _state.MarkAccountDirty(owner);
    }

    private void Apply(Settlement settlement)
    {
        foreach (var r in settlement.Releases)
        {
            if (r.Amount == 0) continue;
            var account = _state.GetAccount(r.From);
            account.Frozen = checked(account.Frozen - r.Amount);
            _state.MarkAccountDirty(r.From);
        }
        foreach (var c in settlement.Credits)
        {
            if (c.Amount == 0) continue;
            if (c.Kind == CreditKind.Kitty)
            {
                Totals.Kitty = checked(Totals.Kitty + c.Amount);
                TotalsChanged();
                continue;
            }
            var account = _state.GetAccount(c.To);
            account.Balance = checked(account.Balance + c.Amount);
            _state.MarkAccountDirty(c.To);
        }
    }

    // ---- helpers ----

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

    private void Emit(string kind, TaskRecord task, DealRecord deal, Address worker, string? status = null) =>
        Events.Add(new MarketEvent(kind, H(task.Id), H(deal.Id), Addr(deal.Requester), worker, status ?? StatusName(task.Status), Height));

    public static string StatusName(TaskStatus s) => s switch
    {
        TaskStatus.Active => "active",
        TaskStatus.Revealing => "revealing",
        TaskStatus.Completed => "completed",
        TaskStatus.Failed => "failed",
        _ => s.ToString().ToLowerInvariant(),
    };
}
