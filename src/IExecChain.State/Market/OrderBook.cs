using IExecChain.Core.Primitives;

namespace IExecChain.State.Market;

/// <summary>A resource offer in the book with its remaining volume and ranking criteria (0..Scale).</summary>
internal sealed class OfferEntry(ResourceOffer offer, long sequence)
{
    public ResourceOffer Offer { get; } = offer;
    public long Sequence { get; } = sequence;
    public ulong Remaining { get; set; } = offer.Volume;
    public long Performance { get; } = offer.Performance;
    public long Energy { get; } = offer.EnergyEfficiency;
    public long Reliability { get; set; }
    public long Trust { get; set; }
    public bool InTree { get; set; }
}

/// <summary>An order of another kind in the book with its remaining volume.</summary>
public sealed class BookEntry<T>(T order, long sequence) where T : class
{
    public T Order { get; } = order;
    public long Sequence { get; } = sequence;
    public ulong Remaining { get; internal set; }
}

/// <summary>
/// The open orders, in memory, with the indexes the matchmaker needs: app and dataset orders per
/// resource sorted by (price, hash), resource offers per category in an <see cref="OfferIndex"/>,
/// task orders in placement order. It does not touch storage: the state machine keeps it in step
/// with PlaceOrder / CancelOrder and the deals it records, and can rebuild it from the state at
/// startup (matching does not depend on the order in which orders were added, only on their
/// placement sequence numbers).
/// </summary>
public sealed class OrderBook
{
    private readonly IWorkerpoolStatistics _statistics;
    private readonly Dictionary<Hash256, object> _byHash = [];
    private readonly Dictionary<Address, List<BookEntry<AppOffer>>> _apps = [];
    private readonly Dictionary<Address, List<BookEntry<DatasetOffer>>> _datasets = [];
    private readonly Dictionary<ulong, OfferIndex> _categories = [];
    private readonly Dictionary<Address, List<OfferEntry>> _offersByPool = [];
    private readonly SortedList<long, BookEntry<TaskOrder>> _requests = [];
    private long _nextSequence;
    private BookJournal? _journal;

    public OrderBook(IWorkerpoolStatistics statistics) => _statistics = statistics;

    /// <summary>
    /// Records every change from now on into <paramref name="journal"/> (null: stop recording), so a
    /// block's changes can be undone when the block is not committed and redone when it is.
    /// </summary>
    public void Record(BookJournal? journal) => _journal = journal;

    /// <summary>The open order with this hash (an AppOffer, DatasetOffer, ResourceOffer or TaskOrder), or null.</summary>
    public object? Find(Hash256 hash) => _byHash.TryGetValue(hash, out var e) ? OrderOf(e) : null;

    /// <summary>Placement sequence of an open order.</summary>
    public long SequenceOf(Hash256 hash) => _byHash.TryGetValue(hash, out var e) ? e switch
    {
        OfferEntry o => o.Sequence,
        BookEntry<AppOffer> a => a.Sequence,
        BookEntry<DatasetOffer> d => d.Sequence,
        BookEntry<TaskOrder> r => r.Sequence,
        _ => -1,
    } : -1;

    public int Count => _byHash.Count;

    public int RequestCount => _requests.Count;

    public bool Contains(Hash256 hash) => _byHash.ContainsKey(hash);

    /// <summary>Adds an order with its remaining volume (default: all of it). Sequence numbers order requests; by default the next one.</summary>
    public bool TryAdd(AppOffer order, ulong? remaining = null, long? sequence = null) =>
        Journaled(AddSorted(_apps, order.App, order, order.Hash, order.Price, remaining ?? order.Volume, sequence), order.Hash);

    public bool TryAdd(DatasetOffer order, ulong? remaining = null, long? sequence = null) =>
        Journaled(AddSorted(_datasets, order.Dataset, order, order.Hash, order.Price, remaining ?? order.Volume, sequence), order.Hash);

    private bool Journaled(bool added, Hash256 hash)
    {
        if (added && _journal is not null) _journal.Add(new BookJournal.Entry(BookJournal.Op.Added, Find(hash)!, hash, Remaining(hash), SequenceOf(hash), 0));
        return added;
    }

    public bool TryAdd(ResourceOffer order, ulong? remaining = null, long? sequence = null)
    {
        ulong left = remaining ?? order.Volume;
        if (left == 0 || _byHash.ContainsKey(order.Hash)) return false;
        var entry = new OfferEntry(order, Sequence(sequence)) { Remaining = left };
        var stats = _statistics.Get(order.Workerpool);
        entry.Reliability = stats.Reliability;
        entry.Trust = stats.Trust;
        _byHash.Add(order.Hash, entry);
        if (!_categories.TryGetValue(order.Category, out var index)) _categories[order.Category] = index = new OfferIndex();
        index.Add(entry);
        if (!_offersByPool.TryGetValue(order.Workerpool, out var list)) _offersByPool[order.Workerpool] = list = [];
        list.Add(entry);
        return Journaled(true, order.Hash);
    }

