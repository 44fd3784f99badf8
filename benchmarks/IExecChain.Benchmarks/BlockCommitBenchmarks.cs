using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.Storage;

namespace IExecChain.Benchmarks;

/// <summary>
/// One block of transfers through <see cref="BlockProcessor"/> on RocksDB, in two measured halves:
/// <see cref="Propose_and_execute"/> (execute every transfer, then state root, tx root, receipt
/// root) and <see cref="Commit_synced_write"/> (tree nodes, values, block, receipts and head in one
/// synced RocksDB write). Per tx = Mean / BlockSize.
/// Transactions are signed and verified in the iteration setup, so the block cost excludes
/// signature recovery (the node verifies at gossip/RPC time and caches the sender by tx id).
/// Every transfer has its own sender and its own recipient, all funded in genesis (2 × BlockSize
/// accounts), so a block changes 2 × BlockSize + 1 account keys and nonces follow the height.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)] // each op consumes a block's worth of nonces, prepared by the iteration setup
// One op per iteration: after ShortRun's 3 warmups the per-block code is still tier-0 JIT
// (1,000-tx propose measured 16 ms instead of 6 ms), so warm up longer whatever the job says.
[WarmupCount(30)]
[IterationCount(10)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet releases the store in [GlobalCleanup]")]
public class BlockCommitBenchmarks
{
    private const ulong ChainId = 77;
    private const ulong Fee = 100;

    private string _path = "";
    private RocksDbStore _store = null!;
    private TransactionVerifier _verifier = null!;
    private BlockProcessor _processor = null!;
    private PrivateKey _proposer = null!;
    private PrivateKey[] _senders = null!;
    private ByteString[] _recipients = null!;
    private List<Transaction> _candidates = null!;
    private Commit? _lastCommit;
    private ExecutedBlock? _executed;

    [Params(1_000, 5_000)]
    public int BlockSize { get; set; }

    /// <summary>How the commit writes the query index: the A/B of what indexing costs, in one run.</summary>
    [Params(Indexing.Background, Indexing.InBatch, Indexing.Off)]
    public Indexing Index { get; set; }

    /// <summary>Off: no index. InBatch: every entry in the block's commit batch. Background: the node's way, transaction entries on a writer thread.</summary>
    public enum Indexing { Off, InBatch, Background }

    private QueryIndexWriter? _indexWriter;

    [GlobalSetup]
    public void Setup()
    {
        _proposer = TransactionSamples.Key("validator");
        _senders = new PrivateKey[BlockSize];
        _recipients = new ByteString[BlockSize];
        var accounts = new List<GenesisAccount>(2 * BlockSize);
        for (int i = 0; i < BlockSize; i++)
        {
            _senders[i] = TransactionSamples.Key($"sender-{i}");
            var recipient = TransactionSamples.Key($"recipient-{i}").Address;
            _recipients[i] = ByteString.CopyFrom(recipient.ToArray());
            accounts.Add(new GenesisAccount(_senders[i].Address, 1_000_000_000_000));
            accounts.Add(new GenesisAccount(recipient, 1_000_000_000_000));
        }
        var spec = new ChainSpec
        {
            Name = "benchmark",
            ChainId = ChainId,
            GenesisTimeUnixMs = 1_700_000_000_000,
            Parameters = new ChainParameters
            {
                BlockIntervalMs = 1000,
                MaxBlockTransactions = BlockSize,
                MaxBlockBytes = 8 << 20,
                MaxTransactionBytes = 4096,
                UnbondingPeriodBlocks = 3,
                MinValidatorStake = 1000,
                MinWorkerStake = 10,
                EpochLength = 100,   // a multiple of the checkpoint interval (the default, 100), as a chain spec's must be
                Fees = new FeeSchedule { Transfer = Fee, Stake = 200, Unstake = 300 },
                Consensus = new ConsensusParameters { PowerUnit = 1 },
            },
            Accounts = accounts,
            Validators = [new GenesisValidator(_proposer.Address, _proposer.PublicKey, 5000)],
        };
        _path = Path.Combine(Path.GetTempPath(), "iexec-bench-blocks", Guid.NewGuid().ToString("N"));
        _store = new RocksDbStore(_path);
        var tree = new StateTree(_store);
        _verifier = new TransactionVerifier();
        _processor = new BlockProcessor(spec, _store, tree, new BlockStore(_store, ChainId, spec.Parameters.MaxTransactionBytes), _verifier)
        {
            IndexQueries = Index != Indexing.Off,
        };
        if (Index == Indexing.Background) _indexWriter = _processor.IndexInBackground();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _indexWriter?.Dispose();
        _store.Dispose();
        Directory.Delete(_path, recursive: true);
    }

    [IterationSetup(Target = nameof(Propose_and_execute))]
    public void PrepareTransactions()
    {
        // Nonces follow the height: every committed block used each sender's next nonce once.
        // Derived from the head, so an iteration that did not commit (BenchmarkDotNet's overhead
        // iterations also run the setup) cannot put the nonces out of step.
        ulong nonce = _processor.Head.Height;
        _candidates = new List<Transaction>(BlockSize);
        for (int i = 0; i < BlockSize; i++)
        {
            var body = new TransactionBody { ChainId = ChainId, Nonce = nonce, Fee = Fee, Transfer = new Transfer { To = _recipients[i], Amount = 1 } };
            var tx = TransactionSamples.Decode(TransactionCodec.Sign(body, _senders[i]));
            if (!_verifier.TryVerify(tx, out var error)) throw new InvalidOperationException(error);
            _candidates.Add(tx);
        }
        _lastCommit = _processor.Head.Height == 0 ? null : _processor.Blocks.GetCommit(_processor.Head.Height);
        _executed = null;
    }

    [IterationSetup(Targets = [nameof(Commit_synced_write), nameof(Commit_until_listed)])]
    public void PrepareBlock()
    {
        PrepareTransactions();
        _executed = Propose();
        CheckFull(_executed);
    }

    [IterationCleanup(Target = nameof(Propose_and_execute))]
    public void CommitProposed()
    {
        if (_executed is null) return;
        CheckFull(_executed);
        _processor.Commit(_executed, CommitFor(_executed));
        _executed = null;
        WaitForIndex();
    }

    /// <summary>The background writer finishes the block before the next is measured (a node has a block interval for it).</summary>
    [IterationCleanup(Targets = [nameof(Commit_synced_write), nameof(Commit_until_listed)])]
    public void WaitForIndex()
    {
        if (_indexWriter is not null && !_processor.Index.WaitForTransactions(_processor.Head.Height, TimeSpan.FromMinutes(1)))
            throw new InvalidOperationException($"the query index did not reach block {_processor.Head.Height}", _processor.Index.WriterFailure);
    }

    [Benchmark]
    public ExecutedBlock Propose_and_execute() => _executed = Propose();

    [Benchmark]
    public void Commit_synced_write()
    {
        _processor.Commit(_executed!, CommitFor(_executed!));
        _executed = null;
    }

    /// <summary>The commit and, with the background writer, the wait until the block's transactions are listed: when queries see the block.</summary>
    [Benchmark]
    public void Commit_until_listed()
    {
        _processor.Commit(_executed!, CommitFor(_executed!));
        _executed = null;
        WaitForIndex();
    }

    private ExecutedBlock Propose() =>
        _processor.Propose(_proposer.Address, _processor.Head.TimeUnixMs + 1000, _candidates, _lastCommit);

    private static Commit CommitFor(ExecutedBlock executed) =>
        new() { Height = executed.Block.Height, BlockHash = ByteString.CopyFrom(executed.Block.Hash.ToArray()) };

    private void CheckFull(ExecutedBlock executed)
    {
        if (executed.Block.Transactions.Count == BlockSize) return;
        string reason = executed.Excluded.Count > 0 ? executed.Excluded[0].Reason : "block limit";
        throw new InvalidOperationException($"block has {executed.Block.Transactions.Count} of {BlockSize} transfers: {reason}");
    }
}
