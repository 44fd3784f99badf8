namespace IExecChain.Rpc.Contracts;

/// <summary>An event of the <c>newHeads</c> subscription: a committed block's header fields, named as in iex_getBlockByNumber.</summary>
public sealed record NewHeadEvent(
    Quantity Number,
    string Hash,
    string ParentHash,
    Quantity Timestamp,
    string StateRoot,
    string TransactionsRoot,
    Quantity TransactionCount,
    string Proposer);

/// <summary>
/// An event of the <c>tasks</c> subscription: what happened to a task in block <see cref="BlockNumber"/>
/// (<see cref="Event"/>: started, assigned, contributed, revealed, completed, failed, ...) and its
/// status after it. <see cref="Worker"/> is there when the event concerns one.
/// </summary>
public sealed record TaskEvent
{
    public required string Event { get; init; }
    public required string TaskId { get; init; }
    public required string DealId { get; init; }
    public required string Requester { get; init; }
    public string? Worker { get; init; }
    public required string Status { get; init; }
    public required Quantity BlockNumber { get; init; }
}
