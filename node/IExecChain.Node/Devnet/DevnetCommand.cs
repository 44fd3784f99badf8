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
/// The main job on embedded defaults: make dev keys, a genesis and node directories, run the
/// chain with a light demo load, and show height, throughput and finality as it goes.
/// </summary>
public static class DevnetCommand
{
    public const int DevAccounts = 10;

    public static Command Build()
    {
        var validators = new Option<int>("--validators") { Description = "Number of validators", DefaultValueFactory = _ => 1 };
        var data = new Option<string>("--data") { Description = "Directory for keys and node data (reused if it exists)", DefaultValueFactory = _ => "devnet-data" };
        var stopAt = new Option<ulong?>("--stop-at-height") { Description = "Exit 0 once this height is final" };
        var rpc = new Option<string>("--rpc") { Description = "JSON-RPC listen address of node 0", DefaultValueFactory = _ => $"{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}" };
        var load = new Option<int>("--load") { Description = "Demo transfers per second among dev accounts 1-9 (0 = none)", DefaultValueFactory = _ => 20 };
        var reset = new Option<bool>("--reset") { Description = "Delete the data directory first" };
        var logLevel = LogOptions.Level();
        logLevel.DefaultValueFactory = _ => LogLevel.Warning;
        var devnet = new Command("devnet", "Run a local development network on embedded defaults") { validators, data, stopAt, rpc, load, reset, logLevel };
        devnet.SetAction((r, ct) => Cli.Cli.RunAsync(() => RunAsync(r.GetValue(validators), r.GetValue(data)!, r.GetValue(stopAt), r.GetValue(rpc)!,
            r.GetValue(load), r.GetValue(reset), r.GetValue(logLevel), ct)));
        return devnet;
    }

