using Microsoft.Extensions.Logging;

namespace IExecChain.Rpc;

internal static partial class RpcLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "JSON-RPC method {Method} failed")]
    public static partial void HandlerFailed(this ILogger logger, string method, Exception exception);

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
}
