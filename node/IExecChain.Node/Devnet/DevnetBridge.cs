using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Ethereum.Bridge;
using IExecChain.Ethereum.JsonRpc;
using IExecChain.Ethereum.Transactions;
using IExecChain.Node.Anchoring;
using IExecChain.Node.Bridge;
using IExecChain.Node.Cli;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.State.Market;

namespace IExecChain.Node.Devnet;

/// <summary>
/// `devnet --eth-rpc`: the RLC bridge on the devnet. Before genesis, a test RLC token and the bridge
/// are deployed (the chain spec names the bridge; the bridge trusts the anchor contract at the
/// address the payer's next-but-one transaction creates, which the relayer then deploys). Once the
/// chain runs, the dev accounts get test RLC on Ethereum (the same keys, so the same addresses, as on
/// the sidechain) and a demo account takes RLC across and back.
/// </summary>
internal static class DevnetBridge
{
    public const string FileName = "bridge.json";
    /// <summary>ganache mines a block per transaction: a short depth keeps the demo quick.</summary>
    public const ulong Confirmations = 2;
    /// <summary>ganache blocks without an anchored checkpoint before the devnet's bridge may be frozen (the relayer anchors every ~10 s).</summary>
    public const ulong FreezeAfterBlocks = 200;
    public const ulong Rlc = 1_000_000_000;
    public const ulong DevAccountRlc = 1_000 * Rlc;
    /// <summary>Liquid RLC each dev validator gets at genesis on a bridged devnet: its attestations pay the bridge fee.</summary>
    public const ulong ValidatorBalance = 10 * Rlc;

    public sealed record Deployment(Address Token, Address Bridge, Address Anchor, ulong StartBlock, ulong EthChainId)
    {
        public JsonObject SpecSection() => new()
        {
            ["ethChainId"] = EthChainId,
            ["contract"] = Bridge.ToString(),
            ["confirmations"] = Confirmations,
            ["startBlock"] = StartBlock,
        };
    }

    /// <summary>The deployment recorded in <paramref name="dataDir"/>, or a new one (token, bridge) on Ethereum.</summary>
    public static async Task<Deployment> PrepareAsync(RelayerServiceOptions anchoring, string dataDir, string passwordFile, ulong sidechainId, Action<string> report)
    {
        Directory.CreateDirectory(dataDir);
        var file = Path.Combine(dataDir, FileName);
        using var eth = new EthereumRpcClient(anchoring.EthRpc, new EthereumRpcOptions { MaxRetries = 20, RetryDelay = TimeSpan.FromMilliseconds(250) });
        if (File.Exists(file))
        {
            var known = Read(file);
            if (await eth.ChainIdAsync() != known.EthChainId || (await eth.GetCodeAsync(known.Bridge)).Length == 0)
                throw new CliException($"{dataDir} holds a devnet bridged to {known.Bridge} on Ethereum chain {known.EthChainId}, which {anchoring.EthRpc} does not have (a restarted ganache?): use --reset");
            return known;
        }
        if (File.Exists(Path.Combine(dataDir, "chain-spec.json")))
            throw new CliException($"{dataDir} holds a devnet made without --eth-rpc: its chain spec has no bridge; use --reset or another --data");
        var payer = KeyFiles.Load(anchoring.EthKeyFile, passwordFile);
        var sender = await EthereumSender.ConnectAsync(eth, payer);
        ulong nonce = await eth.GetTransactionCountAsync(payer.Address, "pending");
        // Token at nonce n, bridge at n + 1, anchor (deployed by the relayer once the chain runs) at n + 2.
        var anchor = anchoring.Anchor is { } given ? AnchorCommands.ParseAnchor(given) : EthereumSender.CreateAddress(payer.Address, nonce + 2);
        var deployed = await BridgeCommands.DeployAsync(sender, RelayerService.Compile(dataDir, "Bridge"), anchor, sidechainId, FreezeAfterBlocks, null, RelayerService.Compile(dataDir, "TestRlc"));
        var deployment = new Deployment(deployed.Token, deployed.Bridge, anchor, deployed.Block, deployed.EthChainId);
        File.WriteAllText(file, JsonSerializer.Serialize(new
        {
            token = deployment.Token.ToString(), bridge = deployment.Bridge.ToString(), anchor = deployment.Anchor.ToString(),
            startBlock = deployment.StartBlock, ethChainId = deployment.EthChainId,
        }));
        report($"bridge deployed at {deployment.Bridge} with test RLC {deployment.Token} (block {deployment.StartBlock}); it trusts the anchor at {deployment.Anchor}");
        return deployment;
    }

