using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IExecChain.Core.Primitives;
using IExecChain.Node.Cli;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// Four validator processes started with `iexchain run --config`, on the devnet spec with a short
/// epoch and voting period (a chain spec any operator could write; `iexchain init` takes it) and
/// with the validators funded for governance fees. Keys are dev keys at devnet's low scrypt cost.
/// </summary>
internal sealed partial class GovernanceNetwork : IDisposable
{
    public const int Count = 4;
    public const string Password = "it-password";
    public const ulong ValidatorStake = 100_000_000_000_000;   // 100,000 RLC each
    public const ulong PowerUnit = 1_000_000_000;              // devnet spec: 1 RLC per unit of power
    public const ulong ReputationLossPerBlockMissed = 10;      // devnet spec
    private readonly NodeProcess?[] _nodes = new NodeProcess?[Count];

    public GovernanceNetwork(ulong epochLength, ulong votingPeriod)
    {
        EpochLength = epochLength;
        VotingPeriod = votingPeriod;
        Dir = new TempDir();
        RpcBase = NodeProcess.FreePorts(Count);
        P2PBase = NodeProcess.FreeUdpPorts(Count);
        File.WriteAllText(PasswordFile, Password + "\n");
        for (int i = 0; i < Count; i++) KeyFiles.Write(KeyFile(i), DevChain.DevKey("validator", i), Password, scryptN: 4096);
        File.WriteAllText(SpecFile, Spec());
        for (int i = 0; i < Count; i++)
        {
            var (code, output) = NodeProcess.Run("init", "--chain-spec", SpecFile, "--data", DataDir(i));
            if (code != 0) throw new InvalidOperationException("init failed: " + output);
            File.WriteAllText(ConfigFile(i), Config(i));
        }
    }

    public ulong EpochLength { get; }
    public ulong VotingPeriod { get; }
    public TempDir Dir { get; }
    public int RpcBase { get; }
    public int P2PBase { get; }
    public string PasswordFile => Dir.File("password.txt");
    public string SpecFile => Dir.File("chain-spec.json");
    public string KeyFile(int i) => Dir.File($"validator-{i}.json");
    public string DataDir(int i) => Dir.File($"node-{i}");
    public string ConfigFile(int i) => Dir.File($"node-{i}.json");
    public Uri Rpc(int i) => new($"http://127.0.0.1:{RpcBase + i}/");
    public static Address Validator(int i) => DevChain.DevAddress("validator", i);

    /// <summary>
    /// The first height of the set that a change made in block <paramref name="height"/> shows in: sets
    /// are rebuilt at the end of an epoch's last block k·E from the state it leaves, so from the first
    /// k·E at or after the change, at k·E + 1 (a checkpoint range's first height).
    /// </summary>
    public ulong NextBoundary(ulong height) => (height + EpochLength - 1) / EpochLength * EpochLength + 1;

    private string Spec()
    {
        var spec = JsonNode.Parse(File.ReadAllText(DevChain.SpecPath))!.AsObject();
        spec["parameters"]!["epochLength"] = EpochLength;
        spec["parameters"]!["consensus"]!["governanceVotingPeriodBlocks"] = VotingPeriod;
        Assert.That(spec["parameters"]!["consensus"]!["powerUnit"]!.GetValue<ulong>(), Is.EqualTo(PowerUnit));
        Assert.That(spec["parameters"]!["consensus"]!["reputationLossPerBlockMissed"]!.GetValue<ulong>(), Is.EqualTo(ReputationLossPerBlockMissed));
        var validators = new JsonArray();
        var accounts = spec["accounts"]!.AsArray();
        for (int i = 0; i < Count; i++)
        {
            var key = DevChain.DevKey("validator", i);
            validators.Add(new JsonObject
            {
                ["address"] = key.Address.ToString(),
                ["publicKey"] = Hex.Encode(key.PublicKey),
                ["stake"] = ValidatorStake.ToString(CultureInfo.InvariantCulture),
            });
            accounts.Add(new JsonObject { ["address"] = key.Address.ToString(), ["balance"] = "1000000000000" });   // 1,000 RLC for fees
        }
        spec["validators"] = validators;
        return spec.ToJsonString();
    }

