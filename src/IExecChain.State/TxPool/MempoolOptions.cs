namespace IExecChain.State.TxPool;

public sealed class MempoolOptions
{
    public int MaxTransactions { get; set; } = 200_000;
    public long MaxBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>How far ahead of the account nonce a transaction may be queued.</summary>
    public int MaxNonceGap { get; set; } = 256;

    /// <summary>A replacement (same sender and nonce) must offer at least this much more fee, in percent.</summary>
    public int ReplacementFeeBumpPercent { get; set; } = 10;
}
