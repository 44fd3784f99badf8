using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.Core.Checkpoints;
using IExecChain.State.Bridge;
using IExecChain.State.Checkpoints;
using IExecChain.State.Market;
using IExecChain.State.Merkle;
using IExecChain.State.Validators;
using IExecChain.Storage;

namespace IExecChain.State.Chain;

/// <summary>
/// The boundary between consensus and everything below it: consensus asks for a proposal
/// (<see cref="Propose"/>), asks whether someone else's block is valid (<see cref="Execute"/>), and
/// finally commits one (<see cref="Commit"/>). Execution and storage never know how the block was
/// agreed on, so a single-validator producer and the BFT engine drive the same code.
/// Not thread-safe: one consensus driver calls it; readers use <see cref="Head"/> and the stores.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "the caller of IndexInBackground owns the writer and disposes it before the store")]
public sealed class BlockProcessor
{
    private readonly ChainSpec _spec;
    private readonly IKeyValueStore _store;
    private readonly TransactionExecutor _executor;
    private readonly TransactionVerifier _verifier;
    private readonly MarketLedger _market;
    private ValidatorSet _validators;
    private volatile ChainHead _head;
    // Held from the tree's switch to the new root until the head names that root (the block's disk
    // write lies between), and by readers that report state with its block number (short reads).
    private readonly Lock _headLock = new();

    public BlockProcessor(ChainSpec spec, IKeyValueStore store, StateTree tree, BlockStore blocks, TransactionVerifier verifier)
    {
        _spec = spec;
        _store = store;
        Tree = tree;
        Blocks = blocks;
        _verifier = verifier;
        _executor = new TransactionExecutor(spec.Parameters);

        var stored = blocks.ReadHead();
        if (stored is null)
        {
            // State or blocks without a head is what a snapshot restore leaves until its last write (the head; the tail's
            // blocks may be written while the state is): an import or state sync stopped half way. Genesis over it
            // would read the leftovers as state and blocks.
            if (store.Iterate(DbColumn.StateValues).Any() || store.Iterate(DbColumn.StateNodes).Any() || store.Iterate(DbColumn.MarketOrders).Any()
                || store.Iterate(DbColumn.Blocks).Any())
                throw new InvalidDataException("the database holds state or blocks but no head block: a snapshot import or state sync was interrupted; delete its db directory and import or sync again");
            var (genesis, update) = Genesis.Build(spec, tree);
            using var batch = store.NewBatch();
            tree.Commit(update, batch);
            blocks.AddBlock(batch, genesis, new Commit { Height = 0, BlockHash = ByteString.CopyFrom(genesis.Hash.ToArray()) }, []);
            store.Write(batch, sync: true);
            _head = ChainHead.Of(genesis);
        }
        else
        {
            var block = blocks.GetBlock(stored.Value.Height)
                ?? throw new InvalidDataException($"head block {stored.Value.Height} is missing: the database is corrupt");
            if (block.StateRoot != tree.Root)
                throw new InvalidDataException($"state root {tree.Root} does not match head block {block.Height} ({block.StateRoot}): the database is corrupt");
            _head = ChainHead.Of(block);
        }
        var genesisBlock = blocks.GetBlock(0)!;
        var expected = Genesis.Build(spec, new StateTree(new MemoryStore())).Block.Hash;
        if (genesisBlock.Hash != expected)
            throw new InvalidOperationException($"this database holds chain with genesis {genesisBlock.Hash}, but the chain spec '{spec.Name}' gives genesis {expected}");
        GenesisHash = genesisBlock.Hash;
        _validators = LoadValidators();
        _executor.ApplyOverrides(LoadOverrides());
        _market = new MarketLedger(spec, tree, store);
        Index = new QueryIndex(store);
    }

    public ChainHead Head => _head;

    /// <summary>
    /// Reads committed state together with the head it belongs to: no block commits during
    /// <paramref name="read"/>. Without it a caller could read one block's state beside another's
    /// number, since the tree moves to a block's root before the block is on disk and the head follows.
    /// Keep <paramref name="read"/> short: block commits wait for it.
    /// </summary>
    public T ReadAtHead<T>(Func<ChainHead, StateTree, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        lock (_headLock) return read(_head, Tree);
    }

    /// <summary>The order book and the market's block bookkeeping (consensus thread only).</summary>
    public MarketLedger Market => _market;
    public Hash256 GenesisHash { get; }
    public StateTree Tree { get; }
    public BlockStore Blocks { get; }

    /// <summary>The query indexes, written with each block (<see cref="RebuildIndexIfBehind"/> at startup).</summary>
    public QueryIndex Index { get; }

