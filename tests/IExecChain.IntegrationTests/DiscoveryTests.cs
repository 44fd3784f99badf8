using System.Text.Json;
using System.Text.Json.Nodes;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Rpc.OpenRpc;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// rpc.discover on a running node: it serves the document of every method the node registered, which is the
/// document Rpc.Tests' RpcCatalogTests validates with the OpenRPC project's validator and holds to docs/rpc.md.
/// </summary>
[NonParallelizable]
public class DiscoveryTests
{
    [Test]
    public async Task A_node_serves_the_OpenRPC_document_of_exactly_the_methods_it_registers()
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator();
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        using var client = new JsonRpcClient(chain.Rpc);

        var served = JsonNode.Parse((await client.CallAsync(RpcDiscovery.Method)).GetRawText())!.AsObject();
        Assert.That(served["openrpc"]!.GetValue<string>(), Is.EqualTo(OpenRpcDocument.Version));
        var names = served["methods"]!.AsArray().Select(m => m!["name"]!.GetValue<string>()).ToList();
        // The node started, so every method it registered is described (RpcDiscovery refuses to start otherwise);
        // every described method is one it registered: each answers something other than "method not found".
        Assert.That(names, Is.EquivalentTo(RpcCatalog.FullNode.Select(m => m.Name)));
        foreach (var name in names)
        {
            int? code = null;
            try
            {
                await client.CallAsync(name);
            }
            catch (JsonRpcClientException e)
            {
                code = e.Code;
            }
            Assert.That(code, Is.Not.EqualTo(-32601), $"{name} is described but the node does not know it");
        }

        var expected = OpenRpcDocument.Build(RpcCatalog.FullNodeTitle, RpcDiscovery.Version, RpcCatalog.FullNodeDescription, RpcCatalog.FullNode);
        Assert.That(JsonNode.DeepEquals(served, expected), Is.True, "the node serves the document the unit tests validate");
    }
}
