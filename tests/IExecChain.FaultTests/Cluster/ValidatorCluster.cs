using System.Globalization;
using System.Text;
using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.FaultTests.Lab;
using IExecChain.Node.Devnet;

namespace IExecChain.FaultTests.Cluster;

/// <summary>
/// N dev validators, each an `iexchain run --config node-i.json` process in its own network
/// namespace of a <see cref="NetworkLab"/>, listening on its namespace address (RPC 8645, p2p 30400)
/// and listing the others as peers, as an operator would on N machines.
/// </summary>
internal sealed class ValidatorCluster : IDisposable
{
    public const int RpcPort = 8645;
    public const int P2PPort = 30400;

    private readonly ValidatorProcess?[] _nodes;
    private readonly StringBuilder[] _logs;
    private readonly bool[] _cutOff;
    private readonly List<DataDisk> _disks = [];
    private readonly string _template;

    public ValidatorCluster(int count)
    {
        Count = count;
        _nodes = new ValidatorProcess?[count];
        _logs = Enumerable.Range(0, count).Select(_ => new StringBuilder()).ToArray();
        _cutOff = new bool[count];
        Dir = Path.Combine(Path.GetTempPath(), $"{NetworkLab.Prefix}-run-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(Dir);
        Lab = new NetworkLab(count);
        try
        {
            _template = ClusterTemplate.For(count, Lab.Namespace(0));
            for (int i = 0; i < count; i++)
            {
                ClusterTemplate.CopyDirectory(Path.Combine(_template, $"node-{i}"), DataDir(i));
                WriteConfig(i, DataDir(i));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Count { get; }
    public NetworkLab Lab { get; }
    public string Dir { get; }
    public IEnumerable<int> All => Enumerable.Range(0, Count);

    public Uri Rpc(int i) => new($"http://{Lab.Address(i)}:{RpcPort}/");
    public static Address Validator(int i) => DevKeys.Validator(i).Address;
    public string ConfigPath(int i) => Path.Combine(Dir, $"node-{i}.json");
    private string DataDir(int i) => Path.Combine(Dir, $"node-{i}");

    /// <summary>Everything node <paramref name="i"/> printed, over all its restarts.</summary>
    public string Log(int i)
    {
        lock (_logs[i]) return _logs[i].ToString();
    }

    public ValidatorProcess? Process(int i) => _nodes[i];

    /// <summary>The last lines of every node's log, for a failure message.</summary>
    public string LogTails(int lines = 25)
    {
        var text = new StringBuilder();
        for (int i = 0; i < Count; i++)
        {
            var all = Log(i).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            text.Append("--- node ").Append(i).Append(" (last ").Append(Math.Min(lines, all.Length)).Append(" of ").Append(all.Length).AppendLine(" lines)");
            foreach (var line in all.Skip(Math.Max(0, all.Length - lines))) text.AppendLine(line);
        }
        return text.ToString();
    }

    /// <summary>Running, not paused, not cut off by a fault: where the load may send transactions.</summary>
    public bool AcceptsLoad(int i) => _nodes[i] is { HasExited: false, Paused: false } && !Volatile.Read(ref _cutOff[i]);

    /// <summary>Marks node <paramref name="i"/> as cut off from its peers (the load avoids it).</summary>
    public void SetCutOff(int i, bool cutOff) => Volatile.Write(ref _cutOff[i], cutOff);

    public async Task StartAllAsync()
    {
        for (int i = 0; i < Count; i++) StartProcess(i, new Dictionary<string, string?>());
        await Task.WhenAll(All.Select(i => _nodes[i]!.WaitForRpcAsync(Rpc(i), TimeSpan.FromSeconds(90))));
    }

    /// <summary>Starts node <paramref name="i"/> (again) with its config; returns when its RPC answers.</summary>
    public async Task StartAsync(int i, IReadOnlyDictionary<string, string?>? environment = null)
    {
        StartProcess(i, environment ?? new Dictionary<string, string?>());
        await _nodes[i]!.WaitForRpcAsync(Rpc(i), TimeSpan.FromSeconds(90));
    }

    private void StartProcess(int i, IReadOnlyDictionary<string, string?> environment)
    {
        var previous = _nodes[i];
        if (previous is { HasExited: false }) throw new InvalidOperationException($"node {i} is already running");
        string[] args = ["run", "--config", ConfigPath(i), "--log-level", FaultSettings.LogLevel];
        // Mutation check (docs/reliability.md): a real equivocator must trip the evidence check.
        if (FaultSettings.Mutation == "equivocator" && i == Count - 1) args = [.. args, "--equivocate-for-testing"];
        _nodes[i] = ValidatorProcess.Start(Lab.Namespace(i), _logs[i], environment, args);
        previous?.Dispose();
    }

    /// <summary>SIGKILL node <paramref name="i"/>.</summary>
    public void Kill(int i) => _nodes[i]?.Kill();

    public void Pause(int i) => _nodes[i]!.Pause();

    public void Resume(int i) => _nodes[i]!.Resume();

    /// <summary>Moves node <paramref name="i"/>'s data directory (node stopped) onto a tmpfs of <paramref name="megabytes"/> MB.</summary>
    public DataDisk MoveToSmallDisk(int i, int megabytes)
    {
        if (_nodes[i] is { HasExited: false }) throw new InvalidOperationException($"stop node {i} before moving its data");
        var disk = new DataDisk(Path.Combine(Dir, $"disk-{i}"), megabytes);
        _disks.Add(disk);
        string data = Path.Combine(disk.MountPoint, "node");
        ClusterTemplate.CopyDirectory(DataDir(i), data);
        WriteConfig(i, data);
        return disk;
    }

    /// <summary>The libfaketime environment that shifts a node's wall clock by <paramref name="offset"/> (monotonic time untouched).</summary>
    public static Dictionary<string, string?> ClockShifted(TimeSpan offset) => new()
    {
        ["LD_PRELOAD"] = Prerequisites.FakeTimeLibrary,
        ["FAKETIME"] = (offset >= TimeSpan.Zero ? "+" : "-") + Math.Abs(offset.TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture) + "s",
        ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1",
    };

    private void WriteConfig(int i, string dataDir)
    {
        var peers = All.Where(j => j != i).Select(j => $"{Validator(j)}@{Lab.Address(j)}:{P2PPort}").ToArray();
        File.WriteAllText(ConfigPath(i), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["data"] = dataDir,
            ["key"] = Path.Combine(_template, "keys", $"validator-{i}.json"),
            ["passwordFile"] = Path.Combine(_template, "password.txt"),
            ["rpc"] = $"{Lab.Address(i)}:{RpcPort}",
            ["p2p"] = $"{Lab.Address(i)}:{P2PPort}",
            ["peers"] = peers,
        }));
    }

    public void Dispose()
    {
        foreach (var node in _nodes) node?.Dispose();
        Lab.Dispose();
        foreach (var disk in _disks) disk.Dispose();
        if (FaultSettings.Keep)
        {
            for (int i = 0; i < _logs.Length; i++) File.WriteAllText(Path.Combine(Dir, $"node-{i}.log"), Log(i));
            return;
        }
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
