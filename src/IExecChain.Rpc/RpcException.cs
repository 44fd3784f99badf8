namespace IExecChain.Rpc;

/// <summary>An error a handler reports to the caller: code, message and optional data are sent as-is.</summary>
public sealed class RpcException : Exception
{
    public RpcException(int code, string message, object? data = null)
        : base(message)
    {
        Code = code;
        Data = data;
    }

    public int Code { get; }

    /// <summary>Serialized as the "data" member of the error object; omitted when null.</summary>
    public new object? Data { get; }
}

public static class RpcErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    // Application codes, from the -32000..-32099 range the JSON-RPC 2.0 spec leaves to servers.
    public const int TransactionRejected = -32000;
    public const int NotFound = -32001;
    /// <summary>The method exists but not on this transport (iex_subscribe over HTTP); -32004 as in EIP-1474.</summary>
    public const int NotSupported = -32004;
    public const int ResourceLimit = -32005;
}
