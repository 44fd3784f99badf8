using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Client;

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
    double P50Ms, double P99Ms, double MaxMs, ulong FirstHeight, ulong LastHeight, IReadOnlyDictionary<string, int> RejectReasons);

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
        var info = await client.CallAsync("iex_nodeInfo").ConfigureAwait(false);
        ulong chainId = Quantity(info.GetProperty("chainId"));
        ulong fee = Quantity(info.GetProperty("fees").GetProperty("transfer"));

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
        await FundAsync(client, options.Funder, accounts, chainId, fee, (ulong)perAccount * (fee + 1) + fee, ct).ConfigureAwait(false);

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
        ulong startHeight = Quantity(await client.CallAsync("iex_blockNumber").ConfigureAwait(false));
        ulong lastHeight = startHeight;

        using var stopTracking = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var tracker = Task.Run(async () =>
        {
            using var trackerClient = new JsonRpcClient(options.Rpc);
            while (!stopTracking.IsCancellationRequested)
            {
                ulong head;
                try { head = Quantity(await trackerClient.CallAsync("iex_blockNumber").ConfigureAwait(false)); }
                catch (JsonRpcClientException) { await Task.Delay(50).ConfigureAwait(false); continue; }
                while (lastHeight < head)
                {
                    var block = await trackerClient.CallAsync("iex_getBlockByNumber", "0x" + (lastHeight + 1).ToString("x", CultureInfo.InvariantCulture), false).ConfigureAwait(false);
                    long now = Stopwatch.GetTimestamp();
                    foreach (var id in block.GetProperty("transactions").EnumerateArray())
                        if (submitted.TryRemove(id.GetString()!, out var sentAt))
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

        using var gate = new SemaphoreSlim(options.Connections);
        var inflight = new List<Task>();
        long start = Stopwatch.GetTimestamp();
        long sent = 0, nextReport = 1;
        while (sent < total && !ct.IsCancellationRequested)
        {
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            long due = Math.Min(total, (long)(elapsed * options.Rate) + 1);
            while (sent < due)
            {
                int count = (int)Math.Min(options.BatchSize, due - sent);
                long first = sent;
                sent += count;
                await gate.WaitAsync(ct).ConfigureAwait(false);
                inflight.Add(Task.Run(async () =>
                {
                    try
                    {
                        var parameters = new object?[count][];
                        long now = Stopwatch.GetTimestamp();
                        for (int i = 0; i < count; i++)
                        {
                            parameters[i] = [txs[first + i].Hex];
                            submitted[txs[first + i].Id] = now;
                        }
                        var results = await client.CallBatchAsync("iex_sendRawTransaction", parameters, ct).ConfigureAwait(false);
                        for (int i = 0; i < results.Count; i++)
                        {
                            if (results[i].Error is null) { Interlocked.Increment(ref accepted); continue; }
                            Interlocked.Increment(ref rejected);
                            submitted.TryRemove(txs[first + i].Id, out _);
                            var reason = HexRun().Replace(results[i].Error!.Message, "0x…");
                            reasons.AddOrUpdate(reason.Length > 100 ? reason[..100] : reason, 1, (_, n) => n + 1);
                        }
                    }
                    catch (JsonRpcClientException e)
                    {
                        Interlocked.Add(ref rejected, count);
                        reasons.AddOrUpdate(e.Message, count, (_, n) => n + count);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, CancellationToken.None));
            }
            if (elapsed >= nextReport)
            {
                progress($"t={nextReport,3}s sent {sent} accepted {Interlocked.Read(ref accepted)} committed {Interlocked.Read(ref committed)} height {lastHeight}");
                nextReport++;
            }
            inflight.RemoveAll(t => t.IsCompleted);
            await Task.Delay(2, ct).ConfigureAwait(false);
        }
        await Task.WhenAll(inflight).ConfigureAwait(false);
        double submitSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

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
            Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted.Length == 0 ? 0 : sorted[^1], startHeight, lastHeight, reasons);
    }

    private static async Task FundAsync(JsonRpcClient client, PrivateKey funder, PrivateKey[] accounts, ulong chainId, ulong fee, ulong amount, CancellationToken ct)
    {
        ulong nonce = Quantity((await client.CallAsync("iex_getAccount", funder.Address.ToString()).ConfigureAwait(false)).GetProperty("nonce"));
        ulong target = nonce + (ulong)accounts.Length;
        // One sender may only queue so far ahead of its nonce: send in chunks, keeping at most one chunk pending.
        const int Chunk = 100;
        for (int offset = 0; offset < accounts.Length; offset += Chunk)
        {
            int count = Math.Min(Chunk, accounts.Length - offset);
            var parameters = new object?[count][];
            for (int i = 0; i < count; i++)
            {
                var body = new TransactionBody
                {
                    ChainId = chainId,
                    Nonce = nonce + (ulong)(offset + i),
                    Fee = fee,
                    Transfer = new Transfer { To = ByteString.CopyFrom(accounts[offset + i].Address.ToArray()), Amount = amount },
                };
                parameters[i] = [Hex.Encode(TransactionCodec.Sign(body, funder))];
            }
            var results = await client.CallBatchAsync("iex_sendRawTransaction", parameters, ct).ConfigureAwait(false);
            foreach (var (_, error) in results)
                if (error is not null) throw new InvalidOperationException($"funding transfer rejected: {error.Message}");
            if (offset + count < accounts.Length) await WaitForNonceAsync(client, funder.Address, nonce + (ulong)(offset + count), ct).ConfigureAwait(false);
        }
        await WaitForNonceAsync(client, funder.Address, target, ct).ConfigureAwait(false);
    }

    private static async Task WaitForNonceAsync(JsonRpcClient client, Address address, ulong target, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + 120 * Stopwatch.Frequency;
        while (Quantity((await client.CallAsync("iex_getAccount", address.ToString()).ConfigureAwait(false)).GetProperty("nonce")) < target)
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"funding did not commit within 120 s (waiting for nonce {target} of {address})");
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static ulong Quantity(JsonElement e) => JsonRpcClient.Quantity(e);
}
