namespace IExecChain.Rpc.Contracts;

/// <summary>
/// Facts of the node's JSON-RPC that server and clients must agree on. The server's options and
/// subscription methods refer to these constants, so a client never carries its own copy.
/// </summary>
public static class RpcProtocol
{
    /// <summary>Where a node listens for JSON-RPC unless its operator says otherwise.</summary>
    public const string DefaultHost = "127.0.0.1";

    public const int DefaultPort = 8645;

    /// <summary>The method of the notifications that carry subscription events over a WebSocket.</summary>
    public const string NotificationMethod = "iex_subscription";
}
