using System.CommandLine;
using IExecChain.Core.Crypto;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node.Cli;

public static class NodeCommands
{
    public static Command BuildInit()
    {
        var spec = new Option<string>("--chain-spec") { Description = "Chain spec JSON file (e.g. chain-spec/devnet.json)", Required = true };
        var data = new Option<string>("--data") { Description = "Data directory to create", Required = true };
        var init = new Command("init", "Create a node directory from a chain spec and write its genesis") { spec, data };
        init.SetAction(r => Cli.Run(() =>
        {
            var result = ChainNode.Init(r.GetValue(spec)!, r.GetValue(data)!);
            Console.WriteLine($"initialized {r.GetValue(data)} for chain '{result.Spec.Name}' (id {result.Spec.ChainId}), genesis {result.GenesisHash}");
        }));
        return init;
    }

    public static Command BuildRun()
    {
        var config = new Option<string?>("--config") { Description = "Node config JSON file (see docs/node-config.md); command-line options override it" };
        var data = new Option<string?>("--data") { Description = "Data directory made by `iexchain init`" };
        var key = new Option<string?>("--key") { Description = "Validator keystore file; without it the node follows but does not vote" };
        var password = new Option<string?>("--password-file") { Description = "File whose first line is the keystore password" };
        var rpc = new Option<string?>("--rpc") { Description = $"JSON-RPC listen address host:port (default {NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort})" };
        var p2p = new Option<string?>("--p2p") { Description = $"UDP listen address ip:port for peers (default {NodeOptions.DefaultP2PHost}:{NodeOptions.DefaultP2PPort})" };
        var peers = new Option<string[]>("--peer") { Description = "Peer to keep connected: host:port or 0xADDRESS@host:port (repeatable)", AllowMultipleArgumentsPerToken = false };
        var role = new Option<string[]>("--role") { Description = "validator (default with --key), relayer (needs --eth-rpc, --eth-key, --anchor), worker (needs --worker-key); repeatable", AllowMultipleArgumentsPerToken = false };
        role.AcceptOnlyFromAmong("validator", "relayer", "worker", "full");
        var workerKey = new Option<string?>("--worker-key") { Description = "Worker: keystore of the worker account (staked, member of a pool; same --password-file)" };
        var sabotage = new Option<bool>("--sabotage-for-testing") { Description = "TEST ONLY: the worker contributes wrong results", Hidden = true };
        var ethRpc = new Option<string?>("--eth-rpc") { Description = "Ethereum JSON-RPC URL: a validator follows the chain's RLC bridge through it (required on a chain with a bridge); a relayer anchors through it" };
        var ethKey = new Option<string?>("--eth-key") { Description = "Relayer: keystore of the Ethereum account that pays (same --password-file)" };
        var anchor = new Option<string?>("--anchor") { Description = "Relayer: anchor contract address" };
        var equivocate = new Option<bool>("--equivocate-for-testing") { Description = "TEST ONLY: sign a conflicting vote for every vote (to prove slashing)", Hidden = true };
        var logLevel = LogOptions.Level();
        var logFormat = LogOptions.Format();
        var snapshotEvery = new Option<int?>("--snapshot-every") { Description = "Snapshot the state every N checkpoints, for nodes joining by state sync (default 100; 0: none)" };
        var snapshotKeep = new Option<int?>("--snapshot-keep") { Description = "Keep the newest N snapshots (default 2)" };
        var retain = new Option<ulong?>("--retain-blocks") { Description = "Keep only the newest N blocks (and genesis), pruning older ones; at least two checkpoint intervals (default: keep all)" };
        var stateSync = new Option<bool>("--state-sync") { Description = "Join from a snapshot offered by peers instead of replaying every block (docs/state-sync.md); needs --trust-checkpoint or --trust-anchor. Skipped when the node already holds blocks" };
        var trustCheckpoint = new Option<string?>("--trust-checkpoint") { Description = "State sync: N@0xDIGEST, a checkpoint you trust (iex_getCheckpoint on a node you trust); snapshots are verified from it" };
        var trustAnchor = new Option<string?>("--trust-anchor") { Description = "State sync: the anchor contract's address on Ethereum (with --eth-rpc); a snapshot's checkpoint must be anchored there" };
        var trustOld = new Option<bool>("--trust-old-root") { Description = "State sync: accept a trust root older than the unbonding period (only if you have checked it another way)" };
        var noExplorer = new Option<bool>("--no-explorer") { Description = "Do not serve the web explorer on the RPC port (the config file's \"explorer\": false)" };
        var run = new Command("run", "Run a node") { noExplorer, config, data, key, password, rpc, p2p, peers, role, ethRpc, ethKey, anchor, workerKey, sabotage, equivocate, logLevel, logFormat, snapshotEvery, snapshotKeep, retain, stateSync, trustCheckpoint, trustAnchor, trustOld };
        run.SetAction((r, ct) => Cli.RunAsync(async () =>
        {
            var file = r.GetValue(config) is { } path ? NodeConfigFile.Load(path) : new NodeConfigFile();
            var dataDir = r.GetValue(data) ?? file.Data ?? throw new CliException("--data (or \"data\" in --config) is required");
            var rpcText = r.GetValue(rpc) ?? file.Rpc ?? $"{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}";
            if (!NodeOptions.TryParseEndpoint(rpcText, out var host, out var port, out var error)) throw new CliException($"--rpc: {error}");
            var p2pText = r.GetValue(p2p) ?? file.P2P ?? $"{NodeOptions.DefaultP2PHost}:{NodeOptions.DefaultP2PPort}";
            if (!NodeOptions.TryParseEndpoint(p2pText, out var p2pHost, out var p2pPort, out error)) throw new CliException($"--p2p: {error}");
            var peerList = r.GetValue(peers) is { Length: > 0 } given ? given : file.Peers ?? [];
            var ethUrlText = r.GetValue(ethRpc) ?? file.EthRpc;
            var ethUrl = ethUrlText is null ? null : Anchoring.AnchorCommands.ParseUri(ethUrlText, "--eth-rpc");
            var options = new NodeOptions
            {
                DataDir = dataDir,
                RpcHost = host,
                RpcPort = port,
                P2PHost = p2pHost,
                P2PPort = p2pPort,
                Peers = peerList,
                RpcAllowedHosts = file.RpcAllowedHosts ?? [],
                RpcAllowedOrigins = file.RpcAllowedOrigins ?? [],
                Explorer = !r.GetValue(noExplorer) && file.Explorer != false,
                ContentUploads = file.ContentUploads ?? new(),
                Admission = file.Admission ?? new(),
                EquivocateForTesting = r.GetValue(equivocate),
                EthRpc = ethUrl,
                Snapshots = SnapshotSettings(file.Snapshots ?? new(), r.GetValue(snapshotEvery), r.GetValue(snapshotKeep)),
                RetainBlocks = r.GetValue(retain) ?? file.RetainBlocks,
            };
            var errors = options.Validate();
            if (errors.Count > 0) throw new CliException(string.Join("; ", errors));
            var roles = r.GetValue(role) ?? [];
            Anchoring.RelayerServiceOptions? relaying = null;
            if (roles.Contains("relayer"))
            {
                if (ethUrl is null) throw new CliException("--role relayer needs --eth-rpc URL");
                var ethKeyFile = r.GetValue(ethKey) ?? throw new CliException("--role relayer needs --eth-key FILE");
                var anchorAddress = r.GetValue(anchor) ?? throw new CliException("--role relayer needs --anchor ADDRESS (deploy one with `iexchain anchor deploy`)");
                relaying = new Anchoring.RelayerServiceOptions(ethUrl, ethKeyFile, anchorAddress);
            }
            else if (r.GetValue(ethKey) is not null || r.GetValue(anchor) is not null)
                throw new CliException("--eth-key and --anchor are for --role relayer");
            if (roles.Contains("worker") && r.GetValue(workerKey) is null) throw new CliException("--role worker needs --worker-key FILE");
            if (!roles.Contains("worker") && (r.GetValue(workerKey) is not null || r.GetValue(sabotage))) throw new CliException("--worker-key is for --role worker");
            var keyFile = r.GetValue(key) ?? file.Key;
            if (roles.Contains("validator") && keyFile is null) throw new CliException("--role validator needs --key FILE");
            if (keyFile is not null && ethUrl is null && File.Exists(options.ChainSpecPath) && Core.Specs.ChainSpecLoader.LoadFile(options.ChainSpecPath).Parameters.Bridge is { } bridge)
                throw new CliException($"this chain has an RLC bridge (contract {bridge.Contract} on Ethereum chain {bridge.EthChainId}): a validator attests deposits and needs --eth-rpc URL of an Ethereum node it trusts (docs/bridge.md)");
            // A trust root on the command line replaces the file's, whichever form each has; the file's
            // trust settings wait unused while state sync is off (a prepared config, "enabled": false).
            bool cliRoot = r.GetValue(trustCheckpoint) is not null || r.GetValue(trustAnchor) is not null;
            bool syncing = r.GetValue(stateSync) || file.StateSync?.Enabled == true;
            var fileSync = syncing && !cliRoot ? file.StateSync : null;
            var sync = StateSyncSettings(syncing,
                cliRoot ? r.GetValue(trustCheckpoint) : fileSync?.TrustCheckpoint,
                cliRoot ? r.GetValue(trustAnchor) : fileSync?.TrustAnchor,
                r.GetValue(trustOld) || (syncing && file.StateSync?.TrustOldRoot == true), ethUrl);
            if (keyFile is null && ethUrl is not null && !roles.Contains("relayer") && sync?.Trust is not StateSync.TrustRoot.Anchor)
                throw new CliException("--eth-rpc is for a validator (--key), --role relayer or --trust-anchor");
            PrivateKey? validatorKey = keyFile is not null ? KeyFiles.Load(keyFile, r.GetValue(password) ?? file.PasswordFile) : null;
            using var loggerFactory = LogOptions.CreateFactory(r.GetValue(logLevel), r.GetValue(logFormat) ?? file.Logging?.Format, file.Logging?.Levels);
            // SIGTERM stops the node gracefully from here on, also while it syncs state or starts (the RPC answers
            // before the P2P host is up): without a handler the runtime ends the process at once (exit 143).
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            if (sync is not null)
            {
                try
                {
                    await StateSync.StateSyncStart.RunAsync(options, validatorKey, sync, loggerFactory, stop.Token);
                }
                catch (StateSync.StateSyncException e)
                {
                    throw new CliException($"state sync failed: {e.Message}");
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return 0; // stopped while syncing: a half-restored database is deleted by the syncer
                }
            }
            await using var node = ChainNode.Open(options, validatorKey, loggerFactory);
            try
            {
                await node.StartAsync(stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return 0; // stopped while starting; the node is disposed on the way out
            }
            using var relayStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Task relayTask = Task.CompletedTask;
            Anchoring.RelayerService? relayer = null;
            if (relaying is not null)
            {
                void Report(string line) => Console.WriteLine(line);
                relayer = await Anchoring.RelayerService.StartAsync(relaying, node.RpcEndpoint!, options.DataDir,
                    r.GetValue(password) ?? file.PasswordFile, Report);
                relayTask = Task.Run(() => relayer.RunAsync(Report, relayStop.Token), CancellationToken.None);
            }
            await using var worker = roles.Contains("worker")
                ? new Worker.WorkerService(new Worker.NodeWorkerChain(node, loggerFactory.CreateLogger<Worker.NodeWorkerChain>()), KeyFiles.Load(r.GetValue(workerKey)!, r.GetValue(password) ?? file.PasswordFile),
                    node.Content, node.Results, loggerFactory.CreateLogger<Worker.WorkerService>(), hiddenPaths: HiddenFromNativeApps(options.DataDir, keyFile, r.GetValue(workerKey), r.GetValue(password) ?? file.PasswordFile, r.GetValue(ethKey)),
                    compiledModules: Path.Combine(options.DataDir, "compiled"))
                { SabotageForTesting = r.GetValue(sabotage) }
                : null;
            worker?.Start();
            await WaitForShutdownAsync(node, stop.Token);
            await relayStop.CancelAsync();
            await relayTask;
            relayer?.Dispose();
            return node.ProducerFault is null ? 0 : 1;
        }));
        return run;
    }

    /// <summary>Blocks until Ctrl+C / SIGTERM or until block production fails.</summary>
    /// <summary>What native apps must never see, even where it lies under a directory their sandbox shows: the data directory and every key or password file.</summary>
    public static string[] HiddenFromNativeApps(string dataDir, params string?[] files)
    {
        var paths = new List<string> { Path.GetFullPath(dataDir) };
        foreach (string? file in files)
            if (file is not null) paths.Add(Path.GetFullPath(file));
        return [.. paths];
    }

    public static Task WaitForShutdownAsync(ChainNode node, CancellationToken ct) => WaitForShutdownAsync(() => node.ProducerFault is not null, ct);

    /// <summary>Blocks until Ctrl+C / SIGTERM, or until <paramref name="failed"/> says the process cannot go on.</summary>
    public static async Task WaitForShutdownAsync(Func<bool> failed, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        try
        {
            while (!stop.IsCancellationRequested && !failed())
                await Task.Delay(200, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static StateSync.StateSyncOptions? StateSyncSettings(bool enabled, string? checkpoint, string? anchor, bool allowOld, Uri? ethRpc)
    {
        if (!enabled)
        {
            if (checkpoint is not null || anchor is not null || allowOld) throw new CliException("--trust-checkpoint, --trust-anchor and --trust-old-root are for --state-sync");
            return null;
        }
        if ((checkpoint is null) == (anchor is null))
            throw new CliException("--state-sync needs one trust root: --trust-checkpoint N@0xDIGEST (a checkpoint you trust) or --trust-anchor 0xADDRESS with --eth-rpc URL (the anchor contract on Ethereum)");
        if (checkpoint is not null)
        {
            if (!StateSync.TrustRoot.TryParseCheckpoint(checkpoint, out var root, out var error)) throw new CliException($"--trust-checkpoint: {error}");
            return new StateSync.StateSyncOptions(root!) { AllowOldTrustRoot = allowOld };
        }
        if (!Core.Primitives.Address.TryParse(anchor, out var contract, out var addressError)) throw new CliException($"--trust-anchor: {addressError}");
        if (ethRpc is null) throw new CliException("--trust-anchor needs --eth-rpc URL: the Ethereum node the anchor contract is read through");
        return new StateSync.StateSyncOptions(new StateSync.TrustRoot.Anchor(contract, ethRpc)) { AllowOldTrustRoot = allowOld };
    }

    private static Snapshots.SnapshotOptions SnapshotSettings(Snapshots.SnapshotOptions file, int? every, int? keep)
    {
        if (every is < 0) throw new CliException($"--snapshot-every: {every} is negative (0 takes no snapshots)");
        if (keep is < 1) throw new CliException($"--snapshot-keep: {keep} must be at least 1");
        return file with { EveryCheckpoints = every is { } e ? (ulong)e : file.EveryCheckpoints, Keep = keep ?? file.Keep };
    }
}

/// <summary>Logging settings from a node config file: the console format and a minimum level per category prefix.</summary>
public sealed record LogSettings(string? Format, IReadOnlyDictionary<string, LogLevel> Levels);

public static class LogOptions
{
    public const string LevelNames = "Trace, Debug, Information, Warning, Error, Critical, None";

    public static Option<LogLevel> Level() => new("--log-level") { Description = "Trace, Debug, Information, Warning, Error", DefaultValueFactory = _ => LogLevel.Information };

    /// <summary>`--log-format text|json`: one line per entry either way; json is one object per line for log collectors.</summary>
    public static Option<string?> Format()
    {
        var option = new Option<string?>("--log-format") { Description = "text (the default) or json: one JSON object per line (timestamp, level, category, message, state, exception)" };
        option.AcceptOnlyFromAmong("text", "json");
        return option;
    }

    public static bool TryParseLevel(string text, out LogLevel level) =>
        Enum.TryParse(text, ignoreCase: true, out level) && Enum.IsDefined(level) && !int.TryParse(text, out _);

    /// <summary>
    /// The console logger: <paramref name="format"/> "json" writes one JSON object per line (the built-in
    /// JSON console formatter, UTC timestamps); anything else one text line per entry. <paramref name="levels"/>
    /// sets a minimum level per category prefix (the longest matching prefix wins), over <paramref name="level"/>.
    /// </summary>
    public static ILoggerFactory CreateFactory(LogLevel level, string? format = null, IReadOnlyDictionary<string, LogLevel>? levels = null) => LoggerFactory.Create(b =>
    {
        b.SetMinimumLevel(level).AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        foreach (var (category, categoryLevel) in levels ?? new Dictionary<string, LogLevel>()) b.AddFilter(category, categoryLevel);
        if (format == "json")
            b.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
                o.IncludeScopes = false;
                o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
            });
        else
            b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
    });
}
