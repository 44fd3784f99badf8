using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Node.Cli;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace IExecChain.Node.Devnet;

/// <summary>
/// The main job on embedded defaults: make dev keys, a genesis and node directories, run each
/// validator as its own process on loopback, drive a light demo load, and show every node's
/// height, throughput and finality as it goes. A node that dies is restarted and catches up.
/// </summary>
public static class DevnetCommand
{
    public const int DevAccounts = 10;

    /// <summary>
    /// The dev account left to the user: no demo sends from it (the load uses <see cref="LoadAccounts"/>, the
    /// market demo funds from account 0), so transactions sent with it by hand never race a demo for a nonce.
    /// </summary>
    public const int UserAccount = DevAccounts - 1;

    /// <summary>The dev accounts the demo load transfers among: 1 up to the one before <see cref="UserAccount"/>.</summary>
    public static IReadOnlyList<int> LoadAccounts { get; } = [.. Enumerable.Range(1, UserAccount - 1)];

    public static Command Build()
    {
        var validators = new Option<int>("--validators") { Description = "Number of validators", DefaultValueFactory = _ => 1 };
        var data = new Option<string>("--data") { Description = "Directory for keys and node data (reused if it exists)", DefaultValueFactory = _ => "devnet-data" };
        var stopAt = new Option<ulong?>("--stop-at-height") { Description = "Exit 0 once this height is final" };
        var rpc = new Option<string>("--rpc") { Description = "JSON-RPC address of node 0; node i listens on port + i", DefaultValueFactory = _ => $"{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}" };
        var p2p = new Option<int>("--p2p-port") { Description = "UDP port of node 0; node i listens on port + i", DefaultValueFactory = _ => NodeOptions.DefaultP2PPort };
        var load = new Option<int>("--load") { Description = $"Demo transfers per second among dev accounts 1-{UserAccount - 1} (0 = none; account {UserAccount} is left to you)", DefaultValueFactory = _ => 20 };
        var reset = new Option<bool>("--reset") { Description = "Delete the data directory first" };
        var ethRpc = new Option<string?>("--eth-rpc") { Description = "Ethereum JSON-RPC URL: deploy the anchor contract there (or use --anchor) and relay every checkpoint" };
        var ethKey = new Option<string?>("--eth-key") { Description = "Keystore of the Ethereum account paying for anchoring (with --eth-rpc; password from devnet's password file or --eth-password-file)" };
        var ethPassword = new Option<string?>("--eth-password-file") { Description = "Password file for --eth-key (default: the devnet password file)" };
        var anchor = new Option<string?>("--anchor") { Description = "Use this deployed anchor contract instead of deploying one" };
        var workers = new Option<int>("--workers") { Description = "Worker processes of the demo workerpool (0 = no market demo)", DefaultValueFactory = _ => 3 };
        var saboteurs = new Option<int>("--saboteurs") { Description = "TEST ONLY: the last N workers contribute wrong results for about half their tasks", Hidden = true };
        var marketTrust = new Option<ulong?>("--market-trust") { Description = "TEST ONLY: trust of every demo task order", Hidden = true };
        var marketVolume = new Option<ulong>("--market-volume") { Description = "TEST ONLY: tasks per demo task order", Hidden = true, DefaultValueFactory = _ => 1 };
        var workerMode = new Option<string>("--worker-mode") { Description = "light: workers follow a validator over RPC (`iexchain worker`); full: each worker is a full node (`run --role worker`)", DefaultValueFactory = _ => "light" };
        workerMode.AcceptOnlyFromAmong("light", "full");
        var workerRestart = new Option<int>("--worker-restart-delay") { Description = "TEST ONLY: seconds before a dead worker is restarted", Hidden = true, DefaultValueFactory = _ => 2 };
        var logLevel = LogOptions.Level();
        logLevel.DefaultValueFactory = _ => LogLevel.Warning;
        var devnet = new Command("devnet", "Run a local development network on embedded defaults") { validators, data, stopAt, rpc, p2p, load, reset, ethRpc, ethKey, ethPassword, anchor, workers, saboteurs, marketTrust, marketVolume, workerMode, workerRestart, logLevel };
        devnet.SetAction((r, ct) => Cli.Cli.RunAsync(() =>
        {
            Anchoring.RelayerServiceOptions? anchoring = null;
            if (r.GetValue(ethRpc) is { } url)
            {
                var key = r.GetValue(ethKey) ?? throw new CliException("--eth-rpc needs --eth-key FILE: the Ethereum account that pays for deployment and anchoring");
                anchoring = new Anchoring.RelayerServiceOptions(Anchoring.AnchorCommands.ParseUri(url, "--eth-rpc"), key, r.GetValue(anchor));
            }
            else if (r.GetValue(ethKey) is not null || r.GetValue(anchor) is not null) throw new CliException("--eth-key and --anchor need --eth-rpc");
            return RunAsync(r.GetValue(validators), r.GetValue(data)!, r.GetValue(stopAt), r.GetValue(rpc)!,
                r.GetValue(p2p), r.GetValue(load), r.GetValue(reset), r.GetValue(logLevel), anchoring, r.GetValue(ethPassword),
                new MarketDemoOptions(r.GetValue(workers), r.GetValue(saboteurs), r.GetValue(marketTrust), r.GetValue(marketVolume), r.GetValue(workerRestart), r.GetValue(workerMode) == "light"), ct);
        }));
        return devnet;
    }

