using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using IExecChain.Rpc.Subscriptions;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>A real Kestrel RPC server with the subscription methods on an event hub, on a free port.</summary>
internal sealed class WebSocketTestServer : IAsyncDisposable
{
    private WebSocketTestServer(RpcServer server, RpcEventHub hub)
    {
        Server = server;
        Hub = hub;
    }

    public RpcServer Server { get; }

    public RpcEventHub Hub { get; }

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Server.Endpoint.Port}/ws");

    public static async Task<WebSocketTestServer> StartAsync(Action<RpcServerOptions>? configure = null)
    {
        var hub = new RpcEventHub();
        var registry = new RpcMethodRegistry();
        registry.Register("test_echo", (p, _) => ValueTask.FromResult<object?>(p.GetString(0, "value")));
        // Publishes from inside a request, to pin down what a subscriber sees around its subscribe call.
        registry.Register("test_publish", (p, _) => ValueTask.FromResult<object?>(hub.Publish("tasks", new { sequence = p.GetUInt64(0, "sequence") })));
        new SubscriptionRpcMethods(hub).RegisterAll(registry);
        var options = new RpcServerOptions { Port = 0 };
        configure?.Invoke(options);
        var server = new RpcServer(options, new JsonRpcDispatcher(registry, maxBatchSize: options.MaxBatchSize), NullLoggerFactory.Instance);
        await server.StartAsync();
        return new WebSocketTestServer(server, hub);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

/// <summary>A bare ClientWebSocket that sends and reads whole text messages, for asserting on the exact wire format.</summary>
internal sealed class RawSocket : IAsyncDisposable
{
    // A safety net against a hung test, never an assertion about speed.
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private RawSocket(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    /// <param name="receiveBufferBytes">A small kernel receive buffer makes a client that does not read back up sooner.</param>
    public static async Task<RawSocket> ConnectAsync(Uri uri, int? receiveBufferBytes = null, string? origin = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null) socket.Options.SetRequestHeader("Origin", origin);
        using var timeout = new CancellationTokenSource(Patience);
        if (receiveBufferBytes is { } size)
        {
            using var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, ct) =>
                {
                    var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = size };
                    await tcp.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(tcp, ownsSocket: true);
                },
            };
            using var invoker = new HttpMessageInvoker(handler);
            await socket.ConnectAsync(uri, invoker, timeout.Token);
        }
        else
        {
            await socket.ConnectAsync(uri, timeout.Token);
        }
        return new RawSocket(socket);
    }

    public async Task SendAsync(string text)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
    }

    /// <returns>The next whole message, or null when the server sent a close frame (answered here).</returns>
    public async Task<string?> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var message = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        while (true)
        {
            WebSocketReceiveResult result = await Socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (Socket.State == WebSocketState.CloseReceived)
                    await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
                return null;
            }
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return Encoding.UTF8.GetString(message.ToArray());
        }
    }

    public async Task<JsonElement> ReceiveJsonAsync()
    {
        string text = await ReceiveAsync() ?? throw new AssertionException($"the server closed the socket: {Socket.CloseStatus} {Socket.CloseStatusDescription}");
        using JsonDocument document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public async Task<JsonElement> CallAsync(string request)
    {
        await SendAsync(request);
        return await ReceiveJsonAsync();
    }

    /// <summary>Sends iex_subscribe and returns the subscription id.</summary>
    public async Task<string> SubscribeAsync(string topic, string? filterJson = null)
    {
        string parameters = filterJson is null ? $"[\"{topic}\"]" : $"[\"{topic}\",{filterJson}]";
        JsonElement response = await CallAsync($$"""{"jsonrpc":"2.0","id":"sub","method":"iex_subscribe","params":{{parameters}}}""");
        return response.GetProperty("result").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // Already dropped by the server.
            }
        }
        Socket.Dispose();
    }
}

internal static class Eventually
{
    /// <summary>Waits for server-side state that follows an asynchronous event (a socket closing); fails after <see cref="RawSocket.Patience"/>.</summary>
    public static async Task Until(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(RawSocket.Patience);
        while (!condition())
        {
            if (timeout.IsCancellationRequested) Assert.Fail($"gave up waiting until {what}");
            await Task.Delay(10);
        }
    }

    public static async Task<T> Within<T>(Task<T> task)
    {
        using var timeout = new CancellationTokenSource(RawSocket.Patience);
        return await task.WaitAsync(timeout.Token);
    }
}
