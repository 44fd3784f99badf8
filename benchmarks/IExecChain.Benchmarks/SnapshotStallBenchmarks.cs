using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Node.Snapshots;
using IExecChain.State.Chain;
using IExecChain.Storage;

namespace IExecChain.Benchmarks;

/// <summary>
/// Issue 15: "snapshot creation must not stall consensus". Blocks of <see cref="BlockSize"/> transfers
/// proposed and committed on the 1,000,000-account state of <see cref="SnapshotWorld"/> (a copy of its
/// database per case), <see cref="BlocksPerOp"/> blocks per operation, each block timed on its own:
/// <list type="bullet">
/// <item><see cref="Background.None"/>: nothing else runs.</item>
/// <item><see cref="Background.Snapshot"/>: a snapshot is always being written at full speed (writer share 1), the node's way
/// (<c>SnapshotScheduler.OnCommitted</c>): after a block's commit, on the committing thread, an iterator over
/// <c>StateValues</c> is opened (pinning that version), then <see cref="SnapshotFiles.Create"/> runs in
/// <see cref="Task.Run(Action)"/>; when it is done the next block starts another, so every measured block
/// overlaps one.</item>
/// <item><see cref="Background.Half"/>, <see cref="Background.Quarter"/>: the same through the node's
/// <see cref="SnapshotPacer"/> at a writer share of 0.5 and 0.25 (the node's default): after every
/// <see cref="SnapshotPacer.Every"/> entries it sleeps as long as it has just worked, or three times as long.</item>
/// </list>
/// Transfers go from 1,000 senders (funded by one block at setup) to accounts drawn at random among the
/// 1,000,000, so a block changes 2,000 leaves spread over the whole tree. They are signed and their senders
/// recovered in the iteration setup (the node recovers at gossip time), so a block's time is
/// <see cref="BlockProcessor.Propose"/> (execute + roots) + <see cref="BlockProcessor.Commit"/> (synced write),
/// with the query index on a background writer as in the node. Per-block percentiles of the measured
/// iterations are printed at the end of each case ("// Stall"). Run with --inProcess (the world is built once).
/// </summary>
[InvocationCount(1)]
// BenchmarkDotNet's overhead iterations would run the iteration setup (50,000 signatures) for nothing.
[EvaluateOverhead(false)]
[WarmupCount(3)]
[IterationCount(10)]
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "the global cleanup disposes the store")]
public class SnapshotStallBenchmarks
{
    public const int BlockSize = 1_000;
    public const int BlocksPerOp = 50;
    public enum Background { None, Snapshot, Half, Quarter }

    // The full-speed writer (Snapshot) was measured at 2.05× the mean block time (RESULTS.md); add it back to compare.
    [Params(Background.None, Background.Half, Background.Quarter)]
    public Background During { get; set; }

    private SnapshotWorld _world = null!;
    private string _path = "";
    private string _snapshotData = "";
    private string _specPath = "";
    private RocksDbStore _store = null!;
    private TransactionVerifier _verifier = null!;
    private BlockProcessor _processor = null!;
    private QueryIndexWriter _indexWriter = null!;
    private PrivateKey _proposer = null!;
    private PrivateKey[] _senders = null!;
    private ulong _fundedHeight;
    private Commit? _last;
    private readonly Random _random = new(15);
    private List<Transaction>[] _blocks = [];
    private Task _snapshot = Task.CompletedTask;
    private readonly List<(double Propose, double Commit)[]> _ops = [];
    private readonly List<double> _snapshotSeconds = [];

