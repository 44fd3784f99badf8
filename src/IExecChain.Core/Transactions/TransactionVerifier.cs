using System.Collections.Concurrent;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Transactions;

/// <summary>
/// Recovers senders, in parallel for batches, and remembers recovered senders by tx id so a node
/// never verifies the same transaction twice (once at gossip/RPC time, not again in the block).
/// </summary>
public sealed class TransactionVerifier
{
    private readonly ConcurrentDictionary<Hash256, Address> _recovered = new();
    private readonly int _capacity;
    // ConcurrentDictionary.Count takes every bucket lock: keep our own count for the hot path.
    private int _count;

    public TransactionVerifier(int capacity = 1_000_000) => _capacity = capacity;

    public int CacheCount => Volatile.Read(ref _count);

    public bool TryVerify(Transaction transaction, out string? error)
    {
        error = null;
        if (transaction.IsVerified) return true;
        if (_recovered.TryGetValue(transaction.Id, out var cached))
        {
            transaction.MarkVerified(cached);
            return true;
        }
        if (!Secp256k1.TryRecoverAddress(transaction.BodyHash, transaction.Signature, out var sender))
        {
            error = "invalid signature";
            return false;
        }
        transaction.MarkVerified(sender);
        if (Volatile.Read(ref _count) >= _capacity)
        {
            _recovered.Clear();
            Interlocked.Exchange(ref _count, 0);
        }
        if (_recovered.TryAdd(transaction.Id, sender)) Interlocked.Increment(ref _count);
        return true;
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

    /// <summary>Forgets cached senders of transactions that are final (they will not be seen again).</summary>
    public void Forget(IEnumerable<Hash256> ids)
    {
        foreach (var id in ids)
            if (_recovered.TryRemove(id, out _)) Interlocked.Decrement(ref _count);
    }
}
