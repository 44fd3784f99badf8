using System.Buffers;
using System.Net;
using IExecChain.Rpc.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IExecChain.Rpc;

/// <summary>
/// HTTP and WebSocket transports for <see cref="JsonRpcDispatcher"/> on Kestrel: POST / carries
/// JSON-RPC, a WebSocket upgrade on /ws (or /) carries JSON-RPC and subscription notifications,
/// GET / says what the endpoint is (or, for a browser, serves the page set with
/// <see cref="MapBrowserPage"/>), and extra GET paths can be added before start.
/// </summary>
public sealed class RpcServer : IAsyncDisposable
{
    private const string EndpointDescription = "iExecChain JSON-RPC 2.0 endpoint: POST requests with Content-Type: application/json, or a WebSocket on /ws\n";
    private const string WebSocketPath = "/ws";
    private const int ResponseSliceBytes = 64 * 1024;

    private readonly RpcServerOptions _options;
    private readonly JsonRpcDispatcher _dispatcher;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly List<(string Path, Func<HttpContext, Task> Handler)> _extraGets = [];
    private Func<HttpContext, Task>? _browserPage;
    private readonly WebSocketEndpoint _webSockets;
    private readonly HostAllowList _allowedHosts;
    // Requests read and handled at once, over HTTP and WebSocket together.
    private readonly SemaphoreSlim _inFlight;
    private WebApplication? _app;
    private Uri? _endpoint;