    /// <summary>
    /// Whether commits write the query index (default). Off only to measure what indexing costs
    /// (BlockCommitBenchmarks); a node that turned it off would rebuild the index when turned on again.
    /// </summary>
    public bool IndexQueries { get; set; } = true;

    private QueryIndexWriter? _indexWriter;

    /// <summary>
    /// From now on, commits write the index's market entries in the block's batch and hand the
    /// transaction entries to a <see cref="QueryIndexWriter"/> thread. Dispose the writer (it writes
    /// what is queued) before the store; no block may be committed after.
    /// </summary>
    public QueryIndexWriter IndexInBackground(Action<Exception>? onFailure = null)
    {
        if (_indexWriter is not null) throw new InvalidOperationException("the query index already has a background writer");
        return _indexWriter = new QueryIndexWriter(_store, Index, onFailure);
    }
    public TransactionExecutor Executor => _executor;
    /// <summary>The validators of the next height (head + 1), with their proposer priorities.</summary>
    public ValidatorSet Validators => _validators;

    /// <summary>The validators that signed the head block's commit.</summary>
    public ValidatorSet LastValidators => Tree.Get(StateKeys.LastValidatorSet) is { } bytes ? ValidatorSet.Parser.ParseFrom(bytes) : _validators;

    public event Action<ExecutedBlock, Commit>? BlockCommitted;

    /// <summary>Builds and executes the next block from candidate transactions in the order given.</summary>
    public ExecutedBlock Propose(Address proposer, ulong timeUnixMs, IEnumerable<Transaction> candidates, Commit? lastCommit,
        IReadOnlyList<DuplicateVoteEvidence>? evidence = null)
    {
        var head = _head;
        var state = new WorldState(Tree);
        var market = _market.Begin(state, head.Height + 1, head.Hash, _executor.Parameters);
        var included = new List<Transaction>();
        var receipts = new List<Receipt>();
        var excluded = new List<(Transaction, string)>();
        ulong height = head.Height + 1, fees = 0;
        long bytes = 0;
        foreach (var tx in candidates)
        {
            if (included.Count >= _spec.Parameters.MaxBlockTransactions || bytes + tx.Size > _spec.Parameters.MaxBlockBytes) break;
            if (!_verifier.TryVerify(tx, out var verifyError)) { excluded.Add((tx, verifyError!)); continue; }
            if (!_executor.TryExecute(state, market, tx, height, (uint)included.Count, ref fees, out var receipt, out var reason))
            {
                excluded.Add((tx, reason!));
                continue;
            }
            included.Add(tx);
            receipts.Add(receipt);
            bytes += tx.Size;
        }
        // Evidence that does not hold (already punished, too old) is left out rather than making the block invalid.
        var accepted = new List<DuplicateVoteEvidence>();
        foreach (var e in evidence ?? [])
        {
            if (accepted.Count >= ChainBlock.MaxEvidencePerBlock) break;
            if (Equivocation.Apply(state, e, _spec.ChainId, height, _executor.Parameters.Consensus) is null) accepted.Add(e);
        }
        var header = FinishBlock(state, market, head, height, Math.Max(timeUnixMs, head.TimeUnixMs + 1), proposer, fees, included, receipts, lastCommit, accepted, out var update, out var receiptBytes, out var nextSet, out var withdrawalsRoot);
        return new ExecutedBlock(new ChainBlock(header, included, lastCommit, accepted), update, receipts, receiptBytes, excluded, nextSet) { Market = market, WithdrawalsRoot = withdrawalsRoot };
    }

