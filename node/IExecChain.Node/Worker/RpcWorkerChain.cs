using System.Collections.Concurrent;
using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.State.Market;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node.Worker;

/// <summary>
/// A light worker's chain: a node it trusts, over JSON-RPC (docs/worker.md "Full and light workers"). It polls the
/// node's head, asks for its duties (iex_getWorkerDuties) and jobs (iex_getWorkerJob, batched), keeps its own
/// nonce and sends its transactions in batches. With several node addresses it moves to the next one when
/// the current one cannot be reached. The node is trusted for what it reports, never with the worker's key:
/// a lying node can waste the worker's time, not spend its funds beyond fees.
/// </summary>
public sealed class RpcWorkerChain : IWorkerChain, IAsyncDisposable
{
    /// <summary>Transactions per iex_sendRawTransaction batch, and jobs per iex_getWorkerJob batch.</summary>
    public const int BatchSize = 500;

    private readonly NodeRpcClient[] _nodes;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<(string Hex, Hash256 Task, string What, ulong Nonce)> _outbox = new();
    private readonly SemaphoreSlim _outboxSignal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _pollInterval;
    private int _current;
    private long _head;
    private long _nonce = -1;
    private Address? _sender;
    private Task? _poller;
    private Task? _sendLoop;

    private RpcWorkerChain(NodeRpcClient[] nodes, ChainSpec spec, ILogger logger, TimeSpan pollInterval)
    {
        _nodes = nodes;
        Spec = spec;
        _logger = logger;
        _pollInterval = pollInterval;
    }

    public ChainSpec Spec { get; }

    public ulong ContributionFee => Spec.Parameters.Fees.Contribution;

    public ulong Head => (ulong)Interlocked.Read(ref _head);

    public event Action? Advanced;

    /// <summary>The node now in use.</summary>
    public Uri Node => _nodes[Volatile.Read(ref _current)].Endpoint;

    public long TransactionsSent;
    public long TransactionsRefused;