    [GlobalSetup]
    public void Setup()
    {
        _world = SnapshotWorld.Get();
        _path = Path.Combine(_world.Root, "stall-" + During);
        _snapshotData = Path.Combine(_world.Root, "stall-snapshots-" + During);
        Directory.CreateDirectory(Path.Combine(_snapshotData, SnapshotFiles.FolderName));
        // SnapshotFiles.Create copies the chain spec file into the snapshot; its content does not matter here.
        _specPath = Path.Combine(_world.Root, "stall-spec.json");
        File.WriteAllText(_specPath, "{}");
        _verifier = new TransactionVerifier();
        _processor = _world.OpenCopyAtHead(_path, _verifier, out _store);
        _indexWriter = _processor.IndexInBackground();
        _proposer = TransactionSamples.Key("validator");
        _last = _processor.Blocks.GetCommit(_processor.Head.Height);

        // One block from the world's funder gives each sender its funds (its next nonce follows the chain's transfers; it held
        // 10^15 at genesis: after ~1.5 × 10^12 sent, 1,000 × 10^11 fits and 1,000 × 10^12 does not).
        var funder = TransactionSamples.Key("funder");
        ulong funderNonce = (ulong)(SnapshotBenchmarks.Blocks * SnapshotBenchmarks.BlockSize);
        _senders = new PrivateKey[BlockSize];
        var funding = new List<Transaction>(BlockSize);
        for (int i = 0; i < BlockSize; i++)
        {
            _senders[i] = TransactionSamples.Key($"stall-sender-{i}");
            var body = new TransactionBody
            {
                ChainId = SnapshotWorld.ChainId,
                Nonce = funderNonce + (ulong)i,
                Fee = 100,
                Transfer = new Transfer { To = ByteString.CopyFrom(_senders[i].Address.ToArray()), Amount = 100_000_000_000 },
            };
            funding.Add(TransactionSamples.Decode(TransactionCodec.Sign(body, funder)));
        }
        Verify(funding);
        CommitBlock(funding);
        _fundedHeight = _processor.Head.Height;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _snapshot.Wait();
        Report();
        _indexWriter.Dispose();
        _store.Dispose();
        Directory.Delete(_path, recursive: true);
        Directory.Delete(_snapshotData, recursive: true);
    }

    /// <summary>Signs the next <see cref="BlocksPerOp"/> blocks and recovers their senders; a snapshot left from the previous op finishes first.</summary>
    [IterationSetup]
    public void PrepareBlocks()
    {
        _snapshot.Wait();
        // Nonces follow the height, so an overhead iteration (setup without the op) cannot put them out of step.
        ulong nonce = _processor.Head.Height - _fundedHeight;
        var recipients = new ByteString[BlocksPerOp * BlockSize];
        for (int i = 0; i < recipients.Length; i++)
            recipients[i] = ByteString.CopyFrom(SnapshotWorld.AccountAddress(_random.Next(SnapshotBenchmarks.Blocks * SnapshotBenchmarks.BlockSize)).ToArray());
        _blocks = new List<Transaction>[BlocksPerOp];
        for (int b = 0; b < BlocksPerOp; b++)
        {
            var signed = new Transaction[BlockSize];
            int block = b;
            Parallel.For(0, BlockSize, i =>
            {
                var body = new TransactionBody
                {
                    ChainId = SnapshotWorld.ChainId,
                    Nonce = nonce + (ulong)block,
                    Fee = 100,
                    Transfer = new Transfer { To = recipients[block * BlockSize + i], Amount = 1 },
                };
                signed[i] = TransactionSamples.Decode(TransactionCodec.Sign(body, _senders[i]));
            });
            _blocks[b] = [.. signed];
            Verify(_blocks[b]);
        }
    }

    [Benchmark]
    public void Commit_blocks()
    {
        var times = new (double, double)[BlocksPerOp];
        for (int b = 0; b < BlocksPerOp; b++) times[b] = CommitBlock(_blocks[b]);
        _ops.Add(times);
    }

