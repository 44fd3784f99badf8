using IExecChain.Consensus.Bft;
using Microsoft.AspNetCore.Http;
using IExecChain.Network;
using IExecChain.Core.Crypto;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc;
using IExecChain.Rpc.OpenRpc;
using IExecChain.Rpc.Chain;
using IExecChain.Rpc.Subscriptions;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.TxPool;
using IExecChain.Storage;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node;

/// <summary>
/// The composition root: one node's storage, state, mempool, consensus driver, peer-to-peer host,
/// gossip and RPC, wired once.
/// </summary>
public sealed partial class ChainNode : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly RocksDbStore _store;
    private readonly QueryIndexWriter _indexWriter;
    private readonly RpcServer? _rpc;
    private readonly NodeOptions _options;
    private readonly P2PHost _host;
    private readonly BftDriver _driver;
    private readonly TransactionGossip _gossip;
    private bool _pidWritten;

    private ChainNode(NodeOptions options, ChainSpec spec, RocksDbStore store, BlockProcessor processor, QueryIndexWriter indexWriter, Mempool mempool,
        P2PHost host, BftDriver driver, TransactionGossip gossip, RpcServer? rpc, PrivateKey? key, ILogger logger, RpcEventHub events)
    {
        Events = events;
        _options = options;
        Spec = spec;
        _store = store;
        _indexWriter = indexWriter;
        Processor = processor;
        Mempool = mempool;
        _host = host;
        _driver = driver;
        _gossip = gossip;
        _rpc = rpc;
        ValidatorKey = key;
        _logger = logger;
    }

    public ChainSpec Spec { get; }
    public BlockProcessor Processor { get; }

    /// <summary>The node's database: state, blocks and the indexes written beside them (the open orders).</summary>
    public IExecChain.Storage.IKeyValueStore Store => _store;
    public Mempool Mempool { get; }

    /// <summary>The node's one signature verifier (mempool and blocks share its cache; its counter feeds /metrics).</summary>
    public required TransactionVerifier Verifier { get; init; }

    /// <summary>Refuses submissions beyond what the chain commits soon (budget, capacity and refusals in /metrics).</summary>
    public required AdmissionControl Admission { get; init; }

    /// <summary>Snapshots taken while the node runs (docs/state-sync.md).</summary>
    public required Snapshots.SnapshotScheduler Snapshots { get; init; }

    /// <summary>Serves this node's snapshots and checkpoints to nodes joining by state sync.</summary>
    public required StateSync.SnapshotServer SnapshotServer { get; init; }

    /// <summary>Deletes blocks older than the retention window (node config "retainBlocks").</summary>
    public required BlockPruner Pruner { get; init; }

    /// <summary>Transaction gossip (its counters feed /metrics).</summary>
    public TransactionGossip Gossip => _gossip;
    public PrivateKey? ValidatorKey { get; }
    public Uri? RpcEndpoint => _rpc?.Endpoint;

    /// <summary>Events for iex_subscribe clients. Always present, RPC or not: publishing with nobody subscribed costs nothing.</summary>
    public RpcEventHub Events { get; }

    /// <summary>Content this node serves (iex_getChunk): uploaded apps and datasets, and what its worker fetched.</summary>
    public required IExecChain.Worker.Content.ContentStore Content { get; init; }

    /// <summary>Results of this node's worker (iex_getResult).</summary>
    public required IExecChain.Worker.Results.ResultStore Results { get; init; }
    /// <summary>The validator's follower of the bridge contract on Ethereum; null unless a validator with --eth-rpc on a chain with a bridge.</summary>
    public Bridge.DepositFollower? Bridge { get; private set; }

    public Exception? ProducerFault => _driver.Fault;
    public P2PHost Network => _host;
    public BftDriver Consensus => _driver;

    /// <summary>Creates the data directory with its chain spec and genesis; refuses to overwrite a different chain.</summary>
    public static Hash256Text Init(string specPath, string dataDir)
    {
        var spec = ChainSpecLoader.LoadFile(specPath);
        Directory.CreateDirectory(dataDir);
        var target = Path.Combine(dataDir, NodeOptions.ChainSpecFileName);
        if (File.Exists(target))
        {
            // Re-running init with the same spec file is harmless; any other spec is another chain.
            if (File.ReadAllText(target) != File.ReadAllText(specPath))
            {
                var existing = ChainSpecLoader.LoadFile(target);
                throw new InvalidOperationException($"{dataDir} already holds a node of chain '{existing.Name}' ({existing.ChainId}); use another --data directory");
            }
        }
        else File.Copy(specPath, target);
        using var store = new RocksDbStore(Path.Combine(dataDir, NodeOptions.DatabaseFolderName));
        var tree = new StateTree(store);
        var blocks = new BlockStore(store, spec.ChainId, spec.Parameters.MaxTransactionBytes);
        var processor = new BlockProcessor(spec, store, tree, blocks, new TransactionVerifier());
        return new Hash256Text(processor.GenesisHash.ToString(), spec);
    }

    private static void RebuildQueryIndex(BlockProcessor processor, ILogger logger)
    {
        var head = processor.Head.Height;
        var index = processor.Index;
        var lag = processor.IndexLag;
        if (lag == QueryIndexLag.Current) return;
        if (lag == QueryIndexLag.TransactionsBehind)
            logger.LogInformation("Query index lists transactions up to height {Indexed}, the chain is at {Head}: indexing the blocks in between", index.TransactionsIndexedHeight, head);
        else
            logger.LogInformation("Query index is at height {Indexed}, the chain at {Head}: rebuilding it from the blocks and the state", index.IndexedHeight, head);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var read = processor.RebuildIndexIfBehind(height => logger.LogInformation("Query index: {Height} of {Head} blocks ({Percent:F0}%)", height, head, 100.0 * height / head));
        logger.LogInformation("Query index rebuilt: {Blocks} blocks read in {Seconds:F1} s", read, watch.Elapsed.TotalSeconds);
    }

    public static ChainNode Open(NodeOptions options, PrivateKey? validatorKey, ILoggerFactory loggerFactory)
    {
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors));
        if (!File.Exists(options.ChainSpecPath))
            throw new InvalidOperationException($"{options.DataDir} has no {NodeOptions.ChainSpecFileName}: run `iexchain init --chain-spec FILE --data {options.DataDir}` first");
        var spec = ChainSpecLoader.LoadFile(options.ChainSpecPath);
        var logger = loggerFactory.CreateLogger<ChainNode>();

        if (options.RetainBlocks is { } retain && retain < 2 * spec.Parameters.CheckpointInterval)
            throw new ArgumentException($"--retain-blocks: {retain} is fewer than two checkpoint intervals ({2 * spec.Parameters.CheckpointInterval} blocks on this chain): snapshots carry one interval of blocks, and the next checkpoint is built from the last");
        var store = new RocksDbStore(options.DatabasePath);
        QueryIndexWriter? indexWriter = null;
        try
        {
            var tree = new StateTree(store);
            var blocks = new BlockStore(store, spec.ChainId, spec.Parameters.MaxTransactionBytes);
            var verifier = new TransactionVerifier();
            var processor = new BlockProcessor(spec, store, tree, blocks, verifier);
            RebuildQueryIndex(processor, logger);
            indexWriter = processor.IndexInBackground(e => LogIndexWriterFailed(logger, processor.Index.TransactionsIndexedHeight, e));
            var mempool = new Mempool(MempoolOptionsFor(options.Mempool, spec), processor.Executor, verifier, address => StateReader.Account(tree, address));
            var admission = new AdmissionControl(options.Admission, () => mempool.Count);

            var transport = new P2PTransport();
            var wal = new ConsensusWal(store);
            IValidatorSigner? signer = validatorKey is null ? null : new ValidatorSigner(validatorKey, spec.ChainId, wal);
            if (signer is not null && options.EquivocateForTesting) signer = new Testing.EquivocatingSigner(signer, validatorKey!, spec.ChainId, transport);
            var driver = new BftDriver(processor, mempool, spec, signer, wal, transport, new SystemConsensusClock(), loggerFactory.CreateLogger<BftDriver>());
            var gossip = new TransactionGossip(mempool, transport, spec.ChainId, spec.Parameters.MaxTransactionBytes);
            var host = new P2PHost(validatorKey ?? NodeKey(options.NodeKeyPath), NetworkOptionsFor(options, spec, processor.GenesisHash), transport, loggerFactory.CreateLogger<P2PHost>())
            {
                IsValidator = driver.IsValidator,
            };
            var snapshotServer = new StateSync.SnapshotServer(spec.ChainId, options.DataDir, processor, loggerFactory.CreateLogger<StateSync.SnapshotServer>())
            {
                Host = host,
            };
            transport.Host = host;
            transport.Driver = driver;
            transport.Gossip = gossip;
            transport.Snapshots = snapshotServer;

            var events = new RpcEventHub();
            var content = new IExecChain.Worker.Content.ContentStore(Path.Combine(options.DataDir, "content"));
            var results = new IExecChain.Worker.Results.ResultStore(Path.Combine(options.DataDir, "results"));
            var pruner = new BlockPruner(blocks, options.RetainBlocks, loggerFactory.CreateLogger<BlockPruner>());
            var snapshots = new Snapshots.SnapshotScheduler(spec, options.ChainSpecPath, options.DataDir, store, processor, options.Snapshots,
                loggerFactory.CreateLogger<Snapshots.SnapshotScheduler>());
            processor.BlockCommitted += (executed, _) =>
            {
                snapshots.OnCommitted(executed.Block.Height, executed.Block.Hash);
                pruner.OnCommitted(executed.Block.Height);
                admission.OnBlockCommitted(executed.Block.Transactions.Count);
                events.PublishNewHead(executed.Block);
                if (executed.Market is { } market) events.PublishTaskEvents(market.Events);
            };

            // Node info reads the node itself, which exists only once the RPC server is built.
            ChainNode? self = null;
            RpcServer? rpc = null;
            if (options.RpcEnabled)
            {
                var registry = new RpcMethodRegistry();
                new SubscriptionRpcMethods(events).RegisterAll(registry);
                new ChainRpcMethods(spec, processor, mempool, () => self!.NodeInfo(), File.ReadAllText(options.ChainSpecPath), admission).RegisterAll(registry);
                new WorkerRpcMethods(processor, store).RegisterAll(registry);
                var governanceMethods = new GovernanceRpcMethods(spec, processor);
                governanceMethods.RegisterAll(registry);
                var checkpointMethods = new CheckpointRpcMethods(spec.ChainId, processor);
                checkpointMethods.RegisterAll(registry);
                new BridgeRpcMethods(spec, processor).RegisterAll(registry);
                var marketMethods = new MarketRpcMethods(processor, store);
                marketMethods.RegisterAll(registry);
                new QueryRpcMethods(processor, marketMethods, governanceMethods, checkpointMethods).RegisterAll(registry);
                new ContentRpcMethods(content, uploads: options.ContentUploads)
                {
                    MaxAppMemoryBytes = (long)spec.Parameters.Market.Categories.Max(c => c.MaxMemoryMb) * 1024 * 1024,
                    CheckApp = IExecChain.Worker.Wasm.WasmAppValidator.Problem,
                }.RegisterAll(registry);
                new ResultRpcMethods(results).RegisterAll(registry);
                RpcDiscovery.Register(registry, RpcCatalog.FullNodeTitle, RpcCatalog.FullNodeDescription, RpcCatalog.FullNode);
                var rpcOptions = new RpcServerOptions
                {
                    Host = options.RpcHost, Port = options.RpcPort, MaxRequestBytes = options.RpcMaxRequestBytes, MaxBatchSize = options.RpcMaxBatchSize,
                    AllowedHosts = [.. options.RpcAllowedHosts],
                    WebSocketAllowedOrigins = [.. options.RpcAllowedOrigins],
                };
                var dispatcher = new JsonRpcDispatcher(registry, loggerFactory.CreateLogger<JsonRpcDispatcher>(), rpcOptions);
                rpc = new RpcServer(rpcOptions, dispatcher, loggerFactory);
                rpc.MapGet("/metrics", context =>
                {
                    context.Response.ContentType = "text/plain; version=0.0.4";
                    return context.Response.WriteAsync(NodeMetrics.Render(self!));
                });
                // The web explorer (docs/explorer.md): GET / from a browser, and its bundle; off with
                // "explorer": false / --no-explorer (then GET / answers every client in plain text).
                if (options.Explorer)
                {
                    var explorer = Explorer.ExplorerAssets.Embedded();
                    rpc.MapBrowserPage(explorer.ServeIndexAsync);
                    rpc.MapGet("/index.html", explorer.ServeIndexAsync);
                    rpc.MapGet("/assets/{file}", explorer.ServeAsync);
                }
            }
            var node = self = new ChainNode(options, spec, store, processor, indexWriter, mempool, host, driver, gossip, rpc, validatorKey, logger, events) { Content = content, Results = results, Verifier = verifier, Admission = admission, Snapshots = snapshots, Pruner = pruner, SnapshotServer = snapshotServer };
            if (validatorKey is not null && spec.Parameters.Bridge is { } bridge && options.EthRpc is { } ethRpc)
            {
                var eth = new Ethereum.JsonRpc.EthereumRpcClient(ethRpc, new Ethereum.JsonRpc.EthereumRpcOptions { MaxRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(250), RequestTimeout = TimeSpan.FromSeconds(10) });
                node.Bridge = new Bridge.DepositFollower(node, validatorKey, eth, bridge, loggerFactory.CreateLogger<Bridge.DepositFollower>(), options.BridgePollInterval);
            }
            return node;
        }
        catch
        {
            indexWriter?.Dispose();
            store.Dispose();
            throw;
        }
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        LogStarting(Spec.Name, Spec.ChainId, Processor.Head.Height, Processor.Head.Hash.ToString(), Secp256k1.Default.Name);
        if (_rpc is not null)
        {
            await _rpc.StartAsync(ct).ConfigureAwait(false);
            LogRpc(_rpc.Endpoint.ToString());
        }
        _host.Start();
        LogP2P(_host.LocalEndPoint.ToString(), _host.Address.ToString(), _options.Peers.Count);
        File.WriteAllText(_options.PidPath, Environment.ProcessId.ToString());
        _pidWritten = true;
        _gossip.Start();
        _driver.Start();
        if (Bridge is not null) Bridge.Start();
        else if (ValidatorKey is not null && Spec.Parameters.Bridge is not null) LogNotFollowing();
    }

    /// <summary>
    /// A busy worker has a commit and a reveal in flight for each of its open replicas, plus verifications:
    /// the per-sender nonce window grows with the spec's maxAssignmentsPerWorker so it never refuses them.
    /// </summary>
    internal static MempoolOptions MempoolOptionsFor(MempoolOptions options, ChainSpec spec)
    {
        int workerWindow = (int)Math.Min(int.MaxValue / 8, spec.Parameters.Market.MaxAssignmentsPerWorker) * 4;
        return workerWindow <= options.MaxNonceGap ? options : new MempoolOptions
        {
            MaxTransactions = options.MaxTransactions,
            MaxBytes = options.MaxBytes,
            MaxNonceGap = workerWindow,
            ReplacementFeeBumpPercent = options.ReplacementFeeBumpPercent,
        };
    }

    /// <summary>An observer's stable network identity, created on first run (a validator uses its own key).</summary>
    internal static PrivateKey NodeKey(string path)
    {
        if (File.Exists(path)) return PrivateKey.FromHex(File.ReadAllText(path).Trim());
        var key = PrivateKey.Generate();
        File.WriteAllText(path, key.ToHex());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return key;
    }

    internal static NetworkOptions NetworkOptionsFor(NodeOptions options, ChainSpec spec, Core.Primitives.Hash256 genesisHash)
    {
        var defaults = new NetworkOptions { ChainId = spec.ChainId, GenesisHash = genesisHash };
        // A whole block must fit in a proposal and in a sync response.
        int blockLimit = spec.Parameters.MaxBlockBytes + (256 << 10);
        var seeds = options.Peers.Select(p => NodeOptions.TryParsePeer(p, out var seed, out _) ? seed! : throw new ArgumentException(p)).ToList();
        var network = new NetworkOptions
        {
            ChainId = spec.ChainId,
            GenesisHash = genesisHash,
            ListenAddress = System.Net.IPAddress.Parse(options.P2PHost),
            ListenPort = options.P2PPort,
            Seeds = seeds,
            Consensus = defaults.Consensus with { MaxMessageBytes = Math.Max(defaults.Consensus.MaxMessageBytes, blockLimit) },
            Sync = defaults.Sync with { MaxMessageBytes = Math.Max(defaults.Sync.MaxMessageBytes, Math.Max(blockLimit, BlockSync.MaxResponseBytes + (256 << 10))) },
        };
        network.Validate();
        return network;
    }

    public object NodeInfo()
    {
        var head = Processor.Head;
        return new
        {
            chainName = Spec.Name,
            chainId = RpcFormat.Quantity(Spec.ChainId),
            genesisHash = Processor.GenesisHash.ToString(),
            blockNumber = RpcFormat.Quantity(head.Height),
            headHash = head.Hash.ToString(),
            stateRoot = head.StateRoot.ToString(),
            validator = ValidatorKey?.Address.ToString(),
            roles = ValidatorKey is null ? new[] { "full" } : new[] { "validator" },
            cryptoBackend = Secp256k1.Default.Name,
            mempool = new { count = Mempool.Count, bytes = Mempool.Bytes },
            admission = new { budget = Admission.Budget, capacityPerSecond = Math.Round(Admission.Capacity) },
            fees = new
            {
                transfer = RpcFormat.Quantity(Processor.Executor.Parameters.Fees.Transfer),
                stake = RpcFormat.Quantity(Processor.Executor.Parameters.Fees.Stake),
                unstake = RpcFormat.Quantity(Processor.Executor.Parameters.Fees.Unstake),
                governance = RpcFormat.Quantity(Processor.Executor.Parameters.Fees.Governance),
                anchorReceipt = RpcFormat.Quantity(Processor.Executor.Parameters.Fees.AnchorReceipt),
                registry = RpcFormat.Quantity(Processor.Executor.Parameters.Fees.Registry),
                order = RpcFormat.Quantity(Processor.Executor.Parameters.Fees.Order),
                contribution = RpcFormat.Quantity(Processor.Executor.Parameters.Fees.Contribution),
                bridge = RpcFormat.Quantity(Processor.Executor.Parameters.Fees.Bridge),
            },
            peers = _host.Peers.Count,
            p2p = _host.LocalEndPoint.ToString(),
            consensus = new { height = _driver.Metrics.Height, round = _driver.Metrics.Round },
            version = typeof(ChainNode).Assembly.GetName().Version?.ToString(),
        };
    }

    public async ValueTask DisposeAsync()
    {
        // The network first: it delivers on its own thread into the driver's inbox and the gossip,
        // which must not be disposed under it (an ObjectDisposedException at every devnet shutdown).
        if (Bridge is not null) await Bridge.DisposeAsync().ConfigureAwait(false);
        _host.Dispose();
        _driver.Dispose();
        _gossip.Dispose();
        await SnapshotServer.DisposeAsync().ConfigureAwait(false);
        if (_rpc is not null) await _rpc.DisposeAsync().ConfigureAwait(false);
        await Snapshots.DisposeAsync().ConfigureAwait(false);
        await Pruner.DisposeAsync().ConfigureAwait(false);
        _indexWriter.Dispose();
        _store.Dispose();
        if (_pidWritten) File.Delete(_options.PidPath);
        LogStopped(Processor.Head.Height);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The query index writer stopped at height {Height}: transaction lists will not show later blocks until the node restarts and catches it up")]
    private static partial void LogIndexWriterFailed(ILogger logger, ulong height, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting node of chain {Name} ({ChainId}) at height {Height} ({Hash}); signatures: {Backend}")]
    private partial void LogStarting(string name, ulong chainId, ulong height, string hash, string backend);

    [LoggerMessage(Level = LogLevel.Information, Message = "JSON-RPC listening on {Endpoint}")]
    private partial void LogRpc(string endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "P2P listening on {Endpoint} as {Address}; {Peers} configured peers")]
    private partial void LogP2P(string endpoint, string address, int peers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This chain has an RLC bridge but this validator follows no Ethereum endpoint (--eth-rpc): it attests no deposit")]
    private partial void LogNotFollowing();

    [LoggerMessage(Level = LogLevel.Information, Message = "Node stopped at height {Height}")]
    private partial void LogStopped(ulong height);
}

/// <summary>What init reports: the genesis hash and the spec it came from.</summary>
public sealed record Hash256Text(string GenesisHash, ChainSpec Spec);
