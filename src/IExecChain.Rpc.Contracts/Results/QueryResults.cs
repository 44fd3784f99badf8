namespace IExecChain.Rpc.Contracts;

/// <summary>
/// A page of an iex_list* query: <see cref="Items"/> newest first (a deal's tasks: by index), and
/// <see cref="Next"/>, the opaque cursor of the following page, absent on the last page.
/// <typeparamref name="TItem"/> is the item of the list: <see cref="NewHeadEvent"/> (iex_listBlocks),
/// <see cref="TransactionEntryResult"/>, <see cref="DealResult"/>, <see cref="TaskResult"/>,
/// <see cref="OrderResult"/>, <see cref="ProposalResult"/> or <see cref="CheckpointResult"/>.
/// </summary>
public sealed record PageResult<TItem>(IReadOnlyList<TItem> Items, string? Next = null);

/// <summary>
/// An item of iex_listTransactions. <see cref="Status"/> is "success" or "failed"; <see cref="Direction"/>
/// ("sent", "received" or "self") is there when the list is an account's.
/// </summary>
public sealed record TransactionEntryResult(
    string Hash,
    Quantity BlockNumber,
    Quantity Index,
    string From,
    string Type,
    string Status,
    string? Direction = null);

/// <summary>
/// iex_chainStats over blocks <see cref="FromBlock"/> to <see cref="ToBlock"/>. <see cref="Seconds"/> is the
/// sum of the window's block intervals; <see cref="TransactionsPerSecond"/> and <see cref="BlockIntervalMs"/>
/// are absent when the window has no interval. Members in wire order (see MarketResults.cs).
/// </summary>
public sealed record ChainStatsResult
{
    public required Quantity FromBlock { get; init; }
    public required Quantity ToBlock { get; init; }
    public required Quantity Blocks { get; init; }
    public required Quantity Transactions { get; init; }
    public required double Seconds { get; init; }
    public double? TransactionsPerSecond { get; init; }
    public BlockIntervalsResult? BlockIntervalMs { get; init; }
    public required Quantity TasksCompleted { get; init; }
    public required Quantity TasksFailed { get; init; }
}

/// <summary>Block intervals of a window in milliseconds (plain numbers): the mean to 0.1 ms, the others as measured.</summary>
public sealed record BlockIntervalsResult(double Mean, ulong Median, ulong P99, ulong Max);
