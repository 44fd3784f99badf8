using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.State.Snapshots;
using IExecChain.Storage;

namespace IExecChain.Benchmarks;

/// <summary>
/// State sync against replay, on a state of 1,000,000 accounts made by real blocks: 200 blocks of
/// 5,000 signed transfers, each from one funder to a new account (so every transfer creates an
/// <c>AccountRecord</c> at <c>StateKeys.Account(address)</c>), produced through
/// <see cref="BlockProcessor"/> on RocksDB (built once per process: the benchmarks run in process, by their config).
/// <list type="bullet">
/// <item><see cref="Create"/>: <see cref="SnapshotWriter"/> over the store's <c>StateValues</c> at height 200 (a checkpoint), 4 MiB chunks to files.</item>
/// <item><see cref="Restore"/>: those files through <see cref="SnapshotRestorer"/> into an empty RocksDB; the root must be block 200's.</item>
/// <item><see cref="Restore_by_tree_updates"/>: the same through <see cref="StateTree"/> updates, the restorer's way before <c>SortedTreeBuilder</c> (the baseline).</item>
/// <item><see cref="Restore_tail"/>: the snapshot's tail (the last checkpoint interval of blocks, 100 here, with commits) into an empty RocksDB;
/// <see cref="Restore_tail_by_decoding"/> the same the way it was done before (every transaction decoded, every block re-encoded).</item>
/// <item><see cref="Join"/>: state and tail as a joining node restores them, the tail's blocks written while the state is.</item>
/// <item><see cref="Replay"/>: what a node does without a snapshot for the last <see cref="ReplayBlocks"/> blocks, on a copy of
/// the state at height 200 − <see cref="ReplayBlocks"/> (~950k accounts): decode each block, <see cref="BlockProcessor.Execute"/>
/// (every signature recovered by a fresh <see cref="TransactionVerifier"/>, as a syncing node does), then
/// <see cref="BlockProcessor.Commit"/> (synced write). × 200 / <see cref="ReplayBlocks"/> estimates the whole chain.</item>
/// </list>
/// The setup also times the production of all 200 blocks (sign, recover, propose, commit) and a
/// stage-by-stage restore, printed to the log.
/// </summary>
// Setup is expensive (the chain is built once per process) and each op is seconds long: one warmup, three iterations.
// In process by its own config: BenchmarkDotNet's --inProcess gives up after 5 minutes, which building the
// world takes on a loaded machine.
[Config(typeof(InProcessConfig))]
[InvocationCount(1)]
[WarmupCount(1)]
[IterationCount(3)]
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "the iteration cleanup disposes the store")]
public class SnapshotBenchmarks
{
    /// <summary>1,000,000; IEXEC_SNAPSHOT_ACCOUNTS overrides it for a quick check of the benchmark itself.</summary>
    public static readonly int Accounts = int.TryParse(Environment.GetEnvironmentVariable("IEXEC_SNAPSHOT_ACCOUNTS"), out int n) ? n : 1_000_000;
    public const int BlockSize = 5_000;
    public static readonly int Blocks = Accounts / BlockSize;
    public const int ReplayBlocks = 10;

    private SnapshotWorld _world = null!;
    private string _restorePath = "";
    private RocksDbStore? _restoreStore;
    private BlockProcessor? _replayProcessor;