    private static Deployment Read(string file)
    {
        var json = JsonDocument.Parse(File.ReadAllText(file)).RootElement;
        return new Deployment(Address.Parse(json.GetProperty("token").GetString()!), Address.Parse(json.GetProperty("bridge").GetString()!),
            Address.Parse(json.GetProperty("anchor").GetString()!), json.GetProperty("startBlock").GetUInt64(), json.GetProperty("ethChainId").GetUInt64());
    }

    /// <summary>
    /// Gives the dev accounts and the demo account test RLC on Ethereum, and the demo account ether for
    /// gas, once per deployment. Runs before the relayer starts: both pay with the payer's key, and two
    /// senders of one key race for its nonces.
    /// </summary>
    public static async Task FundAsync(Deployment deployment, RelayerServiceOptions anchoring, string dataDir, string passwordFile, Action<string> report, CancellationToken ct)
    {
        var funded = Path.Combine(dataDir, "bridge-funded");
        if (File.Exists(funded)) return;
        using var eth = new EthereumRpcClient(anchoring.EthRpc, new EthereumRpcOptions { MaxRetries = 20, RetryDelay = TimeSpan.FromMilliseconds(250) });
        var payer = KeyFiles.Load(anchoring.EthKeyFile, passwordFile);
        var owner = new EthereumSender(eth, payer, deployment.EthChainId);
        var demo = DevKeys.Bridge(0);
        foreach (var account in Enumerable.Range(0, DevnetCommand.DevAccounts).Select(i => DevKeys.Account(i).Address).Append(demo.Address))
            await owner.SendAsync(deployment.Token, BridgeContract.MintCallData(account, DevAccountRlc), $"minting test RLC for {account}", BridgeContract.DescribeRevert, ct);
        await owner.TransferAsync(demo.Address, BigInteger.Pow(10, 18), ct);
        File.WriteAllText(funded, "");
        report($"dev accounts 0-{DevnetCommand.DevAccounts - 1} and the bridge demo account {demo.Address} hold {DevAccountRlc / Rlc} test RLC each on Ethereum");
    }

    /// <summary>
    /// The demo: the demo account deposits 50 RLC, waits until the sidechain credits it, buys a task in
    /// the market with it (when the devnet runs one), withdraws 20 RLC and claims them once the
    /// checkpoint is anchored, and checks that the two sides balance.
    /// </summary>
    public static async Task RunDemoAsync(Deployment deployment, RelayerServiceOptions anchoring, Uri sidechain, DevnetMarket? market, Action<string> report, CancellationToken ct)
    {
        using var eth = new EthereumRpcClient(anchoring.EthRpc, new EthereumRpcOptions { MaxRetries = 20, RetryDelay = TimeSpan.FromMilliseconds(250) });
        using var side = new NodeRpcClient(sidechain);
        var demo = DevKeys.Bridge(0);

        var info = await BridgeCommands.BridgeInfoAsync(side);
        var sender = new EthereumSender(eth, demo, deployment.EthChainId);
        var deposited = await sender.SendAsync(deployment.Token, BridgeContract.ApproveAndCallData(deployment.Bridge, 50 * Rlc, demo.Address), "bridge demo deposit", BridgeContract.DescribeRevert, ct);
        ulong id = BridgeContract.DepositIdOf(deposited, deployment.Bridge) ?? throw new CliException($"the demo deposit {deposited.TransactionHash} logged no Deposit event");
        report($"bridge demo: deposit {id}, 50 RLC locked on Ethereum in block {deposited.BlockNumber}; credited after {Confirmations} confirmations");
        while (true)
        {
            var deposit = await side.GetDepositAsync(id);
            if (deposit is { Status: "credited" })
            {
                report($"bridge demo: deposit {id} credited at sidechain height {deposit.CreditedAt}");
                break;
            }
            await Task.Delay(500, ct);
        }

        if (market is not null) await BuyTaskAsync(side, info, demo, await market.EchoAppAsync(ct), report, ct);

        var (_, withdrawal) = await BridgeCommands.WithdrawAsync(side, info, demo, demo.Address, 20 * Rlc, ct);
        report($"bridge demo: withdrawal {withdrawal}, 20 RLC burned on the sidechain; claimable once its checkpoint is anchored");
        await BridgeCommands.ClaimAsync(side, eth, info, demo, withdrawal, wait: true, TimeSpan.FromMinutes(10), line => report("bridge demo: " + line), ct);
        var balance = await BridgeBalance.ReadAsync(side, eth, info, ct);
        report($"bridge demo: locked on Ethereum {Amount(BigInteger.Parse(balance.LockedOnEthereum, CultureInfo.InvariantCulture))}, bridged supply {Amount(balance.BridgedSupply)}, " +
            $"pending deposits {balance.PendingDeposits}, unclaimed withdrawals {balance.UnclaimedWithdrawals}: {(balance.Balanced ? "balanced" : "NOT BALANCED")}");
        if (!balance.Balanced) throw new CliException("the bridge does not balance: " + JsonSerializer.Serialize(balance));
    }

