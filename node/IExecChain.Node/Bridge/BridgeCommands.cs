using System.CommandLine;
using System.Numerics;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Bridge;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.Bridge;
using IExecChain.Ethereum.JsonRpc;
using IExecChain.Ethereum.Transactions;
using IExecChain.Node.Anchoring;
using IExecChain.Node.Cli;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.Node.Bridge;

/// <summary>
/// `iexchain bridge deploy|deposit|withdraw|claim|status`: RLC across the bridge (docs/bridge.md).
/// The sidechain node says where the bridge is (its chain spec, through iex_bridgeStatus); every
/// Ethereum endpoint is checked to be on the bridge's chain before anything is signed.
/// </summary>
public static class BridgeCommands
{
    public static Command Build()
    {
        var bridge = new Command("bridge", "Move RLC between Ethereum and the sidechain");
        bridge.Subcommands.Add(BuildDeploy());
        bridge.Subcommands.Add(BuildDeposit());
        bridge.Subcommands.Add(BuildWithdraw());
        bridge.Subcommands.Add(BuildClaim());
        bridge.Subcommands.Add(BuildStatus());
        bridge.Subcommands.Add(BuildFreeze());
        bridge.Subcommands.Add(BuildExit());
        bridge.Subcommands.Add(BuildRefund());
        return bridge;
    }

    private static Option<string> SidechainRpc() => new("--rpc") { Description = "Sidechain node RPC URL", DefaultValueFactory = _ => $"http://{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}" };
    private static Option<string> EthRpc() => new("--eth-rpc") { Description = "Ethereum JSON-RPC URL", Required = true };
    private static Option<string> EthKey(string what) => new("--eth-key") { Description = $"Keystore of the Ethereum account that {what}", Required = true };
    private static Option<string?> PasswordFile() => new("--password-file") { Description = "File whose first line is the keystore password" };
    private static Option<double> Timeout() => new("--timeout") { Description = "Seconds --wait waits at most", DefaultValueFactory = _ => 600 };

    /// <summary>The bridge as the sidechain's chain spec names it.</summary>
    /// <summary>The bridge as the chain spec names it; <paramref name="StartBlock"/> is the Ethereum block deposits are read from.</summary>
    public sealed record BridgeInfo(ulong SidechainId, Address Contract, ulong EthChainId, ulong Confirmations, ulong StartBlock = 0);

    public static async Task<BridgeInfo> BridgeInfoAsync(NodeRpcClient side)
    {
        var info = await side.NodeInfoAsync();
        var bridge = (await side.BridgeStatusAsync()).Bridge
            ?? throw new CliException($"the sidechain at {side.Endpoint} has no RLC bridge in its chain spec");
        return new BridgeInfo(info.ChainId, Address.Parse(bridge.Contract), bridge.EthChainId, bridge.Confirmations, bridge.StartBlock);
    }

    /// <summary>The bridge as a node's own chain spec names it: for when the sidechain no longer answers.</summary>
    public static BridgeInfo BridgeInfoOf(string dataDir)
    {
        var specPath = Path.Combine(dataDir, NodeOptions.ChainSpecFileName);
        if (!File.Exists(specPath)) throw new CliException($"--data: {dataDir} holds no node ({NodeOptions.ChainSpecFileName} is missing)");
        var spec = Core.Specs.ChainSpecLoader.LoadFile(specPath);
        var bridge = spec.Parameters.Bridge ?? throw new CliException($"the chain of {dataDir} ('{spec.Name}') has no RLC bridge in its chain spec");
        return new BridgeInfo(spec.ChainId, bridge.Contract, bridge.EthChainId, bridge.Confirmations, bridge.StartBlock);
    }

    /// <summary>An Ethereum client for <paramref name="url"/>, refused unless it is on <paramref name="ethChainId"/> and has the bridge there.</summary>
    internal static async Task<EthereumRpcClient> ConnectAsync(string url, BridgeInfo bridge)
    {
        var eth = new EthereumRpcClient(AnchorCommands.ParseUri(url, "--eth-rpc"));
        try
        {
            ulong chainId = await eth.ChainIdAsync();
            if (chainId != bridge.EthChainId)
                throw new CliException($"--eth-rpc: the Ethereum node is on chain {chainId}; this sidechain's bridge is on chain {bridge.EthChainId}");
            if ((await eth.GetCodeAsync(bridge.Contract)).Length == 0)
                throw new CliException($"--eth-rpc: no contract at the bridge address {bridge.Contract} on chain {chainId}");
            return eth;
        }
        catch
        {
            eth.Dispose();
            throw;
        }
    }

