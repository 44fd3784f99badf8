namespace IExecChain.Rpc.WebSockets;

/// <summary>Counters of the WebSocket transport, for metrics and tests. Reads are atomic, not a consistent snapshot.</summary>
public sealed class WebSocketStats
{
    private long _openConnections;
    private long _acceptedConnections;
    private long _rejectedConnections;
    private long _slowConsumerDisconnects;
    private long _messagesReceived;
    private long _messagesSent;

    public long OpenConnections => Interlocked.Read(ref _openConnections);

    public long AcceptedConnections => Interlocked.Read(ref _acceptedConnections);

    /// <summary>Upgrades refused: connection limit, disallowed origin, shutting down.</summary>
    public long RejectedConnections => Interlocked.Read(ref _rejectedConnections);

    /// <summary>Connections closed because their send queue overflowed.</summary>
    public long SlowConsumerDisconnects => Interlocked.Read(ref _slowConsumerDisconnects);

    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    /// <summary>Responses and notifications written to sockets.</summary>
    public long MessagesSent => Interlocked.Read(ref _messagesSent);

    /// <returns>The open count including this connection.</returns>
    internal long ConnectionOpened() => Interlocked.Increment(ref _openConnections);

    internal void ConnectionClosed() => Interlocked.Decrement(ref _openConnections);

    internal void ConnectionAccepted() => Interlocked.Increment(ref _acceptedConnections);

    internal void ConnectionRejected() => Interlocked.Increment(ref _rejectedConnections);

    internal void SlowConsumerDisconnected() => Interlocked.Increment(ref _slowConsumerDisconnects);

    internal void MessageReceived() => Interlocked.Increment(ref _messagesReceived);

    internal void MessageSent() => Interlocked.Increment(ref _messagesSent);
}
