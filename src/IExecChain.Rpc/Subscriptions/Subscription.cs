using System.Security.Cryptography;
using System.Text;

namespace IExecChain.Rpc.Subscriptions;

/// <summary>One iex_subscribe on one connection.</summary>
internal sealed class Subscription
{
    public Subscription(RpcEventHub hub, RpcTopic topic, EventFilter? filter, RpcConnection connection)
    {
        Hub = hub;
        Topic = topic;
        Filter = filter;
        Connection = connection;
        // Random rather than sequential, so one client cannot guess (and cancel) another's id.
        Id = "0x" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        NotificationPrefix = Encoding.UTF8.GetBytes(
            $$"""{"jsonrpc":"2.0","method":"iex_subscription","params":{"subscription":"{{Id}}","result":""");
    }

    public string Id { get; }

    public RpcEventHub Hub { get; }

    public RpcTopic Topic { get; }

    public EventFilter? Filter { get; }

    public RpcConnection Connection { get; }

    /// <summary>Everything of a notification before the event itself.</summary>
    public byte[] NotificationPrefix { get; }

    /// <summary>Whether notifications may be queued; read and written under the connection's lock.</summary>
    public bool Active { get; set; }
}