    /// <summary>Re-executes someone else's block; null with an error when it is not valid on our head.</summary>
    public ExecutedBlock? Execute(ChainBlock block, out string? error)
    {
        var head = _head;
        var h = block.Header;
        error = BlockRules.CheckHeader(new BlockRules.Context(block, head, _spec.ChainId, a => FindValidator(a) is not null, VerifyLastCommit));
        if (error is not null) return null;

        var errors = _verifier.VerifyAll(block.Transactions);
        for (int i = 0; i < errors.Length; i++)
            if (errors[i] is not null) { error = $"transaction {i}: {errors[i]}"; return null; }

        var state = new WorldState(Tree);
        var market = _market.Begin(state, h.Height, head.Hash, _executor.Parameters);
        var receipts = new List<Receipt>(block.Transactions.Count);
        ulong fees = 0;
        for (int i = 0; i < block.Evidence.Count; i++)
        {
            var evidenceError = Equivocation.Apply(state, block.Evidence[i], _spec.ChainId, h.Height, _executor.Parameters.Consensus);
            if (evidenceError is not null) { error = $"evidence {i}: {evidenceError}"; return null; }
        }
        for (int i = 0; i < block.Transactions.Count; i++)
        {
            if (!_executor.TryExecute(state, market, block.Transactions[i], h.Height, (uint)i, ref fees, out var receipt, out var reason))
            {
                error = $"transaction {i} ({block.Transactions[i].Id}) is not includable: {reason}";
                return null;
            }
            receipts.Add(receipt);
        }
        BlockHeader expected;
        ValidatorSet nextSet;
        StateUpdate update;
        byte[][] receiptBytes;
        Hash256 withdrawalsRoot;
        try
        {
            expected = FinishBlock(state, market, head, h.Height, h.TimeUnixMs, new Address(h.Proposer.Span), fees, block.Transactions, receipts, block.LastCommit, block.Evidence, out update, out receiptBytes, out nextSet, out withdrawalsRoot);
        }
        catch (InvalidBlockException e)
        {
            error = e.Message;
            return null;
        }
        error = BlockRules.CheckExecuted(h, expected);
        if (error is not null) return null;
        return new ExecutedBlock(block, update, receipts, receiptBytes, [], nextSet) { Market = market, WithdrawalsRoot = withdrawalsRoot };
    }

    /// <summary>Makes an executed block final: block, state, receipts and head in one synced write.</summary>
    public void Commit(ExecutedBlock executed, Commit commit)
    {
        var block = executed.Block;
        if (block.Height != _head.Height + 1 || block.ParentHash != _head.Hash)
            throw new InvalidOperationException($"block {block.Height} does not extend head {_head.Height}");
        if (commit.Height != block.Height || !commit.BlockHash.Span.SequenceEqual(block.Hash.ToArray()))
            throw new ArgumentException("commit is for a different block", nameof(commit));
        lock (_headLock)
        {
            using var batch = _store.NewBatch();
            Tree.Commit(executed.StateUpdate, batch);
            Blocks.AddBlock(batch, block, commit, executed.ReceiptBytes);
            _market.Commit(executed.Market, batch);
            if (IndexQueries && _indexWriter is not null) Index.AddMarket(batch, block.Height, executed.Market);
            else if (IndexQueries) Index.Add(batch, block, executed.Receipts, executed.Market);
            _store.Write(batch, sync: true);
            _head = ChainHead.Of(block);
        }
        if (IndexQueries) _indexWriter?.Enqueue(block, executed.Receipts);
        _market.AfterCommit(executed.Market);
        _validators = LoadValidators();
        _executor.ApplyOverrides(LoadOverrides());
        BlockCommitted?.Invoke(executed, commit);
    }

    /// <summary>
    /// Rebuilds the query index when it does not reach the head (a database from before the index, or
    /// one whose index column was deleted), or writes the transaction entries a background writer had
    /// not written when the node stopped. Call before the first commit. Returns the blocks read (0 when
    /// the index was complete).
    /// </summary>
    public ulong RebuildIndexIfBehind(Action<ulong>? progress = null) => IndexLag switch
    {
        QueryIndexLag.Behind => Index.Rebuild(Blocks, Tree, _head.Height, progress: progress),
        QueryIndexLag.TransactionsBehind => Index.CatchUpTransactions(Blocks, _head.Height, progress: progress),
        _ => 0,
    };

    /// <summary>How far the query index is from the head: what <see cref="RebuildIndexIfBehind"/> will do.</summary>
    public QueryIndexLag IndexLag =>
        Index.IndexedHeight != _head.Height ? QueryIndexLag.Behind :
        Index.TransactionsIndexedHeight < _head.Height ? QueryIndexLag.TransactionsBehind :
        QueryIndexLag.Current;

    public Validator? FindValidator(Address address)
    {
        foreach (var v in _validators.Validators)
            if (new Address(v.Address.Span) == address) return v;
        return null;
    }

