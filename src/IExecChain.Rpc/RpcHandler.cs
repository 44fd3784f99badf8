namespace IExecChain.Rpc;

/// <summary>
/// Handles one JSON-RPC method call. The returned object is serialized as the "result" member;
/// throw <see cref="RpcException"/> to answer with a JSON-RPC error.
/// </summary>
/// <remarks>
/// <paramref name="parameters"/> points into the request document, which is released once the
/// response is written: copy what must outlive the call (strings, decoded bytes), or
/// <see cref="System.Text.Json.JsonElement.Clone"/> an element.
/// </remarks>
public delegate ValueTask<object?> RpcHandler(RpcParams parameters, CancellationToken cancellationToken);

/// <summary>
/// A method that needs the connection it was called on, such as <c>iex_subscribe</c>.
/// <paramref name="connection"/> is null for HTTP requests, which have no connection beyond the
/// call; the handler decides whether that is an error.
/// </summary>
public delegate ValueTask<object?> RpcConnectionHandler(RpcParams parameters, RpcConnection? connection, CancellationToken cancellationToken);
