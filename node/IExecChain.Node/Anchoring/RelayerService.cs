using System.Diagnostics;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.JsonRpc;
using IExecChain.Node.Cli;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.Node.Anchoring;

/// <summary>
/// Where and as whom to anchor: `--eth-rpc`, `--eth-key`, `--anchor` (null: deploy one, which must land
/// at <paramref name="ExpectedAnchor"/> when given: a bridge deployed earlier trusts that address).
/// </summary>
public sealed record RelayerServiceOptions(Uri EthRpc, string EthKeyFile, string? Anchor, Address? ExpectedAnchor = null);

/// <summary>
/// A relayer inside a node process (`run --role relayer`) or the devnet: deploys the anchor
/// contract (compiled with solc-js by scripts/compile-contract.sh) unless an address is given, then
/// anchors every checkpoint the sidechain signs and reports each one.
/// </summary>
internal sealed class RelayerService : IDisposable
{
    private readonly EthereumRpcClient _eth;
    private readonly NodeRpcClient _side;
    private readonly Relayer _relayer;

    private RelayerService(EthereumRpcClient eth, NodeRpcClient side, Relayer relayer, Address anchor)
    {
        _eth = eth;
        _side = side;
        _relayer = relayer;
        Anchor = anchor;
    }

    public Address Anchor { get; }

    public static async Task<RelayerService> StartAsync(RelayerServiceOptions options, Uri sidechain, string dataDir, string? passwordFile, Action<string> report)
    {
        var payer = KeyFiles.Load(options.EthKeyFile, passwordFile);
        var eth = new EthereumRpcClient(options.EthRpc, new EthereumRpcOptions { MaxRetries = 20, RetryDelay = TimeSpan.FromMilliseconds(250) });
        var side = new NodeRpcClient(sidechain);
        try
        {
            ulong ethChainId = await eth.ChainIdAsync();
            Address anchor;
            if (options.Anchor is { } given)
            {
                anchor = AnchorCommands.ParseAnchor(given);
            }
            else
            {
                var bytecode = Compile(dataDir, "Anchor");
                var deployed = await AnchorCommands.DeployAsync(side, eth, payer, bytecode);
                report(deployed.Describe());
                anchor = deployed.Address;
                if (options.ExpectedAnchor is { } expected && expected != anchor)
                    throw new CliException($"the anchor contract was deployed at {anchor}, but the bridge trusts {expected}: another transaction of {payer.Address} came in between (use --reset)");
            }
            var relayer = new Relayer(eth, new RpcCheckpointSource(side), payer,
                new RelayerOptions { AnchorContract = anchor, EthereumChainId = ethChainId, ReceiptPollInterval = TimeSpan.FromMilliseconds(200) });
            report($"relaying checkpoints to anchor {anchor} on Ethereum chain {ethChainId} as {payer.Address}");
            return new RelayerService(eth, side, relayer, anchor);
        }
        catch
        {
            eth.Dispose();
            side.Dispose();
            throw;
        }
    }

    /// <summary>Anchors what the devnet has signed, reporting each checkpoint, until cancelled.</summary>
    public async Task RunAsync(Action<string> report, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                foreach (var outcome in await _relayer.RunOnceAsync(ct))
                    report($"checkpoint {outcome.Number} anchored: {outcome.Status}{(outcome.TransactionHash is { } h ? $" in {h}, {outcome.GasUsed} gas" : "")}");
            }
            catch (Exception e) when (e is EthereumRpcException or EthereumUnavailableException or AnchoringException or JsonRpcClientException or HttpRequestException)
            {
                report($"anchoring paused: {e.Message}");
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try { await Task.Delay(1000, ct); } catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>solc-js through the repository's script: a contract's code is never a committed binary.</summary>
    public static byte[] Compile(string dataDir, string contract)
    {
        var script = FindScript() ?? throw new CliException($"--eth-rpc: deploying needs scripts/compile-contract.sh of the repository (run devnet from the repository, or pass --anchor ADDRESS)");
        var output = Path.GetFullPath(Path.Combine(dataDir, contract.ToLowerInvariant() + ".bin"));
        var info = new ProcessStartInfo("bash", [script, contract, output]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(info) ?? throw new CliException($"could not start bash to compile {contract}.sol");
        var stdout = process.StandardOutput.ReadToEndAsync();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new CliException($"compiling {contract}.sol failed: {errors.Trim()} {stdout.Result.Trim()}");
        return Hex.Decode(File.ReadAllText(output).Trim());
    }

    private static string? FindScript()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "scripts", "compile-contract.sh");
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    public void Dispose()
    {
        _eth.Dispose();
        _side.Dispose();
    }
}
