using Microsoft.Extensions.Logging;

namespace IExecChain.Rpc;

internal static partial class RpcLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "JSON-RPC method {Method} failed ({Suppressed} more such failures not logged in the last {Period})")]
    public static partial void HandlerFailed(this ILogger logger, string method, long suppressed, TimeSpan period, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Result of JSON-RPC method {Method} could not be serialized")]
    public static partial void ResultNotSerializable(this ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Unparsable JSON-RPC request: {Reason}")]
    public static partial void ParseFailed(this ILogger logger, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Rejected JSON-RPC batch of {Count} requests (limit {Limit})")]
    public static partial void BatchTooLarge(this ILogger logger, int count, int limit);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "JSON-RPC server listening on {Endpoint}")]
    public static partial void Listening(this ILogger logger, Uri endpoint);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Rejected JSON-RPC request of {Length} bytes from {Remote} (limit {Limit})")]
    public static partial void RequestTooLarge(this ILogger logger, long length, string? remote, long limit);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "JSON-RPC server stopped")]
    public static partial void Stopped(this ILogger logger);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Refused WebSocket connection from {Remote}: {Reason}")]
    public static partial void WebSocketRefused(this ILogger logger, string? remote, string reason);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "WebSocket connection {Id} from {Remote} opened")]
    public static partial void WebSocketOpened(this ILogger logger, long id, string? remote);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "WebSocket connection {Id} closed ({Status}: {Reason})")]
    public static partial void WebSocketClosed(this ILogger logger, long id, System.Net.WebSockets.WebSocketCloseStatus status, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Closing WebSocket connection {Id}: {Reason}")]
    public static partial void WebSocketClosing(this ILogger logger, long id, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "WebSocket connection {Id} dropped: {Reason}")]
    public static partial void WebSocketDropped(this ILogger logger, long id, string reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "WebSocket connection {Id} failed")]
    public static partial void WebSocketFailed(this ILogger logger, long id, Exception exception);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "JSON-RPC client error {Kind}: {Detail} ({Suppressed} more of this kind not logged in the last {Period})")]
    public static partial void ClientError(this ILogger logger, ClientErrorKind kind, string detail, long suppressed, TimeSpan period);
}