    private sealed class InProcessConfig : ManualConfig
    {
        public InProcessConfig() => AddJob(Job.Default.WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true)));
    }

    [GlobalSetup]
    public void Setup() => _world = SnapshotWorld.Get();

    [Benchmark]
    public SnapshotManifest Create()
    {
        string dir = Path.Combine(_world.Root, "create");
        Directory.CreateDirectory(dir);
        return _world.WriteSnapshot(dir);
    }

    [IterationSetup(Targets = [nameof(Restore), nameof(Restore_by_tree_updates), nameof(Restore_tail), nameof(Restore_tail_by_decoding), nameof(Join)])]
    public void EmptyStore()
    {
        _restorePath = Path.Combine(_world.Root, "restore-" + Guid.NewGuid().ToString("N"));
        _restoreStore = new RocksDbStore(_restorePath);
    }

    [IterationCleanup(Targets = [nameof(Restore), nameof(Restore_by_tree_updates), nameof(Restore_tail), nameof(Restore_tail_by_decoding), nameof(Join)])]
    public void DropStore()
    {
        _restoreStore?.Dispose();
        _restoreStore = null;
        Directory.Delete(_restorePath, recursive: true);
    }

    /// <summary>The chunk files, in order, read and applied; the recomputed root must be block 200's.</summary>
    [Benchmark]
    public Hash256 Restore() => _world.RestoreState(_restoreStore!);

    /// <summary>The baseline: the same chunk files restored through tree updates, as the restorer did before (<see cref="RestoreByTreeUpdates"/>).</summary>
    [Benchmark]
    public Hash256 Restore_by_tree_updates()
    {
        var manifest = SnapshotManifest.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(_world.SnapshotDir, "manifest")));
        var root = RestoreByTreeUpdates.Run(_restoreStore!, manifest, i => File.ReadAllBytes(SnapshotWorld.ChunkPath(_world.SnapshotDir, i)));
        if (root != _world.StateRoot) throw new InvalidOperationException($"restored root {root}, the source's is {_world.StateRoot}");
        return root;
    }

    /// <summary>
    /// The tail file: parsed, checked against the manifest (blocks kept as served, transaction roots from the
    /// transactions' bytes), blocks and commits written (the verification of block 200's one commit against the
    /// restored state's validators is left out: there is no state here).
    /// </summary>
    [Benchmark]
    public void Restore_tail()
    {
        var manifest = SnapshotManifest.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(_world.SnapshotDir, "manifest")));
        var tail = SnapshotTail.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(_world.SnapshotDir, "tail")));
        SnapshotTails.Write(_restoreStore!, _world.Spec, manifest, SnapshotTails.Check(_world.Spec, manifest, tail));
    }

    /// <summary>The baseline: the same tail with every block decoded and re-encoded, as before (<see cref="TailByDecoding"/>).</summary>
    [Benchmark]
    public void Restore_tail_by_decoding()
    {
        var manifest = SnapshotManifest.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(_world.SnapshotDir, "manifest")));
        var tail = SnapshotTail.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(_world.SnapshotDir, "tail")));
        TailByDecoding.Run(_restoreStore!, _world.Spec, manifest, tail);
    }

    /// <summary>
    /// A whole join, as <c>StateSyncer</c> does it once the files are here: the tail's headers and commits checked, then
    /// the state restored while the tail's transactions are checked against their roots and its blocks written, then
    /// block 200's commit verified against the restored validators and the head written.
    /// </summary>
    [Benchmark]
    public Hash256 Join() => _world.Join(_restoreStore!);

    [IterationSetup(Target = nameof(Replay))]
    public void CopyBase()
    {
        _restorePath = Path.Combine(_world.Root, "replay-" + Guid.NewGuid().ToString("N"));
        SnapshotWorld.CopyDirectory(_world.ReplayBase, _restorePath);
        _restoreStore = new RocksDbStore(_restorePath);
        _replayProcessor = _world.Open(_restoreStore, new TransactionVerifier());
        if (_replayProcessor.Head.Height != (ulong)(Blocks - ReplayBlocks)) throw new InvalidOperationException($"replay base at height {_replayProcessor.Head.Height}");
    }

    [IterationCleanup(Target = nameof(Replay))]
    public void DropReplay()
    {
        // BenchmarkDotNet's overhead iterations run the setup and cleanup too, without the replay.
        if (_replayProcessor!.Head.Height == (ulong)Blocks && _replayProcessor.Tree.Root != _world.StateRoot)
            throw new InvalidOperationException("the replay did not reach block 200's state");
        _replayProcessor = null;
        DropStore();
    }

    /// <summary>The last <see cref="ReplayBlocks"/> blocks of 5,000 transfers as a syncing node takes them: decode, execute (signatures recovered), commit.</summary>
    [Benchmark]
    public Hash256 Replay()
    {
        var processor = _replayProcessor!;
        for (int i = 0; i < _world.ReplayBlockBytes.Count; i++)
        {
            if (!ChainBlock.TryDecode(_world.ReplayBlockBytes[i], SnapshotWorld.ChainId, _world.Spec.Parameters.MaxTransactionBytes, out var block, out var error))
                throw new InvalidOperationException(error);
            var executed = processor.Execute(block!, out error) ?? throw new InvalidOperationException($"block {block!.Height} refused: {error}");
            processor.Commit(executed, _world.ReplayCommits[i]);
        }
        return processor.Tree.Root;
    }
}