    private string Config(int i)
    {
        var peers = Enumerable.Range(0, Count).Where(j => j != i).Select(j => $"{Validator(j)}@127.0.0.1:{P2PBase + j}").ToArray();
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["data"] = DataDir(i),
            ["key"] = KeyFile(i),
            ["passwordFile"] = PasswordFile,
            ["rpc"] = $"127.0.0.1:{RpcBase + i}",
            ["p2p"] = $"127.0.0.1:{P2PBase + i}",
            ["peers"] = peers,
        });
    }

    public async Task StartAllAsync()
    {
        for (int i = 0; i < Count; i++) _nodes[i] = NodeProcess.Start("run", "--config", ConfigFile(i), "--log-level", "Information");
        for (int i = 0; i < Count; i++) await _nodes[i]!.WaitForRpcAsync(Rpc(i), TimeSpan.FromSeconds(180));
    }

    /// <summary>SIGKILL: the validator stops signing at once.</summary>
    public void Kill(int i)
    {
        _nodes[i]?.Dispose();
        _nodes[i] = null;
    }

    public Task<ulong> HeightAsync(int i) => NodeHeight.ReadAsync(Rpc(i));

    public Task WaitForHeightAsync(int i, ulong height, TimeSpan timeout) =>
        NodeHeight.WaitAsync($"node {i}", Rpc(i), height, timeout, LogTails);

    // The last lines of every running node's log: a stalled network is explained by all of them, not one.
    private string LogTails() => string.Join("\n", Enumerable.Range(0, Count).Select(i =>
        $"---- node {i}:\n" + string.Join("\n", (_nodes[i]?.Output ?? "(stopped)").Split('\n').TakeLast(60))));

    /// <summary>
    /// Runs a `gov` or `tx` command signed by validator <paramref name="signer"/>, sent to node
    /// <paramref name="node"/> with --wait; returns the exit code, the output and the block it landed in.
    /// </summary>
    public (int ExitCode, string Output, ulong Block) Submit(int signer, int node, params string[] args)
    {
        var (code, output) = NodeProcess.Run(TimeSpan.FromSeconds(90),
            [.. args, "--key", KeyFile(signer), "--password-file", PasswordFile, "--rpc", Rpc(node).ToString(), "--wait"]);
        var included = IncludedIn().Match(output);
        Assert.That(included.Success, Is.True, $"iexchain {string.Join(' ', args)}:\n{output}");
        return (code, output, ulong.Parse(included.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"included in block (\d+)")]
    private static partial Regex IncludedIn();

    public void Dispose()
    {
        for (int i = 0; i < Count; i++) _nodes[i]?.Dispose();
        Dir.Dispose();
    }
}

/// <summary>One reading of iex_getValidators: the set of height <see cref="NextHeight"/>.</summary>
internal sealed record SetSnapshot(ulong BlockNumber, string ValidatorSetHash, IReadOnlyDictionary<Address, ValidatorStanding> Validators)
{
    public ulong NextHeight => BlockNumber + 1;

    public static SetSnapshot Parse(JsonElement result) => new(
        JsonRpcClient.Quantity(result.GetProperty("blockNumber")),
        result.GetProperty("validatorSetHash").GetString()!,
        result.GetProperty("validators").EnumerateArray().ToDictionary(
            v => Address.Parse(v.GetProperty("address").GetString()!),
            v => new ValidatorStanding(JsonRpcClient.Quantity(v.GetProperty("votingPower")), JsonRpcClient.Quantity(v.GetProperty("stake")),
                JsonRpcClient.Quantity(v.GetProperty("reputation")))));
}

internal sealed record ValidatorStanding(ulong VotingPower, ulong Stake, ulong Reputation);

/// <summary>
/// Reads iex_getValidators from one node every 50 ms in the background, so a test can look back at
/// the set (and the standing of each member) of every epoch it went through.
/// </summary>
internal sealed class SetHistory : IDisposable
{
    private readonly ConcurrentQueue<SetSnapshot> _snapshots = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _poller;

    public SetHistory(Uri rpc) => _poller = Task.Run(() => PollAsync(rpc));

    public IReadOnlyList<SetSnapshot> Snapshots => _snapshots.ToArray();

    private async Task PollAsync(Uri rpc)
    {
        using var client = new JsonRpcClient(rpc, TimeSpan.FromSeconds(5));
        while (!_stop.IsCancellationRequested)
        {
            try { _snapshots.Enqueue(SetSnapshot.Parse(await client.CallAsync("iex_getValidators"))); }
            catch (Exception e) when (e is JsonRpcClientException or HttpRequestException or TaskCanceledException) { }
            try { await Task.Delay(50, _stop.Token); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>Waits until a reading of the set of height <paramref name="height"/> or later exists and returns the first.</summary>
    public async Task<SetSnapshot> FirstFromAsync(ulong height, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = _snapshots.FirstOrDefault(s => s.NextHeight >= height);
            if (found is not null) return found;
            if (DateTime.UtcNow > deadline) Assert.Fail($"no reading of the validator set of height {height} within {timeout.TotalSeconds} s (last: {_snapshots.LastOrDefault()?.BlockNumber})");
            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _poller.Wait(TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
