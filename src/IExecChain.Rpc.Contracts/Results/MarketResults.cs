using System.Text.Json;
using System.Text.Json.Serialization;

namespace IExecChain.Rpc.Contracts;

// The records whose optional members sit between required ones on the wire (iex_getWorker's workerpool,
// iex_getTask's revealDeadline...) declare init members rather than constructor parameters: C# puts
// optional parameters last, and the server writes members in declaration order, so a positional record
// would reorder the bytes every client has seen. `required` makes a member required when read, as a
// constructor parameter without a default is; the others are left out when null.

/// <summary>
/// iex_getApp. <see cref="Runtime"/> is "wasm" or "native"; <see cref="Status"/> "active", "pending-approval"
/// or "revoked". <see cref="ContentRoot"/> names the app's code as content (docs/content.md).
/// </summary>
public sealed record AppResult(
    string Id,
    string Owner,
    string Name,
    string Runtime,
    string ContentRoot,
    Quantity ContentSize,
    string Endpoint,
    string Manifest,
    Quantity RegisteredAt,
    string Status);

/// <summary>iex_getDataset.</summary>
public sealed record DatasetResult(
    string Id,
    string Owner,
    string Name,
    string ContentRoot,
    Quantity Size,
    string Endpoint,
    Quantity RegisteredAt);

/// <summary>
/// iex_getPool. The ratios are percents; <see cref="Reliability"/> and <see cref="Trust"/> are fractions
/// scaled by 1,000,000 (plain numbers, not quantities). <see cref="TasksReversed"/> counts completed tasks
/// whose result a verification reversed.
/// </summary>
public sealed record PoolResult(
    string Id,
    string Owner,
    string Description,
    uint WorkerStakeRatio,
    uint SchedulerRewardRatio,
    bool AllowNative,
    IReadOnlyList<string> WorkerAllow,
    IReadOnlyList<PoolWorkerResult> Workers,
    Quantity TasksCompleted,
    Quantity TasksFailed,
    Quantity TasksReversed,
    Quantity MeanWorkerScore,
    long Reliability,
    long Trust,
    Quantity RegisteredAt);

/// <summary>A member of a pool and its score.</summary>
public sealed record PoolWorkerResult(string Address, Quantity Score);

/// <summary>iex_getWorker. <see cref="Workerpool"/> is absent while the worker is in no pool; <see cref="Assignments"/> are task ids.</summary>
public sealed record WorkerResult
{
    public required string Address { get; init; }
    public string? Workerpool { get; init; }
    public required string Endpoint { get; init; }
    public required Quantity Score { get; init; }
    public required IReadOnlyList<string> Assignments { get; init; }
    public required Quantity Contributions { get; init; }
    public required Quantity Wins { get; init; }
    public required Quantity Losses { get; init; }
}

/// <summary>
/// iex_getOrder, and an entry of iex_getOrderBook and iex_listOrders. <see cref="Kind"/> is "app", "dataset",
/// "workerpool" or "request"; <see cref="Status"/> "open", "filled" or "cancelled". Only a request order lists
/// its <see cref="Deals"/>. <see cref="Order"/> is the signed order's own fields, named as in the .proto
/// (camelCase), bytes as 0x-hex, amounts as decimal strings, default values left out: its members differ by
/// kind, so it stays JSON.
/// </summary>
public sealed record OrderResult
{
    public required string Hash { get; init; }
    public required string Kind { get; init; }
    public required string Owner { get; init; }
    public required string Status { get; init; }
    public required Quantity Remaining { get; init; }
    public required Quantity Sequence { get; init; }
    public required Quantity PlacedAt { get; init; }
    public required Quantity LockPerUnit { get; init; }
    public required Quantity DealCount { get; init; }
    public IReadOnlyList<string>? Deals { get; init; }
    public required JsonElement Order { get; init; }

    /// <summary><see cref="Order"/> read as the fields of any kind of order (a method, so the server does not write it).</summary>
    public OrderTerms ReadTerms() => RpcJson.Read<OrderTerms>(Order, "an order's fields");
}