/// <summary>The chain of 200 blocks that creates 1,000,000 accounts, its snapshot files and the replay base; built once per process.</summary>
internal sealed class SnapshotWorld
{
    public const ulong ChainId = TransactionSamples.ChainId;
    private const ulong Fee = 100;

    private static readonly Lazy<SnapshotWorld> Instance = new(Build);

    public static SnapshotWorld Get() => Instance.Value;

    private readonly PrivateKey _validator = TransactionSamples.Key("validator");

    private SnapshotWorld(string root, ChainSpec spec)
    {
        Root = root;
        Spec = spec;
    }

    public string Root { get; }
    public ChainSpec Spec { get; }
    public string SourcePath => Path.Combine(Root, "source");
    public string ReplayBase => Path.Combine(Root, "replay-base");
    public string SnapshotDir => Path.Combine(Root, "snapshot");
    public Hash256 StateRoot { get; private set; }
    public Hash256 BlockHash { get; private set; }
    public RocksDbStore Source { get; private set; } = null!;
    public List<byte[]> ReplayBlockBytes { get; } = [];
    public List<Commit> ReplayCommits { get; } = [];

    public static string ChunkPath(string dir, int index) => Path.Combine(dir, $"chunk-{index:D4}");

    public BlockProcessor Open(IKeyValueStore store, TransactionVerifier verifier) =>
        new(Spec, store, new StateTree(store), new BlockStore(store, ChainId, Spec.Parameters.MaxTransactionBytes), verifier);

    /// <summary>
    /// A database of its own at the head of the chain (1,000,000 accounts): a copy of the replay base with the
    /// last <see cref="SnapshotBenchmarks.ReplayBlocks"/> blocks applied, so the shared source stays as it is.
    /// </summary>
    public BlockProcessor OpenCopyAtHead(string path, TransactionVerifier verifier, out RocksDbStore store)
    {
        CopyDirectory(ReplayBase, path);
        store = new RocksDbStore(path);
        var processor = Open(store, verifier);
        for (int i = 0; i < ReplayBlockBytes.Count; i++)
        {
            if (!ChainBlock.TryDecode(ReplayBlockBytes[i], ChainId, Spec.Parameters.MaxTransactionBytes, out var block, out var error))
                throw new InvalidOperationException(error);
            var executed = processor.Execute(block!, out error) ?? throw new InvalidOperationException($"block {block!.Height} refused: {error}");
            processor.Commit(executed, ReplayCommits[i]);
        }
        if (processor.Tree.Root != StateRoot) throw new InvalidOperationException("the copy did not reach the head's state");
        return processor;
    }

