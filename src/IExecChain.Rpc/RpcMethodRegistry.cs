namespace IExecChain.Rpc;

/// <summary>Method name to handler map. Lookups are lock-free and may run while methods are registered.</summary>
public sealed class RpcMethodRegistry
{
    private readonly Lock _writeLock = new();

    // Copy-on-write: registration happens a few dozen times at start-up, lookups thousands of
    // times a second, so readers get an immutable dictionary and never take a lock.
    private volatile Dictionary<string, RpcHandler> _handlers = new(StringComparer.Ordinal);

    public void Register(string method, RpcHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(handler);
        lock (_writeLock)
        {
            if (_handlers.ContainsKey(method))
                throw new InvalidOperationException($"JSON-RPC method '{method}' is already registered");
            var next = new Dictionary<string, RpcHandler>(_handlers, StringComparer.Ordinal) { [method] = handler };
            _handlers = next;
        }
    }

    public IReadOnlyCollection<string> Methods => _handlers.Keys;

    internal bool TryGet(ReadOnlySpan<char> method, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RpcHandler? handler) =>
        _handlers.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(method, out handler);
}
