using System.CommandLine;
using System.Text.Json;
using IExecChain.Core.Blocks;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.JsonRpc;
using IExecChain.Ethereum.Transactions;
using IExecChain.Node.Cli;
using IExecChain.Rpc.Contracts.Client;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node.Anchoring;

/// <summary>
/// `iexchain anchor deploy|status|verify` and `iexchain relayer`: the Ethereum side of checkpoints.
/// The contract's creation code comes from `scripts/compile-anchor.sh` (solc-js), never from a
/// binary in the repository.
/// </summary>
public static class AnchorCommands
{
    public static Command BuildAnchor()
    {
        var anchor = new Command("anchor", "Deploy the anchor contract, show what is anchored, verify a block against it");
        anchor.Subcommands.Add(BuildDeploy());
        anchor.Subcommands.Add(BuildStatus());
        anchor.Subcommands.Add(BuildVerify());
        return anchor;
    }

    private static Option<string> SidechainRpc() => new("--rpc") { Description = "Sidechain node RPC URL", DefaultValueFactory = _ => $"http://{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}" };
    private static Option<string> EthRpc() => new("--eth-rpc") { Description = "Ethereum JSON-RPC URL", Required = true };
    private static Option<string> AnchorAddress() => new("--anchor") { Description = "Anchor contract address", Required = true };