    /// <summary>
    /// RLC that crossed the bridge spent in the market: the demo account, which holds nothing else on
    /// the sidechain, places a request order for the echo app at the devnet's prices; the market's app
    /// and workerpool orders match it, a worker runs the task, and the account has paid exactly the app
    /// price, the workerpool price and the order fee.
    /// </summary>
    private static async Task BuyTaskAsync(NodeRpcClient side, BridgeCommands.BridgeInfo info, PrivateKey buyer, Address app, Action<string> report, CancellationToken ct)
    {
        var account = await side.GetAccountAsync(buyer.Address.ToString());
        ulong before = account.Balance;
        var request = new RequestOrder
        {
            App = ByteString.CopyFrom(app.ToArray()), AppMaxPrice = DevnetMarket.AppPrice, WorkerpoolMaxPrice = DevnetMarket.PoolPrice,
            Requester = ByteString.CopyFrom(buyer.Address.ToArray()), Volume = 1, Category = 0, Trust = 1, Params = "paid with bridged RLC",
        };
        var body = new TransactionBody
        {
            ChainId = info.SidechainId,
            Nonce = account.PendingNonce,
            Fee = (await side.NodeInfoAsync()).Fees.Order,
            PlaceOrder = new PlaceOrder { Request = request },
        };
        await BridgeCommands.SendAndConfirmAsync(side, body, buyer, "the demo's request order", ct);

        string order = OrderCodec.HashOf(OrderCodec.Kind.Request, request).ToString();
        string? task = null;
        while (true)
        {
            if (task is null)
            {
                if ((await side.GetOrderAsync(order))?.Deals is [var dealId, ..] && await side.GetDealAsync(dealId) is { Tasks: [var first, ..] })
                {
                    task = first;
                    report($"bridge demo: request order {order} matched; task {task} paid with bridged RLC");
                }
            }
            else
            {
                var status = (await side.GetTaskAsync(task))?.Status;
                if (status == "completed") break;
                if (status == "failed") throw new CliException($"the demo's task {task} failed");
            }
            await Task.Delay(500, ct);
        }
        ulong spent = before - (await side.GetAccountAsync(buyer.Address.ToString())).Balance;
        ulong price = DevnetMarket.AppPrice + DevnetMarket.PoolPrice + body.Fee;
        if (spent != price)
            throw new CliException($"the demo account paid {Amounts.Format(spent)} for its task, not the app price, the workerpool price and the order fee ({Amounts.Format(price)})");
        report($"bridge demo: task {task} completed; the demo account paid {Amounts.Format(spent)} of bridged RLC " +
            $"(app {Amounts.Format(DevnetMarket.AppPrice)}, workerpool {Amounts.Format(DevnetMarket.PoolPrice)}, order fee {Amounts.Format(body.Fee)})");
    }

    private static string Amount(BigInteger nano) => Amounts.Format((ulong)BigInteger.Min(nano, ulong.MaxValue));
}