    public static string EmbeddedSpecJson()
    {
        using var stream = typeof(DevnetCommand).Assembly.GetManifestResourceStream("devnet.json")
            ?? throw new InvalidOperationException("the embedded devnet chain spec is missing from this build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task<int> RunAsync(int validators, string dataDir, ulong? stopAt, string rpc, int p2pPort, int load, bool reset, LogLevel logLevel,
        Anchoring.RelayerServiceOptions? anchoring, string? ethPasswordFile, MarketDemoOptions demo, CancellationToken ct)
    {
        int workerCount = demo.Workers;
        if (demo.Saboteurs < 0 || demo.Saboteurs > workerCount) throw new CliException($"--saboteurs {demo.Saboteurs}: must be from 0 to --workers");
        if (demo.RestartDelaySeconds is < 0 or > 3600) throw new CliException("--worker-restart-delay: 0 to 3600 seconds");
        if (validators is < 1 or > MaxValidators) throw new CliException($"--validators {validators}: must be from 1 to {MaxValidators}");
        if (workerCount is < 0 or > MaxWorkers) throw new CliException($"--workers {workerCount}: must be from 0 to {MaxWorkers}");
        if (load < 0) throw new CliException("--load must be 0 or more");
        if (!NodeOptions.TryParseEndpoint(rpc, out var host, out var rpcPort, out var endpointError)) throw new CliException($"--rpc: {endpointError}");
        int lastOffset = workerCount > 0 ? DevnetNode.WorkerPortOffset + workerCount - 1 : validators - 1;
        if (rpcPort + lastOffset > 65535 || rpcPort == 0) throw new CliException($"--rpc: ports {rpcPort}..{rpcPort + lastOffset} are needed");
        if (p2pPort is < 1 || p2pPort + lastOffset > 65535) throw new CliException($"--p2p-port: ports {p2pPort}..{p2pPort + lastOffset} are needed");
        if (reset && Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);

        // Logs and CI capture output without a terminal: keep one line per line, whole ids included.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 4000;
        void Report(string line) => AnsiConsole.MarkupLine($"[blue]{Markup.Escape(line)}[/]");
        Directory.CreateDirectory(dataDir);
        var passwordFile = Path.Combine(dataDir, "password.txt");
        if (!File.Exists(passwordFile)) File.WriteAllText(passwordFile, DevKeys.Password + "\n");
        DevnetBridge.Deployment? bridge = null;
        if (anchoring is not null)
        {
            bridge = await DevnetBridge.PrepareAsync(anchoring, dataDir, ethPasswordFile ?? passwordFile, ChainSpecLoader.Parse(EmbeddedSpecJson()).ChainId, Report);
            // The bridge trusts one anchor: the relayer deploys it there the first time and uses it afterwards.
            anchoring = File.Exists(Path.Combine(dataDir, "anchor-deployed"))
                ? anchoring with { Anchor = bridge.Anchor.ToString() }
                : anchoring with { ExpectedAnchor = bridge.Anchor };
        }
        var spec = Prepare(dataDir, validators, workerCount, demo.LightWorkers, bridge?.SpecSection());
        var nodes = Enumerable.Range(0, validators).Select(i => new DevnetNode(dataDir, i, validators, host, rpcPort, p2pPort, logLevel, bridge is null ? null : anchoring!.EthRpc)).ToArray();
        var workerNodes = Enumerable.Range(0, workerCount).Select(i => DevnetNode.Worker(dataDir, i, validators, host, rpcPort, p2pPort, logLevel, sabotage: i >= workerCount - demo.Saboteurs,
            TimeSpan.FromSeconds(demo.RestartDelaySeconds), demo.LightWorkers)).ToArray();
        AnsiConsole.MarkupLine($"[bold]iExecChain devnet[/] chain [green]{Markup.Escape(spec.Name)}[/] (id {spec.ChainId}), {validators} validator process(es), data {Markup.Escape(Path.GetFullPath(dataDir))}");
        foreach (var node in nodes)
            AnsiConsole.MarkupLine($"  node {node.Index}: validator {DevKeys.Validator(node.Index).Address} · RPC {node.Rpc} · p2p 127.0.0.1:{p2pPort + node.Index} · log {Markup.Escape(node.LogPath)}");
        // Every validator serves the web explorer on its RPC address (docs/explorer.md).
        foreach (var node in nodes)
            AnsiConsole.MarkupLine($"  explorer of node {node.Index}: [link]{node.Rpc}[/]");
        foreach (var worker in workerNodes)
            AnsiConsole.MarkupLine($"  worker {worker.Index}: {DevKeys.Worker(worker.Index).Address} · RPC {worker.Rpc} · log {Markup.Escape(worker.LogPath)}");
        AnsiConsole.MarkupLine($"dev keys in {Markup.Escape(Path.Combine(dataDir, "keys"))} (password file {Markup.Escape(Path.Combine(dataDir, "password.txt"))}); Ctrl+C stops");
        AnsiConsole.MarkupLine($"your key: dev account {UserAccount} {DevKeys.Account(UserAccount).Address} ({Markup.Escape(Path.Combine(dataDir, "keys", $"account-{UserAccount}.json"))}), which no demo sends from");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        try
        {
            foreach (var node in nodes) node.Start();
            foreach (var worker in workerNodes) worker.Start();
            using var monitor = new DevnetMonitor(nodes[0].Rpc, spec);
            await monitor.WaitForGenesisAsync(nodes, stop.Token);
            void MarketReport(string line) => AnsiConsole.MarkupLine($"[green]{Markup.Escape(line)}[/]");
            using var market = workerCount > 0 ? new DevnetMarket(spec, nodes[0].Rpc, workerNodes, Path.GetFullPath(dataDir), MarketReport) { Trust = demo.Trust, Volume = Math.Clamp(demo.Volume, 1, 1000) } : null;
            var marketTask = market is null ? Task.CompletedTask : Task.Run(async () =>
            {
                try { await market.RunAsync(stop.Token); }
                catch (OperationCanceledException) { }
                catch (Exception e) { AnsiConsole.MarkupLine($"[red]market demo stopped: {Markup.Escape(e.Message)}[/]"); }
            }, CancellationToken.None);
            var loadTask = load > 0 ? Task.Run(() => monitor.DemoLoadAsync(nodes, load, stop.Token), CancellationToken.None) : Task.CompletedTask;
            // Blocks are read every 50 ms, so the finality shown is not inflated by the display's pace.
            var trackTask = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await monitor.TrackBlocksAsync(stop.Token);
                    try { await Task.Delay(50, stop.Token); } catch (OperationCanceledException) { }
                }
            }, CancellationToken.None);
            using var relay = anchoring is null ? null
                : await Anchoring.RelayerService.StartAsync(anchoring, nodes[0].Rpc, dataDir, ethPasswordFile ?? passwordFile, Report);
            if (relay is not null) File.WriteAllText(Path.Combine(dataDir, "anchor-deployed"), relay.Anchor.ToString());
            if (bridge is not null) await DevnetBridge.FundAsync(bridge, anchoring!, dataDir, ethPasswordFile ?? passwordFile, Report, stop.Token);
            var relayTask = relay is null ? Task.CompletedTask : Task.Run(() => relay.RunAsync(Report, stop.Token), CancellationToken.None);
            var bridgeTask = bridge is null ? Task.CompletedTask : Task.Run(async () =>
            {
                try { await DevnetBridge.RunDemoAsync(bridge, anchoring!, nodes[0].Rpc, market, line => AnsiConsole.MarkupLine($"[green]{Markup.Escape(line)}[/]"), stop.Token); }
                catch (OperationCanceledException) { }
                catch (Exception e) { AnsiConsole.MarkupLine($"[red]bridge demo stopped: {Markup.Escape(e.Message)}[/]"); }
            }, CancellationToken.None);
            var started = Stopwatch.GetTimestamp();
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(1000, stop.Token);
                foreach (var node in nodes.Concat(workerNodes)) node.RestartIfExited(message => AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(message)}[/]"));
                var heights = await Task.WhenAll(nodes.Select(n => n.HeightAsync()));
                AnsiConsole.MarkupLine(monitor.Progress(heights, Stopwatch.GetElapsedTime(started)));
                if (stopAt is { } h && heights.All(x => x is { } v && v >= h))
                {
                    AnsiConsole.MarkupLine($"[green]every node reached height {h}[/], stopping");
                    break;
                }
            }
            await stop.CancelAsync();
            await marketTask;
            await loadTask;
            await trackTask;
            await relayTask;
            await bridgeTask;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(nodes.Concat(workerNodes).Select(n => n.StopAsync()));
            foreach (var node in nodes.Concat(workerNodes)) node.Dispose();
        }
        return 0;
    }

    public const int MaxValidators = 16;
    public const int MaxWorkers = 16;

    private sealed record MarketDemoOptions(int Workers, int Saboteurs, ulong? Trust, ulong Volume, int RestartDelaySeconds, bool LightWorkers);
    public const ulong DevValidatorStake = 100_000_000_000_000;

    /// <summary>
    /// Creates keys, the password file, the chain spec (the embedded one with <paramref name="validators"/>
    /// dev validators) and one initialized node directory per validator; later runs reuse them.
    /// </summary>
    private static ChainSpec Prepare(string dataDir, int validators, int workers, bool lightWorkers, System.Text.Json.Nodes.JsonObject? bridge)
    {
        var keys = Path.Combine(dataDir, "keys");
        Directory.CreateDirectory(keys);
        // Dev keystores use a low scrypt cost: these keys are public anyway, and devnet should start fast.
        for (int i = 0; i < validators; i++)
        {
            var file = Path.Combine(keys, $"validator-{i}.json");
            if (!File.Exists(file)) KeyFiles.Write(file, DevKeys.Validator(i), DevKeys.Password, scryptN: 4096);
        }
        for (int i = 0; i < DevAccounts; i++)
        {
            var file = Path.Combine(keys, $"account-{i}.json");
            if (!File.Exists(file)) KeyFiles.Write(file, DevKeys.Account(i), DevKeys.Password, scryptN: 4096);
        }
        for (int i = 0; i < workers; i++)
        {
            var file = Path.Combine(keys, $"worker-{i}.json");
            if (!File.Exists(file)) KeyFiles.Write(file, DevKeys.Worker(i), DevKeys.Password, scryptN: 4096);
        }
        var specFile = Path.Combine(dataDir, "chain-spec.json");
        var specJson = SpecWithValidators(EmbeddedSpecJson(), validators, bridge);
        if (File.Exists(specFile) && File.ReadAllText(specFile) != specJson)
            throw new CliException($"{dataDir} holds a devnet with another validator count or spec; use --reset or another --data");
        File.WriteAllText(specFile, specJson);
        for (int i = 0; i < validators; i++)
        {
            var nodeDir = Path.Combine(dataDir, $"node-{i}");
            if (!File.Exists(Path.Combine(nodeDir, NodeOptions.ChainSpecFileName))) ChainNode.Init(specFile, nodeDir);
        }
        for (int i = 0; i < workers; i++)
        {
            var nodeDir = Path.Combine(dataDir, $"worker-{i}");
            if (lightWorkers) Directory.CreateDirectory(nodeDir);
            else if (!File.Exists(Path.Combine(nodeDir, NodeOptions.ChainSpecFileName))) ChainNode.Init(specFile, nodeDir);
        }
        return ChainSpecLoader.Parse(specJson);
    }

    /// <summary>
    /// The embedded devnet spec with its validators replaced by dev validators 0..n-1; with a
    /// <paramref name="bridge"/> section, also each validator's liquid RLC to pay for its attestations.
    /// </summary>
    public static string SpecWithValidators(string json, int validators, System.Text.Json.Nodes.JsonObject? bridge = null)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        var list = new System.Text.Json.Nodes.JsonArray();
        for (int i = 0; i < validators; i++)
        {
            var key = DevKeys.Validator(i);
            list.Add(new System.Text.Json.Nodes.JsonObject
            {
                ["address"] = key.Address.ToString(),
                ["publicKey"] = Core.Primitives.Hex.Encode(key.PublicKey),
                ["stake"] = DevValidatorStake.ToString(CultureInfo.InvariantCulture),
            });
        }
        root["validators"] = list;
        if (bridge is not null)
        {
            root["parameters"]!["bridge"] = bridge.DeepClone();
            var accounts = root["accounts"]!.AsArray();
            for (int i = 0; i < validators; i++)
                accounts.Add(new System.Text.Json.Nodes.JsonObject
                {
                    ["address"] = DevKeys.Validator(i).Address.ToString(),
                    ["balance"] = DevnetBridge.ValidatorBalance.ToString(CultureInfo.InvariantCulture),
                });
        }
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
