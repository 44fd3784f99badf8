using System.Collections.Concurrent;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

namespace IExecChain.State.TxPool;

/// <summary>
/// Pending transactions: per sender in nonce order, offered to the proposer by fee. Signatures are
/// checked before the lock is taken (callers on many threads verify in parallel), and the lock is
/// only held for dictionary work, so block production never waits on verification.
/// When full, new transactions are refused (back-pressure) instead of evicting queued ones.
/// </summary>
public sealed class Mempool
{
    private readonly object _lock = new();
    private readonly MempoolOptions _options;
    private readonly TransactionExecutor _executor;
    private readonly TransactionVerifier _verifier;
    private readonly Func<Address, AccountRecord> _committedAccount;
    // Read without the lock (duplicate checks), written only under it.
    private readonly ConcurrentDictionary<Hash256, Transaction> _byId = new();
    private readonly ConcurrentDictionary<Address, SenderQueue> _senders = new();
    private long _bytes;
    private int _count; // ConcurrentDictionary.Count takes every lock; the producer polls this often
    private long _arrivals;

    public Mempool(MempoolOptions options, TransactionExecutor executor, TransactionVerifier verifier, Func<Address, AccountRecord> committedAccount)
    {
        _options = options;
        _executor = executor;
        _verifier = verifier;
        _committedAccount = committedAccount;
    }

    public int Count => Volatile.Read(ref _count);
    public long Bytes => Interlocked.Read(ref _bytes);

    public bool Contains(Hash256 id) => _byId.ContainsKey(id);

    /// <summary>
    /// Whether <paramref name="tx"/> is pending and is its sender's next executable transaction (its
    /// nonce is the committed one). Read without the lock: a racing commit only makes the answer stale.
    /// </summary>
    public bool IsNextExecutable(Transaction tx) =>
        _byId.ContainsKey(tx.Id) && _senders.TryGetValue(tx.Sender, out var queue) && queue.CommittedNonce == tx.Nonce;

    /// <summary>The nonce a sender's next transaction should use: its committed nonce, past its contiguous pending transactions.</summary>
    public ulong NextNonce(Address sender)
    {
        ulong committed = _committedAccount(sender).Nonce;
        lock (_lock)
        {
            if (!_senders.TryGetValue(sender, out var queue)) return committed;
            ulong next = Math.Max(queue.CommittedNonce, committed);
            while (queue.Pending.ContainsKey(next)) next++;
            return next;
        }
    }

    /// <summary>Raised (outside the pool's lock) for each transaction accepted with announce = true.</summary>
    public event Action<Transaction>? Announce;

    /// <summary>
    /// Adds a transaction. <paramref name="announce"/> = true (a transaction submitted to this node)
    /// raises <see cref="Announce"/> so gossip can pass it on; one received from a peer is not re-announced.
    /// A sender already holding <paramref name="senderLimit"/> pending transactions is refused a new nonce
    /// (<see cref="MempoolResultKind.SenderLimit"/>; replacements still go in).
    /// </summary>
    public MempoolResult Add(Transaction tx, bool announce = true, int senderLimit = int.MaxValue)
    {
        var result = AddCore(tx, senderLimit);
        if (announce && result.Kind == MempoolResultKind.Accepted) Announce?.Invoke(tx);
        return result;
    }

