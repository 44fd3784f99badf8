using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;

namespace IExecChain.Rpc.Contracts.Client;

/// <summary>
/// A JSON-RPC 2.0 client over one WebSocket: calls, and subscriptions read as async streams.
/// Calls may run concurrently; responses are matched by id.
/// </summary>
/// <remarks>
/// One loop reads the socket. Each subscription buffers up to its capacity of events; when a
/// reader falls that far behind, the loop waits for it, the socket stops being read, and the node
/// eventually disconnects the client as too slow (every subscription then ends with the close
/// reason). Read subscriptions promptly, or give them a larger capacity.
/// </remarks>
public sealed class JsonRpcWebSocketClient : IAsyncDisposable
{
    private const int MaxMessageBytes = 64 * 1024 * 1024;
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<long, PendingCall> _pending = new();
    private readonly ConcurrentDictionary<string, RpcSubscription> _subscriptions = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _receiving = Task.CompletedTask;
    private long _nextId;
    private volatile JsonRpcClientException? _closed;

    private JsonRpcWebSocketClient(ClientWebSocket socket, Uri endpoint)
    {
        _socket = socket;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>The node's close status once it closed the connection (PolicyViolation for a too slow client).</summary>
    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseStatusDescription => _socket.CloseStatusDescription;

    /// <summary>Completes when the connection has ended, for whatever reason.</summary>
    public Task Completion => _receiving;

    /// <param name="endpoint">ws://, wss://, or the node's http(s):// RPC address, whose path becomes /ws.</param>
    public static async Task<JsonRpcWebSocketClient> ConnectAsync(Uri endpoint, CancellationToken ct = default)
    {
        Uri uri = ToWebSocketUri(endpoint);
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(30);
        try
        {
            await socket.ConnectAsync(uri, ct).ConfigureAwait(false);
        }
        catch (WebSocketException ex)
        {
            socket.Dispose();
            throw new JsonRpcClientException(-1, $"cannot open a WebSocket to the node at {uri}: {ex.Message}");
        }
        var client = new JsonRpcWebSocketClient(socket, uri);
        client._receiving = Task.Run(client.ReceiveLoopAsync, CancellationToken.None);
        return client;
    }

    public static Uri ToWebSocketUri(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var builder = new UriBuilder(endpoint);
        switch (endpoint.Scheme)
        {
            case "ws" or "wss":
                return endpoint;
            case "http":
                builder.Scheme = "ws";
                break;
            case "https":
                builder.Scheme = "wss";
                break;
            default:
                throw new ArgumentException($"'{endpoint}' is not a ws(s) or http(s) address", nameof(endpoint));
        }
        if (builder.Path is "" or "/") builder.Path = "/ws";
        return builder.Uri;
    }

    public Task<JsonElement> CallAsync(string method, object?[]? parameters = null, CancellationToken ct = default) =>
        CallAsync(method, parameters, onResult: null, ct);

    /// <summary>
    /// Subscribes to <paramref name="topic"/>; events that match every field of
    /// <paramref name="filter"/> arrive on the returned subscription, in publication order.
    /// </summary>
    /// <param name="capacity">Events buffered before the socket stops being read.</param>
    public async Task<RpcSubscription> SubscribeAsync(string topic, IReadOnlyDictionary<string, string>? filter = null, int capacity = 1024, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var subscription = new RpcSubscription(this, topic, capacity);
        object?[] parameters = filter is null ? [topic] : [topic, filter];
        // Registered by the receive loop itself, before it reads the next message: the first
        // notification can follow the response immediately.
        await CallAsync("iex_subscribe", parameters, result =>
        {
            subscription.Id = result.GetString() ?? throw new JsonRpcClientException(-1, "iex_subscribe answered without a subscription id");
            _subscriptions[subscription.Id] = subscription;
        }, ct).ConfigureAwait(false);
        return subscription;
    }

    internal async Task<bool> UnsubscribeAsync(RpcSubscription subscription, CancellationToken ct)
    {
        // Ended by the receive loop on the response: the node sends no notification of the
        // subscription after it, and every one before it has been handed over already.
        JsonElement result = await CallAsync("iex_unsubscribe", [subscription.Id], _ =>
        {
            if (_subscriptions.TryRemove(subscription.Id, out RpcSubscription? removed)) removed.Complete(null);
        }, ct).ConfigureAwait(false);
        return result.ValueKind == JsonValueKind.True;
    }

    private async Task<JsonElement> CallAsync(string method, object?[]? parameters, Action<JsonElement>? onResult, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        if (_closed is { } closed) throw closed;
        long id = Interlocked.Increment(ref _nextId);
        var call = new PendingCall(onResult);
        _pending[id] = call;
        try
        {
            byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id, method, @params = parameters ?? [] });
            await SendAsync(request, ct).ConfigureAwait(false);
            using (ct.Register(() => call.Result.TrySetCanceled(ct)))
                return await call.Result.Task.ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task SendAsync(byte[] message, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, ct).ConfigureAwait(false);
        }
        catch (WebSocketException ex)
        {
            throw _closed ?? new JsonRpcClientException(-1, $"the connection to {Endpoint} failed: {ex.Message}");
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        string reason = "the connection ended";
        try
        {
            while (true)
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        if (length >= MaxMessageBytes) throw new JsonRpcClientException(-1, $"the node sent a message over {MaxMessageBytes} bytes");
                        byte[] larger = ArrayPool<byte>.Shared.Rent(length * 2);
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), _stop.Token).ConfigureAwait(false);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    reason = $"the node closed the connection: {_socket.CloseStatus} ({_socket.CloseStatusDescription})";
                    if (_socket.State == WebSocketState.CloseReceived && await _sendLock.WaitAsync(CloseTimeout).ConfigureAwait(false))
                    {
                        try
                        {
                            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).ConfigureAwait(false);
                        }
                        finally
                        {
                            _sendLock.Release();
                        }
                    }
                    return;
                }
                await DispatchAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            reason = "the client was disposed";
        }
        catch (Exception ex)
        {
            // Whatever went wrong, every caller and subscriber learns it below; nothing escapes the loop.
            reason = $"the connection to {Endpoint} failed: {ex.Message}";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            var closed = new JsonRpcClientException(-1, reason);
            _closed = closed;
            foreach (PendingCall call in _pending.Values) call.Result.TrySetException(closed);
            foreach (RpcSubscription subscription in _subscriptions.Values) subscription.Complete(closed);
            _subscriptions.Clear();
        }
    }

    private async Task DispatchAsync(ReadOnlyMemory<byte> message)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message);
        }
        catch (JsonException)
        {
            return;
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement item in root.EnumerateArray()) Complete(item);
                return;
            }
            if (root.ValueKind != JsonValueKind.Object) return;
            if (root.TryGetProperty("method", out JsonElement method) && method.ValueEquals(RpcProtocol.NotificationMethod))
            {
                if (root.TryGetProperty("params", out JsonElement p) && p.ValueKind == JsonValueKind.Object &&
                    p.TryGetProperty("subscription", out JsonElement id) && id.ValueKind == JsonValueKind.String &&
                    p.TryGetProperty("result", out JsonElement result) &&
                    _subscriptions.TryGetValue(id.GetString()!, out RpcSubscription? subscription))
                {
                    await subscription.WriteAsync(result.Clone(), _stop.Token).ConfigureAwait(false);
                }
                return;
            }
            Complete(root);
        }
    }

    private void Complete(JsonElement response)
    {
        if (response.ValueKind != JsonValueKind.Object || !response.TryGetProperty("id", out JsonElement idElement) ||
            !idElement.TryGetInt64(out long id) || !_pending.TryGetValue(id, out PendingCall? call))
            return;
        if (response.TryGetProperty("error", out JsonElement error))
        {
            int code = error.TryGetProperty("code", out JsonElement c) && c.TryGetInt32(out int value) ? value : -1;
            string text = error.TryGetProperty("message", out JsonElement m) ? m.GetString() ?? "error" : "error";
            call.Result.TrySetException(new JsonRpcClientException(code, text));
            return;
        }
        JsonElement result = response.TryGetProperty("result", out JsonElement r) ? r.Clone() : default;
        try
        {
            call.OnResult?.Invoke(result);
            call.Result.TrySetResult(result);
        }
        catch (Exception ex) when (ex is JsonRpcClientException or InvalidOperationException)
        {
            call.Result.TrySetException(ex);
        }
    }

    /// <summary>Closes the connection with a close handshake (bounded by a few seconds) and ends every subscription.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(CloseTimeout);
            try
            {
                await _sendLock.WaitAsync(timeout.Token).ConfigureAwait(false);
                try
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token).ConfigureAwait(false);
                }
                finally
                {
                    _sendLock.Release();
                }
                await _receiving.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                // The node did not answer the close in time; the socket is dropped below.
            }
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Abort();
        await _receiving.ConfigureAwait(false);
        _socket.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }

    private sealed class PendingCall(Action<JsonElement>? onResult)
    {
        public TaskCompletionSource<JsonElement> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Action<JsonElement>? OnResult { get; } = onResult;
    }
}
