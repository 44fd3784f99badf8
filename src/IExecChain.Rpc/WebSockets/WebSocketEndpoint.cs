using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace IExecChain.Rpc.WebSockets;

/// <summary>Accepts WebSocket upgrades within the limits of <see cref="RpcServerOptions"/> and closes every connection on shutdown.</summary>
internal sealed class WebSocketEndpoint
{
    private readonly RpcServerOptions _options;
    private readonly JsonRpcDispatcher _dispatcher;
    private readonly SemaphoreSlim _inFlight;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, (WebSocketSession Session, Task Run)> _sessions = new();
    private long _lastId;
    private volatile bool _stopping;

    public WebSocketEndpoint(RpcServerOptions options, JsonRpcDispatcher dispatcher, SemaphoreSlim inFlight, ILogger logger)
    {
        _options = options;
        _dispatcher = dispatcher;
        _inFlight = inFlight;
        _logger = logger;
    }

    public WebSocketStats Stats { get; } = new();

    public async Task HandleAsync(HttpContext context)
    {
        if (Refusal(context) is { } refusal)
        {
            Stats.ConnectionRejected();
            _dispatcher.ClientErrors.Report(ClientErrorKind.WebSocketRefused, $"{context.Connection.RemoteIpAddress}: {refusal.Message}");
            await RpcServer.WriteErrorAsync(context, refusal.Status, refusal.Code, refusal.Message);
            return;
        }

        // Counted before the handshake, so a burst of upgrades cannot overshoot the limit.
        if (Stats.ConnectionOpened() > _options.MaxWebSocketConnections)
        {
            Stats.ConnectionClosed();
            Stats.ConnectionRejected();
            string message = $"too many WebSocket connections (limit {_options.MaxWebSocketConnections})";
            _dispatcher.ClientErrors.Report(ClientErrorKind.WebSocketRefused, $"{context.Connection.RemoteIpAddress}: {message}");
            await RpcServer.WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, RpcErrorCodes.ResourceLimit, message);
            return;
        }
        long id = Interlocked.Increment(ref _lastId);
        var run = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = _options.WebSocketKeepAliveInterval,
                KeepAliveTimeout = _options.WebSocketKeepAliveTimeout,
            });
            Stats.ConnectionAccepted();
            _logger.WebSocketOpened(id, context.Connection.RemoteIpAddress?.ToString());
            using var session = new WebSocketSession(id, socket, context, _options, _dispatcher, _inFlight, Stats, _logger);
            _sessions[id] = (session, run.Task);
            // Shutdown may have started between the check above and the registration.
            if (_stopping) session.Connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
            await session.RunAsync();
        }
        finally
        {
            _sessions.TryRemove(id, out _);
            Stats.ConnectionClosed();
            // Last: whoever waits for the connection to end sees it fully accounted for.
            run.TrySetResult();
        }
    }

    /// <summary>Sends every client a close frame (1001) and waits until each connection has ended or timed out.</summary>
    public Task CloseAllAsync()
    {
        _stopping = true;
        var running = new List<Task>();
        foreach ((WebSocketSession session, Task run) in _sessions.Values)
        {
            session.Connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
            running.Add(run);
        }
        return Task.WhenAll(running);
    }

    private (int Status, int Code, string Message)? Refusal(HttpContext context)
    {
        if (_stopping)
            return (StatusCodes.Status503ServiceUnavailable, RpcErrorCodes.ResourceLimit, "the server is shutting down");
        if (_options.MaxWebSocketConnections == 0)
            return (StatusCodes.Status503ServiceUnavailable, RpcErrorCodes.ResourceLimit, "WebSocket connections are turned off on this node");
        string? origin = context.Request.Headers.Origin;
        if (origin is not null && !IsSameOrigin(origin, context.Request) && !IsAllowedOrigin(origin))
            return (StatusCodes.Status403Forbidden, RpcErrorCodes.InvalidRequest, $"invalid request: origin '{origin}' is not allowed (RpcServerOptions.WebSocketAllowedOrigins)");
        return null;
    }

    // A page this node served itself (the explorer) connects from the origin the browser used to
    // reach it: http://HOST where HOST is the request's own Host header, which the server already
    // checked against RpcServerOptions.AllowedHosts. A page of any other origin still needs
    // WebSocketAllowedOrigins; a rebound name (DNS rebinding) never gets this far.
    private static bool IsSameOrigin(string origin, HttpRequest request)
    {
        string host = request.Headers.Host.ToString();
        if (host.Length == 0) return false;
        string scheme = request.IsHttps ? "https://" : "http://";
        return origin.Length == scheme.Length + host.Length
            && origin.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && origin.AsSpan(scheme.Length).Equals(host, StringComparison.OrdinalIgnoreCase);
    }

    private bool IsAllowedOrigin(string origin)
    {
        foreach (string allowed in _options.WebSocketAllowedOrigins)
        {
            if (allowed == "*" || string.Equals(allowed, origin, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }
}