    public RpcServer(RpcServerOptions options, JsonRpcDispatcher dispatcher, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dispatcher);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.Validate();
        if (options.MaxBatchSize != dispatcher.MaxBatchSize)
            throw new ArgumentException($"RpcServerOptions.MaxBatchSize ({options.MaxBatchSize}) differs from the dispatcher's ({dispatcher.MaxBatchSize}); build the dispatcher from the options", nameof(dispatcher));
        if (options.MaxResponseBytes != dispatcher.MaxResponseBytes || options.MaxBatchResponseBytes != dispatcher.MaxBatchResponseBytes)
            throw new ArgumentException("RpcServerOptions' response limits differ from the dispatcher's; build the dispatcher from the options", nameof(dispatcher));
        _options = options;
        _dispatcher = dispatcher;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<RpcServer>();
        _inFlight = new SemaphoreSlim(options.MaxConcurrentRequests, options.MaxConcurrentRequests);
        _allowedHosts = new HostAllowList(options.AllowedHosts, options.Host);
        _webSockets = new WebSocketEndpoint(options, dispatcher, _inFlight, _logger);
    }

    public WebSocketStats WebSockets => _webSockets.Stats;

    /// <summary>Requests being handled now (read, dispatched, or answered), over both transports.</summary>
    public int RequestsInFlight => _options.MaxConcurrentRequests - _inFlight.CurrentCount;

    /// <summary>The bound address, with the real port when <see cref="RpcServerOptions.Port"/> is 0.</summary>
    public Uri Endpoint => _endpoint ?? throw new InvalidOperationException("the RPC server has not been started");

    public void MapGet(string path, Func<HttpContext, Task> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(handler);
        if (_app is not null) throw new InvalidOperationException("extra endpoints must be mapped before the RPC server starts");
        if (path is "/" or WebSocketPath) throw new ArgumentException($"{path} is the RPC endpoint's own", nameof(path));
        _extraGets.Add((path, handler));
    }

    /// <summary>
    /// What GET (and HEAD) / answers a client that accepts text/html: a browser opening the node's
    /// address gets this page, while other clients keep the plain-text endpoint description.
    /// POST / and WebSocket upgrades are unaffected.
    /// </summary>
    public void MapBrowserPage(Func<HttpContext, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_app is not null) throw new InvalidOperationException("the browser page must be set before the RPC server starts");
        _browserPage = handler;
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        if (_app is not null) throw new InvalidOperationException("the RPC server is already started");
        IPAddress address = ResolveHost(_options.Host);

        // The empty builder reads no appsettings.json or environment variables: everything the
        // server does is decided by RpcServerOptions, which the node's config owns.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "IExecChain.Rpc" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Enforced by this class so the 413 carries a JSON-RPC error body.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MaxConcurrentConnections = _options.MaxConnections;
            // HTTP/1.1 only: it handles one request per connection at a time, which is the
            // per-connection in-flight limit; HTTP/2 would multiplex them.
            kestrel.Listen(address, _options.Port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddLogging();
        builder.Services.Replace(ServiceDescriptor.Singleton(_loggerFactory));
        // The node owns the process lifetime (signals, shutdown order), not this web host.
        builder.Services.Replace(ServiceDescriptor.Singleton<IHostLifetime, NodeOwnedLifetime>());

        WebApplication app = builder.Build();
        app.Use(RefuseUnknownHostAsync);
        app.UseWebSockets();
        app.Map("/", HandleRootAsync);
        app.Map(WebSocketPath, HandleWebSocketPathAsync);
        foreach ((string path, Func<HttpContext, Task> handler) in _extraGets)
            app.MapGet(path, (RequestDelegate)(context => handler(context)));

        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException ex) when (ex.InnerException is AddressInUseException)
        {
            await app.DisposeAsync();
            throw new InvalidOperationException($"address {_options.Host}:{_options.Port} is already in use", ex);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        _app = app;
        _endpoint = new Uri(app.Urls.First());
        _logger.Listening(_endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        WebApplication? app = _app;
        if (app is null) return;
        _app = null;
        // Before Kestrel stops: it would otherwise wait out its timeout on every open socket,
        // and the clients would see a dropped connection instead of a close frame.
        await _webSockets.CloseAllAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
            await app.StopAsync(timeout.Token);
        await app.DisposeAsync();
        _logger.Stopped();
    }

    private static IPAddress ResolveHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        return IPAddress.TryParse(host, out IPAddress? address)
            ? address
            : throw new ArgumentException($"RPC host '{host}' must be an IP address or localhost");
    }

    private Task RefuseUnknownHostAsync(HttpContext context, RequestDelegate next)
    {
        string host = context.Request.Headers.Host.ToString();
        if (_allowedHosts.Allows(host)) return next(context);
        string shown = host.Length > 64 ? host[..64] + "..." : host;
        _dispatcher.ClientErrors.Report(ClientErrorKind.HostRefused, $"Host '{shown}' from {context.Connection.RemoteIpAddress}");
        context.Response.Headers.Connection = "close";
        return WriteErrorAsync(context, StatusCodes.Status403Forbidden, RpcErrorCodes.InvalidRequest,
            $"invalid request: Host '{shown}' is not one this node answers to (RpcServerOptions.AllowedHosts: {string.Join(", ", _allowedHosts.Hosts)})");
    }

    private Task HandleRootAsync(HttpContext context)
    {
        if (context.WebSockets.IsWebSocketRequest) return _webSockets.HandleAsync(context);
        string method = context.Request.Method;
        if (HttpMethods.IsPost(method)) return HandleRpcAsync(context);
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
        {
            if (_browserPage is not null && AcceptsHtml(context.Request)) return _browserPage(context);
            context.Response.ContentType = "text/plain; charset=utf-8";
            return HttpMethods.IsHead(method) ? Task.CompletedTask : context.Response.WriteAsync(EndpointDescription, context.RequestAborted);
        }
        context.Response.Headers.Allow = "GET, HEAD, POST";
        return WriteErrorAsync(context, StatusCodes.Status405MethodNotAllowed,
            $"invalid request: HTTP method {method} is not supported, use POST");
    }

    private Task HandleWebSocketPathAsync(HttpContext context)
    {
        if (context.WebSockets.IsWebSocketRequest) return _webSockets.HandleAsync(context);
        context.Response.Headers.Upgrade = "websocket";
        return WriteErrorAsync(context, StatusCodes.Status426UpgradeRequired, RpcErrorCodes.InvalidRequest,
            $"invalid request: {WebSocketPath} takes WebSocket connections; plain HTTP requests go to POST /");
    }

    private async Task HandleRpcAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        if (!IsJson(request.ContentType))
        {
            await WriteErrorAsync(context, StatusCodes.Status415UnsupportedMediaType,
                $"invalid request: content type must be application/json, got '{request.ContentType}'");
            return;
        }

        long limit = _options.MaxRequestBytes;
        long? declared = request.ContentLength;
        if (declared > limit)
        {
            await RejectTooLargeAsync(context, declared.Value);
            return;
        }

        CancellationToken ct = context.RequestAborted;
        try
        {
            // The slot is taken before the body is read: a request waiting for one costs a
            // connection, not its body.
            await _inFlight.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        byte[] buffer = RpcBufferPool.Shared.Rent((int)Math.Max(1, declared ?? Math.Min(limit + 1, 16 * 1024)));
        try
        {
            int length = 0;
            while (declared is null || length < declared)
            {
                if (length == buffer.Length)
                {
                    byte[] larger = RpcBufferPool.Shared.Rent((int)Math.Min(limit + 1, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    RpcBufferPool.Shared.Return(buffer);
                    buffer = larger;
                }
                int read = await request.Body.ReadAsync(buffer.AsMemory(length), ct);
                if (read == 0) break;
                length += read;
                if (length > limit)
                {
                    await RejectTooLargeAsync(context, length);
                    return;
                }
            }

            byte[]? response = await _dispatcher.HandleAsync(buffer.AsMemory(0, length), ct);
            context.Response.StatusCode = StatusCodes.Status200OK;
            if (response is null)
            {
                context.Response.ContentLength = 0;
                return;
            }
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = response.Length;
            // In slices, each awaited: Kestrel copies a write into pinned blocks it keeps pooled,
            // so a 4 MB answer written at once to a slow reader would leave 4 MB of them behind.
            for (int offset = 0; offset < response.Length; offset += ResponseSliceBytes)
                await context.Response.Body.WriteAsync(response.AsMemory(offset, Math.Min(ResponseSliceBytes, response.Length - offset)), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception ex) when (!context.Response.HasStarted && ex is not (IOException or Microsoft.AspNetCore.Http.BadHttpRequestException))
        {
            // A bug, not the client's doing: the client still gets a JSON-RPC answer, never a 500
            // with an empty body.
            _dispatcher.ClientErrors.ReportHandlerFailure("(HTTP request)", ex);
            await WriteErrorAsync(context, StatusCodes.Status200OK, RpcErrorCodes.InternalError, "internal error");
        }
        finally
        {
            RpcBufferPool.Shared.Return(buffer);
            _inFlight.Release();
        }
    }

    private Task RejectTooLargeAsync(HttpContext context, long length)
    {
        _dispatcher.ClientErrors.Report(ClientErrorKind.RequestTooLarge, $"{length} bytes from {context.Connection.RemoteIpAddress} (limit {_options.MaxRequestBytes})");
        // The rest of the body is not read; closing spares Kestrel draining it.
        context.Response.Headers.Connection = "close";
        return WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge,
            $"request too large (limit {_options.MaxRequestBytes} bytes)");
    }

    private static Task WriteErrorAsync(HttpContext context, int statusCode, string message) =>
        WriteErrorAsync(context, statusCode, RpcErrorCodes.InvalidRequest, message);

    internal static Task WriteErrorAsync(HttpContext context, int statusCode, int code, string message)
    {
        byte[] body = JsonRpcDispatcher.ErrorResponse(code, message);
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static bool AcceptsHtml(HttpRequest request)
    {
        foreach (string? value in request.Headers.Accept)
        {
            if (value is not null && value.Contains("text/html", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    private static bool IsJson(string? contentType)
    {
        if (contentType is null) return false;
        ReadOnlySpan<char> mediaType = contentType.AsSpan();
        int semicolon = mediaType.IndexOf(';');
        if (semicolon >= 0) mediaType = mediaType[..semicolon];
        return mediaType.Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);
    }

    private sealed class NodeOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
