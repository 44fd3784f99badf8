using System.Reflection;
using System.Text.Json;

namespace IExecChain.Rpc.OpenRpc;

/// <summary>
/// Serves <c>rpc.discover</c>: the OpenRPC document of the methods a server registered, from their descriptions.
/// Registered last, once every other method is: a registered method without a description stops the server
/// from starting, so the document cannot fall behind the code.
/// </summary>
public static class RpcDiscovery
{
    public const string Method = "rpc.discover";

    /// <summary>
    /// Builds the document of every method <paramref name="registry"/> holds from <paramref name="descriptions"/>
    /// (a later description of a name replaces an earlier one) and registers <see cref="Method"/> to answer it.
    /// Throws if a registered method has no description.
    /// </summary>
    public static void Register(RpcMethodRegistry registry, string title, string description, IEnumerable<RpcMethodDescription> descriptions)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(descriptions);
        var byName = new Dictionary<string, RpcMethodDescription>(StringComparer.Ordinal);
        foreach (var d in descriptions) byName[d.Name] = d;
        var registered = registry.Methods.Where(m => m != Method).Order(StringComparer.Ordinal).ToList();
        var missing = registered.Where(m => !byName.ContainsKey(m)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"{missing.Count} JSON-RPC method(s) have no description for {Method}: {string.Join(", ", missing)} (describe them in RpcCatalog)");
        var document = OpenRpcDocument.Build(title, Version, description, registered.Select(m => byName[m]));
        var answer = new RawJson(JsonSerializer.SerializeToUtf8Bytes(document));
        registry.Register(Method, (_, _) => ValueTask.FromResult<object?>(answer));
    }

    /// <summary>The node's version, as its assembly states it (without the source revision suffix).</summary>
    public static string Version { get; } =
        typeof(RpcDiscovery).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(RpcDiscovery).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
