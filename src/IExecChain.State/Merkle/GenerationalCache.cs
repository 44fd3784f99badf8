namespace IExecChain.State.Merkle;

/// <summary>
/// A bounded cache that approximates LRU with two generations instead of a linked list per entry:
/// new and recently hit entries go to the young generation; when it reaches half the capacity it
/// becomes the old one and the previous old generation is dropped. An old entry hit again is promoted.
/// Thread-safe; every operation is O(1) and allocation-free except the generation swap.
/// </summary>
internal sealed class GenerationalCache<TKey, TValue>(long capacity, Func<TValue, long> weigh)
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private Dictionary<TKey, TValue> _young = [];
    private Dictionary<TKey, TValue> _old = [];
    private long _youngWeight;

    public bool TryGet(TKey key, out TValue value)
    {
        lock (_lock)
        {
            if (_young.TryGetValue(key, out value!)) return true;
            if (!_old.Remove(key, out value!)) return false;
            AddYoung(key, value);
            return true;
        }
    }

    public void Set(TKey key, TValue value)
    {
        lock (_lock)
        {
            _old.Remove(key);
            AddYoung(key, value);
        }
    }

    public void Remove(TKey key)
    {
        lock (_lock)
        {
            _young.Remove(key);
            _old.Remove(key);
        }
    }

    private void AddYoung(TKey key, TValue value)
    {
        _young[key] = value;
        _youngWeight += weigh(value);
        if (_youngWeight < capacity / 2) return;
        _old = _young;
        _young = new Dictionary<TKey, TValue>(_old.Count);
        _youngWeight = 0;
    }
}
