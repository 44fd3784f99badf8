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
        var data = new Option<string>("--data") { Description = "Data directory made by `iexchain init`", Required = true };
        var key = new Option<string?>("--key") { Description = "Validator keystore file; without it the node follows but does not produce blocks" };
        var password = new Option<string?>("--password-file") { Description = "File whose first line is the keystore password" };
        var rpc = new Option<string>("--rpc") { Description = "JSON-RPC listen address host:port", DefaultValueFactory = _ => $"{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}" };
        var logLevel = LogOptions.Level();
        var run = new Command("run", "Run a node") { data, key, password, rpc, logLevel };
        run.SetAction((r, ct) => Cli.RunAsync(async () =>
        {
            if (!NodeOptions.TryParseEndpoint(r.GetValue(rpc)!, out var host, out var port, out var error)) throw new CliException($"--rpc: {error}");
            var options = new NodeOptions { DataDir = r.GetValue(data)!, RpcHost = host, RpcPort = port };
            PrivateKey? validatorKey = r.GetValue(key) is { } keyFile ? KeyFiles.Load(keyFile, r.GetValue(password)) : null;
            using var loggerFactory = LogOptions.CreateFactory(r.GetValue(logLevel));
            await using var node = ChainNode.Open(options, validatorKey, loggerFactory);
            await node.StartAsync(ct);
            await WaitForShutdownAsync(node, ct);
            return node.ProducerFault is null ? 0 : 1;
        }));
        return run;
    }

    /// <summary>Blocks until Ctrl+C / SIGTERM or until block production fails.</summary>
    public static async Task WaitForShutdownAsync(ChainNode node, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        try
        {
            while (!stop.IsCancellationRequested && node.ProducerFault is null)
                await Task.Delay(200, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

public static class LogOptions
{
    public static Option<LogLevel> Level() => new("--log-level") { Description = "Trace, Debug, Information, Warning, Error", DefaultValueFactory = _ => LogLevel.Information };

    public static ILoggerFactory CreateFactory(LogLevel level) => LoggerFactory.Create(b => b
        .SetMinimumLevel(level)
        .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
        .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; }));
}
