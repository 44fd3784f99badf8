namespace IExecChain.State.TxPool;

public enum MempoolResultKind { Accepted, Duplicate, Rejected, Full }

/// <summary>The answer to a submitted transaction; <see cref="Reason"/> is what the RPC tells the user.</summary>
public readonly record struct MempoolResult(MempoolResultKind Kind, string? Reason)
{
    public static readonly MempoolResult Accepted = new(MempoolResultKind.Accepted, null);
    public bool IsAccepted => Kind is MempoolResultKind.Accepted or MempoolResultKind.Duplicate;
}
