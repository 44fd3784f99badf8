using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace IExecChain.Rpc.WebSockets;

/// <summary>
/// One accepted WebSocket: a receive loop that runs requests through the dispatcher one at a
/// time, in order, and a send loop that drains the connection's queue. The send loop is the only
/// writer of the socket, so responses, notifications and the close frame never interleave.
/// </summary>
internal sealed class WebSocketSession : IDisposable
{
    private const int InitialReceiveBuffer = 4096;
    private const int KeptReceiveBuffer = 64 * 1024;
    // Frames above this are split (see SendFramedAsync); 64 KiB is Kestrel's default output buffer.
    private const int MaxFrameBytes = 64 * 1024;
    private static readonly ReadOnlyMemory<byte> NotificationSuffixBytes = OutboundMessage.NotificationSuffix.ToArray();
    // A close frame carries at most 125 bytes, two of them the status code.
    private const int MaxCloseReasonBytes = 123;

    private readonly WebSocket _socket;
    private readonly HttpContext _context;
    private readonly JsonRpcDispatcher _dispatcher;
    private readonly SemaphoreSlim _inFlight;
    private readonly WebSocketStats _stats;
    private readonly ILogger _logger;
    private readonly long _maxMessageBytes;
    private readonly TimeSpan _closeTimeout;
    private readonly TimeSpan _sendStallTimeout;
    // Cancelled when closing starts: a request still running has nobody left to answer.
    private readonly CancellationTokenSource _requests = new();
    // Fires the close timeout after closing starts and drops the connection if the close
    // handshake has not finished by then (a client that stopped reading never answers it).
    private readonly CancellationTokenSource _abort = new();

    public WebSocketSession(long id, WebSocket socket, HttpContext context, RpcServerOptions options, JsonRpcDispatcher dispatcher, SemaphoreSlim inFlight, WebSocketStats stats, ILogger logger)
    {
        _socket = socket;
        _context = context;
        _dispatcher = dispatcher;
        _inFlight = inFlight;
        _sendStallTimeout = options.WebSocketSendStallTimeout;
        _stats = stats;
        _logger = logger;
        _maxMessageBytes = options.MaxRequestBytes;
        _closeTimeout = options.WebSocketCloseTimeout;
        Connection = new RpcConnection(id, options, OnCloseRequested);
    }

    public RpcConnection Connection { get; }

    public async Task RunAsync()
    {
        using CancellationTokenRegistration abortAfterTimeout = _abort.Token.Register(Abort);
        Task sending = SendLoopAsync();
        try
        {
            await ReceiveLoopAsync();
        }
        catch (Exception ex) when (IsDisconnect(ex))
        {
            _logger.WebSocketDropped(Connection.Id, ex.Message);
        }
        catch (Exception ex)
        {
            _logger.WebSocketFailed(Connection.Id, ex);
            Connection.RequestClose(WebSocketCloseStatus.InternalServerError, "internal error");
        }
        finally
        {
            // Whatever ended the loop, the subscriptions go now, not when the socket is collected.
            Connection.RequestClose(WebSocketCloseStatus.NormalClosure, "");
        }
        await sending;
        _logger.WebSocketClosed(Connection.Id, Connection.CloseStatus, Connection.CloseReason);
        // The registration is disposed before the request ends (the using above, once this
        // method returns), so the timeout can never abort an HttpContext Kestrel has reused.
        _socket.Dispose();
    }

    public void Dispose()
    {
        _requests.Dispose();
        _abort.Dispose();
    }

    private void OnCloseRequested(RpcConnection connection)
    {
        // Runs on the thread that asked to close, for a slow consumer the publisher's: only
        // timers are started here, no callbacks run inline.
        if (connection.WasSlowConsumer)
        {
            _stats.SlowConsumerDisconnected();
            _dispatcher.ClientErrors.Report(ClientErrorKind.SlowWebSocketClient, $"connection {connection.Id}: {connection.CloseReason}");
        }
        try
        {
            _abort.CancelAfter(_closeTimeout);
            _ = _requests.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // The session already ended.
        }
    }

    private void Abort()
    {
        _socket.Abort();
        // Also unblocks a send stuck on a full TCP window, which aborting the WebSocket alone may not.
        _context.Abort();
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = RpcBufferPool.Shared.Rent(InitialReceiveBuffer);
        try
        {
            while (true)
            {
                // A client that sends requests faster than it reads the responses is slowed down
                // to its own pace here, instead of growing the queue; one that stops reading
                // altogether is closed, or it would hold its queue (and a task) forever.
                if (!await WaitForRoomAsync()) continue;
                int length = 0;
                bool discard = Connection.IsClosing;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length) buffer = Grow(buffer, length);
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        Connection.RequestClose(WebSocketCloseStatus.NormalClosure, "");
                        return;
                    }
                    if (!discard)
                    {
                        length += result.Count;
                        if (length > _maxMessageBytes)
                        {
                            string reason = $"message too big (limit {_maxMessageBytes} bytes)";
                            _dispatcher.ClientErrors.Report(ClientErrorKind.RequestTooLarge, $"WebSocket connection {Connection.Id}: {reason}");
                            Connection.RequestClose(WebSocketCloseStatus.MessageTooBig, reason);
                            discard = true;
                        }
                    }
                    // Once closing, messages are read only to reach the client's close frame.
                    if (discard) length = 0;
                }
                while (!result.EndOfMessage);
                if (discard) continue;

