namespace IExecChain.State.Market;

/// <summary>
/// The resource offers of one category, ranked for one request at a time: a k-d tree over
/// (price, performance, reliability, trust, energy) searched best-first, each node bounded above by
/// the score of its box's best corner, so offers come out in exact rank order (score descending,
/// order hash ascending) while most of the book is never touched.
///
/// The tree's shape depends on when it was rebuilt, but the order it yields does not, and the
/// matchmaker's consensus budget counts only offers it examines in that order; so a node that
/// rebuilt its index from the state at startup matches exactly as one that kept it since genesis.
/// Not thread-safe: the chain matches on one thread.
/// </summary>
internal sealed class OfferIndex
{
    private const int LeafSize = 16;
    private const int Dimensions = 5;

    private readonly List<OfferEntry> _pending = [];
    private readonly List<Node> _nodes = [];
    private readonly PriorityQueue<Item, Rank> _queue = new(64, RankComparer.Instance);
    private OfferEntry[] _tree = [];
    private long[] _keys = [];
    private int _liveInTree;
    private bool _dirty;
    private RankQuery _query;

    public int Count { get; private set; }

    public void Add(OfferEntry entry)
    {
        _pending.Add(entry);
        Count++;
        if (_pending.Count > 32 + (_tree.Length >> 4)) _dirty = true;
    }

    /// <summary>The entry is dead (cancelled or used up); it stays in the tree until the next rebuild.</summary>
    public void Removed(OfferEntry entry)
    {
        Count--;
        if (!entry.InTree) _pending.Remove(entry);
        else if (--_liveInTree < _tree.Length / 2) _dirty = true;
    }

    /// <summary>An entry's reliability or trust changed: node bounds are stale.</summary>
    public void Invalidate() => _dirty = true;

    /// <summary>Starts ranking the live offers with price ≤ <paramref name="maxPrice"/>.</summary>
    public void Begin(ulong maxPrice, RankingWeights weights)
    {
        if (_dirty) Rebuild();
        _query = new RankQuery(maxPrice, weights);
        _queue.Clear();
        if (_nodes.Count > 0 && _nodes[0].MinPrice <= maxPrice) _queue.Enqueue(new Item(0, null), new Rank(Bound(_nodes[0]), false, default));
        foreach (var entry in _pending) Offer(entry);
    }

    /// <summary>The next live offer in rank order, with its score.</summary>
    public bool TryNext(out OfferEntry entry, out long score)
    {
        while (_queue.TryDequeue(out var item, out var rank))
        {
            if (item.Entry is { } e)
            {
                if (e.Remaining == 0) continue;  // used up earlier in this ranking
                entry = e;
                score = rank.Score;
                return true;
            }
            var node = _nodes[item.Node];
            if (node.Left < 0)
            {
                for (int i = node.Start; i < node.End; i++) Offer(_tree[i]);
                continue;
            }
            Push(node.Left);
            Push(node.Right);
        }
        entry = null!;
        score = 0;
        return false;
    }

    private void Push(int index)
    {
        var node = _nodes[index];
        if (node.MinPrice <= _query.MaxPrice) _queue.Enqueue(new Item(index, null), new Rank(Bound(node), false, default));
    }

    private void Offer(OfferEntry e)
    {
        if (e.Remaining == 0 || e.Offer.Price > _query.MaxPrice) return;
        _queue.Enqueue(new Item(-1, e), new Rank(Score(e), true, e.Offer.Hash));
    }

    internal long Score(OfferEntry e) => _query.Score(e.Offer.Price, e.Performance, e.Reliability, e.Trust, e.Energy);

    private long Bound(in Node n) => _query.Score(n.MinPrice, n.MaxPerformance, n.MaxReliability, n.MaxTrust, n.MaxEnergy);

    private void Rebuild()
    {
        int live = 0;
        foreach (var e in _tree) if (e.Remaining > 0) live++;
        foreach (var e in _pending) if (e.Remaining > 0) live++;
        var all = new OfferEntry[live];
        int k = 0;
        foreach (var e in _tree) if (e.Remaining > 0) all[k++] = e; else e.InTree = false;
        foreach (var e in _pending) if (e.Remaining > 0) all[k++] = e;
        foreach (var e in all) e.InTree = true;
        _pending.Clear();
        _tree = all;
        _liveInTree = live;
        _keys = new long[live];
        _nodes.Clear();
        if (live > 0) Build(0, live, 0);
        _dirty = false;
    }