    public bool TryAdd(TaskOrder order, ulong? remaining = null, long? sequence = null)
    {
        ulong left = remaining ?? order.Volume;
        if (left == 0 || _byHash.ContainsKey(order.Hash)) return false;
        var entry = new BookEntry<TaskOrder>(order, Sequence(sequence)) { Remaining = left };
        if (_requests.ContainsKey(entry.Sequence)) return false;
        _byHash.Add(order.Hash, entry);
        _requests.Add(entry.Sequence, entry);
        return Journaled(true, order.Hash);
    }

    /// <summary>Remaining volume of an open order; 0 when it is not in the book.</summary>
    public ulong Remaining(Hash256 hash) => _byHash.TryGetValue(hash, out var e) ? e switch
    {
        OfferEntry o => o.Remaining,
        BookEntry<AppOffer> a => a.Remaining,
        BookEntry<DatasetOffer> d => d.Remaining,
        BookEntry<TaskOrder> r => r.Remaining,
        _ => 0,
    } : 0;

    /// <summary>Takes <paramref name="volume"/> from an order; an order used up leaves the book.</summary>
    public void Consume(Hash256 hash, ulong volume)
    {
        if (!_byHash.TryGetValue(hash, out var e)) throw new KeyNotFoundException($"order {hash} is not in the book");
        if (_journal is { } journal)
        {
            _journal = null;
            try
            {
                journal.Add(new BookJournal.Entry(BookJournal.Op.Consumed, OrderOf(e), hash, Remaining(hash), SequenceOf(hash), volume));
                Consume(hash, volume);
            }
            finally { _journal = journal; }
            return;
        }
        switch (e)
        {
            case OfferEntry o: o.Remaining = checked(o.Remaining - volume); if (o.Remaining == 0) Remove(hash); break;
            case BookEntry<AppOffer> a: a.Remaining = checked(a.Remaining - volume); if (a.Remaining == 0) Remove(hash); break;
            case BookEntry<DatasetOffer> d: d.Remaining = checked(d.Remaining - volume); if (d.Remaining == 0) Remove(hash); break;
            case BookEntry<TaskOrder> r: r.Remaining = checked(r.Remaining - volume); if (r.Remaining == 0) Remove(hash); break;
        }
    }

    /// <summary>Removes an order (cancelled, expired or used up).</summary>
    public bool Remove(Hash256 hash)
    {
        if (_journal is not null && _byHash.TryGetValue(hash, out var existing))
            _journal.Add(new BookJournal.Entry(BookJournal.Op.Removed, OrderOf(existing), hash, Remaining(hash), SequenceOf(hash), 0));
        if (!_byHash.Remove(hash, out var e)) return false;
        switch (e)
        {
            case OfferEntry o:
                o.Remaining = 0;
                _categories[o.Offer.Category].Removed(o);
                _offersByPool[o.Offer.Workerpool].Remove(o);
                break;
            case BookEntry<AppOffer> a:
                a.Remaining = 0;
                _apps[a.Order.App].Remove(a);
                break;
            case BookEntry<DatasetOffer> d:
                d.Remaining = 0;
                _datasets[d.Order.Dataset].Remove(d);
                break;
            case BookEntry<TaskOrder> r:
                r.Remaining = 0;
                _requests.Remove(r.Sequence);
                break;
        }
        return true;
    }

    /// <summary>Re-reads a pool's statistics (after its SLA counters or workers' scores changed).</summary>
    public void RefreshWorkerpool(Address workerpool)
    {
        if (!_offersByPool.TryGetValue(workerpool, out var list) || list.Count == 0) return;
        var stats = _statistics.Get(workerpool);
        foreach (var o in list)
        {
            if (o.Reliability == stats.Reliability && o.Trust == stats.Trust) continue;
            o.Reliability = stats.Reliability;
            o.Trust = stats.Trust;
            _categories[o.Offer.Category].Invalidate();
        }
    }

    /// <summary>App orders for an app, cheapest first (ties: smaller hash).</summary>
    public IReadOnlyList<BookEntry<AppOffer>> AppOrders(Address app) => _apps.TryGetValue(app, out var l) ? l : [];

    public IReadOnlyList<BookEntry<DatasetOffer>> DatasetOrders(Address dataset) => _datasets.TryGetValue(dataset, out var l) ? l : [];

    /// <summary>Open task orders in placement order.</summary>
    public IList<BookEntry<TaskOrder>> Requests => _requests.Values;