    private MempoolResult AddCore(Transaction tx, int senderLimit)
    {
        if (_byId.ContainsKey(tx.Id)) return new(MempoolResultKind.Duplicate, "transaction is already pending");
        if (!_verifier.TryVerify(tx, out var error)) return new(MempoolResultKind.Rejected, error);
        ulong required = _executor.RequiredFee(tx.Kind);
        if (tx.Fee < required) return new(MempoolResultKind.Rejected, $"fee {tx.Fee} is below the required {required} nRLC for {tx.Kind}");

        // Many RPC threads add at once: keep storage reads out of the lock. A new sender's account
        // is read first and used only if no other thread created its queue meanwhile.
        var fresh = _senders.ContainsKey(tx.Sender) ? null : NewQueue(tx.Sender);
        lock (_lock)
        {
            if (_byId.ContainsKey(tx.Id)) return new(MempoolResultKind.Duplicate, "transaction is already pending");
            if (!_senders.TryGetValue(tx.Sender, out var queue))
                queue = fresh ?? NewQueue(tx.Sender);
            if (tx.Nonce < queue.CommittedNonce) return new(MempoolResultKind.Rejected, $"nonce {tx.Nonce} already used (account nonce is {queue.CommittedNonce})");
            if (tx.Nonce > queue.CommittedNonce + (ulong)_options.MaxNonceGap)
                return new(MempoolResultKind.Rejected, $"nonce {tx.Nonce} is too far ahead of account nonce {queue.CommittedNonce} (max gap {_options.MaxNonceGap})");

            queue.Pending.TryGetValue(tx.Nonce, out var replaced);
            if (replaced is not null && tx.Fee * 100 < replaced.Fee * (ulong)(100 + _options.ReplacementFeeBumpPercent))
                return new(MempoolResultKind.Rejected, $"nonce {tx.Nonce} is already pending; a replacement needs a fee at least {_options.ReplacementFeeBumpPercent}% higher than {replaced.Fee}");

            ulong cost = Cost(tx), replacedCost = replaced is null ? 0 : Cost(replaced);
            if (queue.PendingCost - replacedCost + cost > queue.Balance)
                return new(MempoolResultKind.Rejected, $"balance {queue.Balance} cannot cover this and the sender's pending transactions ({queue.PendingCost - replacedCost + cost} nRLC)");
            if (replaced is null && queue.Pending.Count >= senderLimit)
                return new(MempoolResultKind.SenderLimit, $"sender {tx.Sender} already has {queue.Pending.Count} transactions pending, the most one sender may queue while the node is busy");
            if (replaced is null && (_count >= _options.MaxTransactions || _bytes + tx.Size > _options.MaxBytes))
                return new(MempoolResultKind.Full, $"mempool is full ({_count} transactions, {_bytes} bytes); retry later");

            if (replaced is not null) Remove(queue, replaced);
            queue.Pending[tx.Nonce] = tx;
            queue.PendingCost += cost;
            queue.Arrival[tx.Nonce] = ++_arrivals;
            _senders[tx.Sender] = queue;
            _byId[tx.Id] = tx;
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _bytes, tx.Size);
            return MempoolResult.Accepted;
        }
    }

    /// <summary>
    /// Executable transactions for the next block, highest fee first across senders while each
    /// sender's nonces stay in order; stops at the limits.
    /// </summary>
    public List<Transaction> SelectForBlock(int maxCount, long maxBytes)
    {
        lock (_lock)
        {
            var result = new List<Transaction>(Math.Min(maxCount, _count));
            var heads = new PriorityQueue<(SenderQueue Queue, ulong Nonce), (ulong NegFee, long Arrival)>();
            foreach (var (_, queue) in _senders)
                if (queue.Pending.TryGetValue(queue.CommittedNonce, out var first))
                    heads.Enqueue((queue, queue.CommittedNonce), (ulong.MaxValue - first.Fee, queue.Arrival[queue.CommittedNonce]));
            long bytes = 0;
            while (result.Count < maxCount && heads.TryDequeue(out var head, out _))
            {
                var tx = head.Queue.Pending[head.Nonce];
                if (bytes + tx.Size > maxBytes) break;
                result.Add(tx);
                bytes += tx.Size;
                ulong next = head.Nonce + 1;
                if (head.Queue.Pending.TryGetValue(next, out var following))
                    heads.Enqueue((head.Queue, next), (ulong.MaxValue - following.Fee, head.Queue.Arrival[next]));
            }
            return result;
        }
    }

    /// <summary>
    /// Drops what the block included and whatever its senders' new nonces made stale. Senders of
    /// candidates the proposer left out are refreshed too, so a queue built on a nonce that a
    /// concurrent commit had already moved cannot keep offering dead transactions.
    /// </summary>
    public void OnBlockCommitted(IReadOnlyList<Transaction> included, IEnumerable<Transaction>? excluded = null)
    {
        var touched = new HashSet<Address>();
        foreach (var tx in included)
        {
            touched.Add(tx.Sender);
            if (tx.Kind == TransactionBody.PayloadOneofCase.Transfer) touched.Add(new Address(tx.Body.Transfer.To.Span));
        }
        if (excluded is not null)
            foreach (var tx in excluded)
                if (tx.IsVerified) touched.Add(tx.Sender);
        var accounts = new Dictionary<Address, AccountRecord>(touched.Count);
        foreach (var sender in touched) accounts[sender] = _committedAccount(sender);
        lock (_lock)
        {
            foreach (var (sender, account) in accounts)
            {
                if (!_senders.TryGetValue(sender, out var queue)) continue;
                queue.CommittedNonce = account.Nonce;
                queue.Balance = account.Balance;
                while (queue.Pending.Count > 0)
                {
                    var lowest = queue.Pending.Keys[0];
                    if (lowest >= account.Nonce) break;
                    Remove(queue, queue.Pending.Values[0]);
                }
                if (queue.Pending.Count == 0) _senders.TryRemove(sender, out _);
            }
        }
    }

    // Reads storage: call outside the lock (inside it only in the rare case where the queue
    // existed when checked and was emptied before the lock was taken).
    private SenderQueue NewQueue(Address sender)
    {
        var committed = _committedAccount(sender);
        return new SenderQueue(committed.Nonce, committed.Balance);
    }

    private void Remove(SenderQueue queue, Transaction tx)
    {
        queue.Pending.Remove(tx.Nonce);
        queue.Arrival.Remove(tx.Nonce);
        queue.PendingCost -= Cost(tx);
        if (_byId.TryRemove(tx.Id, out _)) Interlocked.Decrement(ref _count);
        Interlocked.Add(ref _bytes, -tx.Size);
    }

    private static ulong Cost(Transaction tx) => tx.Kind switch
    {
        TransactionBody.PayloadOneofCase.Transfer => tx.Fee + tx.Body.Transfer.Amount,
        TransactionBody.PayloadOneofCase.Stake => tx.Fee + tx.Body.Stake.Amount,
        _ => tx.Fee,
    };

    private sealed class SenderQueue(ulong committedNonce, ulong balance)
    {
        public ulong CommittedNonce { get; set; } = committedNonce;
        public ulong Balance { get; set; } = balance;
        public ulong PendingCost { get; set; }
        public SortedList<ulong, Transaction> Pending { get; } = [];
        public Dictionary<ulong, long> Arrival { get; } = [];
    }
}
