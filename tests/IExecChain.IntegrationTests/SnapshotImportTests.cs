using System.Globalization;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// A node made from another's snapshot (`snapshot create`, `export`, `import`) follows the chain from the
/// snapshot's height: it syncs the blocks made since from its peer, and its blocks and state roots are
/// the validator's at every height it holds. Real processes and RocksDB.
/// </summary>
[NonParallelizable]
public class SnapshotImportTests
{
    [Test, CancelAfter(240_000)]
    public async Task A_node_imported_from_a_snapshot_syncs_the_blocks_since_and_holds_the_same_chain()
    {
        using var chain = new DevChain();
        ulong height;
        // A snapshot at every checkpoint (10 blocks on the devnet), the newest two kept; blocks older than the newest 40 pruned.
        string[] settings = ["--snapshot-every", "1", "--snapshot-keep", "2", "--retain-blocks", "40"];
        using (var validator = chain.StartValidator(null, settings))
        {
            await validator.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
            for (int i = 0; i < 3; i++)
            {
                var (code, output) = NodeProcess.Run("tx", "transfer", "--to", $"0x00000000000000000000000000000000000a11c{i}", "--amount", "1RLC",
                    "--key", chain.AccountKeyFile(i), "--password-file", chain.PasswordFile, "--rpc", chain.Rpc.ToString(), "--wait");
                Assert.That(code, Is.EqualTo(0), output);
            }
            using var client = new NodeRpcClient(chain.Rpc);
            while ((height = await client.BlockNumberAsync()) < 25) await Task.Delay(200);
            var (tooFew, tooFewOutput) = NodeProcess.Run("run", "--data", chain.DataDir, "--retain-blocks", "19", "--rpc", "127.0.0.1:0", "--p2p", "127.0.0.1:0");
            Assert.That(tooFewOutput, Does.Contain("--retain-blocks: 19 is fewer than two checkpoint intervals (20 blocks on this chain)"));
            Assert.That(tooFew, Is.EqualTo(2));

            // Taken while the node ran: a directory appears only once complete, and the oldest goes once a third is.
            string Taken(ulong h) => Path.Combine(chain.DataDir, "snapshots", h.ToString(CultureInfo.InvariantCulture));
            var until = DateTime.UtcNow.AddSeconds(60);
            while (!Directory.Exists(Taken(30)) || Directory.Exists(Taken(10)))
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(until), $"snapshots 20 and 30 kept, 10 deleted:\n{validator.Output}");
                await Task.Delay(200);
            }
            Assert.That(Directory.Exists(Taken(20)), "the two newest are kept");
            Assert.That(validator.Output, Does.Match(@"Snapshot at height 30: 0x[0-9a-f]{64}, \d+ entries in 1 chunk\(s\)"));
            // Stop between checkpoints, so the offline snapshot below is at a height of its own.
            while ((height = await client.BlockNumberAsync()) % 10 is not (3 or 4 or 5)) await Task.Delay(50);
            validator.Terminate();
        }

        var (created, createOutput) = NodeProcess.Run("snapshot", "create", "--data", chain.DataDir, "--chunk-size", "4096");
        Assert.That(created, Is.EqualTo(0), createOutput);
        Assert.That(createOutput, Does.Match(@"snapshot 0x[0-9a-f]{64} at height \d+"));
        ulong snapshotHeight = ulong.Parse(System.Text.RegularExpressions.Regex.Match(createOutput, @"at height (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.That(snapshotHeight, Is.GreaterThanOrEqualTo(height));
        var (listed, listOutput) = NodeProcess.Run("snapshot", "list", "--data", chain.DataDir);
        Assert.That(listed, Is.EqualTo(0), listOutput);
        Assert.That(listOutput, Does.Contain(snapshotHeight.ToString(CultureInfo.InvariantCulture)));
        string exported = chain.Dir.File("exported");
        var (exportCode, exportOutput) = NodeProcess.Run("snapshot", "export", "--data", chain.DataDir, "--out", exported);
        Assert.That(exportCode, Is.EqualTo(0), exportOutput);

        // A wrong trusted hash is refused and leaves nothing behind.
        string joiner = chain.Dir.File("joiner");
        var (refused, refusedOutput) = NodeProcess.Run("snapshot", "import", exported, "--data", joiner, "--trust-block", "0x" + new string('1', 64));
        Assert.That(refused, Is.EqualTo(2), refusedOutput);
        Assert.That(refusedOutput, Does.Contain("--trust-block: the snapshot is of block"));
        Assert.That(Directory.Exists(Path.Combine(joiner, "db")), Is.False);

        // A chunk changed on disk is refused with the chunk named, and the half-made database is removed.
        string damaged = chain.Dir.File("damaged");
        Directory.CreateDirectory(damaged);
        foreach (var file in Directory.GetFiles(exported)) File.Copy(file, Path.Combine(damaged, Path.GetFileName(file)));
        var chunk = File.ReadAllBytes(Path.Combine(damaged, "chunk-000000.bin"));
        chunk[^1] ^= 0x01;
        File.WriteAllBytes(Path.Combine(damaged, "chunk-000000.bin"), chunk);
        (refused, refusedOutput) = NodeProcess.Run("snapshot", "import", damaged, "--data", joiner);
        Assert.That(refused, Is.EqualTo(2), refusedOutput);
        Assert.That(refusedOutput, Does.Contain("chunk 0 of snapshot").And.Contain("hashes to"));
        Assert.That(Directory.Exists(Path.Combine(joiner, "db")), Is.False);

        var (imported, importOutput) = NodeProcess.Run("snapshot", "import", exported, "--data", joiner);
        Assert.That(imported, Is.EqualTo(0), importOutput);
        Assert.That(importOutput, Does.Contain($"node created at height {snapshotHeight}"));

        int joinerRpc = NodeProcess.FreePort(), joinerP2P = NodeProcess.FreeUdpPort();
        using var validatorAgain = chain.StartValidator(null, settings);
        using var follower = NodeProcess.Start("run", "--data", joiner, "--rpc", $"127.0.0.1:{joinerRpc}", "--p2p", $"127.0.0.1:{joinerP2P}",
            "--peer", $"127.0.0.1:{chain.P2PPort}");
        var followerRpc = new Uri($"http://127.0.0.1:{joinerRpc}/");
        await follower.WaitForRpcAsync(followerRpc, TimeSpan.FromSeconds(30));
        using var validatorClient = new NodeRpcClient(chain.Rpc);
        using var followerClient = new NodeRpcClient(followerRpc);
        ulong target = snapshotHeight + 15;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (await followerClient.BlockNumberAsync() < target)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"the imported node did not reach height {target}:\n{follower.Output}");
            await Task.Delay(250);
        }
        for (ulong h = snapshotHeight; h <= target; h++)
        {
            var mine = await followerClient.GetBlockByNumberAsync(h);
            var theirs = await validatorClient.GetBlockByNumberAsync(h);
            Assert.That((mine!.Hash, mine.StateRoot), Is.EqualTo((theirs!.Hash, theirs.StateRoot)), $"block {h}");
        }
        var account = await followerClient.GetAccountAsync("0x00000000000000000000000000000000000a11c2");
        Assert.That(account.Balance.Value, Is.EqualTo(1_000_000_000UL), "state from before the snapshot is there");
        ulong tailStart = snapshotHeight - 10 + 1;
        var below = await RefusedAsync(() => followerClient.GetBlockByNumberAsync(tailStart - 1));
        Assert.That((below.Code, below.Message), Is.EqualTo((-32001, $"block {tailStart - 1} is not held by this node: it keeps blocks from {tailStart} (and genesis); ask an archive node")),
            "below the snapshot's tail the imported node says it holds no blocks");
        Assert.That(await followerClient.GetBlockByNumberAsync(tailStart), Is.Not.Null);
        Assert.That(await followerClient.GetBlockByNumberAsync(0), Is.Not.Null, "genesis is always kept");

        // The validator keeps its newest 40 blocks: block 5 is pruned by now (its head is past 45), and said to be.
        Assert.That(await validatorClient.BlockNumberAsync(), Is.GreaterThanOrEqualTo(target));
        var prunedUntil = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await validatorClient.GetBlockByNumberAsync(5);
                Assert.That(DateTime.UtcNow, Is.LessThan(prunedUntil), "block 5 was never pruned");
                await Task.Delay(200);
            }
            catch (JsonRpcClientException e) when (e.Code == -32001)
            {
                Assert.That(e.Message, Does.StartWith("block 5 is not held by this node: it keeps blocks from "));
                break;
            }
        }
        Assert.That(await validatorClient.GetBlockByNumberAsync(0), Is.Not.Null);

        // What /metrics says of it: the lowest block each holds, and the validator's pruning.
        using var http = new HttpClient();
        async Task<double> Metric(Uri node, string name)
        {
            var text = await http.GetStringAsync(new Uri(node, "metrics"));
            var line = text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
            return double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
        }
        Assert.That(await Metric(followerRpc, "iexec_lowest_block"), Is.EqualTo((double)tailStart));
        Assert.That(await Metric(chain.Rpc, "iexec_lowest_block"), Is.GreaterThan(5));
        Assert.That(await Metric(chain.Rpc, "iexec_blocks_pruned_total"), Is.GreaterThan(0));
    }

    internal static async Task<JsonRpcClientException> RefusedAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (JsonRpcClientException e)
        {
            return e;
        }
        Assert.Fail("the call was answered, not refused");
        throw new InvalidOperationException();
    }
}
