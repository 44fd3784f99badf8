using System.Net.WebSockets;
using System.Threading.Channels;
using IExecChain.Rpc.Subscriptions;
using IExecChain.Rpc.WebSockets;

namespace IExecChain.Rpc;

/// <summary>
/// A client's WebSocket connection as methods see it: its subscriptions and the bounded queue of
/// messages waiting to be sent. Everything here is cheap and never waits, because notifications
/// are queued from the publisher's thread (for newHeads, the consensus thread).
/// </summary>
public sealed class RpcConnection
{
    private readonly Lock _lock = new();
    private readonly Channel<OutboundMessage> _outbound = Channel.CreateUnbounded<OutboundMessage>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Subscription> _pending = [];
    private readonly int _maxSubscriptions;
    private readonly int _maxQueuedMessages;
    private readonly long _maxQueuedBytes;
    private readonly Action<RpcConnection> _closeRequested;

    // Guarded by _lock.
    private int _queuedMessages;
    private long _queuedBytes;
    private bool _closing;
    private TaskCompletionSource? _roomWaiter;

    internal RpcConnection(long id, RpcServerOptions options, Action<RpcConnection> closeRequested)
    {
        Id = id;
        _maxSubscriptions = options.MaxSubscriptionsPerConnection;
        _maxQueuedMessages = options.MaxQueuedMessagesPerConnection;
        _maxQueuedBytes = options.MaxQueuedBytesPerConnection;
        _closeRequested = closeRequested;
    }

    /// <summary>Sequence number of the connection since the server started; shows up in logs.</summary>
    public long Id { get; }

    /// <summary>Active subscriptions (those whose iex_subscribe response has been queued).</summary>
    public int SubscriptionCount
    {
        get
        {
            lock (_lock) return _subscriptions.Count;
        }
    }

    public bool IsClosing
    {
        get
        {
            lock (_lock) return _closing;
        }
    }

    /// <summary>Set once, by the first close request; what the close frame carries.</summary>
    internal WebSocketCloseStatus CloseStatus { get; private set; } = WebSocketCloseStatus.NormalClosure;

    internal string CloseReason { get; private set; } = "";

    /// <summary>Set when the client was disconnected because it did not read its notifications.</summary>
    internal bool WasSlowConsumer { get; private set; }

    internal ChannelReader<OutboundMessage> Outbound => _outbound.Reader;

    /// <summary>
    /// Creates a subscription that starts receiving events only after <see cref="ActivatePending"/>,
    /// which the transport calls once the response carrying its id is queued: a client never sees
    /// a notification for an id it has not been given yet.
    /// </summary>
    internal Subscription AddPending(RpcEventHub hub, RpcTopic topic, EventFilter? filter)
    {
        lock (_lock)
        {
            if (_closing) throw new RpcException(RpcErrorCodes.ResourceLimit, "the connection is closing");
            if (_subscriptions.Count + _pending.Count >= _maxSubscriptions)
                throw new RpcException(RpcErrorCodes.ResourceLimit, $"too many subscriptions on this connection (limit {_maxSubscriptions})");
            var subscription = new Subscription(hub, topic, filter, this);
            _pending.Add(subscription);
            return subscription;
        }
    }

    internal void ActivatePending()
    {
        lock (_lock)
        {
            if (_pending.Count == 0) return;
            // Lock order is connection, then hub; the hub never calls back into a connection
            // while holding its own lock.
            foreach (Subscription subscription in _pending)
            {
                if (_closing) break;
                _subscriptions.Add(subscription.Id, subscription);
                subscription.Active = true;
                subscription.Hub.Add(subscription);
            }
            _pending.Clear();
        }
    }

    /// <returns>Whether the subscription existed on this connection.</returns>
    internal bool Unsubscribe(string id)
    {
        lock (_lock)
        {
            if (!_subscriptions.Remove(id, out Subscription? subscription)) return false;
            // Under the lock that queuing takes too: no notification of this subscription can be
            // queued after the iex_unsubscribe response.
            subscription.Active = false;
            subscription.Hub.Remove(subscription);
            return true;
        }
    }

    /// <summary>Queues a response. Never refused for size: the transport stops reading requests while the queue is full (see <see cref="WaitForRoomAsync"/>).</summary>
    internal bool TryEnqueueResponse(byte[] response)
    {
        lock (_lock)
        {
            if (_closing) return false;
            Enqueue(new OutboundMessage(null, response));
            return true;
        }
    }

    /// <summary>Queues a notification; a full queue disconnects the client. Called on the publisher's thread.</summary>
    internal bool TryEnqueueNotification(Subscription subscription, byte[] eventJson)
    {
        int messages;
        long bytes;
        lock (_lock)
        {
            if (_closing || !subscription.Active) return false;
            var message = new OutboundMessage(subscription.NotificationPrefix, eventJson);
            if (_queuedMessages == 0 || (_queuedMessages < _maxQueuedMessages && _queuedBytes + message.Length <= _maxQueuedBytes))
            {
                Enqueue(message);
                return true;
            }
            messages = _queuedMessages;
            bytes = _queuedBytes;
        }
        RequestClose(WebSocketCloseStatus.PolicyViolation,
            $"send queue full ({messages} messages, {bytes} bytes): the client does not read its notifications fast enough", slowConsumer: true);
        return false;
    }

    private void Enqueue(OutboundMessage message)
    {
        _queuedMessages++;
        _queuedBytes += message.Length;
        // An unbounded channel's writer always accepts until completed, which happens only under
        // this lock once _closing is set.
        _outbound.Writer.TryWrite(message);
    }

    /// <summary>Called by the sender after a message left the queue (sent or dropped).</summary>
    internal void Dequeued(OutboundMessage message)
    {
        TaskCompletionSource? waiter = null;
        lock (_lock)
        {
            _queuedMessages--;
            _queuedBytes -= message.Length;
            if (_roomWaiter is not null && HasRoom())
            {
                waiter = _roomWaiter;
                _roomWaiter = null;
            }
        }
        waiter?.TrySetResult();
    }

    /// <summary>Completes when the queue is below its limits or the connection is closing.</summary>
    internal Task WaitForRoomAsync()
    {
        lock (_lock)
        {
            if (_closing || HasRoom()) return Task.CompletedTask;
            _roomWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _roomWaiter.Task;
        }
    }

    private bool HasRoom() => _queuedMessages < _maxQueuedMessages && _queuedBytes < _maxQueuedBytes;

    /// <summary>
    /// Starts closing: drops every subscription, stops queuing, and lets the transport send a close
    /// frame after the message being sent (queued ones are dropped). Only the first call counts.
    /// </summary>
    internal void RequestClose(WebSocketCloseStatus status, string reason, bool slowConsumer = false)
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            if (_closing) return;
            _closing = true;
            CloseStatus = status;
            CloseReason = reason;
            WasSlowConsumer = slowConsumer;
            foreach (Subscription subscription in _subscriptions.Values)
            {
                subscription.Active = false;
                subscription.Hub.Remove(subscription);
            }
            _subscriptions.Clear();
            _pending.Clear();
            _outbound.Writer.TryComplete();
            waiter = _roomWaiter;
            _roomWaiter = null;
        }
        waiter?.TrySetResult();
        _closeRequested(this);
    }
}