    private static Command BuildDeploy()
    {
        var ethRpc = EthRpc();
        var key = EthKey("pays for the deployment");
        var password = PasswordFile();
        var bytecode = new Option<string>("--bytecode") { Description = "File with Bridge.sol's creation code as hex (scripts/compile-contract.sh Bridge)", Required = true };
        var anchor = new Option<string>("--anchor") { Description = "The anchor contract the bridge trusts (may be deployed after the bridge, at an address known in advance)", Required = true };
        var sidechainId = new Option<ulong>("--sidechain-id") { Description = "Chain id of the sidechain (its chain spec's chainId)", Required = true };
        var token = new Option<string?>("--token") { Description = "The RLC token contract" };
        var testToken = new Option<string?>("--test-token-bytecode") { Description = "Instead of --token: deploy TestRlc.sol from this creation code (scripts/compile-contract.sh TestRlc) first" };
        var freezeAfter = new Option<ulong>("--freeze-after") { Description = "Ethereum blocks without a new anchored checkpoint after which anyone may freeze the bridge (default: a week of 12 s blocks)", DefaultValueFactory = _ => BridgeContract.DefaultFreezeAfterBlocks };
        var command = new Command("deploy", "Deploy the bridge contract (and a test RLC token); prints the addresses as JSON") { ethRpc, key, password, bytecode, anchor, sidechainId, token, testToken, freezeAfter };
        command.SetAction(r => Cli.Cli.RunAsync(async () =>
        {
            if ((r.GetValue(token) is null) == (r.GetValue(testToken) is null)) throw new CliException("give exactly one of --token ADDRESS and --test-token-bytecode FILE");
            var code = ReadBytecode(r.GetValue(bytecode)!, "--bytecode");
            var anchorAddress = AnchorCommands.ParseAnchor(r.GetValue(anchor));
            if (r.GetValue(sidechainId) == 0) throw new CliException("--sidechain-id must be positive");
            if (r.GetValue(freezeAfter) == 0) throw new CliException("--freeze-after must be positive: a bridge that freezes at once pays no withdrawal");
            var payer = KeyFiles.Load(r.GetValue(key)!, r.GetValue(password));
            using var eth = new EthereumRpcClient(AnchorCommands.ParseUri(r.GetValue(ethRpc)!, "--eth-rpc"));
            var deployed = await DeployAsync(await EthereumSender.ConnectAsync(eth, payer), code, anchorAddress, r.GetValue(sidechainId), r.GetValue(freezeAfter),
                r.GetValue(token) is { } t ? ParseAddress(t, "--token") : null, r.GetValue(testToken) is { } f ? ReadBytecode(f, "--test-token-bytecode") : null);
            if ((await eth.GetCodeAsync(anchorAddress)).Length == 0)
                Console.Error.WriteLine($"note: no contract at {anchorAddress} yet; claims work once the anchor contract is deployed there");
            Console.WriteLine(JsonSerializer.Serialize(new { token = deployed.Token.ToString(), bridge = deployed.Bridge.ToString(), block = deployed.Block, ethChainId = deployed.EthChainId }));
            return 0;
        }));
        return command;
    }

    public sealed record Deployment(Address Token, Address Bridge, ulong Block, ulong EthChainId);

    /// <summary>Deploys a TestRlc token when <paramref name="token"/> is null, then the bridge.</summary>
    public static async Task<Deployment> DeployAsync(EthereumSender sender, byte[] bridgeCode, Address anchor, ulong sidechainId, ulong freezeAfterBlocks, Address? token, byte[]? testTokenCode)
    {
        if (token is null)
        {
            var created = await AnchorCommands.SendAsync(sender, null, testTokenCode!, "deploying the test RLC token", BridgeContract.DescribeRevert);
            token = created.ContractAddress ?? throw new CliException($"transaction {created.TransactionHash} created no token contract");
        }
        var receipt = await AnchorCommands.SendAsync(sender, null, BridgeContract.DeploymentData(bridgeCode, token.Value, anchor, sidechainId, freezeAfterBlocks), "deploying the bridge", BridgeContract.DescribeRevert);
        var bridge = receipt.ContractAddress ?? throw new CliException($"transaction {receipt.TransactionHash} created no bridge contract");
        return new Deployment(token.Value, bridge, receipt.BlockNumber, sender.ChainId);
    }

