namespace IExecChain.Worker;

/// <summary>
/// A bounded least-recently-used map, safe for concurrent use; evicted values go to a callback.
/// Bounded by count, and by weight when given a weigher (bytes, say): a value heavier than the
/// whole budget is not kept at all.
/// </summary>
internal sealed class LruCache<TKey, TValue>(int capacity, Action<TValue>? onEvict = null, Func<TValue, long>? weigh = null, long maxWeight = long.MaxValue)
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private long _weight;
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _map = [];
    private readonly LinkedList<(TKey Key, TValue Value)> _order = new();

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be positive");

    public int Count
    {
        get { lock (_lock) return _map.Count; }
    }

    /// <summary>Sum of the kept values' weights (0 without a weigher).</summary>
    public long Weight
    {
        get { lock (_lock) return _weight; }
    }

    public bool TryGet(TKey key, out TValue value)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                value = node.Value.Value;
                return true;
            }
        }
        value = default!;
        return false;
    }

    /// <summary>Returns the cached value for <paramref name="key"/>, or adds <paramref name="value"/> and returns it.</summary>
    public TValue GetOrAdd(TKey key, TValue value)
    {
        List<TValue>? evicted = null;
        TValue result;
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var existing))
            {
                _order.Remove(existing);
                _order.AddFirst(existing);
                result = existing.Value.Value;
            }
            else
            {
                long weight = weigh?.Invoke(value) ?? 0;
                result = value;
                if (weight <= maxWeight)
                {
                    _map[key] = _order.AddFirst((key, value));
                    _weight += weight;
                    while (_map.Count > Capacity || _weight > maxWeight)
                    {
                        var last = _order.Last!;
                        _order.RemoveLast();
                        _map.Remove(last.Value.Key);
                        _weight -= weigh?.Invoke(last.Value.Value) ?? 0;
                        (evicted ??= []).Add(last.Value.Value);
                    }
                }
            }
        }
        if (evicted is not null && onEvict is not null) foreach (var item in evicted) onEvict(item);
        return result;
    }

    public void Clear()
    {
        List<TValue> values;
        lock (_lock)
        {
            values = [.. _order.Select(entry => entry.Value)];
            _map.Clear();
            _order.Clear();
            _weight = 0;
        }
        if (onEvict is not null) foreach (var value in values) onEvict(value);
    }
}
