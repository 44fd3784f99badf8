using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace IExecChain.FaultTests.Lab;

/// <summary>
/// N network namespaces, one per node, each joined by a veth pair to a bridge in the root namespace
/// (10.77.K.0/24: the bridge is .1, node i is .10+i), and the faults applied to them with iptables:
/// partitions and isolation (DROP by address), random loss (statistic match) and delay with jitter
/// (NFQUEUE to a <see cref="PacketDelayer"/>). Faults touch only UDP between nodes, never the root
/// namespace, so the test keeps reading every node's RPC (TCP) through any fault.
/// </summary>
/// <remarks>
/// Names carry the owning process id (hex) and a sequence number, so parallel runs never collide and
/// a later run can tell a dead run's leftovers (<see cref="RemoveStale"/>) from a live run's. Interface
/// names stay within Linux's 15 characters: "ixf" + pid (≤ 6 hex) + "-" + sequence + role + index.
/// </remarks>
internal sealed partial class NetworkLab : IDisposable
{
    public const string Prefix = "ixf";
    private const string FaultChain = "IXF-FAULTS";
    private const string LockFile = "/run/lock/iexecchain-faultlab.lock";
    private static int _sequence;

    private readonly List<PacketDelayer> _delayers = [];
    private readonly string _stem;
    private bool _disposed;

    public NetworkLab(int nodes)
    {
        Count = nodes;
        _stem = $"{Prefix}{Environment.ProcessId:x}-{Interlocked.Increment(ref _sequence):x}";
        try
        {
            using (AcquireLock())
            {
                Subnet = FreeSubnet();
                Shell.Run("ip", "link", "add", Bridge, "type", "bridge");
                Shell.Run("ip", "addr", "add", $"{Gateway}/24", "dev", Bridge);
                Shell.Run("ip", "link", "set", Bridge, "up");
            }
            for (int i = 0; i < nodes; i++) AddNode(i);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Count { get; }
    public int Subnet { get; private set; }
    public string Bridge => _stem + "b";
    public IPAddress Gateway => IPAddress.Parse($"10.77.{Subnet}.1");
    public string Namespace(int i) => $"{_stem}n{i:x}";
    public IPAddress Address(int i) => IPAddress.Parse($"10.77.{Subnet}.{10 + i}");
    private string Veth(int i) => $"{_stem}v{i:x}";

    private void AddNode(int i)
    {
        string ns = Namespace(i);
        Shell.Run("ip", "netns", "add", ns);
        Shell.Run("ip", "link", "add", Veth(i), "type", "veth", "peer", "name", "eth0", "netns", ns);
        Shell.Run("ip", "link", "set", Veth(i), "master", Bridge, "up");
        Shell.Run("ip", "-n", ns, "addr", "add", $"{Address(i)}/24", "dev", "eth0");
        Shell.Run("ip", "-n", ns, "link", "set", "eth0", "up");
        Shell.Run("ip", "-n", ns, "link", "set", "lo", "up");
        // Every fault rule goes into one chain that INPUT and OUTPUT jump to: healing is one flush.
        Shell.Iptables(ns, "-N", FaultChain);
        Shell.Iptables(ns, "-A", "INPUT", "-j", FaultChain);
        Shell.Iptables(ns, "-A", "OUTPUT", "-j", FaultChain);
    }

    /// <summary>Cuts all node-to-node traffic of node <paramref name="i"/>; its RPC stays reachable.</summary>
    public void Isolate(int i) => AddRules(i, ["-p udp -j DROP"]);

    /// <summary>Splits the nodes into <paramref name="groups"/>: traffic passes only within a group.</summary>
    public void Partition(params int[][] groups)
    {
        foreach (var group in groups)
            foreach (int i in group)
                AddRules(i, [.. Enumerable.Range(0, Count).Where(j => !group.Contains(j))
                    .SelectMany(j => new[] { $"-p udp -s {Address(j)} -j DROP", $"-p udp -d {Address(j)} -j DROP" })]);
    }

    /// <summary>Cuts the one link between nodes <paramref name="a"/> and <paramref name="b"/>; both still reach the others.</summary>
    public void CutLink(int a, int b)
    {
        AddRules(a, [$"-p udp -s {Address(b)} -j DROP", $"-p udp -d {Address(b)} -j DROP"]);
        AddRules(b, [$"-p udp -s {Address(a)} -j DROP", $"-p udp -d {Address(a)} -j DROP"]);
    }

    /// <summary>Drops each node-to-node packet with <paramref name="probability"/> (on receipt, so once per hop).</summary>
    public void Loss(double probability)
    {
        string p = probability.ToString("0.####", CultureInfo.InvariantCulture);
        for (int i = 0; i < Count; i++)
            AddRules(i, [$"-p udp -s {SubnetText} -d {Address(i)} -m statistic --mode random --probability {p} -j DROP"]);
    }

    /// <summary>Holds each node-to-node packet for <paramref name="delay"/> ± <paramref name="jitter"/> (on send, so once per hop).</summary>
    public void Delay(TimeSpan delay, TimeSpan jitter, int seed)
    {
        for (int i = 0; i < Count; i++)
        {
            _delayers.Add(PacketDelayer.Start(Namespace(i), 0, delay, jitter, seed + i));
            AddRules(i, [$"-p udp -s {Address(i)} -d {SubnetText} -j NFQUEUE --queue-num 0"]);
        }
    }

    /// <summary>Appends <paramref name="rules"/> to node <paramref name="i"/>'s fault chain in one iptables-restore: all or none.</summary>
    private void AddRules(int i, string[] rules)
    {
        var text = new System.Text.StringBuilder("*filter\n");
        foreach (var rule in rules) text.Append("-A ").Append(FaultChain).Append(' ').Append(rule).Append('\n');
        text.Append("COMMIT\n");
        Shell.Run("ip", ["netns", "exec", Namespace(i), Prerequisites.IptablesRestore, "--noflush"], text.ToString());
    }

    /// <summary>Packets the delayers held so far, how many left out of order, and how many the kernel lost on release.</summary>
    public (long Packets, long Reordered, long FailedVerdicts) DelayStatistics
    {
        get
        {
            var (p, r, f) = _delayed;
            foreach (var d in _delayers) { p += d.Packets; r += d.Reordered; f += d.FailedVerdicts; }
            return (p, r, f);
        }
    }

    private (long Packets, long Reordered, long FailedVerdicts) _delayed;

    /// <summary>Removes every fault; held packets are released.</summary>
    public void Heal()
    {
        for (int i = 0; i < Count; i++) Shell.Iptables(Namespace(i), "-F", FaultChain);
        _delayed = DelayStatistics;
        foreach (var delayer in _delayers) delayer.Dispose();
        _delayers.Clear();
        // Mutation check (docs/reliability.md): a heal that forgets one link must fail the re-peer check.
        if (FaultSettings.Mutation == "unhealed-link") CutLink(0, 1);
    }

    private string SubnetText => $"10.77.{Subnet}.0/24";

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var delayer in _delayers) delayer.Dispose();
        _delayers.Clear();
        for (int i = 0; i < Count; i++) DeleteNamespace(Namespace(i));
        Shell.TryRun("ip", "link", "del", Bridge);
    }