    /// <summary>Index of the first request with sequence ≥ <paramref name="sequence"/> (RequestCount when none).</summary>
    public int RequestIndexFrom(long sequence)
    {
        var keys = _requests.Keys;
        int lo = 0, hi = keys.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (keys[mid] < sequence) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>Sets an open order's remaining volume (journal undo).</summary>
    internal void SetRemaining(Hash256 hash, ulong remaining)
    {
        switch (_byHash[hash])
        {
            case OfferEntry o: o.Remaining = remaining; break;
            case BookEntry<AppOffer> a: a.Remaining = remaining; break;
            case BookEntry<DatasetOffer> d: d.Remaining = remaining; break;
            case BookEntry<TaskOrder> r: r.Remaining = remaining; break;
        }
    }

    internal void AddOrder(object order, ulong remaining, long sequence)
    {
        bool added = order switch
        {
            AppOffer a => TryAdd(a, remaining, sequence),
            DatasetOffer d => TryAdd(d, remaining, sequence),
            ResourceOffer o => TryAdd(o, remaining, sequence),
            TaskOrder r => TryAdd(r, remaining, sequence),
            _ => throw new ArgumentException($"not an order: {order.GetType().Name}", nameof(order)),
        };
        if (!added) throw new InvalidOperationException("order book journal is out of step with the book");
    }

    private static object OrderOf(object entry) => entry switch
    {
        OfferEntry o => o.Offer,
        BookEntry<AppOffer> a => a.Order,
        BookEntry<DatasetOffer> d => d.Order,
        BookEntry<TaskOrder> r => r.Order,
        _ => throw new InvalidOperationException(),
    };

    internal OfferIndex? Offers(ulong category) => _categories.TryGetValue(category, out var i) ? i : null;

    private long Sequence(long? given)
    {
        long s = given ?? _nextSequence;
        _nextSequence = Math.Max(_nextSequence, s + 1);
        return s;
    }

    private bool AddSorted<T>(Dictionary<Address, List<BookEntry<T>>> map, Address key, T order, Hash256 hash, ulong price, ulong remaining, long? sequence) where T : class
    {
        if (remaining == 0 || _byHash.ContainsKey(hash)) return false;
        var entry = new BookEntry<T>(order, Sequence(sequence)) { Remaining = remaining };
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        int at = 0;
        while (at < list.Count && Compare(list[at].Order, price, hash) < 0) at++;
        list.Insert(at, entry);
        _byHash.Add(hash, entry);
        return true;
    }

    private static int Compare<T>(T existing, ulong price, Hash256 hash) where T : class
    {
        var (p, h) = existing switch
        {
            AppOffer a => (a.Price, a.Hash),
            DatasetOffer d => (d.Price, d.Hash),
            _ => throw new InvalidOperationException(),
        };
        int c = p.CompareTo(price);
        return c != 0 ? c : h.CompareTo(hash);
    }
}

/// <summary>
/// The changes one block made to the <see cref="OrderBook"/>, in order. A block is executed before it
/// is known to be committed (proposals, other rounds): its changes are undone before another block is
/// executed on the same parent, and redone if it is the one committed.
/// </summary>
public sealed class BookJournal
{
    public enum Op : byte { Added, Removed, Consumed }

    public readonly record struct Entry(Op Op, object Order, Hash256 Hash, ulong RemainingBefore, long Sequence, ulong Volume);

    private readonly List<Entry> _entries = [];

    public int Count => _entries.Count;

    internal void Add(Entry entry) => _entries.Add(entry);

    /// <summary>Reverts the changes, newest first. The book must not be recording.</summary>
    public void Undo(OrderBook book) => Revert(book, 0);

    /// <summary>Reverts and forgets the changes from entry <paramref name="mark"/> on (one failed transaction's). The book must not be recording.</summary>
    public void UndoSince(OrderBook book, int mark)
    {
        Revert(book, mark);
        _entries.RemoveRange(mark, _entries.Count - mark);
    }

    private void Revert(OrderBook book, int mark)
    {
        for (int i = _entries.Count - 1; i >= mark; i--)
        {
            var e = _entries[i];
            switch (e.Op)
            {
                case Op.Added: book.Remove(e.Hash); break;
                case Op.Removed: book.AddOrder(e.Order, e.RemainingBefore, e.Sequence); break;
                case Op.Consumed:
                    if (book.Contains(e.Hash)) book.SetRemaining(e.Hash, e.RemainingBefore);
                    else book.AddOrder(e.Order, e.RemainingBefore, e.Sequence);
                    break;
            }
        }
    }

    /// <summary>Applies the changes again, oldest first. The book must not be recording.</summary>
    public void Redo(OrderBook book)
    {
        foreach (var e in _entries)
        {
            switch (e.Op)
            {
                case Op.Added: book.AddOrder(e.Order, e.RemainingBefore, e.Sequence); break;
                case Op.Removed: book.Remove(e.Hash); break;
                case Op.Consumed: book.Consume(e.Hash, e.Volume); break;
            }
        }
    }
}