    private static Command BuildDeposit()
    {
        var rpc = SidechainRpc();
        var ethRpc = EthRpc();
        var key = EthKey("holds the RLC and pays the gas");
        var password = PasswordFile();
        var amount = new Option<string>("--amount") { Description = "nRLC, or RLC with a suffix: 50RLC", Required = true };
        var to = new Option<string?>("--to") { Description = "Sidechain account credited (default: the Ethereum account's own address)" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the deposit is credited on the sidechain" };
        var timeout = Timeout();
        var command = new Command("deposit", "Lock RLC in the bridge on Ethereum; it is credited on the sidechain after the confirmation depth") { rpc, ethRpc, key, password, amount, to, wait, timeout };
        command.SetAction((r, ct) => Cli.Cli.RunAsync(async () =>
        {
            ulong value = PositiveAmount(r.GetValue(amount)!);
            var payer = KeyFiles.Load(r.GetValue(key)!, r.GetValue(password));
            var recipient = r.GetValue(to) is { } t ? ParseAddress(t, "--to") : payer.Address;
            using var side = new NodeRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!));
            var info = await BridgeInfoAsync(side);
            using var eth = await ConnectAsync(r.GetValue(ethRpc)!, info);
            var bridge = new BridgeContract(eth, info.Contract);
            var token = await bridge.TokenAsync(ct);
            var balance = await BridgeContract.BalanceOfAsync(eth, token, payer.Address, ct);
            if (balance < value) throw new CliException($"--amount: {payer.Address} holds {Amounts.Format((ulong)BigInteger.Min(balance, ulong.MaxValue))} on Ethereum, less than {Amounts.Format(value)}");
            var sender = new EthereumSender(eth, payer, info.EthChainId);
            // RLC's approveAndCall: approval and deposit in one transaction.
            var receipt = await AnchorCommands.SendAsync(sender, token, BridgeContract.ApproveAndCallData(info.Contract, value, recipient), "depositing", BridgeContract.DescribeRevert, ct);
            var deposit = BridgeContract.DepositIdOf(receipt, info.Contract) ?? throw new CliException($"transaction {receipt.TransactionHash} logged no Deposit event");
            Console.WriteLine($"deposit {deposit}: {Amounts.Format(value)} locked on Ethereum for {recipient} (tx {receipt.TransactionHash}, block {receipt.BlockNumber}); credited after {info.Confirmations} confirmations");
            if (!r.GetValue(wait)) return 0;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(r.GetValue(timeout));
            while (true)
            {
                var credited = await side.GetDepositAsync(deposit);
                if (credited is { Status: "credited" })
                {
                    var account = await side.GetAccountAsync(recipient.ToString());
                    Console.WriteLine($"deposit {deposit} credited at sidechain height {credited.CreditedAt}; " +
                        $"{recipient} holds {Amounts.Format(account.Balance)} on the sidechain, " +
                        $"{payer.Address} {Amounts.Format((ulong)BigInteger.Min(await BridgeContract.BalanceOfAsync(eth, token, payer.Address, ct), ulong.MaxValue))} on Ethereum");
                    return 0;
                }
                if (DateTime.UtcNow >= deadline) throw new CliException($"deposit {deposit} was not credited within {r.GetValue(timeout)} s (is Ethereum mining? see `iexchain bridge status`)");
                await Task.Delay(500, ct);
            }
        }));
        return command;
    }

    private static Command BuildWithdraw()
    {
        var rpc = SidechainRpc();
        var key = new Option<string>("--key") { Description = "Sidechain keystore of the account that burns the RLC", Required = true };
        var password = PasswordFile();
        var amount = new Option<string>("--amount") { Description = "nRLC, or RLC with a suffix: 20RLC", Required = true };
        var to = new Option<string>("--to") { Description = "Ethereum address that receives the RLC", Required = true };
        var wait = new Option<bool>("--wait") { Description = "Wait until the withdrawal's checkpoint is anchored, then claim it (needs --eth-rpc and --eth-key)" };
        var ethRpc = new Option<string?>("--eth-rpc") { Description = "With --wait: Ethereum JSON-RPC URL" };
        var ethKey = new Option<string?>("--eth-key") { Description = "With --wait: keystore of the Ethereum account that pays for the claim (same --password-file)" };
        var timeout = Timeout();
        var command = new Command("withdraw", "Burn RLC on the sidechain for an Ethereum address; claimable once its checkpoint is anchored") { rpc, key, password, amount, to, wait, ethRpc, ethKey, timeout };
        command.SetAction((r, ct) => Cli.Cli.RunAsync(async () =>
        {
            ulong value = PositiveAmount(r.GetValue(amount)!);
            var recipient = ParseAddress(r.GetValue(to)!, "--to");
            if (recipient == Address.Zero) throw new CliException("--to: the zero address cannot receive a withdrawal");
            if (r.GetValue(wait) && (r.GetValue(ethRpc) is null || r.GetValue(ethKey) is null)) throw new CliException("--wait claims on Ethereum: give --eth-rpc and --eth-key");
            var signer = KeyFiles.Load(r.GetValue(key)!, r.GetValue(password));
            using var side = new NodeRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!));
            var info = await BridgeInfoAsync(side);
            ulong supply = (await side.BridgeStatusAsync()).BridgedSupply;
            if (value > supply) throw new CliException($"--amount: {Amounts.Format(value)} exceeds the bridged supply {Amounts.Format(supply)} (RLC locked on Ethereum for this chain)");
            var (id, withdrawal) = await WithdrawAsync(side, info, signer, recipient, value, ct);
            Console.WriteLine($"withdrawal {withdrawal}: {Amounts.Format(value)} burned on the sidechain for {recipient} (tx {id}); claim it once its checkpoint is anchored: iexchain bridge claim {withdrawal}");
            if (!r.GetValue(wait)) return 0;
            using var eth = await ConnectAsync(r.GetValue(ethRpc)!, info);
            var payer = KeyFiles.Load(r.GetValue(ethKey)!, r.GetValue(password));
            return await ClaimAsync(side, eth, info, payer, withdrawal, wait: true, TimeSpan.FromSeconds(r.GetValue(timeout)), Console.WriteLine, ct);
        }));
        return command;
    }

    /// <summary>
    /// Sends a Withdraw transaction signed by <paramref name="signer"/>, waits for it, and finds the id
    /// of the withdrawal it recorded; refused beforehand when the signer cannot pay the amount and the fee.
    /// </summary>
    internal static async Task<(string TransactionId, ulong WithdrawalId)> WithdrawAsync(NodeRpcClient side, BridgeInfo info, PrivateKey signer, Address recipient, ulong amount,
        CancellationToken ct)
    {
        var account = await side.GetAccountAsync(signer.Address.ToString());
        ulong balance = account.Balance;
        var body = new TransactionBody
        {
            ChainId = info.SidechainId,
            Nonce = account.PendingNonce,
            Fee = (await side.NodeInfoAsync()).Fees.Bridge,
            Withdraw = new Withdraw { Recipient = ByteString.CopyFrom(recipient.ToArray()), Amount = amount },
        };
        if (balance < amount + body.Fee) throw new CliException($"--amount: {signer.Address} holds {Amounts.Format(balance)}, less than {Amounts.Format(amount)} plus the fee {Amounts.Format(body.Fee)}");
        var (id, receipt) = await SendAndConfirmAsync(side, body, signer, "withdrawal transaction", ct);
        return (id, await FindWithdrawalAsync(side, signer.Address, recipient, amount, receipt.BlockNumber));
    }

    /// <summary>Signs and sends <paramref name="body"/>, waits for its receipt, and refuses one that failed (naming <paramref name="what"/> and the chain's reason).</summary>
    internal static async Task<(string Id, ReceiptResult Receipt)> SendAndConfirmAsync(NodeRpcClient side, TransactionBody body, PrivateKey signer, string what, CancellationToken ct)
    {
        var id = await side.SendRawTransactionAsync(Hex.Encode(TransactionCodec.Sign(body, signer)));
        var receipt = await WaitForReceiptAsync(side, id, ct);
        if (!receipt.Succeeded)
            throw new CliException($"{what} {id} failed: {receipt.Error ?? "no reason given"}");
        return (id, receipt);
    }

    private static Command BuildClaim()
    {
        var rpc = SidechainRpc();
        var ethRpc = EthRpc();
        var key = EthKey("pays for the claim (the RLC goes to the withdrawal's recipient)");
        var password = PasswordFile();
        var id = new Argument<ulong>("id") { Description = "Withdrawal id (printed by `bridge withdraw`)" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the withdrawal's checkpoint is anchored" };
        var timeout = Timeout();
        var command = new Command("claim", "Release a withdrawal on Ethereum with its Merkle proof into an anchored checkpoint") { id, rpc, ethRpc, key, password, wait, timeout };
        command.SetAction((r, ct) => Cli.Cli.RunAsync(async () =>
        {
            var payer = KeyFiles.Load(r.GetValue(key)!, r.GetValue(password));
            using var side = new NodeRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!));
            var info = await BridgeInfoAsync(side);
            using var eth = await ConnectAsync(r.GetValue(ethRpc)!, info);
            return await ClaimAsync(side, eth, info, payer, r.GetValue(id), r.GetValue(wait), TimeSpan.FromSeconds(r.GetValue(timeout)), Console.WriteLine, ct);
        }));
        return command;
    }

    /// <summary>Claims withdrawal <paramref name="id"/>, after checking its proof locally against the checkpoint the anchor contract holds.</summary>
    internal static async Task<int> ClaimAsync(NodeRpcClient side, EthereumRpcClient eth, BridgeInfo info, PrivateKey payer, ulong id, bool wait, TimeSpan timeout, Action<string> say, CancellationToken ct)
    {
        var bridge = new BridgeContract(eth, info.Contract);
        if (await bridge.IsClaimedAsync(id, ct)) throw new CliException($"withdrawal {id} was claimed already");
        var anchor = new AnchorContract(eth, await bridge.AnchorAsync(ct));
        var deadline = DateTime.UtcNow + timeout;
        bool told = false;
        while (true)
        {
            var w = await side.GetWithdrawalAsync(id) ?? throw new CliException($"the sidechain has no withdrawal {id}");
            if (w.Checkpoint is { } served)
            {
                var claim = ClaimFrom(w, served, info.SidechainId, id);
                if (await anchor.IsAnchoredAsync(claim.Checkpoint, ct))
                {
                    var sender = new EthereumSender(eth, payer, info.EthChainId);
                    var receipt = await AnchorCommands.SendAsync(sender, info.Contract,
                        BridgeContract.ClaimCallData(claim.Checkpoint, claim.Withdrawal, claim.Index, claim.Count, claim.Proof), $"claiming withdrawal {id}", BridgeContract.DescribeRevert, ct);
                    var token = await bridge.TokenAsync(ct);
                    var balance = await BridgeContract.BalanceOfAsync(eth, token, claim.Withdrawal.Recipient, ct);
                    say($"withdrawal {id} claimed: {Amounts.Format(claim.Withdrawal.Amount)} released to {claim.Withdrawal.Recipient} (tx {receipt.TransactionHash}, gas {receipt.GasUsed}); it holds {Amounts.Format((ulong)BigInteger.Min(balance, ulong.MaxValue))} on Ethereum");
                    return 0;
                }
            }
            if (!wait) throw new CliException($"withdrawal {id} is {w.Status}, its checkpoint {w.CheckpointNumber} is not anchored yet (use --wait)");
            if (!told) say($"waiting for checkpoint {w.CheckpointNumber} to be anchored …");
            told = true;
            if (DateTime.UtcNow >= deadline) throw new CliException($"checkpoint {w.CheckpointNumber} was not anchored within {timeout.TotalSeconds} s (is a relayer running?)");
            await Task.Delay(1000, ct);
        }
    }

    internal sealed record Claim(Checkpoint Checkpoint, Withdrawal Withdrawal, ulong Index, ulong Count, List<Hash256> Proof);

    /// <summary>What `claim` sends, from iex_getWithdrawal; refused unless the node's proof and digest check out here.</summary>
    internal static Claim ClaimFrom(WithdrawalResult w, CheckpointHeaderResult cp, ulong sidechainId, ulong id)
    {
        var checkpoint = RpcCheckpointSource.ParseCheckpoint(cp);
        if (checkpoint.ChainId != sidechainId)
            throw new CliException($"the node served checkpoint {checkpoint.Number} of chain {checkpoint.ChainId}, not of {sidechainId}");
        var withdrawal = new Withdrawal(id, Address.Parse(w.Recipient), w.Amount);
        var proof = w.Proof ?? throw new CliException($"the node served withdrawal {id} with its checkpoint but without a proof");
        ulong index = proof.Index;
        ulong count = proof.Count;
        var siblings = proof.Siblings.Select(Hash256.Parse).ToList();
        if (index >= count || count > int.MaxValue || !MerkleRoot.Verify(checkpoint.WithdrawalsRoot, withdrawal.LeafHash(), (int)index, (int)count, siblings))
            throw new CliException($"the node's proof of withdrawal {id} does not lead to checkpoint {checkpoint.Number}'s withdrawals root");
        return new Claim(checkpoint, withdrawal, index, count, siblings);
    }

    private static Command BuildStatus()
    {
        var rpc = SidechainRpc();
        var ethRpc = EthRpc();
        var command = new Command("status", "Both sides of the bridge and whether they balance (exit code 1 when they do not)") { rpc, ethRpc };
        command.SetAction((r, ct) => Cli.Cli.RunAsync(async () =>
        {
            using var side = new NodeRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!));
            var info = await BridgeInfoAsync(side);
            using var eth = await ConnectAsync(r.GetValue(ethRpc)!, info);
            var report = await BridgeBalance.ReadAsync(side, eth, info, ct);
            Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            return report.Balanced ? 0 : 1;
        }));
        return command;
    }

    private static Command BuildFreeze()
    {
        var rpc = SidechainRpc();
        var data = new Option<string?>("--data") { Description = "Instead of --rpc: a node's data directory (its chain spec names the bridge)" };
        var ethRpc = EthRpc();
        var key = EthKey("pays for the call");
        var password = PasswordFile();
        var command = new Command("freeze", "Ask the bridge to check whether anchoring has stalled long enough to freeze it (needs two calls: one to start the count, one after it)") { rpc, data, ethRpc, key, password };
        command.SetAction((r, ct) => Cli.Cli.RunAsync(async () =>
        {
            var info = await InfoAsync(r.GetValue(data), r.GetValue(rpc)!);
            var payer = KeyFiles.Load(r.GetValue(key)!, r.GetValue(password));
            using var eth = await ConnectAsync(r.GetValue(ethRpc)!, info);
            var bridge = new BridgeContract(eth, info.Contract);
            ulong frozen = await bridge.FrozenAtAsync(ct);
            if (frozen == 0)
            {
                await AnchorCommands.SendAsync(new EthereumSender(eth, payer, info.EthChainId), info.Contract, BridgeContract.CheckFreezeCallData(), "checking the freeze", BridgeContract.DescribeRevert, ct);
                frozen = await bridge.FrozenAtAsync(ct);
            }
            if (frozen != 0)
            {
                Console.WriteLine($"the bridge is frozen at checkpoint {frozen}: accounts exit with `iexchain bridge exit` against its state root");
                return 0;
            }
            var (observed, at) = await bridge.ObservedAsync(ct);
            ulong after = await bridge.FreezeAfterBlocksAsync(ct);
            ulong now = await eth.BlockNumberAsync(ct);
            Console.WriteLine(observed == 0
                ? "the bridge is live: no checkpoint has been anchored yet, and a bridge with nothing anchored never freezes (there is no state to exit from)"
                : $"the bridge is live: checkpoint {observed} has been the newest anchored since block {at}; if nothing newer is anchored, it can be frozen from block {at + after} (now {now})");
            return 0;
        }));
        return command;
    }

    private static Command BuildExit()
    {
        var data = new Option<string>("--data") { Description = "The (stopped) node's data directory: its blocks are replayed up to the frozen checkpoint", Required = true };
        var accounts = new Option<string[]>("--account") { Description = "Sidechain account to pay out on Ethereum (repeatable); it is paid to the same address", Required = true, AllowMultipleArgumentsPerToken = false };
        var ethRpc = EthRpc();
        var key = EthKey("pays for the exits (the RLC goes to each account)");
        var password = PasswordFile();
        var command = new Command("exit", "Once the bridge is frozen: pay accounts their sidechain balance, escrow and stakes, proven against the last anchored state root") { data, accounts, ethRpc, key, password };
        command.SetAction((r, ct) => Cli.Cli.RunAsync(async () =>
        {
            var dataDir = r.GetValue(data)!;
            var info = BridgeInfoOf(dataDir);
            var targets = r.GetValue(accounts)!.Select(a => ParseAddress(a, "--account")).Distinct().ToList();
            var payer = KeyFiles.Load(r.GetValue(key)!, r.GetValue(password));
            using var eth = await ConnectAsync(r.GetValue(ethRpc)!, info);
            var bridge = new BridgeContract(eth, info.Contract);
            ulong frozen = await bridge.FrozenAtAsync(ct);
            if (frozen == 0) throw new CliException("the bridge is not frozen: withdraw and claim instead (see `iexchain bridge freeze` for when it may freeze)");
            // What each account has taken already, read once: the replay below may take long, but only this tool sends exits for it.
            var taken = new Dictionary<Address, (bool Balance, bool Stakes)>();
            foreach (var account in targets)
            {
                taken[account] = (await bridge.ExitedAsync(account, ct), await bridge.StakeExitedAsync(account, ct));
                if (taken[account] is (true, true)) throw new CliException($"{account} has exited already");
            }
            var (checkpoint, proofs, _) = ExitProver.Prove(dataDir, frozen, targets, Console.Error.WriteLine);
            var sender = new EthereumSender(eth, payer, info.EthChainId);
            foreach (var proof in proofs)
            {
                bool paidSomething = false;
                if (proof.Balance is { } balance && !taken[proof.Account].Balance)
                {
                    var receipt = await AnchorCommands.SendAsync(sender, info.Contract, BridgeContract.ExitCallData(checkpoint, proof.Account, balance.Value, balance.Siblings),
                        $"exiting {proof.Account}", BridgeContract.DescribeRevert, ct);
                    ulong owed = balance.Record.Balance + balance.Record.Frozen;
                    ulong paid = PaidIn(receipt, info.Contract, BridgeContract.ExitedTopic);
                    Console.WriteLine($"{proof.Account} exited: {Amounts.Format(paid)} paid on Ethereum from checkpoint {checkpoint.Number}'s state " +
                        $"(balance {Amounts.Format(balance.Record.Balance)} + escrow {Amounts.Format(balance.Record.Frozen)}{(paid < owed ? "; the bridge held less" : "")}; tx {receipt.TransactionHash}, gas {receipt.GasUsed})");
                    paidSomething = true;
                }
                if (proof.Stakes is { } stakes && !taken[proof.Account].Stakes)
                {
                    var receipt = await AnchorCommands.SendAsync(sender, info.Contract, BridgeContract.ExitStakeCallData(checkpoint, proof.Account, stakes.Value, stakes.Siblings),
                        $"exiting the stakes of {proof.Account}", BridgeContract.DescribeRevert, ct);
                    ulong unbonding = stakes.Record.Unbonding.Aggregate(0UL, (sum, u) => sum + u.Amount);
                    ulong owed = stakes.Record.ValidatorStake + stakes.Record.WorkerStake + unbonding;
                    ulong paid = PaidIn(receipt, info.Contract, BridgeContract.StakeExitedTopic);
                    Console.WriteLine($"{proof.Account} stakes exited: {Amounts.Format(paid)} paid on Ethereum from checkpoint {checkpoint.Number}'s state " +
                        $"(validator {Amounts.Format(stakes.Record.ValidatorStake)} + worker {Amounts.Format(stakes.Record.WorkerStake)} + unbonding {Amounts.Format(unbonding)}" +
                        $"{(paid < owed ? "; the bridge held less" : "")}; tx {receipt.TransactionHash}, gas {receipt.GasUsed})");
                    paidSomething = true;
                }
                if (!paidSomething) Console.WriteLine($"{proof.Account}: nothing left to exit");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>The amount an Exited or StakeExited event of <paramref name="bridge"/> in <paramref name="receipt"/> reports.</summary>
    private static ulong PaidIn(TransactionReceipt receipt, Address bridge, Hash256 topic) =>
        receipt.Logs.Where(l => l.Address == bridge && l.Topics.Count == 2 && l.Topics[0] == topic)
            .Select(l => (ulong)new BigInteger(l.Data.AsSpan(0, 32), isUnsigned: true, isBigEndian: true)).FirstOrDefault();

    private static Command BuildRefund()
    {
        var data = new Option<string>("--data") { Description = "The (stopped) node's data directory: its blocks are replayed up to the frozen checkpoint", Required = true };
        var deposits = new Option<ulong[]>("--deposit") { Description = "Deposit id to refund (repeatable); default: every deposit the frozen state had not credited and not refunded yet", AllowMultipleArgumentsPerToken = false };
        var ethRpc = EthRpc();
        var key = EthKey("pays for the refunds (the RLC goes back to each depositor)");
        var password = PasswordFile();
        var command = new Command("refund", "Once the bridge is frozen: return to their depositors the deposits the last anchored state had not credited") { data, deposits, ethRpc, key, password };
        command.SetAction((r, ct) => Cli.Cli.RunAsync(async () =>
        {
            var dataDir = r.GetValue(data)!;
            var info = BridgeInfoOf(dataDir);
            var payer = KeyFiles.Load(r.GetValue(key)!, r.GetValue(password));
            using var eth = await ConnectAsync(r.GetValue(ethRpc)!, info);
            var bridge = new BridgeContract(eth, info.Contract);
            ulong frozen = await bridge.FrozenAtAsync(ct);
            if (frozen == 0) throw new CliException("the bridge is not frozen: deposits are credited on the sidechain (see `iexchain bridge freeze` for when it may freeze)");
            ulong count = await bridge.DepositCountAsync(ct);
            var asked = (r.GetValue(deposits) ?? []).Distinct().ToList();
            foreach (var id in asked.Where(id => id >= count)) throw new CliException($"--deposit {id}: the bridge has {count} deposit(s), ids 0 to {(long)count - 1}");

            var (checkpoint, _, totals) = ExitProver.Prove(dataDir, frozen, [], Console.Error.WriteLine);
            ulong next = totals.Totals.NextDepositId;
            foreach (var id in asked.Where(id => id < next))
                throw new CliException($"--deposit {id}: checkpoint {frozen}'s state credited it (it credited deposits 0 to {next - 1}); its recipient exits with it (`iexchain bridge exit`)");
            var wanted = asked.Count > 0 ? asked : Enumerable.Range(0, (int)Math.Min(count - Math.Min(next, count), int.MaxValue)).Select(i => next + (ulong)i).ToList();
            var pending = new List<ulong>();
            foreach (var id in wanted)
            {
                if (await bridge.DepositHashAsync(id, ct) == BridgeContract.Refunded)
                {
                    if (asked.Count > 0) throw new CliException($"--deposit {id}: refunded already");
                    continue;
                }
                pending.Add(id);
            }
            if (pending.Count == 0)
            {
                Console.WriteLine($"nothing to refund: checkpoint {frozen}'s state credited deposits 0 to {(long)next - 1} of {count}, and the rest were refunded");
                return 0;
            }

            // The deposits' contents, from their logs: from the block of the last deposit the frozen state credited.
            var found = await FindDepositsAsync(bridge, eth, Math.Max(totals.LastCreditedBlock, info.StartBlock), pending.ToHashSet(), ct);
            var sender = new EthereumSender(eth, payer, info.EthChainId);
            var proof = totals.Proof;
            foreach (var id in pending)
            {
                var deposit = found.TryGetValue(id, out var d) ? d : throw new CliException($"the logs of the Ethereum node hold no Deposit event for deposit {id}: is it an archive of the bridge's whole history?");
                var receipt = await AnchorCommands.SendAsync(sender, info.Contract,
                    BridgeContract.RefundCallData(checkpoint, deposit, proof.Value, proof.OtherLeafKey, proof.OtherLeafValueHash, proof.Siblings),
                    $"refunding deposit {id}", BridgeContract.DescribeRevert, ct);
                Console.WriteLine($"deposit {id} refunded: {Amounts.Format(deposit.Amount)} back to {deposit.Depositor} on Ethereum " +
                    $"(checkpoint {checkpoint.Number}'s state credited deposits below {next}; tx {receipt.TransactionHash}, gas {receipt.GasUsed})");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>The Deposit events of <paramref name="ids"/>, read from <paramref name="fromBlock"/> to the head in spans an Ethereum node serves.</summary>
    private static async Task<Dictionary<ulong, BridgeDepositEvent>> FindDepositsAsync(BridgeContract bridge, EthereumRpcClient eth, ulong fromBlock, HashSet<ulong> ids, CancellationToken ct)
    {
        const ulong Span = 5_000;
        var found = new Dictionary<ulong, BridgeDepositEvent>();
        ulong head = await eth.BlockNumberAsync(ct);
        for (ulong from = fromBlock; from <= head && found.Count < ids.Count; from += Span)
            foreach (var deposit in await bridge.DepositsAsync(from, Math.Min(head, from + Span - 1), ct))
                if (ids.Contains(deposit.Id)) found[deposit.Id] = deposit;
        return found;
    }

    private static async Task<BridgeInfo> InfoAsync(string? dataDir, string rpc)
    {
        if (dataDir is not null) return BridgeInfoOf(dataDir);
        using var side = new NodeRpcClient(JsonRpcClient.ParseEndpoint(rpc));
        return await BridgeInfoAsync(side);
    }

    private static async Task<ReceiptResult> WaitForReceiptAsync(NodeRpcClient side, string id, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await side.GetReceiptAsync(id) is { } receipt) return receipt;
            await Task.Delay(200, ct);
        }
        throw new CliException($"transaction {id} was not included within 60 s");
    }

    /// <summary>The id of the withdrawal a Withdraw transaction included at <paramref name="height"/> recorded (ids grow with height: searched from the newest down).</summary>
    private static async Task<ulong> FindWithdrawalAsync(NodeRpcClient side, Address sender, Address recipient, ulong amount, ulong height)
    {
        var status = await side.BridgeStatusAsync();
        for (ulong id = status.NextWithdrawalId; id-- > 0;)
        {
            var w = await side.GetWithdrawalAsync(id) ?? throw new CliException($"the node lists {status.NextWithdrawalId} withdrawals but has no withdrawal {id}");
            ulong at = w.Height;
            if (at < height) break;
            if (at == height && Address.Parse(w.Sender) == sender && Address.Parse(w.Recipient) == recipient && w.Amount == amount)
                return id;
        }
        throw new CliException($"the withdrawal included at height {height} is not in the node's state");
    }

    private static ulong PositiveAmount(string text)
    {
        ulong value = Amounts.Parse(text, "--amount");
        return value > 0 ? value : throw new CliException("--amount must be positive");
    }

    private static Address ParseAddress(string text, string option) =>
        Address.TryParse(text, out var address, out var error) ? address : throw new CliException($"{option}: {error}");

    private static byte[] ReadBytecode(string file, string option)
    {
        if (!File.Exists(file)) throw new CliException($"{option}: file '{file}' does not exist; run scripts/compile-contract.sh");
        if (!Hex.TryDecode(File.ReadAllText(file).Trim(), out var code, out _) || code.Length == 0) throw new CliException($"{option}: '{file}' does not hold hex creation code");
        return code;
    }
}
