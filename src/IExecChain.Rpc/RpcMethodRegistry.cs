namespace IExecChain.Rpc;

/// <summary>Method name to handler map. Lookups are lock-free and may run while methods are registered.</summary>
public sealed class RpcMethodRegistry
{
    private readonly Lock _writeLock = new();

    // Copy-on-write: registration happens a few dozen times at start-up, lookups thousands of
    // times a second, so readers get an immutable dictionary and never take a lock.
    // Every method is stored in its connection-aware form; a plain handler is wrapped once, at
    // registration, so the dispatcher has a single way to call a method.
    private volatile Dictionary<string, RpcConnectionHandler> _handlers = new(StringComparer.Ordinal);

    public void Register(string method, RpcHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, (parameters, _, ct) => handler(parameters, ct));
    }

    /// <summary>Registers a method that sees the connection it is called on (null over HTTP).</summary>
    public void Register(string method, RpcConnectionHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, handler);
    }

    private void Add(string method, RpcConnectionHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        lock (_writeLock)
        {
            if (_handlers.ContainsKey(method))
                throw new InvalidOperationException($"JSON-RPC method '{method}' is already registered");
            var next = new Dictionary<string, RpcConnectionHandler>(_handlers, StringComparer.Ordinal) { [method] = handler };
            _handlers = next;
        }
    }

    public IReadOnlyCollection<string> Methods => _handlers.Keys;

    internal bool TryGet(ReadOnlySpan<char> method, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RpcConnectionHandler? handler) =>
        _handlers.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(method, out handler);
}
