using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Market;
using IExecChain.State.TxPool;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node.Worker;

/// <summary>The worker of a full node (`run --role worker`): reads the node's committed state and adds to its mempool.</summary>
public sealed class NodeWorkerChain : IWorkerChain
{
    private readonly ChainNode _node;
    private readonly ILogger _logger;

    public NodeWorkerChain(ChainNode node, ILogger logger)
    {
        _node = node;
        _logger = logger;
        _node.Processor.BlockCommitted += (_, _) => Advanced?.Invoke();
    }

    public ChainSpec Spec => _node.Spec;

    public ulong ContributionFee => _node.Processor.Executor.Parameters.Fees.Contribution;

    public ulong Head => _node.Processor.Head.Height;

    public event Action? Advanced;

    public Task<WorkerView> ReadAsync(Address worker, IReadOnlyCollection<Hash256> committed, CancellationToken ct)
    {
        var tree = _node.Processor.Tree;
        ulong height = _node.Processor.Head.Height;
        var (reveal, closed) = WorkerDuties.Sort(tree, worker, committed);
        return Task.FromResult(new WorkerView(height, WorkerDuties.Assigned(tree, worker), reveal, closed));
    }

    public Task<IReadOnlyDictionary<Hash256, WorkerJob>> JobsAsync(IReadOnlyList<Hash256> tasks, CancellationToken ct)
    {
        var tree = _node.Processor.Tree;
        var jobs = new Dictionary<Hash256, WorkerJob>();
        foreach (var task in tasks)
            if (WorkerDuties.Job(tree, task) is { } job) jobs[task] = job;
        return Task.FromResult<IReadOnlyDictionary<Hash256, WorkerJob>>(jobs);
    }

    public Task<IReadOnlyList<AppRecord>> OfferedAppsAsync(Address worker, CancellationToken ct) =>
        Task.FromResult(WorkerDuties.OfferedApps(_node.Processor.Tree, MarketReader.OpenOrders(_node.Store), worker));

    public ulong NextNonce(Address sender) => _node.Mempool.NextNonce(sender);

    public void Submit(byte[] signed, ulong nonce, Hash256 taskId, string what)
    {
        if (!TransactionCodec.TryDecode(signed, Spec.ChainId, Spec.Parameters.MaxTransactionBytes, out var tx, out var error))
            throw new InvalidOperationException(error);
        var added = _node.Mempool.Add(tx!);
        if (added.Kind is not (MempoolResultKind.Accepted or MempoolResultKind.Duplicate))
            _logger.LogWarning("{What} for task {Task} was refused by the mempool: {Reason}", what, taskId, added.Reason);
        else
            _logger.LogDebug("{What} task {Task} (nonce {Nonce})", what, taskId, nonce);
    }
}
