namespace IExecChain.Worker;

/// <summary>A bounded least-recently-used map, safe for concurrent use; evicted values go to a callback.</summary>
internal sealed class LruCache<TKey, TValue>(int capacity, Action<TValue>? onEvict = null)
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _map = [];
    private readonly LinkedList<(TKey Key, TValue Value)> _order = new();

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be positive");

    public int Count
    {
        get { lock (_lock) return _map.Count; }
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
        TValue? evicted = default;
        bool hasEvicted = false;
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
                _map[key] = _order.AddFirst((key, value));
                if (_map.Count > Capacity)
                {
                    var last = _order.Last!;
                    _order.RemoveLast();
                    _map.Remove(last.Value.Key);
                    evicted = last.Value.Value;
                    hasEvicted = true;
                }
                result = value;
            }
        }
        if (hasEvicted) onEvict?.Invoke(evicted!);
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
        }
        if (onEvict is not null) foreach (var value in values) onEvict(value);
    }
}
