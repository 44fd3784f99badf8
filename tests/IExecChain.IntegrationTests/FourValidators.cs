using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IExecChain.Core.Primitives;

namespace IExecChain.IntegrationTests;

/// <summary>
/// Four validator processes over real UDP on 127.0.0.1, each started with `iexchain run --config`
/// as an operator would on four machines. The devnet command prepares keys, spec and data.
/// </summary>
internal sealed class FourValidators : IDisposable
{
    public const int Count = 4;
    private readonly NodeProcess?[] _nodes = new NodeProcess?[Count];

    /// <param name="bridge">A chain spec "bridge" section: the chain is made again with it, each validator given 10 RLC for its attestation fees.</param>
    public FourValidators(JsonObject? bridge = null)
    {
        Dir = new TempDir();
        RpcBase = NodeProcess.FreePorts(Count);
        P2PBase = NodeProcess.FreeUdpPorts(Count);
        // The devnet command lays out keys, the 4-validator spec and initialized node directories.
        var (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(120), "devnet", "--validators", "4", "--data", Data, "--stop-at-height", "1",
            "--rpc", $"127.0.0.1:{RpcBase}", "--p2p-port", P2PBase.ToString(CultureInfo.InvariantCulture), "--load", "0");
        if (code != 0) throw new InvalidOperationException("devnet preparation failed: " + output);
        if (bridge is not null) Rebridge(bridge);
        for (int i = 0; i < Count; i++) File.WriteAllText(ConfigPath(i), Config(i));
    }

    /// <summary>The devnet's spec with <paramref name="bridge"/>, and every node directory initialized again from it.</summary>
    private void Rebridge(JsonObject bridge)
    {
        var specPath = Path.Combine(Data, "chain-spec.json");
        var spec = JsonNode.Parse(File.ReadAllText(specPath))!;
        spec["parameters"]!["bridge"] = bridge;
        for (int i = 0; i < Count; i++)
            spec["accounts"]!.AsArray().Add(new JsonObject { ["address"] = Validator(i).ToString(), ["balance"] = "10000000000" });
        File.WriteAllText(specPath, spec.ToJsonString());
        for (int i = 0; i < Count; i++)
        {
            Directory.Delete(Path.Combine(Data, $"node-{i}"), recursive: true);
            var (code, output) = NodeProcess.Run("init", "--chain-spec", specPath, "--data", Path.Combine(Data, $"node-{i}"));
            if (code != 0) throw new InvalidOperationException("init failed: " + output);
        }
    }

    public TempDir Dir { get; }
    public int RpcBase { get; }
    public int P2PBase { get; }
    public string Data => Dir.File("devnet");
    public Uri Rpc(int i) => new($"http://127.0.0.1:{RpcBase + i}/");
    public string ConfigPath(int i) => Dir.File($"node-{i}.json");
    public static Address Validator(int i) => DevChain.DevAddress("validator", i);

    private string Config(int i)
    {
        var peers = Enumerable.Range(0, Count).Where(j => j != i).Select(j => $"{Validator(j)}@127.0.0.1:{P2PBase + j}").ToArray();
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["data"] = Path.Combine(Data, $"node-{i}"),
            ["key"] = Path.Combine(Data, "keys", $"validator-{i}.json"),
            ["passwordFile"] = Path.Combine(Data, "password.txt"),
            ["rpc"] = $"127.0.0.1:{RpcBase + i}",
            ["p2p"] = $"127.0.0.1:{P2PBase + i}",
            ["peers"] = peers,
        });
    }

    public async Task StartAsync(int i, params string[] extra)
    {
        _nodes[i] = NodeProcess.Start(["run", "--config", ConfigPath(i), "--log-level", "Warning", .. extra]);
        await _nodes[i]!.WaitForRpcAsync(Rpc(i), TimeSpan.FromSeconds(60));
    }

    public void Kill(int i)
    {
        _nodes[i]?.Kill();
        _nodes[i]?.Dispose();
        _nodes[i] = null;
    }

    public Task<ulong> HeightAsync(int i) => NodeHeight.ReadAsync(Rpc(i));

    public Task WaitForHeightAsync(int i, ulong height, TimeSpan timeout) =>
        NodeHeight.WaitAsync($"node {i}", Rpc(i), height, timeout, () => _nodes[i]?.Output);

    public void Dispose()
    {
        for (int i = 0; i < Count; i++) _nodes[i]?.Dispose();
        Dir.Dispose();
    }
}
