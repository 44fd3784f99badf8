using IExecChain.Core.Crypto;
using IExecChain.Core.Specs;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.Storage;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node.StateSync;

/// <summary>`run --state-sync`: restores a snapshot from peers before the node opens, unless the node already holds blocks.</summary>
public static partial class StateSyncStart
{
    /// <summary>The height the node starts from: the snapshot's, or null when state sync was skipped (the node already has blocks).</summary>
    public static async Task<ulong?> RunAsync(NodeOptions options, PrivateKey? validatorKey, StateSyncOptions sync, ILoggerFactory loggerFactory, CancellationToken ct)
    {
        var logger = loggerFactory.CreateLogger("IExecChain.Node.StateSync");
        if (!File.Exists(options.ChainSpecPath))
            throw new InvalidOperationException($"{options.DataDir} has no {NodeOptions.ChainSpecFileName}: run `iexchain init --chain-spec FILE --data {options.DataDir}` first");
        var spec = ChainSpecLoader.LoadFile(options.ChainSpecPath);
        var (genesis, _) = Genesis.Build(spec, new StateTree(new MemoryStore()));
        if (Directory.Exists(options.DatabasePath))
        {
            ulong head;
            using (var store = new RocksDbStore(options.DatabasePath))
                head = new BlockStore(store, spec.ChainId, spec.Parameters.MaxTransactionBytes).ReadHead()?.Height ?? 0;
            if (head > 0)
            {
                LogSkipped(logger, head);
                return null;
            }
            // Only genesis, which `init` wrote: the snapshot replaces it.
            Directory.Delete(options.DatabasePath, recursive: true);
        }
        var key = validatorKey ?? ChainNode.NodeKey(options.NodeKeyPath);
        var network = ChainNode.NetworkOptionsFor(options, spec, genesis.Hash);
        LogStarting(logger, options.Peers.Count, Describe(sync.Trust));
        return await StateSyncer.RunAsync(spec, options.DatabasePath, key, network, sync, loggerFactory, ct).ConfigureAwait(false);
    }

    private static string Describe(TrustRoot trust) => trust switch
    {
        TrustRoot.Checkpoint c => $"checkpoint {c.Number} ({c.Digest})",
        TrustRoot.Anchor a => $"the checkpoints anchored by {a.Contract} on {a.EthRpc}",
        _ => trust.ToString(),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync skipped: the node already holds blocks up to {Height}; block sync takes it from there")]
    private static partial void LogSkipped(ILogger logger, ulong height);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: looking for snapshots among {Peers} configured peer(s), trusting {Trust}")]
    private static partial void LogStarting(ILogger logger, int peers, string trust);
}
