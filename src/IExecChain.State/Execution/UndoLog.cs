namespace IExecChain.State.Execution;

/// <summary>
/// What one transaction changed in a cache of mutable records, so that a failed transaction can be
/// taken back whole. Records are mutated in place by the handlers, so the log keeps a copy of each
/// record as it was when the transaction first reached for it (or that it was not cached), and the
/// keys the transaction made dirty; rolling back puts the copies back and forgets those keys.
/// </summary>
internal sealed class UndoLog<TKey, TRecord>(Func<TRecord, TRecord> copy)
    where TKey : notnull
    where TRecord : class
{
    private readonly Dictionary<TKey, TRecord?> _before = [];
    private readonly List<TKey> _madeDirty = [];

    /// <summary>Call before the transaction can change the record under <paramref name="key"/> (on every read that hands it out).</summary>
    public void Touch(TKey key, Dictionary<TKey, TRecord> cache) => Touch(key, cache, copy);

    /// <summary><see cref="Touch(TKey, Dictionary{TKey, TRecord})"/> with a copy made by a caller that knows the record's type.</summary>
    public void Touch(TKey key, Dictionary<TKey, TRecord> cache, Func<TRecord, TRecord> typedCopy)
    {
        if (_before.ContainsKey(key)) return;
        _before[key] = cache.TryGetValue(key, out var record) ? typedCopy(record) : null;
    }

    public void MarkDirty(TKey key, HashSet<TKey> dirty)
    {
        if (dirty.Add(key)) _madeDirty.Add(key);
    }

    public void Rollback(Dictionary<TKey, TRecord> cache, HashSet<TKey> dirty)
    {
        foreach (var (key, record) in _before)
        {
            if (record is null) cache.Remove(key);
            else cache[key] = record;
        }
        foreach (var key in _madeDirty) dirty.Remove(key);
        Clear();
    }

    public void Clear()
    {
        _before.Clear();
        _madeDirty.Clear();
    }
}
