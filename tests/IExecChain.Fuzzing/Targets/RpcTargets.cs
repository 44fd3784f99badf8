using System.Text.Json;
using IExecChain.Rpc;
using IExecChain.Rpc.Chain;

namespace IExecChain.Fuzzing.Targets;

/// <summary>
/// JSON-RPC requests through the real dispatcher and the node's read and submit methods. A request
/// may be refused, but the answer must always be JSON the client can read, and no request may end
/// in an internal error: a bad parameter is the client's error (-32602) and must be named as such.
/// </summary>
public static class RpcTargets
{
    private const int InternalError = -32603;

    private static readonly Lazy<JsonRpcDispatcher> Dispatcher = new(() =>
    {
        var chain = new FuzzChain();
        var registry = new RpcMethodRegistry();
        new ChainRpcMethods(chain.Spec, chain.Processor, chain.Mempool, () => new { peers = 0 }).RegisterAll(registry);
        new WorkerRpcMethods(chain.Processor, chain.Store).RegisterAll(registry);
        new GovernanceRpcMethods(chain.Spec, chain.Processor).RegisterAll(registry);
        new CheckpointRpcMethods(FuzzChain.ChainId, chain.Processor).RegisterAll(registry);
        new MarketRpcMethods(chain.Processor, chain.Store).RegisterAll(registry);
        return new JsonRpcDispatcher(registry);
    });

    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget("jsonrpc", "HTTP and WebSocket JSON-RPC request bodies", Request);
    }

    private static void Request(byte[] input)
    {
        byte[]? response = Dispatcher.Value.HandleAsync(input, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (response is null) return;
        using var document = JsonDocument.Parse(response);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Array)
            foreach (var item in root.EnumerateArray()) CheckResponse(item);
        else
            CheckResponse(root);
    }

    private static void CheckResponse(JsonElement response)
    {
        if (!response.TryGetProperty("error", out var error)) return;
        int code = error.GetProperty("code").GetInt32();
        if (code == InternalError)
            throw new InvalidOperationException("a request ended in an internal error: " + error.GetProperty("message").GetString());
    }
}
