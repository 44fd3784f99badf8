using IExecChain.Rpc.Contracts;

namespace IExecChain.Rpc;

/// <summary>
/// Settings of the JSON-RPC server. The initializers are the only defaults of these settings: the node
/// (NodeOptions), the light worker and the dispatcher refer to the constants below, and docs/rpc.md
/// quotes them (a test compares the two).
/// </summary>
public sealed class RpcServerOptions
{
    public const string DefaultHost = RpcProtocol.DefaultHost;
    public const int DefaultPort = RpcProtocol.DefaultPort;

    /// <summary>8 MiB: iex_putContent takes content hex-encoded, so about 4 MiB of content fits in one call.</summary>
    public const long DefaultMaxRequestBytes = 8 * 1024 * 1024;

    public const int DefaultMaxBatchSize = 2000;

    /// <summary>16 MiB: the largest block (20,000 transactions) with full transactions, and a 1 MiB content chunk hex-encoded, fit.</summary>
    public const long DefaultMaxResponseBytes = 16 * 1024 * 1024;

    /// <summary>
    /// 4 MiB per batch: 82 KB of requests (1,000 × iex_getBlockByNumber with full transactions) drew
    /// 7.5 MB; a light worker's batch of 500 iex_getWorkerJob answers is about 1 MB. With
    /// <see cref="DefaultMaxConcurrentRequests"/> batches at once, answers under construction hold at
    /// most 256 MiB.
    /// </summary>
    public const long DefaultMaxBatchResponseBytes = 4 * 1024 * 1024;

    /// <summary>Requests being handled at once across every connection; further ones wait, unread, for a slot.</summary>
    public const int DefaultMaxConcurrentRequests = 64;

    /// <summary>Open TCP connections (HTTP and WebSocket together) beyond which Kestrel stops accepting.</summary>
    public const int DefaultMaxConnections = 1024;

    /// <summary>IP address to listen on, or "localhost". The default keeps the API off the network.</summary>
    public string Host { get; set; } = DefaultHost;

    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="RpcServer.Endpoint"/>).</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>Largest request: an HTTP body or one WebSocket message.</summary>
    public long MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    public int MaxBatchSize { get; set; } = DefaultMaxBatchSize;

    /// <summary>Largest answer to one request, alone or in a batch; a larger result becomes a -32005 error for that request.</summary>
    public long MaxResponseBytes { get; set; } = DefaultMaxResponseBytes;

    /// <summary>Largest answer to one batch; the entries that would go past it get a -32005 error each and do not run.</summary>
    public long MaxBatchResponseBytes { get; set; } = DefaultMaxBatchResponseBytes;

    /// <summary>
    /// Requests read and being handled at once, over all connections. A request beyond it waits
    /// for a slot before its body is read, so memory is bounded by this times the request and
    /// response limits. Per connection there is one at a time: HTTP/1.1 handles a connection's
    /// requests in turn, and a WebSocket session reads its next request after answering.
    /// </summary>
    public int MaxConcurrentRequests { get; set; } = DefaultMaxConcurrentRequests;

    public int MaxConnections { get; set; } = DefaultMaxConnections;

    /// <summary>
    /// Host header values (without port) the server answers; "*" allows any. Empty means the
    /// defaults: localhost, 127.0.0.1, [::1] and the bound address. A page on another name that
    /// resolves to this node (DNS rebinding) sends its own name and is refused with 403.
    /// </summary>
    public IList<string> AllowedHosts { get; set; } = [];

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

    /// <summary>
    /// A client whose send queue stays full this long (it does not read its responses) is closed
    /// with 1008 and a reason saying so.
    /// </summary>
    public TimeSpan WebSocketSendStallTimeout { get; set; } = TimeSpan.FromSeconds(10);

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
        if (MaxResponseBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxResponseBytes), MaxResponseBytes, "must be at least 1024");
        if (MaxResponseBytes > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(MaxResponseBytes), MaxResponseBytes, "must fit in one array");
        if (MaxBatchResponseBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxBatchResponseBytes), MaxBatchResponseBytes, "must be at least 1024");
        if (MaxBatchResponseBytes > Array.MaxLength / 2) throw new ArgumentOutOfRangeException(nameof(MaxBatchResponseBytes), MaxBatchResponseBytes, "must fit in one array");
        if (MaxConcurrentRequests < 1) throw new ArgumentOutOfRangeException(nameof(MaxConcurrentRequests), MaxConcurrentRequests, "must be positive");
        if (MaxConnections < 1) throw new ArgumentOutOfRangeException(nameof(MaxConnections), MaxConnections, "must be positive");
        if (AllowedHosts is null || AllowedHosts.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("RPC allowed hosts must not be null or blank");
        if (WebSocketSendStallTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(WebSocketSendStallTimeout), WebSocketSendStallTimeout, "must be positive");
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
