using System.Text.Json.Nodes;
using IExecChain.Core.Specs;
using NUnit.Framework;

namespace IExecChain.Core.Tests;

public class ChainSpecLoaderTests
{
    private static string DevnetPath => Path.Combine(TestContext.CurrentContext.TestDirectory, "devnet.json");

    private static JsonNode Devnet() => JsonNode.Parse(File.ReadAllText(DevnetPath))!;

    [Test]
    public void Devnet_spec_loads()
    {
        var spec = ChainSpecLoader.LoadFile(DevnetPath);
        Assert.That(spec.ChainId, Is.EqualTo(1337));
        Assert.That(spec.Validators, Has.Count.EqualTo(1));
        Assert.That(spec.Accounts, Has.Count.EqualTo(10));
        Assert.That(spec.Parameters.Fees.Transfer, Is.EqualTo(1000));
    }

    private static string Reject(Action<JsonNode> change)
    {
        var node = Devnet();
        change(node);
        var e = Assert.Throws<ChainSpecException>(() => ChainSpecLoader.Parse(node.ToJsonString()))!;
        return e.Message;
    }

    [Test]
    public void Unknown_field_is_named()
    {
        Assert.That(Reject(n => n["parameters"]!["blockTime"] = 5), Is.EqualTo("$.parameters.blockTime: unknown field"));
    }

    [Test]
    public void Missing_field_is_named()
    {
        Assert.That(Reject(n => n.AsObject().Remove("chainId")), Is.EqualTo("$.chainId: is required"));
    }

    [Test]
    public void Out_of_range_and_wrongly_typed_values_are_named()
    {
        Assert.That(Reject(n => n["parameters"]!["blockIntervalMs"] = 1), Does.StartWith("$.parameters.blockIntervalMs: must be at least 10"));
        Assert.That(Reject(n => n["parameters"]!["fees"]!["transfer"] = -1), Does.StartWith("$.parameters.fees.transfer: must be a non-negative integer"));
        Assert.That(Reject(n => n["chainId"] = "abc"), Does.StartWith("$.chainId: must be a non-negative integer"));
        Assert.That(Reject(n => n["accounts"]![0]!["address"] = "0x1234"), Does.StartWith("$.accounts[0].address: must be a 20-byte hex address"));
    }

    [Test]
    public void Validator_key_that_does_not_match_its_address_is_rejected()
    {
        Assert.That(Reject(n => n["validators"]![0]!["address"] = "0x0000000000000000000000000000000000000001"),
            Does.StartWith("$.validators[0].publicKey: does not belong to address"));
    }

    [Test]
    public void Duplicate_account_is_rejected()
    {
        Assert.That(Reject(n => n["accounts"]![1]!["address"] = n["accounts"]![0]!["address"]!.GetValue<string>()), Does.Contain("appears twice"));
    }

    [Test]
    public void Validator_below_minimum_stake_is_rejected()
    {
        Assert.That(Reject(n => n["validators"]![0]!["stake"] = 5), Does.Contain("below minValidatorStake"));
    }

    [Test]
    public void Invalid_json_is_reported_as_such()
    {
        var e = Assert.Throws<ChainSpecException>(() => ChainSpecLoader.Parse("{ \"name\": "))!;
        Assert.That(e.Message, Does.StartWith("chain spec is not valid JSON"));
    }
}
