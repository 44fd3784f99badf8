using System.Globalization;
using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Node.Cli;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.State.Market;
using IExecChain.Worker.Wasm;

namespace IExecChain.Node.Devnet;

/// <summary>
/// The devnet's demo market: funds the market parties and the workers from dev account 0, registers
/// the sample WebAssembly apps of chain-spec/apps (embedded in this build) and a workerpool, stakes
/// and joins the workers, offers the apps and the pool, then places a task order every few seconds
/// and reports every task as it moves through its states.
/// </summary>
internal sealed class DevnetMarket(ChainSpec spec, Uri rpc, IReadOnlyList<DevnetNode> workers, string dataDir, Action<string> report) : IDisposable
{
    public static readonly (string File, string Params, ulong Trust)[] Workload =
    [
        ("echo.wat", "hello from the devnet", 1),
        ("linecount.sh", "native", 1),
        ("fib.wat", "25", 5),
        ("wordcount.wat", "", 1),
        ("echo.wat", "replicated task", 5),
    ];

    /// <summary>Apps of the workload that read the demo dataset.</summary>
    public static bool UsesDataset(string file) => file is "wordcount.wat" or "linecount.sh";

    /// <summary>The demo dataset: ~200 KB of text, so workers fetch and verify several chunks.</summary>
    public static byte[] DatasetBytes() => System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 4000)
        .Select(i => $"line {i}: the requester pays for the app, the dataset and the pool\n")));

    public const ulong DatasetPrice = 500_000;

    public const ulong Funding = 10_000_000_000_000;  // 10,000 RLC each
    public const ulong AppPrice = 1_000_000, PoolPrice = 10_000_000;

    private readonly NodeRpcClient _node = new(rpc, TimeSpan.FromSeconds(30));
    private readonly Dictionary<Address, ulong> _nonces = [];
    private readonly Dictionary<string, Address> _apps = [];
    private readonly Dictionary<string, string> _taskStates = [];
    private Address _pool;

    // Orders of this run differ from a previous run's on the same data, which are on chain already.
    private readonly byte[] _runSalt = Guid.NewGuid().ToByteArray();

    private static readonly Core.Crypto.PrivateKey AppOwner = DevKeys.Market(0), PoolOwner = DevKeys.Market(1), Requester = DevKeys.Market(2), DatasetOwner = DevKeys.Market(3);
    private Address _dataset;

    public int TasksCompleted { get; private set; }

    /// <summary>Overrides the trust of every task order (tests).</summary>
    public ulong? Trust { get; init; }

    /// <summary>Tasks per task order (tests: several tasks at once spread replicas over every worker).</summary>
    public ulong Volume { get; init; } = 1;

    private readonly TaskCompletionSource<Address> _echoApp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The echo app, once the market is set up (its app and workerpool orders placed): other demos buy tasks of it.</summary>
    public Task<Address> EchoAppAsync(CancellationToken ct) => _echoApp.Task.WaitAsync(ct);

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await SetUpAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _echoApp.TrySetException(new CliException($"the market demo could not set up: {e.Message}"));
            throw;
        }
        _echoApp.TrySetResult(_apps["echo.wat"]);
        int round = 0;
        var next = DateTime.UtcNow;
        while (!ct.IsCancellationRequested)
        {
            if (DateTime.UtcNow >= next)
            {
                var (file, parameters, trust) = Workload[round++ % Workload.Length];
                bool withDataset = UsesDataset(file);
                await SendAsync(Requester, b => b.PlaceOrder = new PlaceOrder
                {
                    Request = new RequestOrder
                    {
                        App = Bytes(_apps[file]), AppMaxPrice = AppPrice, WorkerpoolMaxPrice = PoolPrice, Requester = Bytes(Requester.Address),
                        Dataset = withDataset ? Bytes(_dataset) : ByteString.Empty, DatasetMaxPrice = withDataset ? DatasetPrice : 0,
                        Volume = Volume, Category = 0, Trust = Trust ?? trust, Params = parameters, Salt = ByteString.CopyFrom(BitConverter.GetBytes(round).Concat(_runSalt).ToArray()),
                    },
                }, ct).ConfigureAwait(false);
                next = DateTime.UtcNow.AddSeconds(3);
            }
            await TrackAsync().ConfigureAwait(false);
            await Task.Delay(500, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sets up the market, or takes up the one a previous run on the same data left: parties are funded only
    /// when low, apps, the dataset and the pool are registered only when their owner has none like them on
    /// chain, workers stake and join only when not in the pool, and an order is placed only when the same
    /// one is not open.
    /// </summary>
    private async Task SetUpAsync(CancellationToken ct)
    {
        var funder = DevKeys.Account(0);
        var parties = new[] { AppOwner, PoolOwner, Requester, DatasetOwner }.Concat(Enumerable.Range(0, workers.Count).Select(DevKeys.Worker)).ToList();
        foreach (var p in parties)
            if ((await AccountAsync(p.Address).ConfigureAwait(false)).Balance < Funding / 2)
                await SendAsync(funder, b => b.Transfer = new Transfer { To = Bytes(p.Address), Amount = Funding }, ct).ConfigureAwait(false);
        await WaitIncludedAsync(funder, ct).ConfigureAwait(false);

        var ownedApps = await OwnedAsync(MarketBlock.AppIdKind, _node.GetAppAsync, AppOwner.Address).ConfigureAwait(false);
        foreach (var (file, _, _) in Workload.DistinctBy(w => w.File))
        {
            if (file.EndsWith(".sh", StringComparison.Ordinal))
            {
                await RegisterNativeAsync(file, ownedApps, ct).ConfigureAwait(false);
                continue;
            }
            var wasm = WasmCode.FromText(SampleApp(file)).Bytes.ToArray();
            var uploaded = await _node.PutContentAsync(ContentUpload.Params(AppOwner, wasm)).ConfigureAwait(false);
            var root = Hex.Decode(uploaded.Root);
            string name = Path.GetFileNameWithoutExtension(file);
            if (Find(ownedApps, name, root, manifest: null) is { } existing)
            {
                _apps[file] = existing;
                continue;
            }
            _apps[file] = MarketBlock.ResourceId(MarketBlock.AppIdKind, AppOwner.Address, await NonceAsync(AppOwner.Address).ConfigureAwait(false));
            await SendAsync(AppOwner, b => b.RegisterApp = new RegisterApp
            {
                Name = name, Runtime = AppRuntime.Wasm, ContentRoot = ByteString.CopyFrom(root), ContentSize = (ulong)wasm.Length, Endpoint = rpc.ToString(),
            }, ct).ConfigureAwait(false);
        }
        var data = DatasetBytes();
        var stored = await _node.PutContentAsync(ContentUpload.Params(DatasetOwner, data)).ConfigureAwait(false);
        var dataRoot = Hex.Decode(stored.Root);
        if (Find(await OwnedAsync(MarketBlock.DatasetIdKind, _node.GetDatasetAsync, DatasetOwner.Address).ConfigureAwait(false), "demo-text", dataRoot) is { } dataset)
            _dataset = dataset;
        else
        {
            _dataset = MarketBlock.ResourceId(MarketBlock.DatasetIdKind, DatasetOwner.Address, await NonceAsync(DatasetOwner.Address).ConfigureAwait(false));
            await SendAsync(DatasetOwner, b => b.RegisterDataset = new RegisterDataset
            {
                Name = "demo-text", ContentRoot = ByteString.CopyFrom(dataRoot), Size = (ulong)data.Length, Endpoint = rpc.ToString(),
            }, ct).ConfigureAwait(false);
            await WaitIncludedAsync(DatasetOwner, ct).ConfigureAwait(false);
        }

        // The devnet registers one pool; a restart takes up the first its owner registered.
        var pools = await OwnedAsync(MarketBlock.WorkerpoolIdKind, _node.GetPoolAsync, PoolOwner.Address).ConfigureAwait(false);
        bool reused = pools.Count > 0;
        if (reused) _pool = pools[0].Id;
        else
        {
            _pool = MarketBlock.ResourceId(MarketBlock.WorkerpoolIdKind, PoolOwner.Address, await NonceAsync(PoolOwner.Address).ConfigureAwait(false));
            // The devnet's pool runs native apps too: its workers are this machine's processes.
            await SendAsync(PoolOwner, b => b.RegisterWorkerpool = new RegisterWorkerpool { Description = "devnet pool", WorkerStakeRatio = 10, SchedulerRewardRatio = 10, AllowNative = true }, ct).ConfigureAwait(false);
        }
        ulong minStake = Math.Max(spec.Parameters.MinWorkerStake, 1);
        var members = new WorkerResult?[workers.Count];
        for (int i = 0; i < workers.Count; i++)
        {
            members[i] = await _node.GetWorkerAsync(DevKeys.Worker(i).Address.ToString()).ConfigureAwait(false);
            if ((await AccountAsync(DevKeys.Worker(i).Address).ConfigureAwait(false)).WorkerStake < minStake)
                await SendAsync(DevKeys.Worker(i), b => b.Stake = new Stake { Role = StakeRole.Worker, Amount = minStake }, ct).ConfigureAwait(false);
        }
        await WaitIncludedAsync(PoolOwner, ct).ConfigureAwait(false);
        await WaitIncludedAsync(AppOwner, ct).ConfigureAwait(false);
        for (int i = 0; i < workers.Count; i++)
        {
            var endpoint = workers[i].Rpc.ToString();
            string? inPool = members[i]?.Workerpool;
            if (inPool is not null && Address.Parse(inPool) == _pool && members[i]!.Endpoint == endpoint) continue;
            // In another pool, or in this one at an address this run's worker no longer listens on: leave, then join.
            if (inPool is not null) await SendAsync(DevKeys.Worker(i), b => b.LeavePool = new LeavePool(), ct).ConfigureAwait(false);
            await WaitIncludedAsync(DevKeys.Worker(i), ct).ConfigureAwait(false);
            await SendAsync(DevKeys.Worker(i), b => b.JoinPool = new JoinPool { Workerpool = Bytes(_pool), Endpoint = endpoint }, ct).ConfigureAwait(false);
        }
        foreach (var app in _apps.Values)
            await OfferAsync(AppOwner, OrderCodec.Kind.App, new AppOrder { App = Bytes(app), Price = AppPrice, Volume = 100_000 }, (o, salt) => new PlaceOrder { App = new AppOrder(o) { Salt = salt } }, ct).ConfigureAwait(false);
        await OfferAsync(DatasetOwner, OrderCodec.Kind.Dataset, new DatasetOrder { Dataset = Bytes(_dataset), Price = DatasetPrice, Volume = 100_000 }, (o, salt) => new PlaceOrder { Dataset = new DatasetOrder(o) { Salt = salt } }, ct).ConfigureAwait(false);
        // The pool offers every category in force, so a request of any category finds it.
        var categories = (await _node.GetCategoriesAsync().ConfigureAwait(false)).Select(c => c.Id.Value).ToList();
        foreach (var category in categories)
            await OfferAsync(PoolOwner, OrderCodec.Kind.Workerpool, new WorkerpoolOrder
            {
                Workerpool = Bytes(_pool), Price = PoolPrice, Volume = 100_000, Category = category, Trust = 1_000, Performance = 500_000, EnergyEfficiency = 500_000,
            }, (o, salt) => new PlaceOrder { Workerpool = new WorkerpoolOrder(o) { Salt = salt } }, ct).ConfigureAwait(false);
        await WaitIncludedAsync(PoolOwner, ct).ConfigureAwait(false);
        foreach (var w in Enumerable.Range(0, workers.Count)) await WaitIncludedAsync(DevKeys.Worker(w), ct).ConfigureAwait(false);

        // What the banner says is what the chain holds now, not what this run meant to do.
        var pool = await _node.GetPoolAsync(_pool.ToString()).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"the node has no record of workerpool {_pool} after registering it");
        var offered = await OfferedCategoriesAsync(categories).ConfigureAwait(false);
        report($"market: apps {string.Join(", ", _apps.Select(a => $"{Path.GetFileNameWithoutExtension(a.Key)} {a.Value}"))}; dataset {_dataset} ({data.Length} bytes)");
        report($"market: workerpool {_pool} ({(reused ? "reused" : "registered")}) with {pool.Workers.Count} worker(s), offering categories {string.Join(", ", offered)}; a task order every 3 s");
    }

    /// <summary>The resources of one kind <paramref name="owner"/> registered: an id follows from its owner's nonce at registration, so each nonce so far is looked up.</summary>
    private async Task<List<(Address Id, T Record)>> OwnedAsync<T>(byte kind, Func<string, Task<T?>> get, Address owner) where T : class
    {
        var owned = new List<(Address, T)>();
        ulong sent = await NonceAsync(owner).ConfigureAwait(false);
        for (ulong nonce = 0; nonce < sent; nonce++)
        {
            var id = MarketBlock.ResourceId(kind, owner, nonce);
            if (await get(id.ToString()).ConfigureAwait(false) is { } record) owned.Add((id, record));
        }
        return owned;
    }

    /// <summary>The first of <paramref name="owned"/> with this name and content (and for a native app, this executable).</summary>
    private static Address? Find(List<(Address Id, AppResult Record)> owned, string name, byte[] contentRoot, string? manifest)
    {
        foreach (var (id, app) in owned)
            if (app.Name == name && SameRoot(app.ContentRoot, contentRoot) && (manifest is null || app.Manifest == manifest))
                return id;
        return null;
    }

    private static Address? Find(List<(Address Id, DatasetResult Record)> owned, string name, byte[] contentRoot)
    {
        foreach (var (id, dataset) in owned)
            if (dataset.Name == name && SameRoot(dataset.ContentRoot, contentRoot))
                return id;
        return null;
    }

    private static bool SameRoot(string served, byte[] contentRoot) => string.Equals(served, Hex.Encode(contentRoot), StringComparison.OrdinalIgnoreCase);

    /// <summary>Places the order unless the same one is open; one that was filled or cancelled is placed again with a fresh salt.</summary>
    private async Task OfferAsync<T>(Core.Crypto.PrivateKey owner, OrderCodec.Kind kind, T order, Func<T, ByteString, PlaceOrder> place, CancellationToken ct) where T : IMessage<T>
    {
        var known = await _node.GetOrderAsync(OrderCodec.HashOf(kind, order).ToString()).ConfigureAwait(false);
        if (known?.Status == "open") return;
        var salt = known is not null ? ByteString.CopyFrom(_runSalt) : ByteString.Empty;
        await SendAsync(owner, b => b.PlaceOrder = place(order, salt), ct).ConfigureAwait(false);
    }

    /// <summary>The categories in which the pool has an open order.</summary>
    private async Task<List<ulong>> OfferedCategoriesAsync(IEnumerable<ulong> categories)
    {
        var offered = new List<ulong>();
        foreach (var category in categories)
        {
            var book = await _node.GetOrderBookAsync(kind: "workerpool", category: category, limit: 100).ConfigureAwait(false);
            if (book.Orders.Any(o => o.ReadTerms().Workerpool is { } p && Address.Parse(p) == _pool))
                offered.Add(category);
        }
        return offered;
    }

    private Task<AccountResult> AccountAsync(Address address) => _node.GetAccountAsync(address.ToString());


    /// <summary>Reports each task of the requester's deals when its state changes.</summary>
    private async Task TrackAsync()
    {
        try
        {
            foreach (var taskId in await RequesterTasksAsync().ConfigureAwait(false))
            {
                if (_taskStates.TryGetValue(taskId, out var known) && known is "completed" or "failed") continue;
                if (await _node.GetTaskAsync(taskId).ConfigureAwait(false) is not { } task) continue;
                var status = task.Status;
                int replicas = task.Replicas.Count;
                string state = $"{status}/{replicas}";
                if (_taskStates.TryGetValue(taskId, out var previous) && previous == state) continue;
                _taskStates[taskId] = status is "completed" or "failed" ? status : state;
                if (status == "completed") TasksCompleted++;
                string detail = status switch
                {
                    "completed" => $"completed, result digest {task.ResultDigest}",
                    "failed" => $"failed: {task.Outcome}",
                    _ => $"{status} with {replicas} replica(s)",
                };
                report($"task {taskId} {detail}");
            }
            // Spot-checks and challenges (rollback window), reported when their counts change.
            var totals = (await _node.GetOrderBookAsync(limit: 1).ConfigureAwait(false)).Totals;
            string verification = $"{totals.SpotChecks} spot-check(s), {totals.Challenges} challenge(s), {totals.Reversals} result(s) reversed";
            if (verification != _verification && !verification.StartsWith("0 spot-check(s), 0 challenge(s)", StringComparison.Ordinal)) report($"verification: {verification}");
            _verification = verification;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonRpcClientException)
        {
        }
    }

    private string _verification = "";
    private readonly List<string> _dealTasks = [];
    private readonly HashSet<string> _seenDeals = [];

    private async Task<IReadOnlyList<string>> RequesterTasksAsync()
    {
        // The requester's orders lead to their deals, and the deals to their tasks.
        foreach (var hash in _placed)
        {
            if (await _node.GetOrderAsync(hash).ConfigureAwait(false) is not { } order) continue;
            if (order.Status != "open") _filled.Add(hash);
            foreach (var id in order.Deals ?? [])
            {
                if (!_seenDeals.Add(id)) continue;
                if (await _node.GetDealAsync(id).ConfigureAwait(false) is { } deal) _dealTasks.AddRange(deal.Tasks);
            }
        }
        _placed.RemoveAll(h => _filled.Contains(h));
        return _dealTasks;
    }

    private readonly List<string> _placed = [];
    private readonly HashSet<string> _filled = [];

    private async Task SendAsync(Core.Crypto.PrivateKey from, Action<TransactionBody> payload, CancellationToken ct)
    {
        if (!_nonces.TryGetValue(from.Address, out var nonce)) nonce = await NonceAsync(from.Address).ConfigureAwait(false);
        var body = new TransactionBody { ChainId = spec.ChainId, Nonce = nonce, Fee = 0 };
        payload(body);
        body.Fee = FeeOf(body.PayloadCase);
        if (body.PlaceOrder?.Request is { } request)
            _placed.Add(OrderCodec.HashOf(OrderCodec.Kind.Request, request).ToString());
        await _node.SendRawTransactionAsync(Hex.Encode(TransactionCodec.Sign(body, from))).ConfigureAwait(false);
        _nonces[from.Address] = nonce + 1;
        ct.ThrowIfCancellationRequested();
    }

    private ulong FeeOf(TransactionBody.PayloadOneofCase kind)
    {
        var f = spec.Parameters.Fees;
        return kind switch
        {
            TransactionBody.PayloadOneofCase.Transfer => f.Transfer,
            TransactionBody.PayloadOneofCase.Stake => f.Stake,
            TransactionBody.PayloadOneofCase.PlaceOrder or TransactionBody.PayloadOneofCase.CancelOrder => f.Order,
            _ => f.Registry,
        };
    }

    private async Task<ulong> NonceAsync(Address address) =>
        _nonces.TryGetValue(address, out var n) ? n
        : (await AccountAsync(address).ConfigureAwait(false)).Nonce;

    /// <summary>Waits until every transaction sent from <paramref name="from"/> is in a block.</summary>
    private async Task WaitIncludedAsync(Core.Crypto.PrivateKey from, CancellationToken ct)
    {
        if (!_nonces.TryGetValue(from.Address, out var expected)) return;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if ((await AccountAsync(from.Address).ConfigureAwait(false)).Nonce >= expected) return;
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
        throw new TimeoutException($"transactions of {from.Address} were not included within 60 s");
    }

    /// <summary>
    /// A native app is an executable on the worker's machine: the script is written next to the devnet's
    /// data (every worker runs on this machine) and registered with its path and keccak256 hash.
    /// </summary>
    private async Task RegisterNativeAsync(string file, List<(Address Id, AppResult Record)> owned, CancellationToken ct)
    {
        string path = Path.Combine(dataDir, "apps", file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = System.Text.Encoding.UTF8.GetBytes(SampleApp(file));
        await File.WriteAllBytesAsync(path, bytes, ct).ConfigureAwait(false);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string name = Path.GetFileNameWithoutExtension(file);
        var hash = Core.Crypto.Keccak256.HashToArray(bytes);
        if (Find(owned, name, hash, manifest: path) is { } existing)
        {
            _apps[file] = existing;
            return;
        }
        _apps[file] = MarketBlock.ResourceId(MarketBlock.AppIdKind, AppOwner.Address, await NonceAsync(AppOwner.Address).ConfigureAwait(false));
        await SendAsync(AppOwner, b => b.RegisterApp = new RegisterApp
        {
            Name = name, Runtime = AppRuntime.Native, Manifest = path, ContentRoot = ByteString.CopyFrom(hash), ContentSize = (ulong)bytes.Length,
        }, ct).ConfigureAwait(false);
    }

    public static string SampleApp(string file)
    {
        using var stream = typeof(DevnetMarket).Assembly.GetManifestResourceStream($"apps/{file}")
            ?? throw new InvalidOperationException($"sample app {file} is not embedded in this build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static ByteString Bytes(Address a) => ByteString.CopyFrom(a.ToArray());

    public void Dispose() => _node.Dispose();
}