    private BlockHeader FinishBlock(WorldState state, MarketBlock market, ChainHead head, ulong height, ulong time, Address proposer, ulong fees,
        IReadOnlyList<Transaction> txs, IReadOnlyList<Receipt> receipts, Commit? lastCommit, IReadOnlyList<DuplicateVoteEvidence> evidence,
        out StateUpdate update, out byte[][] receiptBytes, out ValidatorSet nextSet, out Hash256 withdrawalsRoot)
    {
        if (fees > 0)
        {
            var account = state.GetAccount(proposer);
            account.Balance = checked(account.Balance + fees);
            state.MarkAccountDirty(proposer);
        }
        TransactionExecutor.ReleaseUnbondings(state, height);
        market.Finish();
        var parameters = _executor.Parameters;
        if (lastCommit is not null && height > 1)
        {
            var signers = new HashSet<Address>();
            foreach (var signature in lastCommit.Signatures) signers.Add(new Address(signature.Validator.Span));
            var signedBy = state.GetRecord(StateKeys.LastValidatorSet, ValidatorSet.Parser) ?? _validators;
            ValidatorLedger.ApplyLastCommit(state, signedBy, signers, parameters.Consensus);
        }
        Governance.ExpireProposals(state, height);
        if (lastCommit is not null && CheckpointLedger.IsLastOfRange(head.Height, _spec.Parameters.CheckpointInterval))
        {
            var signingSet = ValidatorLedger.CurrentSet(state);   // the set of this height = the one after the checkpoint
            var checkpoint = BuildCheckpoint(head.Height, head.Hash, head.StateRoot, signingSet,
                BridgeLedger.PeriodRoot(k => Tree.Get(k), CheckpointLedger.NumberOf(head.Height, _spec.Parameters.CheckpointInterval)));
            if (CheckpointLedger.VerifySignatures(lastCommit, checkpoint) is { } checkpointError) throw new InvalidBlockException(checkpointError);
            CheckpointLedger.Record(state, checkpoint, signingSet, lastCommit, height);
        }
        withdrawalsRoot = CheckpointLedger.IsLastOfRange(height, _spec.Parameters.CheckpointInterval)
            ? BridgeLedger.ClosePeriod(state, CheckpointLedger.NumberOf(height, _spec.Parameters.CheckpointInterval))
            : Hash256.Zero;
        nextSet = ValidatorLedger.AdvanceHeight(state, height, parameters.EpochLength, parameters.MinValidatorStake, parameters.Consensus);
        update = Tree.Prepare(state.CollectChanges());

        receiptBytes = new byte[receipts.Count][];
        var receiptHashes = new Hash256[receipts.Count];
        for (int i = 0; i < receiptHashes.Length; i++)
        {
            receiptBytes[i] = receipts[i].ToByteArray();
            receiptHashes[i] = Keccak256.Hash(receiptBytes[i]);
        }
        var setHash = head.ValidatorSetHash.ToArray();
        var nextSetHash = ValidatorLedger.SetHash(nextSet).ToArray();
        return new BlockHeader
        {
            ChainId = _spec.ChainId,
            Height = height,
            TimeUnixMs = time,
            ParentHash = UnsafeByteOperations.UnsafeWrap(head.Hash.ToArray()),
            TxRoot = UnsafeByteOperations.UnsafeWrap(ChainBlock.ComputeTxRoot(txs).ToArray()),
            StateRoot = UnsafeByteOperations.UnsafeWrap(update.Root.ToArray()),
            Proposer = UnsafeByteOperations.UnsafeWrap(proposer.ToArray()),
            ValidatorSetHash = UnsafeByteOperations.UnsafeWrap(setHash),
            NextValidatorSetHash = UnsafeByteOperations.UnsafeWrap(nextSetHash),
            LastCommitHash = UnsafeByteOperations.UnsafeWrap(VoteDigest.CommitHash(lastCommit).ToArray()),
            EvidenceHash = UnsafeByteOperations.UnsafeWrap(ChainBlock.ComputeEvidenceRoot(evidence).ToArray()),
            ReceiptRoot = UnsafeByteOperations.UnsafeWrap(MerkleRoot.Compute(receiptHashes).ToArray()),
            TxCount = (uint)txs.Count,
        };
    }

    /// <summary>The checkpoint an executed block ends, or null when it ends no checkpoint range.</summary>
    public Checkpoint? CheckpointOf(ExecutedBlock executed)
    {
        var block = executed.Block;
        if (!CheckpointLedger.IsLastOfRange(block.Height, _spec.Parameters.CheckpointInterval)) return null;
        return BuildCheckpoint(block.Height, block.Hash, block.StateRoot, executed.NextValidators, executed.WithdrawalsRoot);
    }

    /// <summary>The checkpoint the head block ends (its commit carries the signatures), or null.</summary>
    public Checkpoint? HeadCheckpoint()
    {
        var head = _head;
        if (!CheckpointLedger.IsLastOfRange(head.Height, _spec.Parameters.CheckpointInterval)) return null;
        return BuildCheckpoint(head.Height, head.Hash, head.StateRoot, _validators,
            BridgeLedger.PeriodRoot(k => Tree.Get(k), CheckpointLedger.NumberOf(head.Height, _spec.Parameters.CheckpointInterval)));
    }

