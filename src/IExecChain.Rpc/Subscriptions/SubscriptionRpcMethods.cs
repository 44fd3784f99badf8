using IExecChain.Rpc.Contracts;

namespace IExecChain.Rpc.Subscriptions;

/// <summary>
/// <c>iex_subscribe [topic, filter?]</c> and <c>iex_unsubscribe [id]</c>. They need a WebSocket
/// connection to deliver notifications on; over HTTP they answer <see cref="RpcErrorCodes.NotSupported"/>.
/// </summary>
public sealed class SubscriptionRpcMethods
{
    public const string NotificationMethod = RpcProtocol.NotificationMethod;

    private readonly RpcEventHub _hub;

    public SubscriptionRpcMethods(RpcEventHub hub)
    {
        ArgumentNullException.ThrowIfNull(hub);
        _hub = hub;
    }

    public void RegisterAll(RpcMethodRegistry registry)
    {
        registry.Register("iex_subscribe", Subscribe);
        registry.Register("iex_unsubscribe", Unsubscribe);
    }

    private ValueTask<object?> Subscribe(RpcParams parameters, RpcConnection? connection, CancellationToken ct)
    {
        RpcConnection socket = RequireWebSocket(connection, "iex_subscribe");
        string name = parameters.GetString(0, "topic");
        if (!_hub.TryFindTopic(name, out RpcTopic? topic))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: unknown topic '{EventFilter.Truncate(name)}'; known topics: {_hub.KnownTopicList}");
        EventFilter? filter = EventFilter.Parse(parameters.Get(1, "filter"), topic);
        Subscription subscription = socket.AddPending(_hub, topic, filter);
        return ValueTask.FromResult<object?>(subscription.Id);
    }

    private static ValueTask<object?> Unsubscribe(RpcParams parameters, RpcConnection? connection, CancellationToken ct)
    {
        RpcConnection socket = RequireWebSocket(connection, "iex_unsubscribe");
        string id = parameters.GetString(0, "id");
        return ValueTask.FromResult<object?>(socket.Unsubscribe(id));
    }

    private static RpcConnection RequireWebSocket(RpcConnection? connection, string method) =>
        connection ?? throw new RpcException(RpcErrorCodes.NotSupported,
            $"{method} needs a WebSocket connection (ws://HOST:PORT/ws); HTTP cannot carry notifications");
}
