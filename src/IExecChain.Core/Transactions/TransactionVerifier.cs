using System.Collections.Concurrent;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Transactions;

/// <summary>
/// Recovers senders, in parallel for batches, and remembers recovered senders by tx id so a node
/// verifies a transaction once: at gossip or RPC time, not again in the block, and not again when a
/// copy arrives after the block that included it (a late gossip batch or a peer's rebroadcast).
/// </summary>
/// <remarks>
/// The cache has two generations of at most <c>capacity / 2</c> ids each. New ids go to the current
/// one; when it is full it becomes the previous one and the old previous one is dropped, so the
/// last <c>capacity / 2</c> to <c>capacity</c> ids are always remembered and memory stays bounded.
/// Committed transactions are not forgotten at commit on purpose: under load, copies keep arriving
/// for seconds after the commit, and each would otherwise cost a recovery (~43 µs) only to be refused
/// for its used nonce.
/// </remarks>
public sealed class TransactionVerifier
{
    private readonly int _generationCapacity;
    private readonly Lock _rotate = new();
    private Generations _cache = new(new ConcurrentDictionary<Hash256, Address>(), new ConcurrentDictionary<Hash256, Address>());
    // ConcurrentDictionary.Count takes every bucket lock: keep our own count for the hot path.
    private int _currentCount;
    private long _recoveries;

    public TransactionVerifier(int capacity = 1_000_000)
    {
        if (capacity < 2) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity must be at least 2");
        _generationCapacity = capacity / 2;
    }

    /// <summary>Signature recoveries done (cache misses): what verification actually cost this node.</summary>
    public long Recoveries => Interlocked.Read(ref _recoveries);

    public bool TryVerify(Transaction transaction, out string? error)
    {
        error = null;
        if (transaction.IsVerified) return true;
        var cache = Volatile.Read(ref _cache);
        if (cache.Current.TryGetValue(transaction.Id, out var cached) || cache.Previous.TryGetValue(transaction.Id, out cached))
        {
            transaction.MarkVerified(cached);
            return true;
        }
        Interlocked.Increment(ref _recoveries);
        if (!Secp256k1.TryRecoverAddress(transaction.BodyHash, transaction.Signature, out var sender))
        {
            error = "invalid signature";
            return false;
        }
        transaction.MarkVerified(sender);
        Remember(transaction.Id, sender);
        return true;
    }

    private void Remember(Hash256 id, Address sender)
    {
        var cache = Volatile.Read(ref _cache);
        if (!cache.Current.TryAdd(id, sender)) return;
        if (Interlocked.Increment(ref _currentCount) < _generationCapacity) return;
        lock (_rotate)
        {
            // Another thread may have rotated already.
            if (!ReferenceEquals(cache, _cache)) return;
            Volatile.Write(ref _cache, new Generations(new ConcurrentDictionary<Hash256, Address>(), cache.Current));
            Interlocked.Exchange(ref _currentCount, 0);
        }
    }

    /// <summary>Verifies many transactions over all cores; errors[i] is null for a good one.</summary>
    public string?[] VerifyAll(IReadOnlyList<Transaction> transactions)
    {
        var errors = new string?[transactions.Count];
        if (transactions.Count < 16)
        {
            for (int i = 0; i < transactions.Count; i++) TryVerify(transactions[i], out errors[i]);
            return errors;
        }
        Parallel.For(0, transactions.Count, i => TryVerify(transactions[i], out errors[i]));
        return errors;
    }

    private sealed record Generations(ConcurrentDictionary<Hash256, Address> Current, ConcurrentDictionary<Hash256, Address> Previous);
}
