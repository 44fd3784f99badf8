using System.Text.Json;
using IExecChain.Core.Specs;
using IExecChain.Rpc.Chain;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>iex_getCategories through the dispatcher: the categories in force, with the deadlines the market applies.</summary>
[TestFixture]
public sealed class CategoriesRpcTests
{
    [Test]
    public async Task Each_category_is_served_with_its_limits_and_deadlines_in_blocks_and_seconds()
    {
        var spec = OneValidatorChain.Spec();
        var processor = OneValidatorChain.Processor(spec);
        var registry = new RpcMethodRegistry();
        new MarketRpcMethods(processor, new MemoryStore()).RegisterAll(registry);
        var dispatcher = new JsonRpcDispatcher(registry);

        byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = 1, method = "iex_getCategories", @params = Array.Empty<object>() });
        using var response = JsonDocument.Parse((await dispatcher.HandleAsync(request, CancellationToken.None))!);
        var served = response.RootElement.GetProperty("result").EnumerateArray().ToList();
        var categories = spec.Parameters.Market.Categories;
        Assert.That(served, Has.Count.EqualTo(categories.Count));
        double secondsPerBlock = spec.Parameters.BlockIntervalMs / 1000.0;
        foreach (var (c, s) in categories.Zip(served))
        {
            ulong Q(string name) => Contracts.Client.JsonRpcClient.Quantity(s.GetProperty(name));
            Assert.That(Q("id"), Is.EqualTo(c.Id));
            Assert.That(s.GetProperty("name").GetString(), Is.EqualTo(c.Name));
            Assert.That(Q("maxFuel"), Is.EqualTo(c.MaxFuel));
            Assert.That(Q("maxMemoryMb"), Is.EqualTo(c.MaxMemoryMb));
            Assert.That(Q("timeRefBlocks"), Is.EqualTo(c.TimeRefBlocks));
            // The market's rules (docs/market.md): a replica has 2T, contributions close at 7T, reveals 2T after consensus, the task fails at 10T.
            Assert.That(Q("replicaDeadlineBlocks"), Is.EqualTo(2 * c.TimeRefBlocks));
            Assert.That(Q("contributionDeadlineBlocks"), Is.EqualTo(7 * c.TimeRefBlocks));
            Assert.That(Q("revealDeadlineBlocks"), Is.EqualTo(2 * c.TimeRefBlocks));
            Assert.That(Q("finalDeadlineBlocks"), Is.EqualTo(10 * c.TimeRefBlocks));
            Assert.That(s.GetProperty("replicaDeadlineSeconds").GetDouble(), Is.EqualTo(2 * c.TimeRefBlocks * secondsPerBlock).Within(0.001));
            Assert.That(s.GetProperty("finalDeadlineSeconds").GetDouble(), Is.EqualTo(10 * c.TimeRefBlocks * secondsPerBlock).Within(0.001));
        }
    }
}
