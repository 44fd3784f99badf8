using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.Node.Devnet;

/// <summary>
/// Watches the devnet through node 0's RPC (committed blocks, their transactions) and drives the
/// demo load: transfers among dev accounts 1-8 (9 is the user's), sent round-robin to the nodes, each timed from
/// submission until a committed block carries it.
/// </summary>
internal sealed class DevnetMonitor(Uri rpc, ChainSpec spec) : IDisposable
{
    public void Dispose() => _client.Dispose();

    private readonly NodeRpcClient _client = new(rpc, TimeSpan.FromSeconds(5));
    private readonly ConcurrentDictionary<string, long> _pending = new();
    private readonly ConcurrentQueue<(long At, int Txs, double[] Finality)> _window = new();
    private ulong _tracked;

    /// <summary>
    /// Waits until every node answers on its RPC. Nodes starting on a busy machine are slow, not stuck:
    /// the wait gives up after 60 s without progress (no node newly answering and less than a second of
    /// CPU used by the nodes together), or after 5 minutes in all.
    /// </summary>
    public async Task WaitForGenesisAsync(IReadOnlyList<DevnetNode> nodes, CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp(), progressAt = started;
        int answering = 0;
        var cpu = TimeSpan.Zero;
        while (true)
        {
            var heights = await Task.WhenAll(nodes.Select(n => n.HeightAsync())).ConfigureAwait(false);
            if (heights.All(h => h is not null))
            {
                _tracked = heights[0]!.Value;
                return;
            }
            if (nodes.FirstOrDefault(n => n.ExitCode is not null) is { } exited)
                throw new InvalidOperationException($"{exited.Name} exited with code {exited.ExitCode} before opening its RPC: {LastLine(exited.LogPath)} (in {exited.LogPath})");
            int now = heights.Count(h => h is not null);
            var used = nodes.Aggregate(TimeSpan.Zero, (total, n) => total + n.CpuTime);
            if (now > answering || used - cpu >= TimeSpan.FromSeconds(1))
            {
                (answering, cpu, progressAt) = (now, used, Stopwatch.GetTimestamp());
            }
            if (Stopwatch.GetElapsedTime(progressAt) > TimeSpan.FromSeconds(60) || Stopwatch.GetElapsedTime(started) > TimeSpan.FromMinutes(5))
                throw new InvalidOperationException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"the devnet nodes did not open their RPC ({now} of {nodes.Count} answering after {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s, {used.TotalSeconds:F1} s of CPU used); see their node.log files"));
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The last line a node wrote (its error, when it exited), so the message says why even after the directory is gone.</summary>
    private static string LastLine(string logPath)
    {
        try
        {
            return File.ReadLines(logPath).LastOrDefault(line => !string.IsNullOrWhiteSpace(line))?.Trim() ?? "its log is empty";
        }
        catch (IOException e)
        {
            return $"its log cannot be read ({e.Message})";
        }
    }

    /// <summary>Reads node 0's blocks committed since the last call.</summary>
    public async Task TrackBlocksAsync(CancellationToken ct)
    {
        try
        {
            ulong head = await _client.BlockNumberAsync().ConfigureAwait(false);
            for (ulong h = _tracked + 1; h <= head && !ct.IsCancellationRequested; h++)
            {
                var block = await _client.GetBlockByNumberAsync(h).ConfigureAwait(false);
                if (block is null) break;
                long now = Stopwatch.GetTimestamp();
                var finality = new List<double>();
                int count = 0;
                foreach (string id in block.Transactions)
                {
                    count++;
                    if (_pending.TryRemove(id, out var sent)) finality.Add(Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds);
                }
                _window.Enqueue((now, count, [.. finality]));
                _tracked = h;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonRpcClientException)
        {
            // Node 0 is down or restarting: the progress line shows it; tracking resumes when it is back.
        }
    }

    public string Progress(IReadOnlyList<ulong?> heights, TimeSpan uptime)
    {
        long cutoff = Stopwatch.GetTimestamp() - 5 * Stopwatch.Frequency;
        while (_window.TryPeek(out var oldest) && oldest.At < cutoff) _window.TryDequeue(out _);
        var recent = _window.ToArray();
        int blocks = recent.Length, txs = recent.Sum(b => b.Txs);
        var finality = recent.SelectMany(b => b.Finality).Order().ToArray();
        string p50 = finality.Length == 0 ? "-" : finality[finality.Length / 2].ToString("F0", CultureInfo.InvariantCulture) + " ms";
        string p99 = finality.Length == 0 ? "-" : finality[Math.Min(finality.Length - 1, finality.Length * 99 / 100)].ToString("F0", CultureInfo.InvariantCulture) + " ms";
        string heightText = string.Join(" ", heights.Select(h => h is { } v ? v.ToString(CultureInfo.InvariantCulture) : "[red]down[/]"));
        return string.Create(CultureInfo.InvariantCulture,
            $"[grey]{uptime:hh\\:mm\\:ss}[/] height [bold]{heightText}[/] · {blocks / 5.0:F1} blocks/s · {txs / 5.0:F0} tx/s · finality p50 {p50} p99 {p99}");
    }

    public async Task DemoLoadAsync(IReadOnlyList<DevnetNode> nodes, int rate, CancellationToken ct)
    {
        var senders = DevnetCommand.LoadAccounts.Select(DevKeys.Account).ToArray();
        var nonces = new ulong[senders.Length];
        var clients = nodes.Select(n => new NodeRpcClient(n.Rpc, TimeSpan.FromSeconds(5))).ToArray();
        try
        {
            for (int i = 0; i < senders.Length; i++) nonces[i] = await NonceAsync(clients[0], senders[i].Address).ConfigureAwait(false);
            long sent = 0;
            var start = Stopwatch.GetTimestamp();
            while (!ct.IsCancellationRequested)
            {
                long due = (long)(Stopwatch.GetElapsedTime(start).TotalSeconds * rate);
                for (; sent < due && !ct.IsCancellationRequested; sent++)
                {
                    int i = (int)(sent % senders.Length);
                    var body = new TransactionBody
                    {
                        ChainId = spec.ChainId,
                        Nonce = nonces[i],
                        Fee = spec.Parameters.Fees.Transfer,
                        Transfer = new Transfer { To = ByteString.CopyFrom(senders[(i + 1) % senders.Length].Address.ToArray()), Amount = 1 + (ulong)(sent % 1000) },
                    };
                    var signed = TransactionCodec.Sign(body, senders[i]);
                    var id = Keccak256.Hash(signed).ToString();
                    _pending[id] = Stopwatch.GetTimestamp();
                    var client = clients[(int)(sent % clients.Length)];
                    try
                    {
                        await client.SendRawTransactionAsync(Hex.Encode(signed)).ConfigureAwait(false);
                        nonces[i]++;
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonRpcClientException)
                    {
                        _pending.TryRemove(id, out _);
                        // That node is down or refused the nonce (e.g. after a restart): resynchronize from node 0.
                        try { nonces[i] = await NonceAsync(clients[0], senders[i].Address).ConfigureAwait(false); }
                        catch (Exception again) when (again is HttpRequestException or TaskCanceledException or JsonRpcClientException) { }
                    }
                }
                try { await Task.Delay(10, ct).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
            }
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    private static async Task<ulong> NonceAsync(NodeRpcClient client, Address address) =>
        (await client.GetAccountAsync(address.ToString()).ConfigureAwait(false)).Nonce;
}
