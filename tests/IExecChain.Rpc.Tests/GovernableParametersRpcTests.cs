using System.Text;
using System.Text.Json;
using IExecChain.Core.Crypto;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Chain;
using IExecChain.Rpc.Contracts;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.State.Validators;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>iex_getGovernableParameters through the dispatcher, on a one-validator chain in memory.</summary>
[TestFixture]
public sealed class GovernableParametersRpcTests
{
    [Test]
    public async Task Each_governable_parameter_is_served_with_its_value_in_force_spec_value_bounds_and_doc()
    {
        var spec = OneValidatorChain.Spec();
        var processor = OneValidatorChain.Processor(spec);
        processor.Executor.ApplyOverrides(new ParameterOverrides { Values = { new ChangeParameter { Name = "fees.order", Value = 5 } } });
        var registry = new RpcMethodRegistry();
        new GovernanceRpcMethods(spec, processor).RegisterAll(registry);
        var dispatcher = new JsonRpcDispatcher(registry);

        byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = 1, method = "iex_getGovernableParameters", @params = Array.Empty<object>() });
        using var response = JsonDocument.Parse((await dispatcher.HandleAsync(request, CancellationToken.None))!);
        var raw = response.RootElement.GetProperty("result");
        var result = raw.Deserialize<GovernableParametersResult>(RpcJson.Exact)!;

        Assert.That(raw.GetProperty("blockNumber").GetString(), Is.EqualTo("0x0"), "quantities are 0x-hex on the wire");
        Assert.That(result.Parameters.Select(p => p.Name), Is.EqualTo(GovernableParameters.All.Select(p => p.Name)), "every row, in table order");
        foreach (var (served, row) in result.Parameters.Zip(GovernableParameters.All))
        {
            ulong inForce = row.Name == "fees.order" ? 5 : row.Read(spec.Parameters);
            Assert.That(served, Is.EqualTo(new GovernableParameterInfo(row.Name, "nRLC", new Quantity(inForce), new Quantity(row.Read(spec.Parameters)),
                new Quantity(row.Min), new Quantity(row.Max), row.Doc)), row.Name);
        }
    }
}
