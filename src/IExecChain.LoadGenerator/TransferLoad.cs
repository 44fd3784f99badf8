using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.LoadGenerator;

/// <summary>Settings of a transfer load; `iexchain bench transfers` takes its option defaults from the constants here.</summary>
public sealed class TransferLoadOptions
{
    public const int DefaultAccounts = 2000;
    public const int DefaultRate = 1000;
    public const int DefaultDurationSeconds = 10;
    public const int DefaultBatchSize = 200;
    public const int DefaultConnections = 8;

    /// <summary>Concurrent HTTP requests at most: what one client connects to its node.</summary>
    public const int MaxConnections = JsonRpcClient.MaxConnectionsPerServer;

    public required Uri Rpc { get; init; }
    public required PrivateKey Funder { get; init; }
    public int Accounts { get; init; } = DefaultAccounts;
    public int Rate { get; init; } = DefaultRate;
    public int DurationSeconds { get; init; } = DefaultDurationSeconds;
    public int BatchSize { get; init; } = DefaultBatchSize;
    public int Connections { get; init; } = DefaultConnections;
    public int DrainSeconds { get; init; } = 30;
    /// <summary>Seeds the sending accounts; a new seed gives fresh accounts (nonce 0) on a running chain.</summary>
    public int Seed { get; init; } = Environment.TickCount;
}

public sealed record TransferLoadReport(
    int Accounts, int TargetRate, int DurationSeconds, long Submitted, long Accepted, long Rejected, long Committed,
    double SubmitSeconds, double SubmittedPerSecond, double CommittedPerSecond,
    double P50Ms, double P99Ms, double MaxMs, ulong FirstHeight, ulong LastHeight, IReadOnlyDictionary<string, int> RejectReasons)
{
    /// <summary>Submissions refused for load (-32005), each retried after the wait the node asked for.</summary>
    public long Refused { get; init; }

    /// <summary>Of those, refusals that did not say how long to wait (should be none).</summary>
    public long RefusedWithoutHint { get; init; }

    /// <summary>Transactions offered but not admitted when the load stopped (they stay with their senders).</summary>
    public long Unsent { get; init; }
}

/// <summary>
/// Drives transfers at a fixed rate against a node's RPC and measures what the chain commits and
/// how long each transfer takes from submission to finality (observed by polling finalized blocks).
/// Everything is signed before the clock starts, so the generator measures the node, not itself.
/// </summary>
public static partial class TransferLoad
{
    [System.Text.RegularExpressions.GeneratedRegex("0x[0-9a-fA-F]{8,}")]
    private static partial System.Text.RegularExpressions.Regex HexRun();