    private int Build(int start, int end, int depth)
    {
        int index = _nodes.Count;
        _nodes.Add(default);
        int left = -1, right = -1;
        if (end - start > LeafSize)
        {
            int dim = depth % Dimensions;
            for (int i = start; i < end; i++) _keys[i] = Key(_tree[i], dim);
            Array.Sort(_keys, _tree, start, end - start);
            int mid = (start + end) >>> 1;
            left = Build(start, mid, depth + 1);
            right = Build(mid, end, depth + 1);
        }
        var node = new Node { Start = start, End = end, Left = left, Right = right, MinPrice = ulong.MaxValue };
        for (int i = start; i < end; i++)
        {
            var e = _tree[i];
            node.MinPrice = Math.Min(node.MinPrice, e.Offer.Price);
            node.MaxPerformance = Math.Max(node.MaxPerformance, e.Performance);
            node.MaxReliability = Math.Max(node.MaxReliability, e.Reliability);
            node.MaxTrust = Math.Max(node.MaxTrust, e.Trust);
            node.MaxEnergy = Math.Max(node.MaxEnergy, e.Energy);
        }
        _nodes[index] = node;
        return index;
    }

    private static long Key(OfferEntry e, int dim) => dim switch
    {
        0 => e.Offer.Price > long.MaxValue ? long.MaxValue : (long)e.Offer.Price,
        1 => -e.Performance,
        2 => -e.Reliability,
        3 => -e.Trust,
        _ => -e.Energy,
    };

    private struct Node
    {
        public int Start, End, Left, Right;
        public ulong MinPrice;
        public long MaxPerformance, MaxReliability, MaxTrust, MaxEnergy;
    }

    private readonly record struct Item(int Node, OfferEntry? Entry);

    /// <summary>Queue order: higher score first; a node before an offer of equal score (it may hold a smaller hash); then the smaller hash.</summary>
    private readonly record struct Rank(long Score, bool IsOffer, Core.Primitives.Hash256 Hash);

    private sealed class RankComparer : IComparer<Rank>
    {
        public static readonly RankComparer Instance = new();

        public int Compare(Rank a, Rank b)
        {
            if (a.Score != b.Score) return a.Score > b.Score ? -1 : 1;
            if (a.IsOffer != b.IsOffer) return a.IsOffer ? 1 : -1;
            return a.Hash.CompareTo(b.Hash);
        }
    }
}

/// <summary>
/// The ranking formula for one request: Σ weight × criterion, each criterion an integer in
/// 0..Scale, the cost criterion floor((D − price) × Scale / D) with D = max(max price, 1).
/// </summary>
internal readonly struct RankQuery
{
    private const long Scale = WorkerpoolStats.Scale;
    private readonly ulong _divisor;
    private readonly long _wCost, _wPerformance, _wReliability, _wTrust, _wEnergy;

    public RankQuery(ulong maxPrice, RankingWeights weights)
    {
        MaxPrice = maxPrice;
        _divisor = Math.Max(maxPrice, 1);
        _wCost = weights.Cost;
        _wPerformance = weights.Performance;
        _wReliability = weights.Reliability;
        _wTrust = weights.Trust;
        _wEnergy = weights.Energy;
    }

    public ulong MaxPrice { get; }

    public long Cost(ulong price)
    {
        if (price >= _divisor) return 0;
        ulong gap = _divisor - price;
        // Same value on both paths; the 64-bit one is for the common case of prices below ~18,000 RLC.
        return gap <= ulong.MaxValue / Scale ? (long)(gap * Scale / _divisor) : (long)((UInt128)gap * Scale / _divisor);
    }

    public long Score(ulong price, long performance, long reliability, long trust, long energy) =>
        _wCost * Cost(price) + _wPerformance * performance + _wReliability * reliability + _wTrust * trust + _wEnergy * energy;
}
