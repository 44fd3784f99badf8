using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IExecChain.Rpc.OpenRpc;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests.OpenRpc;

/// <summary>
/// The descriptions rpc.discover serves: the document passes the OpenRPC project's validator, names the
/// methods docs/rpc.md documents and no other, and a server cannot start with a method it does not describe.
/// (IntegrationTests.DiscoveryTests checks that a running node serves this document for the methods it registers.)
/// </summary>
public sealed class RpcCatalogTests
{
    private static JsonObject FullNodeDocument() =>
        OpenRpcDocument.Build(RpcCatalog.FullNodeTitle, RpcDiscovery.Version, RpcCatalog.FullNodeDescription, RpcCatalog.FullNode);

    [Test]
    public void The_full_node_document_passes_the_OpenRPC_validator_with_its_examples()
    {
        var (methods, errors) = OpenRpcValidator.Validate(FullNodeDocument());
        Assert.That(errors, Is.Empty);
        Assert.That(methods, Is.EqualTo(RpcCatalog.FullNode.Count));
    }

    [Test]
    public void The_light_worker_document_passes_the_OpenRPC_validator()
    {
        var registry = new RpcMethodRegistry();
        foreach (var name in new[] { "iex_chainId", "iex_blockNumber", "iex_nodeInfo", "iex_getChunk", "iex_getResult" })
            registry.Register(name, (_, _) => ValueTask.FromResult<object?>(null));
        RpcDiscovery.Register(registry, "light worker", "test", [.. RpcCatalog.FullNode, RpcCatalog.LightWorkerNodeInfo]);
        var document = Discover(registry);
        var (methods, errors) = OpenRpcValidator.Validate(document);
        Assert.That(errors, Is.Empty);
        Assert.That(methods, Is.EqualTo(5));
        var nodeInfo = document["methods"]!.AsArray().Single(m => m!["name"]!.GetValue<string>() == "iex_nodeInfo")!;
        Assert.That(nodeInfo["summary"]!.GetValue<string>(), Does.Contain("light worker"), "the light worker's own iex_nodeInfo replaces the full node's");
    }

    [Test]
    public void The_catalog_names_exactly_the_methods_of_the_docs_method_table()
    {
        string docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "rpc.md"));
        var documented = Regex.Matches(docs, @"^\| \[`(?<name>iex_\w+)`\]", RegexOptions.Multiline).Select(m => m.Groups["name"].Value).ToList();
        Assert.That(documented, Is.Unique, "docs/rpc.md lists a method twice");
        Assert.That(RpcCatalog.FullNode.Select(m => m.Name), Is.Unique, "the catalog describes a method twice");
        Assert.That(RpcCatalog.FullNode.Select(m => m.Name), Is.EquivalentTo(documented),
            "RpcCatalog.FullNode and the method table of docs/rpc.md must name the same methods");
    }

    [Test]
    public void A_server_with_a_method_it_does_not_describe_cannot_register_rpc_discover()
    {
        var registry = new RpcMethodRegistry();
        registry.Register("iex_chainId", (_, _) => ValueTask.FromResult<object?>(null));
        registry.Register("iex_brandNew", (_, _) => ValueTask.FromResult<object?>(null));
        var e = Assert.Throws<InvalidOperationException>(() => RpcDiscovery.Register(registry, "t", "t", RpcCatalog.FullNode));
        Assert.That(e!.Message, Does.Contain("iex_brandNew").And.Not.Contain("iex_chainId"));
        Assert.That(registry.Methods, Does.Not.Contain(RpcDiscovery.Method), "nothing is registered when a description is missing");
    }

    [Test]
    public void Rpc_discover_describes_only_the_methods_the_server_registered()
    {
        var registry = new RpcMethodRegistry();
        registry.Register("iex_chainId", (_, _) => ValueTask.FromResult<object?>(null));
        registry.Register("iex_getBlockByNumber", (_, _) => ValueTask.FromResult<object?>(null));
        RpcDiscovery.Register(registry, "t", "t", RpcCatalog.FullNode);
        var names = Discover(registry)["methods"]!.AsArray().Select(m => m!["name"]!.GetValue<string>());
        Assert.That(names, Is.EqualTo(new[] { "iex_chainId", "iex_getBlockByNumber" }));
    }

    /// <summary>Calls rpc.discover through the dispatcher, as a client's request reaches it.</summary>
    private static JsonObject Discover(RpcMethodRegistry registry)
    {
        var dispatcher = new JsonRpcDispatcher(registry);
        byte[] answer = dispatcher.HandleAsync("""{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}"""u8.ToArray(), CancellationToken.None).AsTask().Result!;
        return JsonNode.Parse(answer)!["result"]!.AsObject();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "iExecChain.sln"))) return dir.FullName;
        throw new InvalidOperationException("iExecChain.sln not found above the test directory");
    }
}