    public static async Task<TransferLoadReport> RunAsync(TransferLoadOptions options, Action<string> progress, CancellationToken ct)
    {
        if (options.Accounts < 1) throw new ArgumentException("--accounts must be at least 1");
        if (options.Rate < 1) throw new ArgumentException("--rate must be at least 1");
        if (options.DurationSeconds < 1) throw new ArgumentException("--duration must be at least 1");
        using var client = new JsonRpcClient(options.Rpc, TimeSpan.FromSeconds(60));
        var node = new NodeRpcClient(client);
        var info = await node.NodeInfoAsync().ConfigureAwait(false);
        ulong chainId = info.ChainId;
        ulong fee = info.Fees.Transfer;

        long total = (long)options.Rate * options.DurationSeconds;
        int perAccount = (int)((total + options.Accounts - 1) / options.Accounts);
        var random = new Random(options.Seed);
        var accounts = new PrivateKey[options.Accounts];
        for (int i = 0; i < accounts.Length; i++)
        {
            var bytes = new byte[32];
            random.NextBytes(bytes);
            accounts[i] = new PrivateKey(Keccak256.HashToArray(bytes));
        }

        progress($"funding {options.Accounts} accounts from {options.Funder.Address}");
        await FundAsync(node, options.Funder, accounts, chainId, fee, (ulong)perAccount * (fee + 1) + fee, ct).ConfigureAwait(false);

        progress($"signing {total} transfers");
        var txs = new (string Hex, string Id)[total];
        Parallel.For(0, total, new ParallelOptions { CancellationToken = ct }, t =>
        {
            int from = (int)(t % options.Accounts);
            var body = new TransactionBody
            {
                ChainId = chainId,
                Nonce = (ulong)(t / options.Accounts),
                Fee = fee,
                Transfer = new Transfer { To = ByteString.CopyFrom(accounts[(from + 1) % options.Accounts].Address.ToArray()), Amount = 1 },
            };
            var signed = TransactionCodec.Sign(body, accounts[from]);
            txs[t] = (Hex.Encode(signed), Keccak256.Hash(signed).ToString());
        });

        progress($"sending {options.Rate} tx/s for {options.DurationSeconds} s");
        var submitted = new ConcurrentDictionary<string, long>(Environment.ProcessorCount, (int)total);
        var latencies = new ConcurrentBag<double>();
        var reasons = new ConcurrentDictionary<string, int>();
        long accepted = 0, rejected = 0, committed = 0, lastCommitTicks = 0;
        ulong startHeight = await node.BlockNumberAsync().ConfigureAwait(false);
        ulong lastHeight = startHeight;

        using var stopTracking = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var tracker = Task.Run(async () =>
        {
            using var trackerClient = new NodeRpcClient(options.Rpc);
            while (!stopTracking.IsCancellationRequested)
            {
                ulong head;
                try { head = await trackerClient.BlockNumberAsync().ConfigureAwait(false); }
                catch (JsonRpcClientException) { await Task.Delay(50).ConfigureAwait(false); continue; }
                while (lastHeight < head)
                {
                    var block = await trackerClient.GetBlockByNumberAsync(lastHeight + 1).ConfigureAwait(false)
                        ?? throw new JsonRpcClientException(-1, $"the node reported head {head} but has no block {lastHeight + 1}");
                    long now = Stopwatch.GetTimestamp();
                    foreach (string id in block.Transactions)
                        if (submitted.TryRemove(id, out var sentAt))
                        {
                            latencies.Add(Stopwatch.GetElapsedTime(sentAt, now).TotalMilliseconds);
                            Interlocked.Increment(ref committed);
                            lastCommitTicks = now;
                        }
                    lastHeight++;
                }
                try { await Task.Delay(10, stopTracking.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
            }
        }, CancellationToken.None);

        // Each account sends in nonce order with one transaction in flight, as a wallet does: a transaction
        // refused for load (-32005 with retryAfterMs) is sent again after the wait the node asked for, and
        // the account's later transactions wait behind it instead of opening a nonce gap in the pool.
        var sync = new object();
        var backlog = new Queue<long>[options.Accounts];
        for (int i = 0; i < backlog.Length; i++) backlog[i] = new Queue<long>();
        var busy = new bool[options.Accounts]; // in flight or waiting to retry
        var ready = new List<int>();
        var retries = new PriorityQueue<int, long>();
        long refused = 0, refusedWithoutHint = 0;

        void Answered(int account, long index, JsonRpcClientException? error, long now)
        {
            lock (sync)
            {
                if (error is { Code: -32005 })
                {
                    int wait = error.RetryAfterMs ?? 1000;
                    retries.Enqueue(account, now + wait * Stopwatch.Frequency / 1000);
                    return;
                }
                backlog[account].Dequeue();
                busy[account] = false;
                if (backlog[account].Count > 0) { busy[account] = true; ready.Add(account); }
            }
        }

        using var gate = new SemaphoreSlim(options.Connections);
        var inflight = new List<Task>();
        long start = Stopwatch.GetTimestamp();
        long sent = 0, nextReport = 1;
        var batch = new List<(int Account, long Index)>();
        while (sent < total && !ct.IsCancellationRequested)
        {
            long now = Stopwatch.GetTimestamp();
            double elapsed = Stopwatch.GetElapsedTime(start, now).TotalSeconds;
            long due = Math.Min(total, (long)(elapsed * options.Rate) + 1);
            batch.Clear();
            lock (sync)
            {
                for (; sent < due; sent++)
                {
                    int account = (int)(sent % options.Accounts);
                    backlog[account].Enqueue(sent);
                    if (!busy[account]) { busy[account] = true; ready.Add(account); }
                }
                while (retries.TryPeek(out int account, out long at) && at <= now) { retries.Dequeue(); ready.Add(account); }
                foreach (int account in ready) batch.Add((account, backlog[account].Peek()));
                ready.Clear();
            }
            for (int offset = 0; offset < batch.Count; offset += options.BatchSize)
            {
                var part = batch.GetRange(offset, Math.Min(options.BatchSize, batch.Count - offset));
                await gate.WaitAsync(ct).ConfigureAwait(false);
                inflight.Add(Task.Run(async () =>
                {
                    try
                    {
                        var parameters = new object?[part.Count][];
                        long at = Stopwatch.GetTimestamp();
                        for (int i = 0; i < part.Count; i++)
                        {
                            parameters[i] = [txs[part[i].Index].Hex];
                            submitted[txs[part[i].Index].Id] = at;
                        }
                        List<(JsonElement? Result, JsonRpcClientException? Error)> results;
                        try { results = await client.CallBatchAsync("iex_sendRawTransaction", parameters, ct).ConfigureAwait(false); }
                        catch (JsonRpcClientException e) { results = [.. part.Select(_ => ((JsonElement?)null, (JsonRpcClientException?)e))]; }
                        long back = Stopwatch.GetTimestamp();
                        for (int i = 0; i < results.Count; i++)
                        {
                            var error = results[i].Error;
                            if (error is null) Interlocked.Increment(ref accepted);
                            else
                            {
                                submitted.TryRemove(txs[part[i].Index].Id, out _);
                                if (error.Code == -32005)
                                {
                                    Interlocked.Increment(ref refused);
                                    if (error.RetryAfterMs is null) Interlocked.Increment(ref refusedWithoutHint);
                                }
                                else
                                {
                                    Interlocked.Increment(ref rejected);
                                    var reason = HexRun().Replace(error.Message, "0x…");
                                    reasons.AddOrUpdate(reason.Length > 100 ? reason[..100] : reason, 1, (_, n) => n + 1);
                                }
                            }
                            Answered(part[i].Account, part[i].Index, error, back);
                        }
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, CancellationToken.None));
            }
            if (elapsed >= nextReport)
            {
                progress($"t={nextReport,3}s offered {sent} accepted {Interlocked.Read(ref accepted)} refused {Interlocked.Read(ref refused)} committed {Interlocked.Read(ref committed)} height {lastHeight}");
                nextReport++;
            }
            inflight.RemoveAll(t => t.IsCompleted);
            await Task.Delay(2, ct).ConfigureAwait(false);
        }
        await Task.WhenAll(inflight).ConfigureAwait(false);
        double submitSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        // What the node never admitted stays with the clients: abandoned, not counted as offered and lost.
        long unsent;
        lock (sync) unsent = backlog.Sum(q => (long)q.Count);

        var drainUntil = Stopwatch.GetTimestamp() + (long)(options.DrainSeconds * Stopwatch.Frequency);
        while (Interlocked.Read(ref committed) < Interlocked.Read(ref accepted) && Stopwatch.GetTimestamp() < drainUntil && !ct.IsCancellationRequested)
            await Task.Delay(50, ct).ConfigureAwait(false);
        await stopTracking.CancelAsync().ConfigureAwait(false);
        await tracker.ConfigureAwait(false);

        var sorted = latencies.ToArray();
        Array.Sort(sorted);
        double commitSeconds = lastCommitTicks == 0 ? submitSeconds : Stopwatch.GetElapsedTime(start, lastCommitTicks).TotalSeconds;
        return new TransferLoadReport(options.Accounts, options.Rate, options.DurationSeconds, sent, accepted, rejected, committed,
            submitSeconds, sent / submitSeconds, committed / Math.Max(commitSeconds, 1e-9),
            Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted.Length == 0 ? 0 : sorted[^1], startHeight, lastHeight, reasons)
        {
            Refused = refused,
            RefusedWithoutHint = refusedWithoutHint,
            Unsent = unsent,
        };
    }

    private static async Task FundAsync(NodeRpcClient client, PrivateKey funder, PrivateKey[] accounts, ulong chainId, ulong fee, ulong amount, CancellationToken ct)
    {
        ulong nonce = (await client.GetAccountAsync(funder.Address.ToString()).ConfigureAwait(false)).Nonce;
        ulong target = nonce + (ulong)accounts.Length;
        // One sender may only queue so far ahead of its nonce: send in chunks, keeping at most one chunk pending.
        const int Chunk = 100;
        for (int offset = 0; offset < accounts.Length; offset += Chunk)
        {
            int count = Math.Min(Chunk, accounts.Length - offset);
            var signed = new string[count];
            for (int i = 0; i < count; i++)
            {
                var body = new TransactionBody
                {
                    ChainId = chainId,
                    Nonce = nonce + (ulong)(offset + i),
                    Fee = fee,
                    Transfer = new Transfer { To = ByteString.CopyFrom(accounts[offset + i].Address.ToArray()), Amount = amount },
                };
                signed[i] = Hex.Encode(TransactionCodec.Sign(body, funder));
            }
            var results = await client.SendRawTransactionsAsync(signed, ct).ConfigureAwait(false);
            foreach (var (_, error) in results)
                if (error is not null) throw new InvalidOperationException($"funding transfer rejected: {error.Message}");
            if (offset + count < accounts.Length) await WaitForNonceAsync(client, funder.Address, nonce + (ulong)(offset + count), ct).ConfigureAwait(false);
        }
        await WaitForNonceAsync(client, funder.Address, target, ct).ConfigureAwait(false);
    }

    private static async Task WaitForNonceAsync(NodeRpcClient client, Address address, ulong target, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + 120 * Stopwatch.Frequency;
        while ((await client.GetAccountAsync(address.ToString()).ConfigureAwait(false)).Nonce < target)
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"funding did not commit within 120 s (waiting for nonce {target} of {address})");
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