    /// <summary>
    /// Deletes namespaces and links of runs whose process is gone (a crashed or killed test host),
    /// with the node processes still inside them. A live run's names are left alone.
    /// </summary>
    public static void RemoveStale()
    {
        foreach (var line in Shell.Run("ip", "netns", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = line.Split(' ')[0];
            if (IsStale(name)) DeleteNamespace(name);
        }
        foreach (var line in Shell.Run("ip", "-o", "link", "show").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(':', 3);
            if (fields.Length < 2) continue;
            string name = fields[1].Trim().Split('@')[0];
            if (IsStale(name)) Shell.TryRun("ip", "link", "del", name);
        }
    }

    private static bool IsStale(string name)
    {
        var match = OwnedName().Match(name);
        if (!match.Success) return false;
        int pid = int.Parse(match.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}");
    }

    private static void DeleteNamespace(string ns)
    {
        // Node processes of a dead run may still sit in it; they are ours by construction.
        var pids = Shell.TryRunOutput("ip", "netns", "pids", ns);
        foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(pid, out int p)) Native.Kill(p, Native.SigKill);
        Shell.TryRun("ip", "netns", "del", ns);
    }

    private static int FreeSubnet()
    {
        var used = Shell.Run("ip", "-4", "-o", "addr", "show");
        int start = (Environment.ProcessId + _sequence) % 250;
        for (int k = 0; k < 250; k++)
        {
            int candidate = 1 + (start + k) % 250;
            if (!used.Contains($" 10.77.{candidate}.", StringComparison.Ordinal)) return candidate;
        }
        throw new InvalidOperationException("no free 10.77.K.0/24 subnet for the fault lab");
    }

    /// <summary>Serializes subnet choice among parallel runs (held only while the bridge gets its address).</summary>
    private static FileStream AcquireLock()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try { return new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(20); }
        }
    }

    [GeneratedRegex("^ixf([0-9a-f]+)-[0-9a-f]+[bvn][0-9a-f]*$")]
    private static partial Regex OwnedName();
}
