using System.Text.Json;
using System.Threading.Channels;

namespace IExecChain.Rpc.Contracts.Client;

/// <summary>
/// The events of one iex_subscribe, in the order the node published them. Enumerating ends when
/// the subscription is cancelled, and throws <see cref="JsonRpcClientException"/> (with the
/// node's close reason) when the connection ends.
/// </summary>
public sealed class RpcSubscription : IAsyncEnumerable<JsonElement>
{
    private readonly JsonRpcWebSocketClient _client;
    private readonly Channel<JsonElement> _events;

    internal RpcSubscription(JsonRpcWebSocketClient client, string topic, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _client = client;
        Topic = topic;
        _events = Channel.CreateBounded<JsonElement>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The id the node gave, as in the "subscription" member of its notifications.</summary>
    public string Id { get; internal set; } = "";

    public string Topic { get; }

    public ChannelReader<JsonElement> Events => _events.Reader;

    public IAsyncEnumerable<JsonElement> ReadAllAsync(CancellationToken ct = default) => _events.Reader.ReadAllAsync(ct);

    /// <summary>
    /// The events read as <typeparamref name="T"/> (<see cref="NewHeadEvent"/> for newHeads,
    /// <see cref="TaskEvent"/> for tasks); an event that does not fit ends the enumeration with
    /// <see cref="JsonRpcClientException"/>.
    /// </summary>
    public async IAsyncEnumerable<T> ReadAllAsync<T>([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (JsonElement e in _events.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            yield return RpcJson.Read<T>(e, $"the {Topic} subscription");
    }

    public IAsyncEnumerator<JsonElement> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);

    /// <summary>Cancels the subscription on the node; events already received can still be read.</summary>
    /// <returns>Whether the node still had it.</returns>
    public Task<bool> UnsubscribeAsync(CancellationToken ct = default) => _client.UnsubscribeAsync(this, ct);

    internal async ValueTask WriteAsync(JsonElement result, CancellationToken ct)
    {
        try
        {
            await _events.Writer.WriteAsync(result, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Completed in the meantime; the event has no reader left.
        }
    }

    internal void Complete(Exception? error) => _events.Writer.TryComplete(error);
}
