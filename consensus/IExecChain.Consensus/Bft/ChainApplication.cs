using System.Collections.Concurrent;
using IExecChain.Core.Blocks;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.TxPool;
using IExecChain.State.Validators;
using Microsoft.Extensions.Logging;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// What the engine asks of the chain, through the driver: a block to propose, whether a proposed
/// block is valid on our head (each executed once per height, the result cached by hash), and
/// committing a decided or synced block to the <see cref="BlockProcessor"/> and the mempool. It also
/// measures what the node's metrics report about it (finality of this node's own transactions,
/// time spent proposing and executing). Runs on the consensus thread, except the mempool's
/// announcements.
/// </summary>
public sealed partial class ChainApplication
{
    /// <summary>
    /// A proposal that other validators must receive takes at most this many transactions and
    /// <see cref="MaxSharedProposalBytes"/>, below the chain's block limits: a 20,000-transfer block
    /// (2.4 MB) sent to three peers on a loaded machine outlasted the propose timeout, the round failed
    /// and the next proposer did the same. A sole validator sends its proposal to nobody and uses the
    /// chain's limits. A proposer-side choice, not a validity rule: blocks up to the chain's limits stay valid.
    /// </summary>
    public const int MaxSharedProposalTransactions = 4_000;

    /// <summary>See <see cref="MaxSharedProposalTransactions"/>.</summary>
    public const long MaxSharedProposalBytes = 1 << 20;

    private readonly BlockProcessor _processor;
    private readonly Mempool _mempool;
    private readonly ChainSpec _spec;
    private readonly IConsensusClock _clock;
    private readonly ConsensusMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Dictionary<Hash256, ExecutedBlock?> _executed = [];
    private readonly ConcurrentDictionary<Hash256, long> _submitted = new();
    private int _submittedCount;

    public ChainApplication(BlockProcessor processor, Mempool mempool, ChainSpec spec, IConsensusClock clock, ConsensusMetrics metrics, ILogger logger)
    {
        _processor = processor;
        _mempool = mempool;
        _spec = spec;
        _clock = clock;
        _metrics = metrics;
        _logger = logger;
        // Interlocked count, not ConcurrentDictionary.Count: that takes every bucket lock and, called per
        // submitted transaction from many RPC threads, cost 13% of the node's CPU at 20k tx/s.
        _mempool.Announce += tx =>
        {
            if (Volatile.Read(ref _submittedCount) < 1_000_000 && _submitted.TryAdd(tx.Id, _clock.MonotonicMs))
                Interlocked.Increment(ref _submittedCount);
        };
    }

    /// <summary>Milliseconds spent proposing and executing proposals at this height (for the timing log).</summary>
    public long ProposeMs { get; private set; }
    public long ExecuteMs { get; private set; }

    /// <summary>The last committed block was full: a backlog waits, so the next height should start at once.</summary>
    public bool LastBlockFull { get; private set; }

    public ulong NextHeight => _processor.Head.Height + 1;

    public ValidatorRoster Roster() =>
        new(_processor.Validators.Validators.Select(v => new WeightedValidator(new Address(v.Address.Span), v.VotingPower, v.ProposerPriority)));

    /// <summary>Forgets the blocks executed for the height before.</summary>
    public void StartHeight()
    {
        _executed.Clear();
        ExecuteMs = ProposeMs = 0;
    }

    public ProposalValue CreateProposal(Address proposer, Commit? lastCommit, IReadOnlyList<DuplicateVoteEvidence> evidence)
    {
        var (maxCount, maxBytes) = ProposalLimits();
        var candidates = _mempool.SelectForBlock(maxCount, maxBytes);
        long started = _clock.MonotonicMs;
        var executed = _processor.Propose(proposer, _clock.UnixMs, candidates, lastCommit, evidence);
        ProposeMs += _clock.MonotonicMs - started;
        _executed[executed.Block.Hash] = executed;
        return new ProposalValue(executed.Block.Hash, executed.Block.ToBytes(), executed.Block);
    }

    private (int Count, long Bytes) ProposalLimits() => _processor.Validators.Validators.Count <= 1
        ? (_spec.Parameters.MaxBlockTransactions, _spec.Parameters.MaxBlockBytes)
        : (Math.Min(_spec.Parameters.MaxBlockTransactions, MaxSharedProposalTransactions), Math.Min(_spec.Parameters.MaxBlockBytes, MaxSharedProposalBytes));

    public bool IsValid(ulong height, ProposalValue value)
    {
        if (_executed.TryGetValue(value.Hash, out var known)) return known is not null;
        if (value.Decoded is not ChainBlock block || height != _processor.Head.Height + 1) return false;
        ulong now = _clock.UnixMs;
        string? error = null;
        // A proposer's clock may lead ours a little, never by more than the drift bound.
        long started = _clock.MonotonicMs;
        var executed = block.Header.TimeUnixMs > now + DriverTimings.MaxClockDriftMs ? null : _processor.Execute(block, out error);
        ExecuteMs += _clock.MonotonicMs - started;
        error ??= executed is null ? $"block time {block.Header.TimeUnixMs} is more than {DriverTimings.MaxClockDriftMs} ms ahead of this node's clock" : null;
        if (executed is null) LogInvalidBlock(block.Height, block.Hash.ToString(), error!);
        _executed[value.Hash] = executed;
        return executed is not null;
    }

    /// <summary>The block executed for <paramref name="hash"/> at this height, or null.</summary>
    public ExecutedBlock? Executed(Hash256 hash) => _executed.GetValueOrDefault(hash);

    /// <summary>The checkpoint the block of <paramref name="hash"/> ends, when it was executed and ends one.</summary>
    public Checkpoint? CheckpointOf(Hash256 hash) => Executed(hash) is { } executed ? _processor.CheckpointOf(executed) : null;

    /// <summary>Makes the block final; the milliseconds the synced write took.</summary>
    public long Commit(ExecutedBlock executed, Commit commit)
    {
        long started = _clock.MonotonicMs;
        _processor.Commit(executed, commit);
        long writeMs = _clock.MonotonicMs - started;
        var block = executed.Block;
        _mempool.OnBlockCommitted(block.Transactions, executed.Excluded.Select(e => e.Tx));
        long now = _clock.MonotonicMs;
        foreach (var tx in block.Transactions)
            if (_submitted.TryRemove(tx.Id, out long at))
            {
                Interlocked.Decrement(ref _submittedCount);
                _metrics.Finality.Observe((now - at) / 1000.0);
            }
        LastBlockFull = block.Transactions.Count >= ProposalLimits().Count;
        return writeMs;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Block {Height} ({Hash}) is invalid: {Error}")]
    private partial void LogInvalidBlock(ulong height, string hash, string error);
}
