using System.Text.Json;
using System.Text.Json.Nodes;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc.OpenRpc;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests.OpenRpc;

/// <summary>The document builder on its own: what it writes passes the OpenRPC project's validator, and the validator catches a lie.</summary>
public sealed class OpenRpcDocumentTests
{
    private sealed record Row(Hash256 Hash, Address From, Quantity Size, string? Note, IReadOnlyList<Address> Signers);

    private sealed record Page(IReadOnlyList<Row> Items, string? Next);

    private static readonly Row Sample = new(Hash256.Zero, new Address(new byte[20]), new Quantity(3), null, [new Address(Enumerable.Repeat((byte)0xab, 20).ToArray())]);

    private static RpcMethodDescription Method(object exampleResult) => new(
        "test_list", "Lists rows.",
        [new RpcParam("account", typeof(Address), "whose rows"), new RpcParam("limit", typeof(int), "rows per page", Required: false)],
        "page", typeof(Page))
    {
        ByName = true,
        Errors = [new RpcErrorDescription(-32602, "a field is malformed")],
        Examples = [new RpcExample("first page", [("account", (object?)Sample.From)], exampleResult)],
    };

    private static JsonObject Build(object exampleResult) =>
        OpenRpcDocument.Build("test", "1.0.0", "a test document", [Method(exampleResult)]);

    [Test]
    public void A_built_document_passes_the_OpenRPC_validator_with_its_examples_checked_against_the_schemas()
    {
        var document = Build(new Page([Sample], null));
        var (methods, errors) = OpenRpcValidator.Validate(document);
        Assert.That(errors, Is.Empty);
        Assert.That(methods, Is.EqualTo(1));

        var method = document["methods"]![0]!;
        Assert.That(method["paramStructure"]!.GetValue<string>(), Is.EqualTo("by-name"));
        var from = method["result"]!["schema"]!["properties"]!["items"]!["items"]!["properties"]!["from"]!;
        Assert.That(from["pattern"]!.GetValue<string>(), Is.EqualTo("^0x[0-9a-fA-F]{40}$"), "addresses are described as the converter writes them");
        Assert.That(method["params"]![1]!["required"]!.GetValue<bool>(), Is.False);
        var size = method["result"]!["schema"]!["properties"]!["items"]!["items"]!["properties"]!["size"]!;
        Assert.That(size["pattern"]!.GetValue<string>(), Is.EqualTo("^0x(0|[1-9a-f][0-9a-f]*)$"), "quantities are described as 0x-hex strings");
    }

    [Test]
    public void The_validator_reports_an_example_whose_result_does_not_match_the_schema()
    {
        // The example's result names a string where the schema says an address: a lie the validator must catch.
        var lie = new { items = new[] { new { hash = Sample.Hash, from = "0x12", size = "0x3", signers = Array.Empty<string>() } } };
        var (_, errors) = OpenRpcValidator.Validate(Build(lie));
        Assert.That(errors, Has.Some.Contains("test_list example 'first page': result"));
    }
}