    /// <summary>The chunk files, in order, read and applied into <paramref name="store"/>; the recomputed root must be block 200's.</summary>
    public Hash256 RestoreState(IKeyValueStore store)
    {
        var manifest = SnapshotManifest.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(SnapshotDir, "manifest")));
        using var restorer = new SnapshotRestorer(store, manifest, ChainId);
        for (int i = 0; i < restorer.ChunkCount; i++) restorer.Add(i, File.ReadAllBytes(ChunkPath(SnapshotDir, i)));
        var root = restorer.Finish();
        if (root != StateRoot) throw new InvalidOperationException($"restored root {root}, the source's is {StateRoot}");
        return root;
    }

    /// <summary>
    /// A whole join into <paramref name="store"/>, as <c>StateSyncer</c> does it once the files are here: the tail's headers and
    /// commits checked, then the state restored while the tail's transactions are checked against their roots and its blocks
    /// written, then block 200's commit verified against the restored validators and the head written.
    /// </summary>
    public Hash256 Join(IKeyValueStore store)
    {
        var manifest = SnapshotManifest.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(SnapshotDir, "manifest")));
        var linked = SnapshotTails.CheckLinks(Spec, manifest, SnapshotTail.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(SnapshotDir, "tail"))));
        var tailBlocks = Task.Run(() =>
        {
            var tail = SnapshotTails.VerifyTransactions(linked, onEveryCore: false);
            SnapshotTails.WriteBlocks(store, Spec, tail);
            return tail;
        });
        Hash256 root;
        try
        {
            root = RestoreState(store);
        }
        finally
        {
            Task.WhenAny(tailBlocks).GetAwaiter().GetResult();
        }
        SnapshotTails.Restore(store, Spec, manifest, tailBlocks.GetAwaiter().GetResult(), blocksWritten: true);
        return root;
    }

    /// <summary>The snapshot of the source at height 200: chunk files and the manifest, as a node keeps them.</summary>
    public SnapshotManifest WriteSnapshot(string dir)
    {
        var manifest = SnapshotWriter.Write(Source.Iterate(DbColumn.StateValues), ChainId, (ulong)SnapshotBenchmarks.Blocks, BlockHash, StateRoot, (i, bytes) =>
        {
            using var file = new FileStream(ChunkPath(dir, i), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
            file.Write(bytes.Span);
        });
        File.WriteAllBytes(Path.Combine(dir, "manifest"), manifest.ToByteArray());
        return manifest;
    }

    private static SnapshotWorld Build()
    {
        string root = Path.Combine(Path.GetTempPath(), "iexec-bench-snapshot", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        var funder = TransactionSamples.Key("funder");
        var validator = TransactionSamples.Key("validator");
        var spec = new ChainSpec
        {
            Name = "snapshot-benchmark",
            ChainId = ChainId,
            GenesisTimeUnixMs = 1_700_000_000_000,
            Parameters = new ChainParameters
            {
                BlockIntervalMs = 1000,
                MaxBlockTransactions = SnapshotBenchmarks.BlockSize,
                MaxBlockBytes = 8 << 20,
                MaxTransactionBytes = 4096,
                UnbondingPeriodBlocks = 3,
                MinValidatorStake = 1000,
                MinWorkerStake = 10,
                EpochLength = 100,   // a multiple of the checkpoint interval (the default, 100), as a chain spec's must be
                Fees = new FeeSchedule { Transfer = Fee, Stake = 200, Unstake = 300 },
                Consensus = new ConsensusParameters { PowerUnit = 1 },
            },
            Accounts = [new GenesisAccount(funder.Address, 1_000_000_000_000_000)],
            Validators = [new GenesisValidator(validator.Address, validator.PublicKey, 5000)],
        };
        var world = new SnapshotWorld(root, spec);
        world.Produce(funder);
        world.TakeSnapshot();
        world.Breakdown();
        return world;
    }

    /// <summary>200 blocks of 5,000 transfers from the funder, each to a new account; the replay base is copied at height 190.</summary>
    private void Produce(PrivateKey funder)
    {
        var store = new RocksDbStore(SourcePath);
        var verifier = new TransactionVerifier();
        var processor = Open(store, verifier);
        var sign = new Stopwatch();
        var recover = new Stopwatch();
        var propose = new Stopwatch();
        var commit = new Stopwatch();
        var total = Stopwatch.StartNew();
        Commit? last = null;
        var signed = new byte[SnapshotBenchmarks.BlockSize][];
        for (int b = 0; b < SnapshotBenchmarks.Blocks; b++)
        {
            if (b == SnapshotBenchmarks.Blocks - SnapshotBenchmarks.ReplayBlocks)
            {
                store.Dispose();
                CopyDirectory(SourcePath, ReplayBase);
                store = new RocksDbStore(SourcePath);
                verifier = new TransactionVerifier();
                processor = Open(store, verifier);
            }
            sign.Start();
            int first = b * SnapshotBenchmarks.BlockSize;
            Parallel.For(0, SnapshotBenchmarks.BlockSize, i =>
            {
                int n = first + i;
                var body = new TransactionBody
                {
                    ChainId = ChainId,
                    Nonce = (ulong)n,
                    Fee = Fee,
                    Transfer = new Transfer { To = ByteString.CopyFrom(AccountAddress(n).ToArray()), Amount = 1_000_000 + (ulong)n },
                };
                signed[i] = TransactionCodec.Sign(body, funder);
            });
            var candidates = signed.Select(TransactionSamples.Decode).ToList();
            sign.Stop();
            recover.Start();
            var errors = verifier.VerifyAll(candidates);
            recover.Stop();
            if (errors.FirstOrDefault(e => e is not null) is { } bad) throw new InvalidOperationException(bad);
            propose.Start();
            var executed = processor.Propose(_validator.Address, processor.Head.TimeUnixMs + 1000, candidates, last);
            propose.Stop();
            if (executed.Block.Transactions.Count != SnapshotBenchmarks.BlockSize)
                throw new InvalidOperationException($"block {executed.Block.Height} holds {executed.Block.Transactions.Count} transfers: {(executed.Excluded.Count > 0 ? executed.Excluded[0].Reason : "block limit")}");
            commit.Start();
            last = CommitFor(processor, executed);
            processor.Commit(executed, last);
            commit.Stop();
            if (b >= SnapshotBenchmarks.Blocks - SnapshotBenchmarks.ReplayBlocks)
            {
                ReplayBlockBytes.Add(executed.Block.ToBytes());
                ReplayCommits.Add(last);
            }
        }
        total.Stop();
        Source = store;
        StateRoot = processor.Tree.Root;
        BlockHash = processor.Head.Hash;
        Console.WriteLine($"// SnapshotWorld: produced {SnapshotBenchmarks.Blocks} blocks x {SnapshotBenchmarks.BlockSize} transfers in {total.Elapsed.TotalSeconds:F1} s: "
            + $"sign+decode {sign.Elapsed.TotalSeconds:F1} s, recover (VerifyAll, 2 threads) {recover.Elapsed.TotalSeconds:F1} s, "
            + $"propose (execute + roots) {propose.Elapsed.TotalSeconds:F1} s, commit (synced write) {commit.Elapsed.TotalSeconds:F1} s; "
            + $"recover+propose+commit {(recover.Elapsed + propose.Elapsed + commit.Elapsed).TotalSeconds:F1} s; head {processor.Head.Height}, root {StateRoot}");
        Console.WriteLine($"// SnapshotWorld: source RocksDB {DirectoryBytes(SourcePath) / 1e6:F0} MB (blocks, receipts, index, tree nodes, values)");
    }

    private void TakeSnapshot()
    {
        Directory.CreateDirectory(SnapshotDir);
        var watch = Stopwatch.StartNew();
        var manifest = WriteSnapshot(SnapshotDir);
        watch.Stop();
        var tailWatch = Stopwatch.StartNew();
        var tail = SnapshotTails.Read(new BlockStore(Source, ChainId, Spec.Parameters.MaxTransactionBytes), (ulong)SnapshotBenchmarks.Blocks, Spec.Parameters.CheckpointInterval);
        byte[] tailBytes = tail.ToByteArray();
        File.WriteAllBytes(Path.Combine(SnapshotDir, "tail"), tailBytes);
        tailWatch.Stop();
        long manifestBytes = new FileInfo(Path.Combine(SnapshotDir, "manifest")).Length;
        Console.WriteLine($"// SnapshotWorld: snapshot at height {manifest.Height}: {manifest.Entries} entries, {manifest.ChunkHashes.Count} chunks, "
            + $"{manifest.TotalBytes} chunk bytes ({manifest.TotalBytes / 1048576.0:F2} MiB), manifest {manifestBytes} bytes, written in {watch.Elapsed.TotalSeconds:F2} s; "
            + $"tail {tail.Blocks.Count} blocks, {tailBytes.Length} bytes ({tailBytes.Length / 1048576.0:F2} MiB), read + written in {tailWatch.Elapsed.TotalSeconds:F2} s");
    }

    /// <summary>
    /// Where a restore's time goes, once: the restorer's steps done one at a time with a stopwatch on each
    /// (read the files, hash the chunks, parse the entries into the <see cref="SortedTreeBuilder"/>, build
    /// each batch: leaf and node hashes, values and nodes put into a write batch, RocksDB writes). Not the
    /// restorer's code (no overlap, no open-order check): the same calls in the same order.
    /// </summary>
    private void Breakdown()
    {
        var iterate = Stopwatch.StartNew();
        long entries = 0, bytes = 0;
        foreach (var (key, value) in Source.Iterate(DbColumn.StateValues)) { entries++; bytes += key.Length + value.Length; }
        iterate.Stop();
        Console.WriteLine($"// Breakdown create: iterating StateValues alone ({entries} entries, {bytes} bytes) {iterate.Elapsed.TotalSeconds:F2} s");

        var read = new Stopwatch();
        var hash = new Stopwatch();
        var parse = new Stopwatch();
        var build = new Stopwatch();
        var write = new Stopwatch();
        long puts = 0;
        string path = Path.Combine(Root, "breakdown");
        using (var store = new RocksDbStore(path))
        {
            var tree = new SortedTreeBuilder();
            var manifest = SnapshotManifest.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(SnapshotDir, "manifest")));
            Hash256 root = default;
            for (int i = 0; i < manifest.ChunkHashes.Count; i++)
            {
                read.Start();
                byte[] chunk = File.ReadAllBytes(ChunkPath(SnapshotDir, i));
                read.Stop();
                hash.Start();
                if (Keccak256.Hash(chunk) != new Hash256(manifest.ChunkHashes[i].Span)) throw new InvalidOperationException($"chunk {i} hash");
                hash.Stop();
                int offset = 0;
                parse.Start();
                while (offset < chunk.Length)
                {
                    var key = new Hash256(chunk.AsSpan(offset, 32));
                    offset += 32;
                    int length = 0, shift = 0;
                    byte b;
                    do { b = chunk[offset++]; length |= (b & 0x7F) << shift; shift += 7; } while ((b & 0x80) != 0);
                    tree.Add(key, chunk.AsSpan(offset, length));
                    offset += length;
                    if (tree.Buffered >= SnapshotRestorer.BatchEntries) { parse.Stop(); Apply(false); parse.Start(); }
                }
                parse.Stop();
            }
            Apply(true);
            if (root != StateRoot) throw new InvalidOperationException("breakdown restore: wrong root");

            void Apply(bool last)
            {
                using var batch = store.NewBatch();
                build.Start();
                if (last) root = tree.Finish(batch);
                else tree.Flush(batch);
                build.Stop();
                puts += batch.Count;
                write.Start();
                store.Write(batch, last);
                write.Stop();
            }
        }
        Console.WriteLine($"// Breakdown restore: read files {read.Elapsed.TotalSeconds:F2} s, keccak of chunks {hash.Elapsed.TotalSeconds:F2} s, "
            + $"parse entries into the builder {parse.Elapsed.TotalSeconds:F2} s, build ({SnapshotRestorer.BatchEntries}-entry batches: leaf + node hashes, "
            + $"{puts} puts into write batches) {build.Elapsed.TotalSeconds:F2} s, RocksDB writes {write.Elapsed.TotalSeconds:F2} s; "
            + $"restored RocksDB {DirectoryBytes(path) / 1e6:F0} MB");
        Directory.Delete(path, recursive: true);
    }

    /// <summary>The validator's commit of <paramref name="executed"/>, with a checkpoint signature at checkpoint heights.</summary>
    public Commit CommitFor(BlockProcessor processor, ExecutedBlock executed)
    {
        var block = executed.Block;
        var signature = new CommitSignature
        {
            Validator = ByteString.CopyFrom(_validator.Address.ToArray()),
            Signature = ByteString.CopyFrom(_validator.Sign(VoteDigest.Compute(ChainId, VoteType.Precommit, block.Height, 0, block.Hash))),
            TimeUnixMs = block.Header.TimeUnixMs,
        };
        if (processor.CheckpointOf(executed) is { } checkpoint) signature.CheckpointSignature = ByteString.CopyFrom(_validator.Sign(checkpoint.Digest()));
        var commit = new Commit { Height = block.Height, Round = 0, BlockHash = ByteString.CopyFrom(block.Hash.ToArray()) };
        commit.Signatures.Add(signature);
        return commit;
    }

    /// <summary>Account n's address: 20 bytes of keccak-256 of n, so every transfer creates an account.</summary>
    public static Address AccountAddress(int n)
    {
        Span<byte> seed = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(seed, n);
        return new Address(Keccak256.Hash(seed).ToArray().AsSpan(0, Address.Size));
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    private static long DirectoryBytes(string path) => Directory.GetFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
