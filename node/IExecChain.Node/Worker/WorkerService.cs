using System.Collections.Concurrent;
using System.Text;
using Google.Protobuf;
using IExecChain.Core.Content;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Market;
using IExecChain.Worker.Content;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Results;
using IExecChain.Worker.Wasm;
using Microsoft.Extensions.Logging;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.Node.Worker;

/// <summary>
/// The embedded worker (`run --role worker` on a full node, or `worker --node URL` following a trusted node):
/// after each block it reads the replicas the chain assigned to its key, fetches the app (and dataset) from their owners' nodes with chunk proofs,
/// runs the task on Wasmtime within the category's limits, stores the result (served by iex_getResult),
/// contributes the commit, and reveals it once its result reached consensus. Results are stored before
/// the commit is sent, so a restarted worker contributes and reveals what it already computed; a task in
/// flight when the process dies costs only that replica (the chain reassigns it after its deadline).
/// Verifications (spot-checks and challenges) reach it the same way: the task appears in its assignments.
/// </summary>
public sealed partial class WorkerService : IAsyncDisposable
{
    private readonly IWorkerChain _chain;
    private readonly PrivateKey _key;
    private readonly ILogger _logger;
    private readonly ContentStore _content;
    private readonly ResultStore _results;
    private readonly ContentFetcher _fetcher = new();
    private readonly WasmRuntime _wasm;
    private readonly ConcurrentDictionary<Hash256, string?> _prepared = new();       // app root → null (ready) or why it cannot run
    private readonly ConcurrentDictionary<Hash256, DateTime> _prepareRetry = new();   // app root → when a failed fetch is tried again
    private Task? _prepareLoop;
    private readonly IExecChain.Worker.Native.NativeRuntime _native;
    private readonly ConcurrentDictionary<Hash256, WasmCode> _modules = new();
    private readonly ConcurrentDictionary<Hash256, byte> _running = new();
    private readonly ConcurrentDictionary<Hash256, Hash256> _contributed = new();   // task → digest sent
    private readonly ConcurrentDictionary<Hash256, string> _failed = new();         // task → why it could not run
    private readonly ConcurrentDictionary<Hash256, ReplicaFailure> _reported = new(); // task → the failure reported on chain
    private readonly ConcurrentDictionary<Hash256, ulong> _revealedAt = new();      // task → height its reveal was last sent at
    private readonly ConcurrentDictionary<Hash256, ulong> _sentAt = new();          // task → height its commit was last sent at
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly SemaphoreSlim _slots;
    private readonly object _submit = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <param name="hiddenPaths">The worker's data directory and key files: native apps must never see them (docs/worker.md, "Sandbox").</param>
    /// <param name="compiledModules">Where compiled apps are kept across restarts (DATA/compiled); null keeps them in memory only.</param>
    public WorkerService(IWorkerChain chain, PrivateKey key, ContentStore content, ResultStore results, ILogger logger, int concurrency = 0, IReadOnlyList<string>? hiddenPaths = null,
        string? compiledModules = null)
    {
        _wasm = new WasmRuntime(new WasmRuntimeOptions { CompiledModuleDirectory = compiledModules });
        _native = new IExecChain.Worker.Native.NativeRuntime(new IExecChain.Worker.Native.NativeRuntimeOptions { HiddenPaths = hiddenPaths ?? [] });
        _chain = chain;
        _key = key;
        _content = content;
        _results = results;
        _logger = logger;
        _slots = new SemaphoreSlim(concurrency > 0 ? concurrency : Math.Max(1, Environment.ProcessorCount));
    }

    /// <summary>
    /// Test-only fault injection: contribute a wrong digest for the tasks whose id starts with an even
    /// byte (about half), so the saboteur wins some tasks (its score rises) and loses others (it falls).
    /// </summary>
    public bool SabotageForTesting { get; init; }

    public Address Address => _key.Address;

    /// <summary>A commit still unconfirmed after this many blocks is sent again.</summary>
    public const ulong ResendAfterBlocks = 8;

    /// <summary>How often the worker asks which apps are offered to its pool, to compile them before their first replica.</summary>
    public static readonly TimeSpan PrepareInterval = TimeSpan.FromSeconds(5);

    /// <summary>A prepare whose fetch failed is tried again after this long.</summary>
    public static readonly TimeSpan PrepareRetryAfter = TimeSpan.FromMinutes(1);

    public long TasksRun;
    public long Contributions;
    public long Reveals;
    public long FailureReports;
    public long AppsPrepared;

    /// <summary>Modules this worker compiled from their bytes, and loaded compiled from disk, since start.</summary>
    public long ModulesCompiled => _wasm.ModulesCompiled;
    public long ModulesLoaded => _wasm.ModulesLoaded;

