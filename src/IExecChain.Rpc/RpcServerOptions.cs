namespace IExecChain.Rpc;

/// <summary>
/// Settings of the JSON-RPC server. The initializers are the only defaults of these settings: the node
/// (NodeOptions), the light worker and the dispatcher refer to the constants below, and docs/rpc.md
/// quotes them (a test compares the two).
/// </summary>
public sealed class RpcServerOptions
{
    public const string DefaultHost = "127.0.0.1";
    public const int DefaultPort = 8645;

    /// <summary>8 MiB: iex_putContent takes content hex-encoded, so about 4 MiB of content fits in one call.</summary>
    public const long DefaultMaxRequestBytes = 8 * 1024 * 1024;

    public const int DefaultMaxBatchSize = 2000;

    /// <summary>IP address to listen on, or "localhost". The default keeps the API off the network.</summary>
    public string Host { get; set; } = DefaultHost;

    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="RpcServer.Endpoint"/>).</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>Largest request: an HTTP body or one WebSocket message.</summary>
    public long MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    public int MaxBatchSize { get; set; } = DefaultMaxBatchSize;

    /// <summary>Open WebSocket connections at most; further upgrades get HTTP 503. 0 turns WebSockets off.</summary>
    public int MaxWebSocketConnections { get; set; } = 100;

    public int MaxSubscriptionsPerConnection { get; set; } = 100;

    /// <summary>
    /// Messages waiting to be sent on one WebSocket connection. A notification that does not fit
    /// disconnects the client as too slow; responses instead make the server stop reading requests
    /// until the queue has room again.
    /// </summary>
    public int MaxQueuedMessagesPerConnection { get; set; } = 4096;

    /// <summary>Bytes waiting to be sent on one WebSocket connection; one message larger than this is still sent when the queue is empty.</summary>
    public long MaxQueuedBytesPerConnection { get; set; } = 4 * 1024 * 1024;

    /// <summary>How often the server pings an idle WebSocket client.</summary>
    public TimeSpan WebSocketKeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A client that does not answer a ping within this time is disconnected.</summary>
    public TimeSpan WebSocketKeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a closing WebSocket waits for the client's close frame before the connection is dropped.</summary>
    public TimeSpan WebSocketCloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Browser origins allowed to open a WebSocket ("https://explorer.example", or "*" for any).
    /// Browsers do not apply CORS to WebSockets, so by default an upgrade carrying an Origin
    /// header is refused: a web page cannot use a local node behind its user's back. Clients
    /// outside a browser send no Origin and are not affected.
    /// </summary>
    public IList<string> WebSocketAllowedOrigins { get; set; } = [];

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new ArgumentException("RPC host must not be empty");
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "RPC port must be 0..65535");
        if (MaxRequestBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxRequestBytes), MaxRequestBytes, "must be positive");
        if (MaxRequestBytes > Array.MaxLength - 1) throw new ArgumentOutOfRangeException(nameof(MaxRequestBytes), MaxRequestBytes, "must fit in one array");
        if (MaxBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "must be positive");
        if (MaxWebSocketConnections < 0) throw new ArgumentOutOfRangeException(nameof(MaxWebSocketConnections), MaxWebSocketConnections, "must not be negative");
        if (MaxSubscriptionsPerConnection < 1) throw new ArgumentOutOfRangeException(nameof(MaxSubscriptionsPerConnection), MaxSubscriptionsPerConnection, "must be positive");
        if (MaxQueuedMessagesPerConnection < 1) throw new ArgumentOutOfRangeException(nameof(MaxQueuedMessagesPerConnection), MaxQueuedMessagesPerConnection, "must be positive");
        if (MaxQueuedBytesPerConnection < 1) throw new ArgumentOutOfRangeException(nameof(MaxQueuedBytesPerConnection), MaxQueuedBytesPerConnection, "must be positive");
        if (WebSocketKeepAliveInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(WebSocketKeepAliveInterval), WebSocketKeepAliveInterval, "must not be negative (zero turns pings off)");
        if (WebSocketKeepAliveTimeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(WebSocketKeepAliveTimeout), WebSocketKeepAliveTimeout, "must not be negative (zero waits forever)");
        if (WebSocketAllowedOrigins is null || WebSocketAllowedOrigins.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("WebSocket allowed origins must not be null or blank");
        if (WebSocketCloseTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(WebSocketCloseTimeout), WebSocketCloseTimeout, "must be positive");
    }
}
