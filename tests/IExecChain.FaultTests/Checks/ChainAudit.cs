using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using IExecChain.FaultTests.Cluster;

namespace IExecChain.FaultTests.Checks;

/// <summary>
/// The invariants every scenario must keep, checked from the outside:
/// safety (no two hashes at one height, on any two nodes, at any time the test looked),
/// retention (a block a node had is still there after its restarts), a full mesh of validator peers
/// after recovery, no ban between honest nodes and no evidence against one.
/// </summary>
internal sealed partial class ChainAudit(ValidatorCluster cluster, ChainObserver chain)
{
    private readonly ConcurrentDictionary<ulong, string> _finalized = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ulong[] _remembered = new ulong[cluster.Count];

    /// <summary>Safety and retention violations found so far.</summary>
    public IReadOnlyCollection<string> Violations => _violations;

    /// <summary>Heights recorded in the ledger of first-seen hashes.</summary>
    public int LedgerSize => _finalized.Count;

    /// <summary>Records node <paramref name="i"/>'s head block as final; a different hash already seen at that height is a safety violation.</summary>
    public async Task<BlockView?> RememberHeadAsync(int i)
    {
        var height = await chain.TryHeightAsync(i);
        if (height is not { } h || h == 0) return null;
        BlockView? block;
        try { block = await chain.BlockAsync(i, h, probe: true); }
        catch (Rpc.Contracts.Client.JsonRpcClientException) { return null; }
        if (block is null) return null;
        Record(i, block);
        lock (_remembered) _remembered[i] = Math.Max(_remembered[i], h);
        return block;
    }

    /// <summary>For the mutation check only: plants a hash no node has, so the audit must report it.</summary>
    public void PlantForgedHashForMutationCheck(ulong height) => _finalized[height] = "0x" + new string('f', 64);

    private void Record(int node, BlockView block)
    {
        var first = _finalized.GetOrAdd(block.Number, block.Hash);
        if (first != block.Hash) _violations.Enqueue($"SAFETY: node {node} has {block.Hash} at height {block.Number}, another node had {first}");
    }

    /// <summary>
    /// Reads every block of every node and checks it against the ledger and the other nodes, and that
    /// no node lost a height it was seen to have. Returns the highest height every node has.
    /// </summary>
    public async Task<ulong> VerifyChainsAsync()
    {
        ulong common = ulong.MaxValue;
        for (int i = 0; i < cluster.Count; i++)
        {
            ulong head = await chain.HeightAsync(i);
            common = Math.Min(common, head);
            ulong remembered;
            lock (_remembered) remembered = _remembered[i];
            if (head < remembered) _violations.Enqueue($"RETENTION: node {i} is at height {head} but had height {remembered}");
            var blocks = await chain.BlocksAsync(i, 1, head);
            for (int k = 0; k < blocks.Length; k++)
            {
                if (blocks[k] is { } block) Record(i, block);
                else _violations.Enqueue($"RETENTION: node {i} has no block at height {k + 1} below its head {head}");
            }
        }
        return common;
    }

    /// <summary>
    /// A dead link is noticed only when the transport's disconnect timeout runs out (LiteNetLib pings
    /// every second; NetworkOptions.DisconnectTimeoutMs is 5 s), so a peer count read right after a
    /// fault can still include a peer that is gone. The mesh counts as whole only once every node has
    /// reported all the others for longer than that timeout without a break.
    /// </summary>
    public static readonly TimeSpan MeshStableFor = TimeSpan.FromSeconds(6);

    /// <summary>
    /// Waits until every node has had all the others as authenticated validator peers for
    /// <see cref="MeshStableFor"/>; returns when the mesh was first whole, or null on timeout.
    /// </summary>
    public async Task<TimeSpan?> WaitForFullMeshAsync(TimeSpan timeout)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? wholeSince = null;
        while (watch.Elapsed < timeout)
        {
            var peers = await Task.WhenAll(cluster.All.Select(chain.ValidatorPeersAsync));
            if (!peers.All(p => p == cluster.Count - 1)) wholeSince = null;
            else if (wholeSince is null) wholeSince = watch.Elapsed;
            else if (watch.Elapsed - wholeSince >= MeshStableFor) return wholeSince;
            await Task.Delay(100);
        }
        return null;
    }

    /// <summary>The validator peer count each node reports now.</summary>
    public async Task<string> PeerCountsAsync() =>
        string.Join(", ", (await Task.WhenAll(cluster.All.Select(chain.ValidatorPeersAsync))).Select((p, i) => $"node {i}: {p?.ToString() ?? "?"}"));

    /// <summary>Log lines that an honest, fault-free network must never print, and the known handshake-race drops.</summary>
    public LogFindings ScanLogs()
    {
        var bans = new List<string>();
        var evidence = new List<string>();
        int handshakeRace = 0;
        for (int i = 0; i < cluster.Count; i++)
            foreach (var line in cluster.Log(i).Split('\n'))
            {
                if (line.Contains("Banning", StringComparison.Ordinal))
                {
                    bans.Add($"node {i}: {line.Trim()}");
                    if (line.Contains("before the handshake completed", StringComparison.Ordinal)) handshakeRace++;
                }
                if (EvidenceLine().IsMatch(line)) evidence.Add($"node {i}: {line.Trim()}");
            }
        return new LogFindings(bans, evidence, handshakeRace);
    }

    /// <summary>Validators that the chain slashed or jailed (none may be: every validator here is honest).</summary>
    public async Task<List<string>> PenalizedValidatorsAsync(int node) =>
        (await chain.ValidatorsAsync(node)).Where(v => v.Slashed > 0 || v.JailedUntil > 0)
            .Select(v => $"{v.Address}: slashed {v.Slashed}, jailed until {v.JailedUntil}").ToList();

    [GeneratedRegex("equivocat", RegexOptions.IgnoreCase)]
    private static partial Regex EvidenceLine();
}

/// <summary>What the node logs showed: bans (with the handshake-race ones counted) and equivocation evidence.</summary>
internal sealed record LogFindings(IReadOnlyList<string> Bans, IReadOnlyList<string> Evidence, int HandshakeRaceBans);