    public void Start()
    {
        // Results computed before a restart are contributed or revealed instead of recomputed.
        foreach (var taskId in _results.List())
            if (_results.TryGet(taskId) is { } stored) _contributed.TryAdd(taskId, MaybeSabotage(taskId, stored.Digest));
        _chain.Advanced += Wake;
        _loop = Task.Run(LoopAsync);
        _prepareLoop = Task.Run(PrepareLoopAsync);
        Wake();
        _logger.LogInformation("worker {Address} started ({Known} stored results)", Address, _contributed.Count);
        if (_native.SandboxProblem is { } problem) LogNativeAppsRefused(_logger, problem);
    }

    private void Wake()
    {
        if (_signal.CurrentCount == 0) try { _signal.Release(); } catch (SemaphoreFullException) { }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(TimeSpan.FromSeconds(1), _stop.Token).ConfigureAwait(false);
                await ScanAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "worker scan failed");
            }
        }
    }

    /// <summary>
    /// Compiles, one at a time, the WebAssembly apps offered to this worker's pool, so that a replica's
    /// deadline never pays for a compile (46–61 s for a 16 MB module on 2 cores, more than category
    /// S's 40 s): the compiled module stays in memory and on disk.
    /// </summary>
    private async Task PrepareLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                foreach (var app in await _chain.OfferedAppsAsync(Address, _stop.Token).ConfigureAwait(false))
                    await PrepareAsync(app).ConfigureAwait(false);
                await Task.Delay(PrepareInterval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogWarning("could not read the apps offered to this worker's pool: {Error}", e.Message);
                await Task.Delay(PrepareInterval, _stop.Token).ConfigureAwait(false);
            }
        }
    }

    private async Task PrepareAsync(AppRecord app)
    {
        var root = new Hash256(app.Registration.ContentRoot.Span);
        if (_prepared.ContainsKey(root) || (_prepareRetry.TryGetValue(root, out var retryAt) && DateTime.UtcNow < retryAt)) return;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        long compiled = _wasm.ModulesCompiled;
        WasmCode code;
        try
        {
            code = await ModuleAsync(app).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ContentFetchException or IOException or InvalidDataException)
        {
            _prepareRetry[root] = DateTime.UtcNow + PrepareRetryAfter;
            _logger.LogWarning("app {Name} ({Root}) offered to the pool could not be fetched: {Error}; trying again in {Retry}", app.Registration.Name, root, e.Message, PrepareRetryAfter);
            return;
        }
        string? problem = await Task.Run(() => _wasm.Prepare(code), _stop.Token).ConfigureAwait(false);
        _prepared[root] = problem;
        _prepareRetry.TryRemove(root, out _);
        double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (problem is not null)
        {
            _logger.LogWarning("app {Name} ({Root}) offered to the pool cannot run: {Problem}", app.Registration.Name, root, problem);
            return;
        }
        Interlocked.Increment(ref AppsPrepared);
        _logger.LogInformation("app {Name} ({Root}, {Size} bytes) prepared in {Seconds:0.0} s ({How})", app.Registration.Name, root, app.Registration.ContentSize, seconds,
            _wasm.ModulesCompiled > compiled ? "compiled" : "loaded compiled from disk");
    }

    private async Task ScanAsync()
    {
        var view = await _chain.ReadAsync(Address, [.. _contributed.Keys, .. _reported.Keys], _stop.Token).ConfigureAwait(false);
        var fresh = new List<Hash256>();
        foreach (var taskId in view.Assigned)
        {
            if (_reported.TryGetValue(taskId, out var failure))
            {
                // The report is not in a block yet (lost, or the chain is slow): send it again, not every block.
                if (_sentAt.TryGetValue(taskId, out var sent) && view.Height < sent + ResendAfterBlocks) continue;
                _sentAt[taskId] = view.Height;
                Submit(taskId, b => b.ReportFailure = new ReportFailure { TaskId = Bytes(taskId), Failure = failure }, "failure report");
                continue;
            }
            if (_running.ContainsKey(taskId) || _failed.ContainsKey(taskId)) continue;
            if (_contributed.TryGetValue(taskId, out var digest))
            {
                // Computed before a restart, or the commit was lost: send it again (not every block).
                if (_sentAt.TryGetValue(taskId, out var sent) && view.Height < sent + ResendAfterBlocks) continue;
                _sentAt[taskId] = view.Height;
                Submit(taskId, b => b.Contribute = Commit(taskId, digest), "contribute");
                continue;
            }
            if (_running.TryAdd(taskId, 0)) fresh.Add(taskId);
        }
        if (fresh.Count > 0)
        {
            IReadOnlyDictionary<Hash256, WorkerJob> jobs;
            try
            {
                jobs = await _chain.JobsAsync(fresh, _stop.Token).ConfigureAwait(false);
            }
            catch
            {
                foreach (var taskId in fresh) _running.TryRemove(taskId, out _);
                throw;
            }
            foreach (var taskId in fresh)
            {
                if (jobs.TryGetValue(taskId, out var job)) _ = Task.Run(() => RunAsync(job));
                else _running.TryRemove(taskId, out _);
            }
        }
        foreach (var taskId in view.Closed)
        {
            _contributed.TryRemove(taskId, out _);
            _reported.TryRemove(taskId, out _);
            _sentAt.TryRemove(taskId, out _);
            _revealedAt.TryRemove(taskId, out _);
        }
        foreach (var taskId in view.Reveal)
        {
            if (!_contributed.TryGetValue(taskId, out var digest)) continue;
            if (_revealedAt.TryGetValue(taskId, out var at) && view.Height < at + ResendAfterBlocks) continue;
            _revealedAt[taskId] = view.Height;
            Submit(taskId, b => b.Reveal = new Reveal { TaskId = Bytes(taskId), ResultDigest = Bytes(digest) }, "reveal");
            Interlocked.Increment(ref Reveals);
        }
    }

    private async Task RunAsync(WorkerJob job)
    {
        var taskId = job.TaskId;
        await _slots.WaitAsync(_stop.Token).ConfigureAwait(false);
        try
        {
            var deal = job.Deal;
            var app = job.App;
            var spec = _chain.Spec;
            var category = spec.Parameters.Market.Category(deal.Category) ?? throw new InvalidOperationException($"category {deal.Category} is not in the chain spec");
            string? dataset = null;
            if (job.Dataset is { } record)
            {
                try
                {
                    var root = new Hash256(record.Registration.ContentRoot.Span);
                    await FetchAsync(record.Registration.Endpoint, root, (long)record.Registration.Size).ConfigureAwait(false);
                    dataset = _content.FilePath(root);
                }
                catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
                {
                    Report(taskId, ReplicaFailure.FetchFailed, $"dataset {record.Registration.Name} could not be fetched from {record.Registration.Endpoint}: {e.Message}");
                    return;
                }
            }
            var limits = new ExecutionLimits
            {
                Fuel = category.MaxFuel,
                MemoryBytes = (long)category.MaxMemoryMb << 20,
                WallClock = TimeSpan.FromMilliseconds(Math.Max(1000, (double)category.TimeRefBlocks * spec.Parameters.BlockIntervalMs)),
            };
            var input = new TaskInput { AppName = app.Registration.Name, Args = TaskArguments.Split(deal.Params), DatasetFile = dataset, RandomSeed = taskId };
            ExecutionResult result;
            if (app.Registration.Runtime == AppRuntime.Native)
            {
                if (!job.PoolAllowsNative) { Report(taskId, ReplicaFailure.AppUnavailable, "the pool does not allow native apps"); return; }
                var executable = app.Registration.Manifest;
                if (!File.Exists(executable)) { Report(taskId, ReplicaFailure.AppUnavailable, $"native executable '{executable}' is not on this machine"); return; }
                var hash = Keccak256.Hash(await File.ReadAllBytesAsync(executable, _stop.Token).ConfigureAwait(false));
                if (hash != new Hash256(app.Registration.ContentRoot.Span))
                {
                    Report(taskId, ReplicaFailure.AppUnavailable, $"native executable '{executable}' is not the registered one (hash {hash})");
                    return;
                }
                result = await _native.RunAsync(executable, input, limits with { Fuel = ulong.MaxValue }, _stop.Token).ConfigureAwait(false);
            }
            else
            {
                WasmCode module;
                try
                {
                    module = await ModuleAsync(app).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
                {
                    Report(taskId, ReplicaFailure.FetchFailed, $"app {app.Registration.Name} could not be fetched from {app.Registration.Endpoint}: {e.Message}");
                    return;
                }
                result = _wasm.Run(module, input, limits);
            }
            Interlocked.Increment(ref TasksRun);
            if (result.Digest is not { } digest)
            {
                if (FailureOf(result.Status) is { } failure) Report(taskId, failure, $"{result.Status}: {result.Error}");
                else
                {
                    // The worker's own trouble says nothing about the app: stay silent and let the replica go to another worker.
                    _failed[taskId] = $"{result.Status}: {result.Error}";
                    _logger.LogWarning("task {Task} did not produce a result: {Status} {Error}", taskId, result.Status, result.Error);
                }
                return;
            }
            _results.Save(taskId, result);
            digest = MaybeSabotage(taskId, digest);
            _contributed[taskId] = digest;
            _sentAt[taskId] = _chain.Head;
            Submit(taskId, b => b.Contribute = Commit(taskId, digest), "contribute");
            Interlocked.Increment(ref Contributions);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _failed[taskId] = e.Message;
            _logger.LogWarning("task {Task} failed on this worker: {Error}", taskId, e.Message);
        }
        finally
        {
            _running.TryRemove(taskId, out _);
            _slots.Release();
        }
    }

    /// <summary>Says on chain that this worker cannot run its replica (ReportFailure), and again if the report is lost.</summary>
    private void Report(Hash256 taskId, ReplicaFailure failure, string detail)
    {
        _logger.LogWarning("task {Task} cannot run on this worker, reported as {Failure}: {Detail}", taskId, MarketBlock.FailureName(failure), detail);
        _reported[taskId] = failure;
        _sentAt[taskId] = _chain.Head;
        Submit(taskId, b => b.ReportFailure = new ReportFailure { TaskId = Bytes(taskId), Failure = failure }, "failure report");
        Interlocked.Increment(ref FailureReports);
    }

    /// <summary>The failure a run without a result is reported as; null for the worker's own trouble (<see cref="ExecutionStatus.HostError"/>).</summary>
    public static ReplicaFailure? FailureOf(ExecutionStatus status) => status switch
    {
        ExecutionStatus.InvalidModule => ReplicaFailure.InvalidApp,
        ExecutionStatus.OutOfFuel => ReplicaFailure.OutOfFuel,
        ExecutionStatus.OutOfMemory => ReplicaFailure.OutOfMemory,
        ExecutionStatus.Trapped => ReplicaFailure.Trapped,
        ExecutionStatus.OutputTooLarge => ReplicaFailure.OutputTooLarge,
        ExecutionStatus.Timeout => ReplicaFailure.Timeout,
        ExecutionStatus.TooManyProcesses => ReplicaFailure.TooManyProcesses,
        _ => null,
    };

    private Hash256 MaybeSabotage(Hash256 taskId, Hash256 digest) =>
        SabotageForTesting && taskId.ToArray()[0] % 2 == 0 ? Keccak256.HashConcat(digest.ToArray(), Encoding.ASCII.GetBytes("sabotage")) : digest;

    private Contribute Commit(Hash256 taskId, Hash256 digest) => new()
    {
        TaskId = Bytes(taskId),
        ResultHash = Bytes(MarketBlock.ResultHash(taskId, digest)),
        ResultSeal = Bytes(MarketBlock.ResultSeal(Address, taskId, digest)),
    };

    private async Task<WasmCode> ModuleAsync(AppRecord app)
    {
        var root = new Hash256(app.Registration.ContentRoot.Span);
        if (_modules.TryGetValue(root, out var code)) return code;
        await FetchAsync(app.Registration.Endpoint, root, (long)app.Registration.ContentSize).ConfigureAwait(false);
        var bytes = _content.ReadAllBytes(root);
        return _modules.GetOrAdd(root, _ => new WasmCode(bytes));
    }

    /// <summary>
    /// Makes sure the content is in the local store: fetched chunk by chunk with proofs from its owner's
    /// node and kept as served (the chunk size is part of the root), streamed to a file in the store and
    /// moved in whole, so large content is never held in memory and a failed fetch leaves nothing behind.
    /// </summary>
    private async Task FetchAsync(string endpoint, Hash256 root, long size)
    {
        if (!_content.Has(root))
        {
            string temp = _content.NewTemporaryPath();
            try
            {
                ContentInfo info;
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                    info = await _fetcher.FetchToAsync(new Uri(endpoint), root, size, file, ct: _stop.Token).ConfigureAwait(false);
                _content.Adopt(temp, info);
            }
            finally
            {
                File.Delete(temp);
            }
        }
    }

    private void Submit(Hash256 taskId, Action<TransactionBody> payload, string what)
    {
        lock (_submit)
        {
            var body = new TransactionBody
            {
                ChainId = _chain.Spec.ChainId,
                Nonce = _chain.NextNonce(Address),
                Fee = _chain.ContributionFee,
            };
            payload(body);
            try
            {
                _chain.Submit(TransactionCodec.Sign(body, _key), body.Nonce, taskId, what);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Not sent: an unconfirmed commit or reveal is sent again after ResendAfterBlocks.
                _logger.LogWarning("{What} for task {Task} could not be sent: {Error}", what, taskId, e.Message);
            }
        }
    }

    private static ByteString Bytes(Hash256 h) => ByteString.CopyFrom(h.ToArray());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        if (_prepareLoop is not null) await _prepareLoop.ConfigureAwait(false);
        _wasm.Dispose();
        _fetcher.Dispose();
    }

    // Said once at start: a pool that allows native apps would otherwise only learn it from the refusals.
    [LoggerMessage(Level = LogLevel.Warning, Message = "native apps will be refused on this worker: their sandbox cannot be built ({Problem})")]
    private static partial void LogNativeAppsRefused(ILogger logger, string problem);
}
