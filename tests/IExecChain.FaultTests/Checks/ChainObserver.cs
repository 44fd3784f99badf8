using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using IExecChain.FaultTests.Cluster;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.FaultTests.Checks;

/// <summary>A finalized block as the checks need it.</summary>
/// <param name="Signatures">The precommits of the commit the node stored for this block when it decided.</param>
/// <param name="CarriedSignatures">The precommits for the parent that this block carries (late ones included): what the chain credits.</param>
internal sealed record BlockView(ulong Number, string Hash, string Proposer, int Round, ulong TimestampMs, int TransactionCount, IReadOnlyList<VoteView> Signatures, IReadOnlyList<VoteView> CarriedSignatures);

/// <summary>One precommit of a block's commit: who and at what (its own) wall-clock time.</summary>
internal sealed record VoteView(string Validator, ulong TimestampMs);

/// <summary>A validator's standing from iex_getValidators.</summary>
internal sealed record ValidatorView(string Address, ulong Power, long Priority, ulong Slashed, ulong JailedUntil, ulong Reputation, ulong BlocksSigned, ulong BlocksMissed);

/// <summary>
/// Reads every node's RPC and /metrics: heights, blocks, validators, rounds, peers. The one place
/// the fault tests parse node answers. Probes (is it up, how high) time out after 3 s, as a paused
/// node never answers; a check's read, made of a node that must be up, may take 30 s: on a busy
/// 2-core machine a node under load once took more than 3 s to answer iex_getValidators, and that
/// is slowness, not a fault of the chain.
/// </summary>
internal sealed class ChainObserver : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private readonly ValidatorCluster _cluster;
    private readonly JsonRpcClient[] _clients;
    private readonly JsonRpcClient[] _probes;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };

    public ChainObserver(ValidatorCluster cluster)
    {
        _cluster = cluster;
        _clients = cluster.All.Select(i => new JsonRpcClient(cluster.Rpc(i), TimeSpan.FromSeconds(30))).ToArray();
        _probes = cluster.All.Select(i => new JsonRpcClient(cluster.Rpc(i), TimeSpan.FromSeconds(3))).ToArray();
    }

    public JsonRpcClient Client(int i) => _clients[i];

    public async Task<ulong?> TryHeightAsync(int i)
    {
        try { return JsonRpcClient.Quantity(await _probes[i].CallAsync("iex_blockNumber")); }
        catch (JsonRpcClientException) { return null; }
    }

    public async Task<ulong> HeightAsync(int i) => JsonRpcClient.Quantity(await _clients[i].CallAsync("iex_blockNumber"));

    /// <summary>The highest head among <paramref name="nodes"/> that answer.</summary>
    public async Task<ulong> MaxHeightAsync(IEnumerable<int> nodes)
    {
        var heights = await Task.WhenAll(nodes.Select(TryHeightAsync));
        return heights.Max(h => h ?? 0);
    }

    /// <summary>Polls until every one of <paramref name="nodes"/> has <paramref name="height"/>; fails the test after <paramref name="timeout"/>.</summary>
    public async Task<TimeSpan> WaitForHeightAsync(IEnumerable<int> nodes, ulong height, TimeSpan timeout, string why)
    {
        var set = nodes.ToArray();
        var watch = Stopwatch.StartNew();
        ulong?[] last = [];
        while (watch.Elapsed < timeout)
        {
            last = await Task.WhenAll(set.Select(TryHeightAsync));
            if (last.All(h => h >= height)) return watch.Elapsed;
            await Task.Delay(Poll);
        }
        Assert.Fail($"{why}: nodes [{string.Join(", ", set)}] did not all reach height {height} in {timeout.TotalSeconds:0} s " +
            $"(heights [{string.Join(", ", last.Select(h => h?.ToString(CultureInfo.InvariantCulture) ?? "?"))}])\n{_cluster.LogTails()}");
        return watch.Elapsed;
    }

    /// <summary>Polls until any of <paramref name="nodes"/> has <paramref name="height"/>; returns that node and the wait.</summary>
    public async Task<(int Node, TimeSpan Elapsed)> WaitForAnyHeightAsync(IEnumerable<int> nodes, ulong height, TimeSpan timeout, string why)
    {
        var set = nodes.ToArray();
        var watch = Stopwatch.StartNew();
        ulong?[] last = [];
        while (watch.Elapsed < timeout)
        {
            last = await Task.WhenAll(set.Select(TryHeightAsync));
            for (int k = 0; k < set.Length; k++)
                if (last[k] >= height) return (set[k], watch.Elapsed);
            await Task.Delay(Poll);
        }
        Assert.Fail($"{why}: none of nodes [{string.Join(", ", set)}] reached height {height} in {timeout.TotalSeconds:0} s " +
            $"(heights [{string.Join(", ", last.Select(h => h?.ToString(CultureInfo.InvariantCulture) ?? "?"))}])\n{_cluster.LogTails()}");
        return (-1, watch.Elapsed);
    }

    /// <param name="probe">A sample taken while faults run (short timeout), not a check's read.</param>
    public async Task<BlockView?> BlockAsync(int i, ulong height, bool probe = false)
    {
        var block = await (probe ? _probes : _clients)[i].CallAsync("iex_getBlockByNumber", Hex0x(height), false);
        return block.ValueKind == JsonValueKind.Null ? null : ParseBlock(block);
    }

    /// <summary>Blocks <paramref name="from"/>..<paramref name="to"/> of node <paramref name="i"/>, in batches; null where the node has none.</summary>
    public async Task<BlockView?[]> BlocksAsync(int i, ulong from, ulong to)
    {
        var blocks = new List<BlockView?>();
        for (ulong start = from; start <= to; start += 200)
        {
            ulong end = Math.Min(to, start + 199);
            var calls = new List<object?[]>();
            for (ulong h = start; h <= end; h++) calls.Add([Hex0x(h), false]);
            foreach (var (result, error) in await _clients[i].CallBatchAsync("iex_getBlockByNumber", calls))
            {
                if (error is not null) throw error;
                blocks.Add(result is { ValueKind: JsonValueKind.Object } b ? ParseBlock(b) : null);
            }
        }
        return [.. blocks];
    }

    public async Task<ValidatorView[]> ValidatorsAsync(int i) => (await ValidatorSetAsync(i)).Validators;

    /// <summary>The validator set of node <paramref name="i"/>'s next height, with the head height it was read at.</summary>
    public async Task<(ulong Head, ValidatorView[] Validators)> ValidatorSetAsync(int i)
    {
        var set = await _clients[i].CallAsync("iex_getValidators");
        return (JsonRpcClient.Quantity(set.GetProperty("blockNumber")), set.GetProperty("validators").EnumerateArray().Select(v => new ValidatorView(
            v.GetProperty("address").GetString()!,
            JsonRpcClient.Quantity(v.GetProperty("votingPower")),
            long.Parse(v.GetProperty("proposerPriority").GetString()!, CultureInfo.InvariantCulture),
            JsonRpcClient.Quantity(v.GetProperty("slashed")),
            JsonRpcClient.Quantity(v.GetProperty("jailedUntil")),
            JsonRpcClient.Quantity(v.GetProperty("reputation")),
            JsonRpcClient.Quantity(v.GetProperty("blocksSigned")),
            JsonRpcClient.Quantity(v.GetProperty("blocksMissed")))).ToArray());
    }

    /// <summary>Node <paramref name="i"/>'s /metrics as name{labels} → value; null when it does not answer.</summary>
    public async Task<Dictionary<string, double>?> MetricsAsync(int i)
    {
        string text;
        try { text = await _http.GetStringAsync(new Uri(_cluster.Rpc(i), "metrics")); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return null; }
        var metrics = new Dictionary<string, double>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int space = line.LastIndexOf(' ');
            if (space > 0 && double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                metrics[line[..space]] = value;
        }
        return metrics;
    }

    /// <summary>Authenticated validator peers of node <paramref name="i"/> (iexec_peers{class="validator"}).</summary>
    public async Task<int?> ValidatorPeersAsync(int i) =>
        await MetricsAsync(i) is { } m && m.TryGetValue("iexec_peers{class=\"validator\"}", out var v) ? (int)v : null;

    /// <summary>The round node <paramref name="i"/>'s consensus is in (iexec_round).</summary>
    public async Task<int?> RoundAsync(int i) =>
        await MetricsAsync(i) is { } m && m.TryGetValue("iexec_round", out var v) ? (int)v : null;

    private static BlockView ParseBlock(JsonElement b)
    {
        int round = b.TryGetProperty("commit", out var commit) ? commit.GetProperty("round").GetInt32() : 0;
        return new BlockView(JsonRpcClient.Quantity(b.GetProperty("number")), b.GetProperty("hash").GetString()!, b.GetProperty("proposer").GetString()!,
            round, JsonRpcClient.Quantity(b.GetProperty("timestamp")), (int)JsonRpcClient.Quantity(b.GetProperty("transactionCount")), Votes(b, "commit"), Votes(b, "lastCommit"));
    }

    private static List<VoteView> Votes(JsonElement block, string field)
    {
        var votes = new List<VoteView>();
        if (block.TryGetProperty(field, out var commit))
            foreach (var s in commit.GetProperty("signatures").EnumerateArray())
                votes.Add(new VoteView(s.GetProperty("validator").GetString()!, JsonRpcClient.Quantity(s.GetProperty("timestamp"))));
        return votes;
    }

    public static string Hex0x(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    public void Dispose()
    {
        foreach (var c in _clients.Concat(_probes)) c.Dispose();
        _http.Dispose();
    }
}
