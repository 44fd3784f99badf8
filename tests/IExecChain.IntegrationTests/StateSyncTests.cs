using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.Tests.Support;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// `run --state-sync`: a new node joins a running 4-validator network from a snapshot its peers offer,
/// verified from a trusted checkpoint, fetching chunks from several peers at once; a peer that serves
/// bad chunks (a real snapshot server behind a decorator that changes them) is banned and its chunks fetched elsewhere; the node then follows the chain with the same
/// blocks and state roots as the validators. Real processes, UDP and RocksDB.
/// </summary>
[NonParallelizable]
public class StateSyncTests
{
    [Test, CancelAfter(420_000)]
    public async Task A_node_joins_by_state_sync_from_several_peers_and_bans_the_one_serving_bad_chunks()
    {
        using var net = new FourValidators();
        // A snapshot at every checkpoint, in 4 KiB chunks so that every peer serves some. Validators 0, 2
        // and 3 keep only their newest 40 blocks: pruned nodes serve snapshots too. Validator 1 keeps
        // every block, the reference the joined node is compared with.
        for (int i = 0; i < FourValidators.Count; i++)
        {
            var config = JsonNode.Parse(File.ReadAllText(net.ConfigPath(i)))!.AsObject();
            config["snapshots"] = new JsonObject { ["everyCheckpoints"] = 1, ["keep"] = 3, ["chunkBytes"] = 4096 };
            if (i != 1) config["retainBlocks"] = 40;
            File.WriteAllText(net.ConfigPath(i), config.ToJsonString());
        }
        await Task.WhenAll(net.StartAsync(0), net.StartAsync(1), net.StartAsync(2), net.StartAsync(3));
        var (loaded, loadOutput) = NodeProcess.Run(TimeSpan.FromSeconds(180), "bench", "transfers", "--rpc", net.Rpc(0).ToString(),
            "--accounts", "400", "--rate", "200", "--duration", "3");
        Assert.That(loaded, Is.EqualTo(0), loadOutput);

        using var validator = new NodeRpcClient(net.Rpc(1));
        ulong afterLoad = await validator.BlockNumberAsync();
        // Past checkpoint 8, so that checkpoint 1 is more than the unbonding period (50 blocks) behind.
        await net.WaitForHeightAsync(1, Math.Max(afterLoad + 25, 85), TimeSpan.FromSeconds(120));
        using var pruned = new NodeRpcClient(net.Rpc(0));
        Assert.That((await SnapshotImportTests.RefusedAsync(() => pruned.GetBlockByNumberAsync(5))).Code, Is.EqualTo(-32001), "validator 0 has pruned block 5");
        var latest = (await validator.GetLatestCheckpointAsync())!;
        ulong latestNumber = latest.Number.Value;

        string spec = Path.Combine(net.Data, "chain-spec.json");
        string joiner = net.Dir.File("joiner");
        var (initCode, initOutput) = NodeProcess.Run("init", "--chain-spec", spec, "--data", joiner);
        Assert.That(initCode, Is.EqualTo(0), initOutput);
        // A fifth peer offers validator 3's snapshots, with every chunk it serves changed.
        int liarPort = NodeProcess.FreeUdpPort();
        await using var liar = new LyingSnapshotPeer(spec, Path.Combine(net.Data, "node-3"), liarPort);
        string[] peers = [.. Enumerable.Range(0, FourValidators.Count).SelectMany(i => new[] { "--peer", $"{FourValidators.Validator(i)}@127.0.0.1:{net.P2PBase + i}" }),
            "--peer", $"{liar.Key.Address}@127.0.0.1:{liarPort}"];
        int rpcPort = NodeProcess.FreePort(), p2pPort = NodeProcess.FreeUdpPort();
        string[] run = ["run", "--data", joiner, "--rpc", $"127.0.0.1:{rpcPort}", "--p2p", $"127.0.0.1:{p2pPort}", .. peers, "--state-sync"];

        // The first checkpoint is more than the devnet's unbonding period (50 blocks) behind: refused, nothing written.
        var first = (await validator.GetCheckpointAsync(1))!;
        var (old, oldOutput) = NodeProcess.Run(TimeSpan.FromSeconds(120), [.. run, "--trust-checkpoint", $"1@{first.Digest}"]);
        Assert.That(old, Is.EqualTo(2), oldOutput);
        Assert.That(oldOutput, Does.Contain("--trust-checkpoint: checkpoint 1 is").And.Contain("more than the unbonding period (50 blocks)").And.Contain("--trust-old-root"));
        Assert.That(Directory.Exists(Path.Combine(joiner, "db")), Is.False, "a refused state sync leaves no database");

        // A recent checkpoint: the newest snapshots are at or after it.
        var root = (await validator.GetCheckpointAsync(latestNumber - 1))!;
        using var node = NodeProcess.Start([.. run, "--trust-checkpoint", $"{root.Number.Value}@{root.Digest}"]);
        var joinerRpc = new Uri($"http://127.0.0.1:{rpcPort}/");
        await node.WaitForRpcAsync(joinerRpc, TimeSpan.FromSeconds(180));
        var restored = Regex.Match(node.Output, @"State sync: restored the state at height (\d+)");
        Assert.That(restored.Success, node.Output);
        ulong snapshotHeight = ulong.Parse(restored.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.That(snapshotHeight, Is.GreaterThanOrEqualTo(root.LastHeight.Value), "a snapshot at or after the trust root");
        Assert.That(node.Output, Does.Match(@"State sync: height \d+: \d+/\d+ chunks, [\d.]+ of [\d.]+ MiB, [\d.]+ MiB/s, ETA"), "progress is shown");
        Assert.That(liar.ChunksChanged, Is.GreaterThan(0), "the lying peer was asked for chunks");
        Assert.That(node.Output, Does.Contain($"State sync: banned peer {liar.Key.Address}: it served chunk"),
            "the peer serving changed chunks is banned, its chunks fetched from the others");
        for (int i = 0; i < FourValidators.Count; i++)
            Assert.That(node.Output, Does.Not.Contain($"banned peer {FourValidators.Validator(i)}"), "honest peers are not blamed");

        // It follows the chain: the same blocks and state roots as a validator, from the snapshot on.
        using var joined = new NodeRpcClient(joinerRpc);
        ulong target = snapshotHeight + 20;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (await joined.BlockNumberAsync() < target)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"the joined node did not reach height {target}:\n{node.Output}");
            await Task.Delay(250);
        }
        for (ulong h = snapshotHeight; h <= target; h++)
        {
            var mine = await joined.GetBlockByNumberAsync(h);
            var theirs = await validator.GetBlockByNumberAsync(h);
            Assert.That((mine!.Hash, mine.StateRoot), Is.EqualTo((theirs!.Hash, theirs.StateRoot)), $"block {h}");
        }
        ulong tailStart = snapshotHeight - 10 + 1;
        Assert.That(await joined.GetBlockByNumberAsync(tailStart), Is.Not.Null, "the snapshot's tail is held");

