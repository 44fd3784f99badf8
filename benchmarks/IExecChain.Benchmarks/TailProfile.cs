using System.Diagnostics;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.Storage;

namespace IExecChain.Benchmarks;

/// <summary>
/// Where the tail's time goes, stage by stage, on <see cref="SnapshotWorld"/>'s tail (the last checkpoint
/// interval: 100 blocks of 5,000 transfers): the old path's calls (<see cref="TailByDecoding"/>) one at a
/// time with a stopwatch on each. <c>dotnet run -c Release --project benchmarks/IExecChain.Benchmarks -- tail-profile [rounds]</c>
/// (IEXEC_SNAPSHOT_ACCOUNTS=500000 builds half the world with the same 100-block tail).
/// </summary>
internal static class TailProfile
{
    public static void Run(string[] args)
    {
        if (args.Length > 1 && args[1] == "join")
        {
            Joins(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5);
            return;
        }
        int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        var world = SnapshotWorld.Get();
        var spec = world.Spec;
        byte[] file = File.ReadAllBytes(Path.Combine(world.SnapshotDir, "tail"));
        for (int round = 0; round < rounds; round++)
        {
            var parse = Stopwatch.StartNew();
            var tail = SnapshotTail.Parser.ParseFrom(file);
            parse.Stop();
            var decode = new Stopwatch();
            var root = new Stopwatch();
            var blocks = new List<ChainBlock>();
            foreach (var item in tail.Blocks)
            {
                decode.Start();
                if (!ChainBlock.TryDecode(item.Block.Span, spec.ChainId, spec.Parameters.MaxTransactionBytes, out var block, out var error))
                    throw new InvalidOperationException(error);
                decode.Stop();
                root.Start();
                if (ChainBlock.ComputeTxRoot(block!.Transactions) != new Hash256(block.Header.TxRoot.Span)) throw new InvalidOperationException("tx root");
                root.Stop();
                blocks.Add(block);
            }
            var encode = Stopwatch.StartNew();
            long encoded = 0;
            foreach (var block in blocks) encoded += block.ToBytes().Length;
            encode.Stop();
            string path = Path.Combine(world.Root, "tail-profile-" + round);
            var put = new Stopwatch();
            var write = new Stopwatch();
            using (var store = new RocksDbStore(path))
            {
                var blockStore = new BlockStore(store, spec.ChainId, spec.Parameters.MaxTransactionBytes);
                put.Start();
                using var batch = store.NewBatch();
                var (genesis, _) = Genesis.Build(spec, new StateTree(new MemoryStore()));
                blockStore.AddBlock(batch, genesis, new Commit { Height = 0, BlockHash = ByteString.CopyFrom(genesis.Hash.ToArray()) }, []);
                for (int i = 0; i < blocks.Count; i++) blockStore.AddBlock(batch, blocks[i], tail.Blocks[i].Commit, []);
                put.Stop();
                write.Start();
                store.Write(batch, sync: true);
                write.Stop();
            }
            Directory.Delete(path, recursive: true);
            Console.WriteLine($"// Tail profile, round {round}: parse the tail message ({file.Length} bytes) {Ms(parse)}, decode {blocks.Count} blocks "
                + $"({blocks.Sum(b => b.Transactions.Count)} transactions) {Ms(decode)}, transaction roots from the decoded ids {Ms(root)}, "
                + $"re-encode the blocks alone ({encoded} bytes) {Ms(encode)}, AddBlock into a batch (re-encodes again) {Ms(put)}, RocksDB synced write {Ms(write)}");
            NewPath(world, file, round);
        }
    }

