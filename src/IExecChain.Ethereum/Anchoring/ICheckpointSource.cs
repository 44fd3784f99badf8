using IExecChain.Core.Checkpoints;

namespace IExecChain.Ethereum.Anchoring;

/// <summary>Where a relayer gets signed checkpoints (the sidechain's RPC in the node).</summary>
public interface ICheckpointSource
{
    /// <summary>Number of the newest checkpoint with signatures gathered, or null if there is none yet.</summary>
    Task<ulong?> GetLatestCheckpointNumberAsync(CancellationToken ct);

    /// <summary>The checkpoint and its signatures; null if it does not exist (yet).</summary>
    Task<SignedCheckpoint?> GetCheckpointAsync(ulong number, CancellationToken ct);
}

/// <summary>A checkpoint could not be anchored for a reason retrying will not fix.</summary>
public sealed class AnchoringException(string message, Exception? inner = null) : Exception(message, inner);
