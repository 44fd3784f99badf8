using IExecChain.Core.Primitives;

namespace IExecChain.Network;

/// <summary>
/// The gossip messages this node has already seen, keyed by channel and keccak256 of the payload.
/// Bounded twice: an entry leaves after <c>ttlMs</c>, and the oldest entries leave first when
/// the set holds <c>capacity</c> entries, so a flood of distinct messages cannot grow it.
/// Thread-safe: the network thread adds relayed messages, any thread adds local gossip.
/// </summary>
internal sealed class GossipSeenSet
{
    private readonly Dictionary<(Channel, Hash256), long> _expiry;
    private readonly Queue<((Channel, Hash256) Key, long ExpiresAtMs)> _order;
    private readonly int _capacity;
    private readonly long _ttlMs;
    private readonly Lock _lock = new();

    public GossipSeenSet(int capacity, long ttlMs)
    {
        _capacity = capacity;
        _ttlMs = ttlMs;
        _expiry = new Dictionary<(Channel, Hash256), long>(capacity);
        _order = new Queue<((Channel, Hash256), long)>(capacity);
    }

    public int Count
    {
        get { lock (_lock) return _expiry.Count; }
    }

    /// <summary>Records the message; false if it was already there (and not expired).</summary>
    public bool TryAdd(Channel channel, Hash256 payloadHash, long nowMs)
    {
        lock (_lock)
        {
            EvictExpired(nowMs);
            var key = (channel, payloadHash);
            if (_expiry.ContainsKey(key)) return false;
            while (_expiry.Count >= _capacity) Evict();
            long expiresAt = nowMs + _ttlMs;
            _expiry.Add(key, expiresAt);
            _order.Enqueue((key, expiresAt));
            return true;
        }
    }

    private void EvictExpired(long nowMs)
    {
        while (_order.Count > 0 && _order.Peek().ExpiresAtMs <= nowMs) Evict();
    }

    private void Evict()
    {
        var (key, _) = _order.Dequeue();
        _expiry.Remove(key);
    }
}