    /// <summary>The same tail the way <c>SnapshotTails</c> does it now: blocks read as served, transaction roots from their bytes, stored as served.</summary>
    private static void NewPath(SnapshotWorld world, byte[] file, int round)
    {
        var spec = world.Spec;
        var parse = Stopwatch.StartNew();
        var tail = SnapshotTail.Parser.ParseFrom(file);
        parse.Stop();
        var read = Stopwatch.StartNew();
        var blocks = new List<EncodedBlock>();
        foreach (var item in tail.Blocks)
        {
            if (!EncodedBlock.TryRead(item.Block.Memory, spec.ChainId, spec.Parameters.MaxTransactionBytes, out var block, out var error))
                throw new InvalidOperationException(error);
            blocks.Add(block!);
        }
        read.Stop();
        var serial = Stopwatch.StartNew();
        foreach (var block in blocks) if (!block.TransactionsMatchHeader()) throw new InvalidOperationException("tx root");
        serial.Stop();
        var parallel = Stopwatch.StartNew();
        Parallel.For(0, blocks.Count, i => { if (!blocks[i].TransactionsMatchHeader()) throw new InvalidOperationException("tx root"); });
        parallel.Stop();
        var check = Stopwatch.StartNew();
        var manifest = SnapshotManifest.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(world.SnapshotDir, "manifest")));
        var checkedTail = State.Snapshots.SnapshotTails.Check(spec, manifest, tail);
        check.Stop();
        string path = Path.Combine(world.Root, "tail-profile-new-" + round);
        var write = new Stopwatch();
        using (var store = new RocksDbStore(path))
        {
            write.Start();
            State.Snapshots.SnapshotTails.Write(store, spec, manifest, checkedTail);
            write.Stop();
        }
        Directory.Delete(path, recursive: true);
        Console.WriteLine($"// Tail profile, round {round}, new path: parse {Ms(parse)}, read {blocks.Count} blocks as served {Ms(read)}, "
            + $"transaction roots from the bytes on one core {Ms(serial)}, on all cores {Ms(parallel)}; SnapshotTails.Check whole {Ms(check)}, Write whole (synced) {Ms(write)}");
    }

    /// <summary>
    /// <c>tail-profile join [rounds]</c>: the state restore alone, the join (<see cref="SnapshotWorld.Join"/>) and the old way
    /// (state, then the tail by decoding), in turn in each round, each into a new RocksDB, so that a machine whose load
    /// drifts weighs on all three alike: what the tail adds to the state is read round by round.
    /// </summary>
    private static void Joins(int rounds)
    {
        var world = SnapshotWorld.Get();
        var manifest = SnapshotManifest.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(world.SnapshotDir, "manifest")));
        for (int round = 0; round < rounds; round++)
        {
            double state = Timed(world, round, "state", store => world.RestoreState(store));
            double join = Timed(world, round, "join", store => world.Join(store));
            double everyCore = Timed(world, round, "every-core", store =>
            {
                // As the join, with the transactions checked on every core (a second parallel loop beside the restore's).
                var linked = State.Snapshots.SnapshotTails.CheckLinks(world.Spec, manifest, SnapshotTail.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(world.SnapshotDir, "tail"))));
                var written = Task.Run(() =>
                {
                    var tail = State.Snapshots.SnapshotTails.VerifyTransactions(linked, onEveryCore: true);
                    State.Snapshots.SnapshotTails.WriteBlocks(store, world.Spec, tail);
                    return tail;
                });
                world.RestoreState(store);
                State.Snapshots.SnapshotTails.Restore(store, world.Spec, manifest, written.GetAwaiter().GetResult(), blocksWritten: true);
            });
            double verifyOnly = Timed(world, round, "verify-only", store =>
            {
                // The transactions checked while the state is restored, the blocks written after it.
                var linked = State.Snapshots.SnapshotTails.CheckLinks(world.Spec, manifest, SnapshotTail.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(world.SnapshotDir, "tail"))));
                var verified = Task.Run(() => State.Snapshots.SnapshotTails.VerifyTransactions(linked));
                world.RestoreState(store);
                State.Snapshots.SnapshotTails.Write(store, world.Spec, manifest, verified.GetAwaiter().GetResult());
            });
            double sequential = Timed(world, round, "sequential", store =>
            {
                var tail = State.Snapshots.SnapshotTails.Check(world.Spec, manifest, SnapshotTail.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(world.SnapshotDir, "tail"))));
                world.RestoreState(store);
                State.Snapshots.SnapshotTails.Write(store, world.Spec, manifest, tail);
            });
            double old = Timed(world, round, "old", store =>
            {
                world.RestoreState(store);
                TailByDecoding.Run(store, world.Spec, manifest, SnapshotTail.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(world.SnapshotDir, "tail"))));
            });
            Console.WriteLine($"// Join round {round}: state alone {state:F2} s, join (new, transactions checked on one thread) {join:F2} s (+{join - state:F2} s), "
                + $"join with the transactions checked on every core {everyCore:F2} s (+{everyCore - state:F2} s), "
                + $"transactions checked during the state, blocks written after {verifyOnly:F2} s (+{verifyOnly - state:F2} s), "
                + $"whole tail checked, state, tail written {sequential:F2} s (+{sequential - state:F2} s), "
                + $"state then tail by decoding (old) {old:F2} s (+{old - state:F2} s)");
        }
    }

    private static double Timed(SnapshotWorld world, int round, string name, Action<RocksDbStore> run)
    {
        string path = Path.Combine(world.Root, $"join-{name}-{round}");
        var watch = new Stopwatch();
        using (var store = new RocksDbStore(path))
        {
            watch.Start();
            run(store);
            watch.Stop();
        }
        Directory.Delete(path, recursive: true);
        return watch.Elapsed.TotalSeconds;
    }

    private static string Ms(Stopwatch watch) => $"{watch.Elapsed.TotalMilliseconds:F0} ms";
}
