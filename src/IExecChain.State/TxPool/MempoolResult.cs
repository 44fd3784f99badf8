namespace IExecChain.State.TxPool;

/// <summary>Full: the pool's hard limits; SenderLimit: the sender's share while the node is busy (admission control). Both mean "retry later".</summary>
public enum MempoolResultKind { Accepted, Duplicate, Rejected, Full, SenderLimit }

/// <summary>The answer to a submitted transaction; <see cref="Reason"/> is what the RPC tells the user.</summary>
public readonly record struct MempoolResult(MempoolResultKind Kind, string? Reason)
{
    public static readonly MempoolResult Accepted = new(MempoolResultKind.Accepted, null);
    public bool IsAccepted => Kind is MempoolResultKind.Accepted or MempoolResultKind.Duplicate;
}
