using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text.Json.Nodes;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.JsonRpc;
using IExecChain.Ethereum.Transactions;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Ethereum.Tests.Support;

/// <summary>
/// A real ganache 7.9.2 on 127.0.0.1 (free port), with fixed funded keys, for one test fixture.
/// Started by <see cref="StartAsync"/>, killed by <see cref="Dispose"/>.
/// </summary>
internal sealed class Ganache : IDisposable
{
    public const ulong ChainId = 1337;
    private Process? _process;

    public static readonly PrivateKey[] Accounts =
        Enumerable.Range(0, 6).Select(i => new PrivateKey(Keccak256.HashToArray(System.Text.Encoding.ASCII.GetBytes($"iexecchain-test/ethereum/{i}")))).ToArray();

    public Uri Endpoint { get; private set; } = null!;
    public EthereumRpcClient Rpc { get; private set; } = null!;

    public static async Task<Ganache> StartAsync()
    {
        NodeTools.EnsureInstalled();
        var ganache = new Ganache();
        int port = FreePort();
        var arguments = new List<string>
        {
            "node_modules/ganache/dist/node/cli.js",
            "--server.host", "127.0.0.1", "--server.port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--chain.chainId", ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--chain.hardfork", "shanghai",
            "--logging.quiet",
        };
        foreach (var key in Accounts) { arguments.Add("--wallet.accounts"); arguments.Add($"{key.ToHex()},{BigInteger.Pow(10, 24)}"); }
        ganache._process = NodeTools.StartNode(arguments);
        ganache._process.StandardInput.Close();
        _ = ganache._process.StandardOutput.ReadToEndAsync();
        var stderr = ganache._process.StandardError.ReadToEndAsync();
        ganache.Endpoint = new Uri($"http://127.0.0.1:{port}/");
        ganache.Rpc = new EthereumRpcClient(ganache.Endpoint, new EthereumRpcOptions { RequestTimeout = TimeSpan.FromSeconds(10), MaxRetries = 60, RetryDelay = TimeSpan.FromMilliseconds(250) });
        try
        {
            // The retrying client waits for the port to open (up to ~15 s).
            var probe = new EthereumRpcClient(ganache.Endpoint, new EthereumRpcOptions { MaxRetries = 60, RetryDelay = TimeSpan.FromMilliseconds(250), RequestTimeout = TimeSpan.FromSeconds(5) });
            Assert.That(await probe.ChainIdAsync(), Is.EqualTo(ChainId));
            probe.Dispose();
        }
        catch (EthereumUnavailableException e)
        {
            ganache.Dispose();
            Assert.Fail($"ganache did not start: {e.Message}; stderr: {(stderr.IsCompleted ? stderr.Result : "")}");
        }
        return ganache;
    }

    /// <summary>Deploys creation code from <paramref name="deployer"/> with an EIP-1559 transaction signed here.</summary>
    public async Task<(Address Address, TransactionReceipt Receipt)> DeployAsync(PrivateKey deployer, byte[] creationData)
    {
        var receipt = await SendAsync(deployer, null, creationData);
        Assert.That(receipt.Succeeded, Is.True, "deployment reverted");
        return (receipt.ContractAddress!.Value, receipt);
    }

    public async Task<TransactionReceipt> SendAsync(PrivateKey from, Address? to, byte[] data, ulong gas = 0)
    {
        ulong nonce = await Rpc.GetTransactionCountAsync(from.Address, "pending");
        if (gas == 0) gas = await Rpc.EstimateGasAsync(to, data, from.Address) * 12 / 10;
        var baseFee = (await Rpc.FeeHistoryAsync(1, 50)).NextBaseFee;
        var tx = new Eip1559Transaction(ChainId, nonce, 1_000_000_000, 2 * baseFee + 1_000_000_000, gas, to, 0, data).Sign(from);
        var hash = await Rpc.SendRawTransactionAsync(tx.Raw);
        Assert.That(hash, Is.EqualTo(tx.Hash), "node computed another transaction hash");
        return await Rpc.GetTransactionReceiptAsync(hash) ?? throw new AssertionException("instamine left the transaction pending");
    }

    public Task StopMinerAsync() => Rpc.RequestAsync("miner_stop", []);
    public Task StartMinerAsync() => Rpc.RequestAsync("miner_start", []);
    public Task MineAsync() => Rpc.RequestAsync("evm_mine", []);

    public async Task<JsonNode?> SetMinGasPriceAsync(BigInteger price) => await Rpc.RequestAsync("miner_setGasPrice", [EthereumRpcClient.Quantity(price)]);

    private static int FreePort() => LocalPorts.FreeTcp();

    public void Dispose()
    {
        Rpc?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process?.Dispose();
    }
}