/// <summary>
/// The fields of a signed order (<see cref="OrderResult.Order"/>): the union of the four kinds, each of
/// which fills its own (AppOrder, DatasetOrder, WorkerpoolOrder, RequestOrder in market.proto). Left out on
/// the wire when they hold their default, so null here. Amounts are decimal strings on the wire (they
/// predate quantities there), read as numbers; <see cref="Tag"/> is 16 hex digits; attributes and
/// capabilities map a name to a number, a boolean or a string.
/// </summary>
public sealed record OrderTerms
{
    public string? App { get; init; }
    public string? Dataset { get; init; }
    public string? Workerpool { get; init; }
    public string? Requester { get; init; }
    public string? Beneficiary { get; init; }
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public ulong? Price { get; init; }
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public ulong? AppMaxPrice { get; init; }
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public ulong? DatasetMaxPrice { get; init; }
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public ulong? WorkerpoolMaxPrice { get; init; }
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public ulong? Volume { get; init; }
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public ulong? Category { get; init; }
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public ulong? Trust { get; init; }
    public string? Tag { get; init; }
    public IReadOnlyList<string>? AppRestrict { get; init; }
    public IReadOnlyList<string>? DatasetRestrict { get; init; }
    public IReadOnlyList<string>? WorkerpoolRestrict { get; init; }
    public IReadOnlyList<string>? RequesterRestrict { get; init; }
    public string? Salt { get; init; }
    public string? Params { get; init; }
    public string? Requirements { get; init; }
    public IReadOnlyDictionary<string, JsonElement>? Capabilities { get; init; }
    public IReadOnlyDictionary<string, JsonElement>? Attributes { get; init; }
    public uint? Performance { get; init; }
    public uint? EnergyEfficiency { get; init; }
    public RankingWeightsTerms? Weights { get; init; }
}

/// <summary>A request order's ranking weights; a weight left at zero is absent.</summary>
public sealed record RankingWeightsTerms(uint? Cost = null, uint? Performance = null, uint? Reliability = null, uint? Trust = null, uint? Energy = null);

/// <summary>
/// iex_getDeal, and an item of iex_listDeals. <see cref="Tag"/> is the 64-bit tag as 16 hex digits (a bit
/// field, not a quantity); <see cref="Tasks"/> are the ids of the deal's first 1,000 tasks.
/// <see cref="Dataset"/> and <see cref="DatasetOrderHash"/> are absent for a deal without a dataset.
/// </summary>
public sealed record DealResult
{
    public required string Id { get; init; }
    public required string App { get; init; }
    public string? Dataset { get; init; }
    public required string Workerpool { get; init; }
    public required string Requester { get; init; }
    public required string Beneficiary { get; init; }
    public required string RequestHash { get; init; }
    public required string AppOrderHash { get; init; }
    public string? DatasetOrderHash { get; init; }
    public required string WorkerpoolOrderHash { get; init; }
    public required Quantity AppPrice { get; init; }
    public required Quantity DatasetPrice { get; init; }
    public required Quantity WorkerpoolPrice { get; init; }
    public required Quantity PoolStake { get; init; }
    public required Quantity WorkerStake { get; init; }
    public required uint SchedulerRewardRatio { get; init; }
    public required Quantity Trust { get; init; }
    public required Quantity Category { get; init; }
    public required string Tag { get; init; }
    public required string Params { get; init; }
    public required Quantity FirstTaskIndex { get; init; }
    public required Quantity Volume { get; init; }
    public required Quantity CreatedAt { get; init; }
    public required Quantity Started { get; init; }
    public required Quantity Completed { get; init; }
    public required Quantity Failed { get; init; }
    public required IReadOnlyList<string> Tasks { get; init; }
}