    private Checkpoint BuildCheckpoint(ulong lastHeight, Hash256 lastHash, Hash256 stateRoot, ValidatorSet nextSet, Hash256 withdrawalsRoot)
    {
        ulong interval = _spec.Parameters.CheckpointInterval;
        var hashes = new Hash256[interval];
        for (ulong i = 0; i + 1 < interval; i++)
        {
            ulong height = lastHeight - interval + 1 + i;
            var commit = Blocks.GetCommit(height) ?? throw new InvalidDataException($"commit of block {height} is missing: the database is corrupt");
            hashes[i] = new Hash256(commit.BlockHash.Span);
        }
        hashes[^1] = lastHash;
        return CheckpointLedger.Build(_spec.ChainId, interval, lastHeight, hashes, stateRoot, nextSet, withdrawalsRoot);
    }

    /// <summary>
    /// The commit a block carries must be > 2/3 of the power of the set that validated the parent,
    /// each signature valid for the parent's hash; block 1 carries none.
    /// </summary>
    public string? VerifyLastCommit(Commit? commit, ChainHead head)
    {
        if (head.Height == 0) return commit is null || commit.Signatures.Count == 0 ? null : "block 1 cannot carry a commit";
        if (commit is null) return "block carries no commit of its parent";
        return VerifyCommit(commit, head.Height, head.Hash, LastValidators);
    }

    /// <summary>Checks that <paramref name="commit"/> finalizes (height, hash) with > 2/3 of <paramref name="set"/>'s power.</summary>
    public string? VerifyCommit(Commit commit, ulong height, Hash256 hash, ValidatorSet set) => VerifyCommit(_spec.ChainId, commit, height, hash, set);

    /// <summary>Null when <paramref name="commit"/> carries precommits for block <paramref name="hash"/> at <paramref name="height"/> of more than 2/3 of <paramref name="set"/>'s power, else why not.</summary>
    public static string? VerifyCommit(ulong chainId, Commit commit, ulong height, Hash256 hash, ValidatorSet set)
    {
        ArgumentNullException.ThrowIfNull(commit);
        ArgumentNullException.ThrowIfNull(set);
        if (commit.Height != height) return $"commit is for height {commit.Height}, expected {height}";
        if (commit.BlockHash.Length != Hash256.Size || new Hash256(commit.BlockHash.Span) != hash) return $"commit is not for block {hash}";
        ulong total = 0, signed = 0;
        foreach (var v in set.Validators) total += v.VotingPower;
        var digest = VoteDigest.Compute(chainId, VoteType.Precommit, commit.Height, commit.Round, hash);
        var seen = new HashSet<Address>();
        foreach (var signature in commit.Signatures)
        {
            if (signature.Validator.Length != Address.Size) return "commit signature has a malformed validator address";
            var validator = new Address(signature.Validator.Span);
            if (!seen.Add(validator)) return $"commit carries two signatures of {validator}";
            ulong power = ValidatorLedger.PowerIn(set, validator);
            if (power == 0) return $"commit signer {validator} is not in the validator set";
            if (signature.Signature.Length != 65 || !Secp256k1.TryRecoverAddress(digest, signature.Signature.Span, out var signer) || signer != validator)
                return $"commit signature of {validator} is invalid";
            signed += power;
        }
        if ((UInt128)signed * 3 <= (UInt128)total * 2) return $"commit holds {signed} of {total} voting power, not more than 2/3";
        return null;
    }

    private ParameterOverrides? LoadOverrides() =>
        Tree.Get(StateKeys.ParameterOverrides) is { } bytes ? ParameterOverrides.Parser.ParseFrom(bytes) : null;

    private ValidatorSet LoadValidators()
    {
        var bytes = Tree.Get(StateKeys.ValidatorSet) ?? throw new InvalidDataException("validator set missing from state");
        return ValidatorSet.Parser.ParseFrom(bytes);
    }
}

/// <summary>A block that breaks a rule found while finishing it (e.g. a bad checkpoint signature in its commit).</summary>
public sealed class InvalidBlockException(string message) : Exception(message);

/// <summary>How far the query index is from the head when a node starts.</summary>
public enum QueryIndexLag
{
    /// <summary>Every entry reaches the head.</summary>
    Current,
    /// <summary>The market entries reach the head; the background writer's transaction entries stop below it (a crash).</summary>
    TransactionsBehind,
    /// <summary>The index stops below the head or is missing: it is rebuilt from the blocks and the state.</summary>
    Behind,
}