    /// <summary>Propose + commit of one block, then what the scheduler does on the committing thread; the two times in ms.</summary>
    private (double Propose, double Commit) CommitBlock(List<Transaction> candidates)
    {
        long start = Stopwatch.GetTimestamp();
        var executed = _processor.Propose(_proposer.Address, _processor.Head.TimeUnixMs + 1000, candidates, _last);
        long proposed = Stopwatch.GetTimestamp();
        if (executed.Block.Transactions.Count != candidates.Count)
            throw new InvalidOperationException($"block {executed.Block.Height} holds {executed.Block.Transactions.Count} of {candidates.Count}: "
                + string.Join("; ", executed.Excluded.Select(e => $"{e.Tx} (sender #{Array.FindIndex(_senders, k => k.Address == e.Tx.Sender)}): {e.Reason}")));
        _last = _world.CommitFor(_processor, executed);
        _processor.Commit(executed, _last);
        if (During != Background.None && _snapshot.IsCompleted) StartSnapshot();
        long committed = Stopwatch.GetTimestamp();
        return (Stopwatch.GetElapsedTime(start, proposed).TotalMilliseconds, Stopwatch.GetElapsedTime(proposed, committed).TotalMilliseconds);
    }

    /// <summary>As <c>SnapshotScheduler.OnCommitted</c>: the iterator opened here pins the committed state; the files are written on a pool thread.</summary>
    private void StartSnapshot()
    {
        ulong height = _processor.Head.Height;
        var hash = _processor.Head.Hash;
        var root = _processor.Tree.Root;
        var entries = _store.Iterate(DbColumn.StateValues).GetEnumerator();
        bool any = entries.MoveNext();
        var pacer = new SnapshotPacer(During switch { Background.Half => 0.5, Background.Quarter => 0.25, _ => 1 });
        _snapshot = Task.Run(() =>
        {
            var watch = Stopwatch.StartNew();
            using (entries)
            {
                var rest = pacer.Pace(Rest(entries, any));
                SnapshotFiles.Create(rest, height, hash, root, _processor.Blocks, _world.Spec, _specPath, SnapshotFiles.DirectoryFor(_snapshotData, height));
            }
            lock (_snapshotSeconds) _snapshotSeconds.Add(watch.Elapsed.TotalSeconds);
            // The scheduler keeps the newest two.
            var all = SnapshotFiles.List(_snapshotData);
            for (int i = 0; i < all.Count - 2; i++) Directory.Delete(all[i].Directory, recursive: true);
        });
    }

    private static IEnumerable<(byte[] Key, byte[] Value)> Rest(IEnumerator<(byte[] Key, byte[] Value)> entries, bool any)
    {
        if (!any) yield break;
        do yield return entries.Current;
        while (entries.MoveNext());
    }

    private void Verify(List<Transaction> transactions)
    {
        var errors = _verifier.VerifyAll(transactions);
        foreach (var error in errors)
            if (error is not null) throw new InvalidOperationException(error);
    }

    /// <summary>Per-block figures over the measured iterations (the last <c>IterationCount</c> ops; the first ones are jitting and warmup).</summary>
    private void Report()
    {
        var measured = _ops.Skip(Math.Max(0, _ops.Count - 10)).SelectMany(op => op).ToList();
        if (measured.Count == 0) return;
        string Line(string name, Func<(double Propose, double Commit), double> pick)
        {
            var values = measured.Select(pick).Order().ToArray();
            double At(double p) => values[Math.Min(values.Length - 1, (int)Math.Ceiling(p * values.Length) - 1)];
            return $"{name} mean {values.Average():F2} ms, p50 {At(0.50):F2}, p95 {At(0.95):F2}, p99 {At(0.99):F2}, max {values[^1]:F2}";
        }
        Console.WriteLine($"// Stall {During}: {measured.Count} blocks of {BlockSize} transfers measured (heights up to {_processor.Head.Height})");
        Console.WriteLine($"// Stall {During}: {Line("propose+commit", t => t.Propose + t.Commit)}");
        Console.WriteLine($"// Stall {During}: {Line("propose", t => t.Propose)}");
        Console.WriteLine($"// Stall {During}: {Line("commit", t => t.Commit)}");
        if (_snapshotSeconds.Count > 0)
            Console.WriteLine($"// Stall {During}: {_snapshotSeconds.Count} snapshots written, {_snapshotSeconds.Average():F2} s each on average (min {_snapshotSeconds.Min():F2}, max {_snapshotSeconds.Max():F2})");
    }
}