        // Restarted with the same command, it keeps its blocks: state sync is for a node that has none.
        node.Terminate();
        using var again = NodeProcess.Start([.. run, "--trust-checkpoint", $"{root.Number.Value}@{root.Digest}"]);
        await again.WaitForRpcAsync(joinerRpc, TimeSpan.FromSeconds(60));
        Assert.That(again.Output, Does.Contain("State sync skipped: the node already holds blocks up to"));
    }

    [Test, CancelAfter(300_000)]
    public async Task A_validator_admitted_by_governance_joins_by_state_sync_trusting_the_anchored_checkpoints_and_votes()
    {
        using var ganache = await Ganache.StartAsync();
        using var chain = new DevChain();
        using var validator = chain.StartValidator(null, "--snapshot-every", "1", "--snapshot-keep", "3");
        await validator.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        string rpc = chain.Rpc.ToString();

        // Governance admits a newcomer, which stakes: it enters the set at the next epoch boundary (the
        // height after a multiple of 100).
        var newcomer = DevChain.DevKey("newcomer", 0);
        var newcomerKey = chain.Dir.File("newcomer.json");
        var (code, output) = NodeProcess.Run("keys", "import", "--private-key", newcomer.ToHex(), "--out", newcomerKey, "--password-file", chain.PasswordFile);
        Assert.That(code, Is.EqualTo(0), output);
        foreach (var (to, amount) in new[] { (DevChain.DevAddress("validator", 0).ToString(), "1RLC"), (newcomer.Address.ToString(), "10001RLC") })
        {
            (code, output) = NodeProcess.Run("tx", "transfer", "--to", to, "--amount", amount, "--key", chain.AccountKeyFile(0),
                "--password-file", chain.PasswordFile, "--rpc", rpc, "--wait");
            Assert.That(code, Is.EqualTo(0), output);
        }
        File.WriteAllText(chain.Dir.File("admit.txt"), "Admit the newcomer.\n");
        (code, output) = NodeProcess.Run("gov", "propose", "admit-validator", "--public-key", Hex.Encode(newcomer.PublicKey), "--description", chain.Dir.File("admit.txt"),
            "--key", chain.ValidatorKeyFile, "--password-file", chain.PasswordFile, "--rpc", rpc, "--wait");
        Assert.That(code, Is.EqualTo(0), output);
        (code, output) = NodeProcess.Run("tx", "stake", "--role", "validator", "--amount", "10000RLC", "--key", newcomerKey,
            "--password-file", chain.PasswordFile, "--rpc", rpc, "--wait");
        Assert.That(code, Is.EqualTo(0), output);
        ulong stakedAt = ulong.Parse(Regex.Match(output, @"included in block (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        ulong boundary = (stakedAt + 99) / 100 * 100 + 1;

        var (anchor, payerKey) = AnchorDeploy.Run(chain, ganache);
        var contract = new AnchorContract(ganache.Rpc, Address.Parse(anchor));
        var (first, _) = await contract.NextAsync();
        using var relayer = NodeProcess.Start("relayer", "--rpc", rpc, "--eth-rpc", ganache.Endpoint.ToString(), "--eth-key", payerKey,
            "--password-file", chain.PasswordFile, "--anchor", anchor, "--interval", "0.5");
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while ((await contract.LatestCheckpointAsync()).Number < first + 2)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"nothing anchored from checkpoint {first}:\n{relayer.Output}");
            await Task.Delay(250);
        }

        string joiner = chain.Dir.File("joiner");
        (code, output) = NodeProcess.Run("init", "--chain-spec", Path.Combine(chain.DataDir, "chain-spec.json"), "--data", joiner);
        Assert.That(code, Is.EqualTo(0), output);
        int rpcPort = NodeProcess.FreePort(), p2pPort = NodeProcess.FreeUdpPort();
        using var node = NodeProcess.Start("run", "--data", joiner, "--rpc", $"127.0.0.1:{rpcPort}", "--p2p", $"127.0.0.1:{p2pPort}",
            "--peer", $"127.0.0.1:{chain.P2PPort}", "--key", newcomerKey, "--password-file", chain.PasswordFile,
            "--state-sync", "--trust-anchor", anchor, "--eth-rpc", ganache.Endpoint.ToString());
        var joinerRpc = new Uri($"http://127.0.0.1:{rpcPort}/");
        await node.WaitForRpcAsync(joinerRpc, TimeSpan.FromSeconds(120));
        Assert.That(node.Output, Does.Contain($"State sync: the anchor contract {Address.Parse(anchor)} has anchored up to checkpoint"));
        var restored = Regex.Match(node.Output, @"State sync: restored the state at height (\d+)");
        Assert.That(restored.Success, node.Output);
        ulong snapshotHeight = ulong.Parse(restored.Groups[1].Value, CultureInfo.InvariantCulture);
        ulong number = snapshotHeight / 10;
        Assert.That(number, Is.GreaterThanOrEqualTo(first), "the snapshot's checkpoint is one the contract anchored");

        // The restored node follows the chain, and the checkpoint its snapshot ends is the one Ethereum holds.
        using var joined = new NodeRpcClient(joinerRpc);
        using var theirs = new NodeRpcClient(chain.Rpc);
        deadline = DateTime.UtcNow.AddSeconds(60);
        while (await joined.BlockNumberAsync() < snapshotHeight + 10)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"the joined node did not follow:\n{node.Output}");
            await Task.Delay(250);
        }
        var recorded = (await joined.GetCheckpointAsync(number))!;
        Assert.That(recorded.Digest, Is.EqualTo((await contract.AnchoredDigestAsync(number)).ToString()));
        for (ulong h = snapshotHeight; h <= snapshotHeight + 10; h++)
            Assert.That((await joined.GetBlockByNumberAsync(h))!.Hash, Is.EqualTo((await theirs.GetBlockByNumberAsync(h))!.Hash), $"block {h}");

        // Past the epoch boundary the newcomer is in the set, and its node signs blocks. The snapshot may be past
        // the boundary already (a slow machine anchors late), so the node may have just caught up: its signatures
        // are waited for, not counted at a fixed height.
        deadline = DateTime.UtcNow.AddSeconds(120);
        while (await theirs.BlockNumberAsync() < boundary + 20)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"the chain did not pass height {boundary + 20}:\n{validator.Output}");
            await Task.Delay(250);
        }
        var member = (await theirs.GetValidatorsAsync()).Validators.SingleOrDefault(v => v.Address == newcomer.Address.ToString());
        Assert.That(member, Is.Not.Null, $"the newcomer is in the set after block {boundary}");
        deadline = DateTime.UtcNow.AddSeconds(120);
        while (member!.BlocksSigned.Value == 0)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"the newcomer, joined by state sync, signed no block in 120 s past the boundary and its catch-up:\n{node.Output}");
            await Task.Delay(500);
            member = (await theirs.GetValidatorsAsync()).Validators.Single(v => v.Address == newcomer.Address.ToString());
        }
    }

    [Test]
    public void State_sync_options_are_checked_before_anything_starts()
    {
        using var chain = new DevChain();
        (string[] Args, string Message)[] cases =
        [
            (["--state-sync"], "--state-sync needs one trust root: --trust-checkpoint N@0xDIGEST"),
            (["--state-sync", "--trust-checkpoint", "7"], "--trust-checkpoint: '7' is not N@0xDIGEST"),
            (["--state-sync", "--trust-checkpoint", "x@0x00"], "--trust-checkpoint: 'x' is not a checkpoint number"),
            (["--state-sync", "--trust-checkpoint", "3@0x1234"], "--trust-checkpoint: '0x1234' is not a 32-byte digest"),
            (["--state-sync", "--trust-anchor", "0x1234"], "--trust-anchor: "),
            (["--state-sync", "--trust-anchor", "0x" + new string('a', 40)], "--trust-anchor needs --eth-rpc URL"),
            (["--trust-checkpoint", "3@0x" + new string('a', 64)], "--trust-checkpoint, --trust-anchor and --trust-old-root are for --state-sync"),
        ];
        foreach (var (args, message) in cases)
        {
            var (code, output) = NodeProcess.Run(["run", "--data", chain.DataDir, "--rpc", "127.0.0.1:0", "--p2p", "127.0.0.1:0", .. args]);
            Assert.That(output, Does.Contain(message), string.Join(' ', args));
            Assert.That(code, Is.EqualTo(2), string.Join(' ', args));
        }

        // The same settings from the node config file ("stateSync"), and the command line over it.
        string config = chain.Dir.File("node.json");
        (string Json, string[] Args, string Message)[] fileCases =
        [
            ("""{"stateSync": {"enabled": true}}""", [], "--state-sync needs one trust root"),
            ("""{"stateSync": {"enabled": true, "trustCheckpoint": "7"}}""", [], "--config: $.stateSync.trustCheckpoint: '7' is not N@0xDIGEST"),
            ($$$"""{"stateSync": {"enabled": true, "trustAnchor": "0x{{{new string('a', 40)}}}"}}""", [], "--trust-anchor needs --eth-rpc URL"),
            ($$$"""{"stateSync": {"enabled": true, "trustAnchor": "0x{{{new string('a', 40)}}}"}}""", ["--trust-checkpoint", "x@0x00"], "--trust-checkpoint: 'x' is not a checkpoint number"),
        ];
        foreach (var (json, args, message) in fileCases)
        {
            File.WriteAllText(config, json);
            var (code, output) = NodeProcess.Run(["run", "--config", config, "--data", chain.DataDir, "--rpc", "127.0.0.1:0", "--p2p", "127.0.0.1:0", .. args]);
            Assert.That(output, Does.Contain(message), json + " " + string.Join(' ', args));
            Assert.That(code, Is.EqualTo(2), json);
        }
    }
}