    private static Command BuildDeploy()
    {
        var rpc = SidechainRpc();
        var ethRpc = EthRpc();
        var key = new Option<string>("--eth-key") { Description = "Keystore of the Ethereum account that pays for the deployment", Required = true };
        var password = new Option<string?>("--password-file") { Description = "Password file for --eth-key" };
        var bytecode = new Option<string>("--bytecode") { Description = "File with the contract's creation code as hex (scripts/compile-anchor.sh writes it)", Required = true };
        var command = new Command("deploy", "Deploy the anchor contract, starting after the sidechain's newest checkpoint with the set that signs the next") { rpc, ethRpc, key, password, bytecode };
        command.SetAction(r => Cli.Cli.RunAsync(async () =>
        {
            var codeFile = r.GetValue(bytecode)!;
            if (!File.Exists(codeFile)) throw new CliException($"--bytecode: file '{codeFile}' does not exist; run scripts/compile-anchor.sh");
            if (!Hex.TryDecode(File.ReadAllText(codeFile).Trim(), out var code, out _) || code.Length == 0) throw new CliException($"--bytecode: '{codeFile}' does not hold hex creation code");
            var payer = KeyFiles.Load(r.GetValue(key)!, r.GetValue(password));
            using var side = new NodeRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!));
            using var eth = new EthereumRpcClient(ParseUri(r.GetValue(ethRpc)!, "--eth-rpc"));
            var deployed = await DeployAsync(side, eth, payer, code);
            Console.WriteLine(deployed.Address.ToString());
            Console.Error.WriteLine(deployed.Describe());
            return 0;
        }));
        return command;
    }

    public sealed record Deployment(Address Address, Hash256 Transaction, ulong GasUsed, ulong SidechainId, ulong FirstNumber, ulong FirstHeight, int Validators)
    {
        public string Describe() =>
            $"anchor deployed at {Address} (tx {Transaction}, gas {GasUsed}) for sidechain {SidechainId}, from checkpoint {FirstNumber} at height {FirstHeight}, {Validators} validators";
    }

    /// <summary>Deploys the anchor contract for the sidechain behind <paramref name="side"/>, paid by <paramref name="payer"/>.</summary>
    public static async Task<Deployment> DeployAsync(NodeRpcClient side, EthereumRpcClient eth, PrivateKey payer, byte[] code)
    {
        var (chainId, firstNumber, firstHeight, set) = await StartingPointAsync(side);
        var sender = await EthereumSender.ConnectAsync(eth, payer);
        var receipt = await SendAsync(sender, null, AnchorContract.DeploymentData(code, chainId, firstNumber, firstHeight, set), "deploying the anchor contract", AnchorContract.DescribeRevert);
        if (receipt.ContractAddress is not { } address) throw new CliException($"deployment transaction {receipt.TransactionHash} created no contract");
        return new Deployment(address, receipt.TransactionHash, receipt.GasUsed, chainId, firstNumber, firstHeight, set.Count);
    }

    /// <summary>Sends through <paramref name="sender"/>; a refusal or revert becomes a CLI error naming what was attempted.</summary>
    public static async Task<TransactionReceipt> SendAsync(EthereumSender sender, Address? to, byte[] data, string what, Func<byte[]?, string> describeRevert, CancellationToken ct = default)
    {
        try
        {
            return await sender.SendAsync(to, data, what, describeRevert, ct);
        }
        catch (EthereumTransactionException e)
        {
            throw new CliException(e.Message);
        }
    }

    /// <summary>The next checkpoint to anchor and the set that signs it: after the newest recorded checkpoint, or from genesis.</summary>
    private static async Task<(ulong ChainId, ulong Number, ulong FirstHeight, List<ValidatorPower> Set)> StartingPointAsync(NodeRpcClient side)
    {
        ulong chainId = (await side.NodeInfoAsync()).ChainId;
        if (await side.GetLatestCheckpointAsync() is { } latest)
        {
            var next = latest.NextValidators.Select(v => new ValidatorPower(Address.Parse(v.Address), v.Power)).ToList();
            return (chainId, latest.Number + 1, latest.LastHeight + 1, next);
        }
        var validators = await side.GetValidatorsAsync();
        var set = validators.Validators.Select(v => new ValidatorPower(Address.Parse(v.Address), v.VotingPower))
            .OrderBy(v => v.Address).ToList();
        return (chainId, 1, 1, set);
    }

    private static Command BuildStatus()
    {
        var ethRpc = EthRpc();
        var address = AnchorAddress();
        var command = new Command("status", "Show the newest anchored checkpoint and the stored validator set") { ethRpc, address };
        command.SetAction(r => Cli.Cli.RunAsync(async () =>
        {
            using var eth = new EthereumRpcClient(ParseUri(r.GetValue(ethRpc)!, "--eth-rpc"));
            var contract = new AnchorContract(eth, ParseAnchor(r.GetValue(address)));
            var (latest, digest) = await contract.LatestCheckpointAsync();
            var (next, nextHeight) = await contract.NextAsync();
            var set = await contract.ValidatorSetAsync();
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                contract = contract.Address.ToString(),
                sidechainId = await contract.ChainIdAsync(),
                latestCheckpoint = latest,
                latestDigest = digest.ToString(),
                nextCheckpoint = next,
                nextFirstHeight = nextHeight,
                validatorSetHash = (await contract.ValidatorSetHashAsync()).ToString(),
                validators = set.Select(v => new { address = v.Address.ToString(), power = v.Power }).ToArray(),
            }, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }));
        return command;
    }

    private static Command BuildVerify()
    {
        var rpc = SidechainRpc();
        var ethRpc = EthRpc();
        var address = AnchorAddress();
        var height = new Option<ulong>("--height") { Description = "Sidechain block to check against the anchored roots", Required = true };
        var command = new Command("verify", "Check a sidechain block hash against the anchored checkpoint that covers it, with a Merkle proof") { rpc, ethRpc, address, height };
        command.SetAction(r => Cli.Cli.RunAsync(async () =>
        {
            using var side = new NodeRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!));
            var source = new RpcCheckpointSource(side);
            ulong h = r.GetValue(height);
            if (h == 0) throw new CliException("--height: the genesis block is not in any checkpoint");
            var latest = await side.GetLatestCheckpointAsync() ?? throw new CliException("the sidechain has no checkpoint yet");
            ulong interval = latest.LastHeight / latest.Number;
            ulong number = (h + interval - 1) / interval;
            var signed = await source.GetCheckpointAsync(number, CancellationToken.None) ?? throw new CliException($"block {h} is not in a recorded checkpoint yet");
            var cp = signed.Checkpoint;
            var hashes = new List<Hash256>();
            for (ulong b = cp.FirstHeight; b <= cp.LastHeight; b++)
            {
                var block = await side.GetBlockByNumberAsync(b) ?? throw new CliException($"the sidechain has no block {b} though checkpoint {number} covers it");
                hashes.Add(Hash256.Parse(block.Hash));
            }
            if (MerkleRoot.Compute(hashes) != cp.BlocksRoot) throw new CliException($"the sidechain's blocks {cp.FirstHeight}..{cp.LastHeight} do not match checkpoint {number}'s root");
            int index = (int)(h - cp.FirstHeight);
            var proof = MerkleRoot.Prove(hashes, index);
            using var eth = new EthereumRpcClient(ParseUri(r.GetValue(ethRpc)!, "--eth-rpc"));
            var contract = new AnchorContract(eth, ParseAnchor(r.GetValue(address)));
            bool anchored = await contract.IsAnchoredAsync(cp);
            bool verified = anchored && await contract.VerifyBlockHashAsync(cp, h, hashes[index], proof);
            Console.WriteLine($"block {h} {hashes[index]}: checkpoint {number} {(anchored ? "anchored" : "NOT anchored")}; block hash {(verified ? "verified by the contract" : "NOT verified")}");
            return verified ? 0 : 1;
        }));
        return command;
    }

    public static Command BuildRelayer()
    {
        var rpc = SidechainRpc();
        var ethRpc = EthRpc();
        var key = new Option<string>("--eth-key") { Description = "Keystore of the Ethereum account that pays for anchoring", Required = true };
        var password = new Option<string?>("--password-file") { Description = "Password file for --eth-key" };
        var address = AnchorAddress();
        var interval = new Option<double>("--interval") { Description = "Seconds between looks for new checkpoints", DefaultValueFactory = _ => 2 };
        var once = new Option<bool>("--once") { Description = "Anchor what is pending, then exit" };
        var sidechainKey = new Option<string?>("--sidechain-key") { Description = "Keystore of a sidechain account: after each anchoring, an AnchorReceipt transaction records it on the sidechain (same --password-file)" };
        var logLevel = LogOptions.Level();
        var logFormat = LogOptions.Format();
        var command = new Command("relayer", "Carry signed checkpoints from a sidechain node to the anchor contract (several relayers may run at once)")
            { rpc, ethRpc, key, password, address, interval, once, sidechainKey, logLevel, logFormat };
        command.SetAction((r, ct) => Cli.Cli.RunAsync(async () =>
        {
            if (r.GetValue(interval) is < 0.1 or > 3600) throw new CliException("--interval must be from 0.1 to 3600 seconds");
            var payer = KeyFiles.Load(r.GetValue(key)!, r.GetValue(password));
            var reporter = r.GetValue(sidechainKey) is { } reporterFile ? KeyFiles.Load(reporterFile, r.GetValue(password)) : null;
            using var loggerFactory = LogOptions.CreateFactory(r.GetValue(logLevel), r.GetValue(logFormat));
            using var side = new NodeRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!));
            using var eth = new EthereumRpcClient(ParseUri(r.GetValue(ethRpc)!, "--eth-rpc"));
            var options = new RelayerOptions { AnchorContract = ParseAnchor(r.GetValue(address)), EthereumChainId = await eth.ChainIdAsync(ct), ReceiptPollInterval = TimeSpan.FromMilliseconds(200) };
            var relayer = new Relayer(eth, new RpcCheckpointSource(side), payer, options, logger: loggerFactory.CreateLogger<Relayer>());
            Console.Error.WriteLine($"relayer {payer.Address} → anchor {options.AnchorContract} on Ethereum chain {options.EthereumChainId}");
            do
            {
                IReadOnlyList<AnchorOutcome> outcomes;
                try
                {
                    outcomes = await relayer.RunOnceAsync(ct);
                }
                catch (Exception e) when (!r.GetValue(once) && e is not OperationCanceledException)
                {
                    // A long-running relayer outlives a bad round (a node's odd answer, an endpoint
                    // away): the contract says what is still to anchor, so the next round resumes.
                    Console.Error.WriteLine($"relayer round failed, retrying in {r.GetValue(interval)} s: {e.GetType().Name}: {e.Message}");
                    outcomes = [];
                }
                foreach (var outcome in outcomes)
                {
                    Console.WriteLine($"checkpoint {outcome.Number}: {outcome.Status}{(outcome.TransactionHash is { } h ? $" in {h}, gas {outcome.GasUsed}" : "")}");
                    if (reporter is not null && outcome.Status == AnchorStatus.Anchored && outcome.TransactionHash is { } txHash)
                        await ReportAnchorAsync(side, eth, reporter, options, outcome.Number, txHash, ct);
                }
                if (r.GetValue(once)) break;
                try { await Task.Delay(TimeSpan.FromSeconds(r.GetValue(interval)), ct); } catch (OperationCanceledException) { break; }
            }
            while (!ct.IsCancellationRequested);
            return 0;
        }));
        return command;
    }

    /// <summary>Records an anchoring on the sidechain (AnchorReceipt); a failure is reported, never fatal.</summary>
    private static async Task ReportAnchorAsync(NodeRpcClient side, EthereumRpcClient eth, PrivateKey reporter, RelayerOptions options, ulong number, Hash256 txHash, CancellationToken ct)
    {
        try
        {
            var receipt = await eth.GetTransactionReceiptAsync(txHash, ct);
            var info = await side.NodeInfoAsync();
            var account = await side.GetAccountAsync(reporter.Address.ToString());
            var body = new Core.Wire.TransactionBody
            {
                ChainId = info.ChainId,
                // The pool's next nonce, not the committed one: one round can anchor several
                // checkpoints, and the receipt of the one before may still be pending.
                Nonce = account.PendingNonce,
                Fee = info.Fees.AnchorReceipt,
                AnchorReceipt = new Core.Wire.AnchorReceipt
                {
                    CheckpointNumber = number,
                    EthChainId = options.EthereumChainId,
                    AnchorContract = Google.Protobuf.ByteString.CopyFrom(options.AnchorContract.ToArray()),
                    EthTxHash = Google.Protobuf.ByteString.CopyFrom(txHash.ToArray()),
                    EthBlockNumber = receipt?.BlockNumber ?? 0,
                },
            };
            var id = await side.SendRawTransactionAsync(Hex.Encode(Core.Transactions.TransactionCodec.Sign(body, reporter)));
            Console.WriteLine($"checkpoint {number}: anchor receipt submitted to the sidechain as {id}");
        }
        catch (Exception e) when (e is JsonRpcClientException or HttpRequestException or EthereumRpcException or EthereumUnavailableException)
        {
            Console.Error.WriteLine($"checkpoint {number}: could not record the anchor receipt on the sidechain: {e.Message}");
        }
    }

    public static Address ParseAnchor(string? text)
    {
        try { return RelayerOptions.ParseContractAddress(text); }
        catch (ArgumentException e) { throw new CliException($"--anchor: {e.Message}"); }
    }

    public static Uri ParseUri(string text, string option) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == "http" || uri.Scheme == "https") ? uri : throw new CliException($"{option}: '{text}' is not an http(s) URL");
}