/// <summary>
/// iex_getTask, and an item of iex_listTasks. <see cref="Status"/> is "active", "revealing", "completed" or
/// "failed". <see cref="Outcome"/> is for people, <see cref="OutcomeReason"/> for programs. With a rollback
/// window a completed task has <see cref="WindowEnd"/> and <see cref="Pending"/> payments, and a
/// <see cref="Verification"/> when it was spot-checked or challenged (docs/rpc.md "Market records").
/// </summary>
public sealed record TaskResult
{
    public required string Id { get; init; }
    public required string DealId { get; init; }
    public required Quantity Index { get; init; }
    public required string Status { get; init; }
    public required Quantity StartHeight { get; init; }
    public required Quantity ContributionDeadline { get; init; }
    public Quantity? RevealDeadline { get; init; }
    public required Quantity FinalDeadline { get; init; }
    public string? ConsensusHash { get; init; }
    public string? ResultDigest { get; init; }
    public Quantity? FinishedAt { get; init; }
    public string? Outcome { get; init; }
    public FailureReason? OutcomeReason { get; init; }
    public required bool AwaitingWorkers { get; init; }
    public required IReadOnlyList<ReplicaResult> Replicas { get; init; }
    public Quantity? WindowEnd { get; init; }
    public required IReadOnlyList<PendingPaymentResult> Pending { get; init; }
    public string? OriginalDigest { get; init; }
    public VerificationResult? Verification { get; init; }
}

/// <summary>
/// A worker's replica of a task. <see cref="Status"/> is "assigned", "contributed", "revealed", "timed-out",
/// "cancelled", "rejected" or "failed" (then <see cref="Failure"/> says why).
/// </summary>
public sealed record ReplicaResult
{
    public required string Worker { get; init; }
    public required string Status { get; init; }
    public required Quantity AssignedAt { get; init; }
    public required Quantity Deadline { get; init; }
    public string? ResultHash { get; init; }
    public Quantity? Score { get; init; }
    public string? ResultDigest { get; init; }
    public string? Failure { get; init; }
}

/// <summary>A winner's payment held until the rollback window ends: its stake, its reward and whether its score rises.</summary>
public sealed record PendingPaymentResult(string Worker, Quantity Stake, Quantity Reward, bool ScoreGain);

/// <summary>
/// A spot-check or challenge of a completed task. <see cref="Kind"/> is "spot-check" or "challenge" (with
/// <see cref="Challenger"/> and <see cref="Bond"/>); <see cref="Phase"/> "committing", "revealing", "upheld",
/// "reversed" or "inconclusive".
/// </summary>
public sealed record VerificationResult
{
    public required string Kind { get; init; }
    public string? Challenger { get; init; }
    public Quantity? Bond { get; init; }
    public required string Phase { get; init; }
    public required Quantity StartedAt { get; init; }
    public Quantity? RevealDeadline { get; init; }
    public required Quantity FinalDeadline { get; init; }
    public string? ResultDigest { get; init; }
    public Quantity? ConcludedAt { get; init; }
    public string? Outcome { get; init; }
    public FailureReason? OutcomeReason { get; init; }
    public required IReadOnlyList<ReplicaResult> Verifiers { get; init; }
}

/// <summary>iex_getOrderBook: of the <see cref="Open"/> orders that pass the filter, the first by placement, at <see cref="Height"/>.</summary>
public sealed record OrderBookResult(Quantity Height, int Open, IReadOnlyList<OrderResult> Orders, MarketTotalsResult Totals);

/// <summary>
/// The market's counters. <see cref="TasksAwaitingWorkers"/> and <see cref="DealsWaitingToStart"/> are queue
/// lengths (plain numbers); <see cref="SpotChecks"/> and <see cref="Challenges"/> count verifications started by
/// each cause, <see cref="Reversals"/> the results they reversed.
/// </summary>
public sealed record MarketTotalsResult(
    Quantity Deals,
    Quantity TasksStarted,
    Quantity TasksCompleted,
    Quantity TasksFailed,
    int TasksAwaitingWorkers,
    int DealsWaitingToStart,
    Quantity Kitty,
    Quantity SpotChecks,
    Quantity Challenges,
    Quantity Reversals);

/// <summary>iex_getResult: a task's result as this node's worker stored it; <see cref="Stdout"/> and file data are 0x-hex.</summary>
public sealed record TaskOutputResult(string TaskId, string Digest, int ExitCode, string Stdout, IReadOnlyList<OutputFileResult> Files);

/// <summary>An output file of a result: its name relative to the output directory ('/'-separated) and its bytes (0x-hex).</summary>
public sealed record OutputFileResult(string Name, string Data);
