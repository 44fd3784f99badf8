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

    [Test]
    public void Devnet_spec_states_round_timeouts_equal_to_the_code_defaults()
    {
        // The chain spec is the source of the timeouts; the defaults only fill a field a spec leaves
        // out, and must not silently differ from the devnet's (docs/decisions.md, "Consensus").
        var section = Devnet()["parameters"]!["consensus"]!.AsObject();
        foreach (var field in new[] { "timeoutProposeMs", "timeoutPrevoteMs", "timeoutPrecommitMs", "timeoutFlatRounds", "timeoutGrowthPercent" })
            Assert.That(section.ContainsKey(field), Is.True, $"devnet.json states {field}");
        var devnet = ChainSpecLoader.LoadFile(DevnetPath).Parameters.Consensus;
        var defaults = new ConsensusParameters();
        Assert.That((devnet.TimeoutProposeMs, devnet.TimeoutPrevoteMs, devnet.TimeoutPrecommitMs, devnet.TimeoutFlatRounds, devnet.TimeoutGrowthPercent),
            Is.EqualTo((defaults.TimeoutProposeMs, defaults.TimeoutPrevoteMs, defaults.TimeoutPrecommitMs, defaults.TimeoutFlatRounds, defaults.TimeoutGrowthPercent)));
    }

    private static string Reject(Action<JsonNode> change)
    {
        var node = Devnet();
        change(node);
        var e = Assert.Throws<ChainSpecException>(() => ChainSpecLoader.Parse(node.ToJsonString()))!;
        return e.Message;
    }

    [Test]
    public void The_bridge_section_is_read_with_its_defaults_and_its_mistakes_are_named()
    {
        static JsonObject Bridge() => new() { ["ethChainId"] = 1, ["contract"] = "0x" + new string('a', 40) };
        var node = Devnet();
        node["parameters"]!["bridge"] = Bridge();
        var bridge = ChainSpecLoader.Parse(node.ToJsonString()).Parameters.Bridge!;
        Assert.That((bridge.EthChainId, bridge.Contract.ToString(), bridge.Confirmations, bridge.MaxDepositsAhead, bridge.StartBlock),
            Is.EqualTo((1UL, "0x" + new string('a', 40), BridgeParameters.DefaultConfirmations, BridgeParameters.DefaultMaxDepositsAhead, 0UL)));
        node["parameters"]!["bridge"]!["confirmations"] = 3;
        node["parameters"]!["bridge"]!["startBlock"] = 19_000_000;
        bridge = ChainSpecLoader.Parse(node.ToJsonString()).Parameters.Bridge!;
        Assert.That((bridge.Confirmations, bridge.StartBlock), Is.EqualTo((3UL, 19_000_000UL)));
        Assert.That(ChainSpecLoader.Parse(Devnet().ToJsonString()).Parameters.Bridge, Is.Null, "no section, no bridge");

        Assert.That(Reject(n => { n["parameters"]!["bridge"] = Bridge(); n["parameters"]!["bridge"]!["contract"] = "0x" + new string('0', 40); }),
            Does.Contain("bridge.contract: the zero address"));
        Assert.That(Reject(n => { n["parameters"]!["bridge"] = Bridge(); n["parameters"]!["bridge"]!["confirmations"] = 0; }),
            Does.StartWith("$.parameters.bridge.confirmations: must be at least 1"));
        Assert.That(Reject(n => { n["parameters"]!["bridge"] = Bridge(); n["parameters"]!["bridge"]!["startBlock"] = -1; }),
            Does.StartWith("$.parameters.bridge.startBlock:"));
        Assert.That(Reject(n => { n["parameters"]!["bridge"] = Bridge(); n["parameters"]!["bridge"]!["start"] = 1; }),
            Is.EqualTo("$.parameters.bridge.start: unknown field"));
        Assert.That(Reject(n => n["parameters"]!["bridge"] = new JsonObject { ["contract"] = "0x" + new string('a', 40) }),
            Is.EqualTo("$.parameters.bridge.ethChainId: is required"));
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
    public void An_epoch_length_that_is_not_a_multiple_of_the_checkpoint_interval_is_refused_with_both_values()
    {
        Assert.That(Reject(n => n["parameters"]!["epochLength"] = 25), Is.EqualTo("$.parameters.epochLength: 25 is not a multiple of checkpointInterval 10: " +
            "the validator set may change only where a checkpoint range starts, so that each checkpoint is signed by the set the previous checkpoint names"));
        Assert.That(Reject(n => { n["parameters"]!.AsObject().Remove("checkpointInterval"); n["parameters"]!["epochLength"] = 150; }),
            Does.StartWith("$.parameters.epochLength: 150 is not a multiple of checkpointInterval 100 (the default):"));

        foreach (var (epoch, interval) in new[] { (10UL, 10UL), (100UL, 10UL), (1UL, 1UL), (300UL, 100UL) })
        {
            var node = Devnet();
            node["parameters"]!["epochLength"] = epoch;
            node["parameters"]!["checkpointInterval"] = interval;
            Assert.That(ChainSpecLoader.Parse(node.ToJsonString()).Parameters.EpochLength, Is.EqualTo(epoch), $"epochs of {epoch}, checkpoints of {interval}");
        }
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
    public void Devnet_market_has_a_rollback_window_with_spot_checks()
    {
        var market = ChainSpecLoader.LoadFile(DevnetPath).Parameters.Market;
        Assert.That(market.RollbackWindowBlocks, Is.EqualTo(300));
        Assert.That(market.SpotCheckPpm, Is.EqualTo(20_000));
        Assert.That(market.Verifiers, Is.EqualTo(2));
        Assert.That(market.ChallengeBond, Is.EqualTo(1_000_000_000));
    }

    [Test]
    public void Spot_checks_without_a_rollback_window_and_bad_verification_settings_are_rejected()
    {
        Assert.That(Reject(n => n["parameters"]!["market"]!["rollbackWindowBlocks"] = 0),
            Is.EqualTo("$.parameters.market.spotCheckPpm: spot-checks need a rollback window (rollbackWindowBlocks > 0)"));
        Assert.That(Reject(n => n["parameters"]!["market"]!["verifiers"] = 0), Does.StartWith("$.parameters.market.verifiers: must be at least 1"));
        Assert.That(Reject(n => n["parameters"]!["market"]!["challengeRewardPercent"] = 101), Does.StartWith("$.parameters.market.challengeRewardPercent: must be at most 100"));
        Assert.That(Reject(n => n["parameters"]!["market"]!["spotCheckPpm"] = 1_000_001), Does.StartWith("$.parameters.market.spotCheckPpm: must be at most 1000000"));
    }

    [Test]
    public void Invalid_json_is_reported_as_such()
    {
        var e = Assert.Throws<ChainSpecException>(() => ChainSpecLoader.Parse("{ \"name\": "))!;
        Assert.That(e.Message, Does.StartWith("chain spec is not valid JSON"));
    }
}