    /// <summary>
    /// Connects to the first reachable node, reads its chain spec (iex_chainSpec) and checks its chain id,
    /// and, for <paramref name="worker"/>, the next nonce including its pending transactions.
    /// </summary>
    public static async Task<RpcWorkerChain> ConnectAsync(IReadOnlyList<Uri> nodes, Address worker, ILogger logger, TimeSpan? pollInterval = null, CancellationToken ct = default)
    {
        if (nodes.Count == 0) throw new ArgumentException("a light worker needs at least one node address");
        var clients = nodes.Select(n => new NodeRpcClient(n, TimeSpan.FromSeconds(10))).ToArray();
        var errors = new List<string>();
        bool unreachable = true;
        for (int i = 0; i < clients.Length; i++)
        {
            try
            {
                var specJson = await clients[i].ChainSpecAsync().ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"the node at {nodes[i]} does not serve its chain spec (iex_chainSpec)");
                var spec = ChainSpecLoader.Parse(specJson);
                ulong chainId = await clients[i].ChainIdAsync().ConfigureAwait(false);
                if (chainId != spec.ChainId) throw new InvalidOperationException($"the node at {nodes[i]} reports chain id {chainId} but serves a spec for chain {spec.ChainId}");
                var chain = new RpcWorkerChain(clients, spec, logger, pollInterval ?? TimeSpan.FromMilliseconds(Math.Clamp(spec.Parameters.BlockIntervalMs / 4, 20, 500))) { _current = i };
                chain._sender = worker;
                await chain.ResyncNonceAsync().ConfigureAwait(false);
                chain._head = (long)await clients[i].BlockNumberAsync().ConfigureAwait(false);
                chain._poller = Task.Run(chain.PollAsync, CancellationToken.None);
                chain._sendLoop = Task.Run(chain.SendLoopAsync, CancellationToken.None);
                return chain;
            }
            catch (Exception e) when (e is JsonRpcClientException or ChainSpecException or KeyNotFoundException or InvalidOperationException)
            {
                errors.Add(e.Message);
                unreachable &= e is JsonRpcClientException { Code: -1 };
            }
        }
        foreach (var c in clients) c.Dispose();
        var message = $"no node could serve this worker: {string.Join("; ", errors)}";
        throw unreachable ? new NodeUnreachableException(message) : new InvalidOperationException(message);
    }

    private NodeRpcClient Client => _nodes[Volatile.Read(ref _current)];

    /// <summary>Runs a call on the current node; when it cannot be reached, the next node is used from then on.</summary>
    private async Task<T> CallAsync<T>(Func<NodeRpcClient, Task<T>> call)
    {
        var client = Client;
        try
        {
            return await call(client).ConfigureAwait(false);
        }
        catch (JsonRpcClientException e) when (e.Code == -1 && _nodes.Length > 1)
        {
            int next = (Array.IndexOf(_nodes, client) + 1) % _nodes.Length;
            Interlocked.Exchange(ref _current, next);
            _logger.LogWarning("node {Node} failed ({Error}); switching to {Next}", client.Endpoint, e.Message, _nodes[next].Endpoint);
            Interlocked.Exchange(ref _nonce, -1);
            throw;
        }
    }

    private async Task PollAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_pollInterval, _stop.Token).ConfigureAwait(false);
                ulong height = await CallAsync(c => c.BlockNumberAsync()).ConfigureAwait(false);
                if (height > Head)
                {
                    Interlocked.Exchange(ref _head, (long)height);
                    Advanced?.Invoke();
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is JsonRpcClientException or HttpRequestException or JsonException or InvalidOperationException)
            {
                _logger.LogDebug("head poll failed: {Error}", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token).ConfigureAwait(false);
            }
        }
    }

    public async Task<WorkerView> ReadAsync(Address worker, IReadOnlyCollection<Hash256> committed, CancellationToken ct)
    {
        var all = committed.ToList();
        var reveal = new List<Hash256>();
        var closed = new List<Hash256>();
        IReadOnlyList<Hash256> assigned = [];
        ulong height = 0;
        // One call per WorkerRpcMethods.MaxTasksPerCall committed tasks (a worker rarely holds more than one call's worth).
        for (int offset = 0; offset == 0 || offset < all.Count; offset += Rpc.Chain.WorkerRpcMethods.MaxTasksPerCall)
        {
            var chunk = all.Skip(offset).Take(Rpc.Chain.WorkerRpcMethods.MaxTasksPerCall).Select(t => t.ToString()).ToArray();
            var duties = await CallAsync(c => c.GetWorkerDutiesAsync(worker.ToString(), chunk)).ConfigureAwait(false);
            if (offset == 0)
            {
                height = duties.BlockNumber;
                assigned = Hashes(duties.Assigned);
            }
            reveal.AddRange(Hashes(duties.Reveal));
            closed.AddRange(Hashes(duties.Closed));
        }
        if (height > Head) Interlocked.Exchange(ref _head, (long)height);
        return new WorkerView(height, assigned, reveal, closed);
    }

    private static List<Hash256> Hashes(IReadOnlyList<string> ids)
    {
        var list = new List<Hash256>(ids.Count);
        foreach (string id in ids)
            list.Add(Hash256.TryParse(id, out var h) ? h : throw new JsonException($"'{id}' is not a task id"));
        return list;
    }

    public async Task<IReadOnlyDictionary<Hash256, WorkerJob>> JobsAsync(IReadOnlyList<Hash256> tasks, CancellationToken ct)
    {
        var jobs = new Dictionary<Hash256, WorkerJob>();
        foreach (var chunk in tasks.Chunk(BatchSize))
        {
            var answers = await CallAsync(c => c.GetWorkerJobsAsync(chunk.Select(t => t.ToString()).ToList(), ct)).ConfigureAwait(false);
            for (int i = 0; i < chunk.Length; i++)
            {
                var (job, error) = answers[i];
                if (error is not null) { _logger.LogWarning("job of task {Task}: {Error}", chunk[i], error.Message); continue; }
                if (job is null) continue;
                jobs[chunk[i]] = new WorkerJob(chunk[i],
                    DealRecord.Parser.ParseFrom(Decode(job.Deal)),
                    AppRecord.Parser.ParseFrom(Decode(job.App)),
                    job.Dataset is { } dataset ? DatasetRecord.Parser.ParseFrom(Decode(dataset)) : null,
                    job.AllowNative);
            }
        }
        return jobs;
    }

    public async Task<IReadOnlyList<AppRecord>> OfferedAppsAsync(Address worker, CancellationToken ct)
    {
        var result = await CallAsync(c => c.GetWorkerAppsAsync(worker.ToString())).ConfigureAwait(false);
        return result.Apps.Select(a => AppRecord.Parser.ParseFrom(Decode(a))).ToList();
    }

    private static byte[] Decode(string hex) =>
        Hex.TryDecode(hex, out var bytes, out var error) ? bytes : throw new JsonException($"record is not hex: {error}");

    public ulong NextNonce(Address sender)
    {
        if (sender != _sender) throw new InvalidOperationException($"this chain connection keeps the nonce of {_sender}, not {sender}");
        long next = Interlocked.Increment(ref _nonce);
        if (next > 0) return (ulong)(next - 1);
        // Unknown after a node switch or a refusal: ask the node (its pending nonce counts its mempool).
        ResyncNonceAsync().GetAwaiter().GetResult();
        return (ulong)(Interlocked.Increment(ref _nonce) - 1);
    }

    private async Task ResyncNonceAsync()
    {
        var account = await CallAsync(c => c.GetAccountAsync(_sender!.Value.ToString())).ConfigureAwait(false);
        Interlocked.Exchange(ref _nonce, (long)account.PendingNonce.Value);
    }

    public void Submit(byte[] signed, ulong nonce, Hash256 taskId, string what)
    {
        _outbox.Enqueue((Hex.Encode(signed), taskId, what, nonce));
        if (_outboxSignal.CurrentCount == 0) try { _outboxSignal.Release(); } catch (SemaphoreFullException) { }
    }

    private async Task SendLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _outboxSignal.WaitAsync(TimeSpan.FromSeconds(1), _stop.Token).ConfigureAwait(false);
                await FlushAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is JsonRpcClientException or HttpRequestException or JsonException or InvalidOperationException)
            {
                // The batch is lost; the worker sends an unconfirmed commit or reveal again after a few blocks.
                _logger.LogWarning("sending transactions failed: {Error}", e.Message);
                Interlocked.Exchange(ref _nonce, -1);
            }
        }
    }

    private async Task FlushAsync()
    {
        while (!_outbox.IsEmpty)
        {
            var batch = new List<(string Hex, Hash256 Task, string What, ulong Nonce)>(BatchSize);
            while (batch.Count < BatchSize && _outbox.TryDequeue(out var item)) batch.Add(item);
            var answers = await CallAsync(c => c.SendRawTransactionsAsync(batch.Select(b => b.Hex).ToList())).ConfigureAwait(false);
            bool refused = false;
            for (int i = 0; i < batch.Count; i++)
            {
                if (answers[i].Error is { } error)
                {
                    refused = true;
                    Interlocked.Increment(ref TransactionsRefused);
                    _logger.LogWarning("{What} for task {Task} (nonce {Nonce}) was refused: {Reason}", batch[i].What, batch[i].Task, batch[i].Nonce, error.Message);
                }
                else
                {
                    Interlocked.Increment(ref TransactionsSent);
                }
            }
            // A refused transaction leaves a gap at its nonce: take the node's pending nonce again, so the
            // next transactions fill it (later ones already signed may collide and are sent again later).
            if (refused && _outbox.IsEmpty) await ResyncNonceAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var task in new[] { _poller, _sendLoop })
            if (task is not null)
                try { await task.ConfigureAwait(false); } catch (OperationCanceledException) { }
        foreach (var c in _nodes) c.Dispose();
        _stop.Dispose();
    }
}

/// <summary>No node could be reached at all (as opposed to a node that answered with the wrong chain).</summary>
public sealed class NodeUnreachableException(string message) : InvalidOperationException(message);
