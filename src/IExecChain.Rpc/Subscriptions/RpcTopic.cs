using System.Text;

namespace IExecChain.Rpc.Subscriptions;

/// <summary>
/// A stream of events clients can subscribe to, and the event fields a subscription may filter on.
/// Filter fields are top-level string members of the event object; a filter naming any other
/// field is refused, so a typo is an error rather than a subscription that never fires.
/// </summary>
public sealed class RpcTopic
{
    public RpcTopic(string name, params string[] filterFields)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(filterFields);
        if (filterFields.Distinct(StringComparer.Ordinal).Count() != filterFields.Length)
            throw new ArgumentException($"topic '{name}' lists a filter field twice", nameof(filterFields));
        Name = name;
        FilterFields = [.. filterFields];
        FilterFieldsUtf8 = [.. filterFields.Select(Encoding.UTF8.GetBytes)];
    }

    /// <summary>
    /// One event per committed block: <c>number</c>, <c>hash</c>, <c>parentHash</c>,
    /// <c>timestamp</c>, <c>stateRoot</c>, <c>transactionsRoot</c>, <c>transactionCount</c>,
    /// <c>proposer</c> (see <see cref="Chain.ChainEvents.NewHead"/>). No filter.
    /// </summary>
    public static RpcTopic NewHeads { get; } = new("newHeads");

    /// <summary>
    /// Market task events. Publishers put <c>taskId</c>, <c>dealId</c>, <c>requester</c>,
    /// <c>worker</c> and <c>status</c> as top-level strings so that clients can filter on them.
    /// </summary>
    public static RpcTopic Tasks { get; } = new("tasks", "taskId", "dealId", "requester", "worker", "status");

    public string Name { get; }

    public IReadOnlyList<string> FilterFields { get; }

    internal byte[][] FilterFieldsUtf8 { get; }

    public override string ToString() => Name;
}