    public static string EmbeddedSpecJson()
    {
        using var stream = typeof(DevnetCommand).Assembly.GetManifestResourceStream("devnet.json")
            ?? throw new InvalidOperationException("the embedded devnet chain spec is missing from this build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task<int> RunAsync(int validators, string dataDir, ulong? stopAt, string rpc, int load, bool reset, LogLevel logLevel, CancellationToken ct)
    {
        if (validators != 1)
            throw new CliException($"--validators {validators}: this build runs a single-validator devnet; multi-validator networks come with the BFT consensus engine");
        if (load < 0) throw new CliException("--load must be 0 or more");
        if (!NodeOptions.TryParseEndpoint(rpc, out var host, out var port, out var endpointError)) throw new CliException($"--rpc: {endpointError}");
        if (reset && Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);

        // Logs and CI capture output without a terminal: keep one progress line per line.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 200;
        var nodeDir = Prepare(dataDir);
        using var loggerFactory = LogOptions.CreateFactory(logLevel);
        await using var node = ChainNode.Open(new NodeOptions { DataDir = nodeDir, RpcHost = host, RpcPort = port }, DevKeys.Validator(0), loggerFactory);

        var pending = new ConcurrentDictionary<Core.Primitives.Hash256, long>();
        var window = new ConcurrentQueue<(long At, int Txs, double[] Finality)>();
        node.Processor.BlockCommitted += (executed, _) =>
        {
            long now = Stopwatch.GetTimestamp();
            var finality = new List<double>();
            foreach (var tx in executed.Block.Transactions)
                if (pending.TryRemove(tx.Id, out var sent)) finality.Add(Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds);
            window.Enqueue((now, executed.Block.Transactions.Count, [.. finality]));
        };
        await node.StartAsync(ct);
        AnsiConsole.MarkupLine($"[bold]iExecChain devnet[/] chain [green]{Markup.Escape(node.Spec.Name)}[/] (id {node.Spec.ChainId}), genesis {node.Processor.GenesisHash}");
        AnsiConsole.MarkupLine($"validator {node.ValidatorKey!.Address} · RPC {node.RpcEndpoint} · data {Markup.Escape(Path.GetFullPath(dataDir))}");
        AnsiConsole.MarkupLine($"dev keys in {Markup.Escape(Path.Combine(dataDir, "keys"))} (password file {Markup.Escape(Path.Combine(dataDir, "password.txt"))}); Ctrl+C stops");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var loadTask = load > 0 ? Task.Run(() => DemoLoad(node, load, pending, stop.Token), CancellationToken.None) : Task.CompletedTask;
        var started = Stopwatch.GetTimestamp();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(1000, stop.Token);
                if (node.ProducerFault is not null) throw new InvalidOperationException($"block production failed: {node.ProducerFault.Message}");
                ShowProgress(node, window, Stopwatch.GetElapsedTime(started));
                if (stopAt is { } h && node.Processor.Head.Height >= h)
                {
                    AnsiConsole.MarkupLine($"[green]reached height {h}[/], stopping");
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        await stop.CancelAsync();
        await loadTask;
        return 0;
    }

    /// <summary>Creates keys, the password file, the chain spec and node-0 once; later runs reuse them.</summary>
    private static string Prepare(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        var passwordFile = Path.Combine(dataDir, "password.txt");
        if (!File.Exists(passwordFile)) File.WriteAllText(passwordFile, DevKeys.Password + "\n");
        var keys = Path.Combine(dataDir, "keys");
        Directory.CreateDirectory(keys);
        // Dev keystores use a low scrypt cost: these keys are public anyway, and devnet should start fast.
        var validatorFile = Path.Combine(keys, "validator-0.json");
        if (!File.Exists(validatorFile)) KeyFiles.Write(validatorFile, DevKeys.Validator(0), DevKeys.Password, scryptN: 4096);
        for (int i = 0; i < DevAccounts; i++)
        {
            var file = Path.Combine(keys, $"account-{i}.json");
            if (!File.Exists(file)) KeyFiles.Write(file, DevKeys.Account(i), DevKeys.Password, scryptN: 4096);
        }
        var specFile = Path.Combine(dataDir, "chain-spec.json");
        if (!File.Exists(specFile)) File.WriteAllText(specFile, EmbeddedSpecJson());
        var nodeDir = Path.Combine(dataDir, "node-0");
        if (!File.Exists(Path.Combine(nodeDir, NodeOptions.ChainSpecFileName))) ChainNode.Init(specFile, nodeDir);
        return nodeDir;
    }

    private static void ShowProgress(ChainNode node, ConcurrentQueue<(long At, int Txs, double[] Finality)> window, TimeSpan uptime)
    {
        long cutoff = Stopwatch.GetTimestamp() - 5 * Stopwatch.Frequency;
        while (window.TryPeek(out var oldest) && oldest.At < cutoff) window.TryDequeue(out _);
        var recent = window.ToArray();
        int blocks = recent.Length, txs = recent.Sum(b => b.Txs);
        var finality = recent.SelectMany(b => b.Finality).Order().ToArray();
        string p50 = finality.Length == 0 ? "-" : finality[finality.Length / 2].ToString("F0", CultureInfo.InvariantCulture) + " ms";
        var head = node.Processor.Head;
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[grey]{uptime:hh\\:mm\\:ss}[/] height [bold]{head.Height}[/] · {blocks / 5.0:F1} blocks/s · {txs / 5.0:F0} tx/s · finality p50 {p50} · mempool {node.Mempool.Count}"));
    }

    private static async Task DemoLoad(ChainNode node, int rate, ConcurrentDictionary<Core.Primitives.Hash256, long> pending, CancellationToken ct)
    {
        var senders = Enumerable.Range(1, DevAccounts - 1).Select(DevKeys.Account).ToArray();
        var nonces = senders.Select(s => State.Execution.StateReader.Account(node.Processor.Tree, s.Address).Nonce).ToArray();
        var spec = node.Spec;
        long sent = 0;
        var start = Stopwatch.GetTimestamp();
        while (!ct.IsCancellationRequested)
        {
            long due = (long)(Stopwatch.GetElapsedTime(start).TotalSeconds * rate);
            for (; sent < due; sent++)
            {
                int i = (int)(sent % senders.Length);
                var body = new TransactionBody
                {
                    ChainId = spec.ChainId,
                    Nonce = nonces[i],
                    Fee = spec.Parameters.Fees.Transfer,
                    Transfer = new Transfer { To = ByteString.CopyFrom(senders[(i + 1) % senders.Length].Address.ToArray()), Amount = 1 + (ulong)(sent % 1000) },
                };
                if (!TransactionCodec.TryDecode(TransactionCodec.Sign(body, senders[i]), spec.ChainId, spec.Parameters.MaxTransactionBytes, out var tx, out _)) continue;
                pending[tx!.Id] = Stopwatch.GetTimestamp();
                if (node.Mempool.Add(tx).IsAccepted) nonces[i]++;
                else
                {
                    pending.TryRemove(tx.Id, out _);
                    // Resynchronize with the chain (e.g. after a restart) instead of insisting on a stale nonce.
                    nonces[i] = State.Execution.StateReader.Account(node.Processor.Tree, senders[i].Address).Nonce;
                }
            }
            try { await Task.Delay(10, ct); } catch (OperationCanceledException) { break; }
        }
    }
}
