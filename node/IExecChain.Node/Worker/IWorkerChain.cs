using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Market;

namespace IExecChain.Node.Worker;

/// <summary>
/// The chain as the worker sees it: its duties at the head, the records to run a task, and a way to send
/// its signed transactions. A full node answers in process (<see cref="NodeWorkerChain"/>); a light worker
/// asks a node it trusts over RPC (<see cref="RpcWorkerChain"/>). Both answer from <see cref="WorkerDuties"/>.
/// </summary>
public interface IWorkerChain
{
    ChainSpec Spec { get; }

    /// <summary>The fee of a Contribute or Reveal transaction at the head.</summary>
    ulong ContributionFee { get; }

    /// <summary>The height of the last block the worker knows about.</summary>
    ulong Head { get; }

    /// <summary>Raised when a new block is known.</summary>
    event Action? Advanced;

    /// <summary>
    /// The worker's assigned tasks at the head, and for each task in <paramref name="committed"/> whether its
    /// reveal is due or the task is closed for this worker (tasks in neither list are waiting).
    /// </summary>
    Task<WorkerView> ReadAsync(Address worker, IReadOnlyCollection<Hash256> committed, CancellationToken ct);

    /// <summary>The records to run each task; a task the chain does not know is left out.</summary>
    Task<IReadOnlyDictionary<Hash256, WorkerJob>> JobsAsync(IReadOnlyList<Hash256> tasks, CancellationToken ct);

    /// <summary>The WebAssembly apps offered to the worker's pool by open app orders (<see cref="WorkerDuties.OfferedApps"/>).</summary>
    Task<IReadOnlyList<AppRecord>> OfferedAppsAsync(Address worker, CancellationToken ct);

    /// <summary>The nonce for the worker's next transaction.</summary>
    ulong NextNonce(Address sender);

    /// <summary>Sends a signed transaction (a light worker batches them); refusals are logged, never thrown.</summary>
    void Submit(byte[] signed, ulong nonce, Hash256 taskId, string what);
}

public sealed record WorkerView(ulong Height, IReadOnlyList<Hash256> Assigned, IReadOnlyList<Hash256> Reveal, IReadOnlyList<Hash256> Closed);