                _stats.MessageReceived();
                byte[]? response;
                try
                {
                    await _inFlight.WaitAsync(_requests.Token);
                    try
                    {
                        response = await _dispatcher.HandleAsync(buffer.AsMemory(0, length), Connection, _requests.Token);
                    }
                    finally
                    {
                        _inFlight.Release();
                    }
                }
                catch (OperationCanceledException) when (_requests.IsCancellationRequested)
                {
                    continue;
                }
                if (response is not null) Connection.TryEnqueueResponse(response);
                // After the response: the subscription ids reach the client before any notification.
                Connection.ActivatePending();

                if (buffer.Length > KeptReceiveBuffer)
                {
                    RpcBufferPool.Shared.Return(buffer);
                    buffer = RpcBufferPool.Shared.Rent(InitialReceiveBuffer);
                }
            }
        }
        finally
        {
            RpcBufferPool.Shared.Return(buffer);
        }
    }

    /// <returns>False when the client did not make room within the stall timeout; the connection is then closing.</returns>
    private async Task<bool> WaitForRoomAsync()
    {
        Task room = Connection.WaitForRoomAsync();
        if (room.IsCompleted) return true;
        try
        {
            await room.WaitAsync(_sendStallTimeout);
            return true;
        }
        catch (TimeoutException)
        {
            Connection.RequestClose(WebSocketCloseStatus.PolicyViolation,
                $"send queue full for {_sendStallTimeout.TotalSeconds:0.#} s: the client does not read its responses", slowConsumer: true);
            return false;
        }
    }

    private byte[] Grow(byte[] buffer, int length)
    {
        // Never beyond limit + 1: one byte over is enough to know the message is too big.
        int size = (int)Math.Min(_maxMessageBytes + 1, (long)buffer.Length * 2);
        byte[] larger = RpcBufferPool.Shared.Rent(size);
        buffer.AsSpan(0, length).CopyTo(larger);
        RpcBufferPool.Shared.Return(buffer);
        return larger;
    }

    private async Task SendLoopAsync()
    {
        ChannelReader<OutboundMessage> queue = Connection.Outbound;
        try
        {
            while (await queue.WaitToReadAsync())
            {
                while (queue.TryRead(out OutboundMessage message))
                {
                    try
                    {
                        // Closing drops what is still queued: the close frame goes next.
                        if (Connection.IsClosing) continue;
                        await SendAsync(message);
                        _stats.MessageSent();
                    }
                    finally
                    {
                        Connection.Dequeued(message);
                    }
                }
            }
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await _socket.CloseOutputAsync(Connection.CloseStatus, CloseReason(Connection.CloseReason), CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The receive loop may be waiting for queue room or for a message that never comes.
            if (IsDisconnect(ex))
            {
                Connection.RequestClose(WebSocketCloseStatus.NormalClosure, "connection lost");
            }
            else
            {
                _logger.WebSocketFailed(Connection.Id, ex);
                Connection.RequestClose(WebSocketCloseStatus.InternalServerError, "internal error");
            }
            Abort();
        }
    }

    private ValueTask SendAsync(OutboundMessage message)
    {
        if (message.NotificationPrefix is null) return SendFramedAsync(message.Body, endOfMessage: true);
        return message.Length <= MaxFrameBytes ? SendNotificationAsync(message) : SendLargeNotificationAsync(message);
    }

    /// <summary>
    /// Sends in frames of at most <see cref="MaxFrameBytes"/>. The WebSocket copies each frame into
    /// a buffer rented from the shared pool and Kestrel copies it into pinned blocks; one 4 MB
    /// frame to a client that does not read left an 8 MiB array in the shared pool and 4 MB of
    /// pinned blocks in Kestrel's, kept after the connection was gone (550 MB after 100 such
    /// clients). A frame at a time, each awaited, keeps both at a frame's size.
    /// </summary>
    private async ValueTask SendFramedAsync(ReadOnlyMemory<byte> data, bool endOfMessage)
    {
        while (data.Length > MaxFrameBytes)
        {
            await _socket.SendAsync(data[..MaxFrameBytes], WebSocketMessageType.Text, WebSocketMessageFlags.None, CancellationToken.None);
            data = data[MaxFrameBytes..];
        }
        await _socket.SendAsync(data, WebSocketMessageType.Text, endOfMessage ? WebSocketMessageFlags.EndOfMessage : WebSocketMessageFlags.None, CancellationToken.None);
    }

    private async ValueTask SendNotificationAsync(OutboundMessage message)
    {
        // One frame per message: some clients handle fragmented messages badly, and a copy of a
        // few kilobytes is cheaper than three frames and three flushes.
        int length = message.Length;
        byte[] frame = RpcBufferPool.Shared.Rent(length);
        try
        {
            byte[] prefix = message.NotificationPrefix!;
            prefix.CopyTo(frame, 0);
            message.Body.CopyTo(frame, prefix.Length);
            OutboundMessage.NotificationSuffix.CopyTo(frame.AsSpan(prefix.Length + message.Body.Length));
            await _socket.SendAsync(frame.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            RpcBufferPool.Shared.Return(frame);
        }
    }

    private async ValueTask SendLargeNotificationAsync(OutboundMessage message)
    {
        await SendFramedAsync(message.NotificationPrefix!, endOfMessage: false);
        await SendFramedAsync(message.Body, endOfMessage: false);
        await _socket.SendAsync(NotificationSuffixBytes, WebSocketMessageType.Text, WebSocketMessageFlags.EndOfMessage, CancellationToken.None);
    }

    private static string CloseReason(string reason)
    {
        if (Encoding.UTF8.GetByteCount(reason) <= MaxCloseReasonBytes) return reason;
        int chars = Math.Min(reason.Length, MaxCloseReasonBytes);
        while (Encoding.UTF8.GetByteCount(reason.AsSpan(0, chars)) > MaxCloseReasonBytes) chars--;
        return reason[..chars];
    }

    internal static bool IsDisconnect(Exception ex) =>
        ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException;
}
