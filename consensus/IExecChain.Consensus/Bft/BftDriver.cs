using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.TxPool;
using IExecChain.State.Validators;
using Microsoft.Extensions.Logging;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// Runs the <see cref="ConsensusEngine"/> for a node: one thread owns the engine, the timers and
/// the <see cref="BlockProcessor"/>; the network hands it messages through a bounded inbox. It
/// checks signatures and roles before the engine sees anything, logs accepted messages to the WAL,
/// signs through the double-sign guard, commits decided blocks, re-gossips when progress stalls,
/// and syncs blocks (with verified commits) from peers that are ahead.
/// </summary>
public sealed partial class BftDriver : IConsensusContext, IDisposable
{
    public const int InboxCapacity = 50_000;
    public const int MaxBlocksPerResponse = 32;
    public const int MaxResponseBytes = 6 << 20;
    public const ulong MaxClockDriftMs = 10_000;

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
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);

    private readonly BlockProcessor _processor;
    private readonly Mempool _mempool;
    private readonly ChainSpec _spec;
    private readonly ValidatorSigner? _signer;
    private readonly ConsensusWal _wal;
    private readonly IConsensusTransport _transport;
    private readonly ILogger _logger;
    private readonly ConsensusEngine _engine;
    private readonly DriverInbox _inbox = new(InboxCapacity);
    private readonly PriorityQueue<TimeoutEvent, long> _timers = new();
    private readonly Dictionary<Hash256, ExecutedBlock?> _executed = [];
    private readonly EvidencePool _evidence = new();
    private readonly ConcurrentDictionary<Hash256, long> _submitted = new();
    private int _submittedCount;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Thread? _thread;
    private long _heightStartedMs, _lastBlockMs, _nextTickMs, _startNextHeightAtMs = -1, _lastSyncRequestMs = -10_000;
    private ulong _heightAtLastTick;
    private int _stalledTicks;
    private long _proposalAtMs = -1, _executeMs, _proposeMs;
    private bool _lastBlockFull;
    private bool _replaying;
    // Proposals already handed to the engine: a re-broadcast copy (megabytes of block) is dropped before decoding.
    private readonly HashSet<(ulong Height, uint Round, Hash256 Hash)> _seenProposals = [];
    // What the engine broadcasts while handling one input waits here until the signatures in it are
    // on disk: one fsync per input instead of one per signature.
    private readonly List<byte[]> _outbox = [];

    public BftDriver(BlockProcessor processor, Mempool mempool, ChainSpec spec, ValidatorSigner? signer, ConsensusWal wal,
        IConsensusTransport transport, ILogger<BftDriver> logger)
    {
        _processor = processor;
        _mempool = mempool;
        _spec = spec;
        _signer = signer;
        _wal = wal;
        _transport = transport;
        _logger = logger;
        _engine = new ConsensusEngine(this, ConsensusTimeouts.From(spec.Parameters.Consensus));
        // Interlocked count, not ConcurrentDictionary.Count: that takes every bucket lock and, called per
        // submitted transaction from many RPC threads, cost 13% of the node's CPU at 20k tx/s.
        _mempool.Announce += tx =>
        {
            if (Volatile.Read(ref _submittedCount) < 1_000_000 && _submitted.TryAdd(tx.Id, _clock.ElapsedMilliseconds))
                Interlocked.Increment(ref _submittedCount);
        };
    }

    public ConsensusMetrics Metrics { get; } = new();
    public Exception? Fault { get; private set; }
    public ulong Height => _engine.Height;

    /// <summary>Validators' addresses of the height being decided (for peer classification).</summary>
    public Func<Address, bool> IsValidator => address => _processor.FindValidator(address) is not null;

    Address? IConsensusContext.Self => _signer?.Address;

    public void Start()
    {
        // Above the RPC and gossip threads that verify incoming transactions: when the CPU is short,
        // finalizing blocks comes first and ingestion slows down (back-pressure), not the other way round.
        _thread = new Thread(Run) { Name = "consensus", IsBackground = true, Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>Entry point for the network (any thread): queues the message for the consensus thread.</summary>
    public void OnMessage(Address from, ConsensusChannel channel, ReadOnlyMemory<byte> payload)
    {
        ConsensusEnvelope envelope;
        try
        {
            envelope = ConsensusEnvelope.Parser.ParseFrom(payload.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            Reject(from, $"malformed consensus message: {e.Message}", 20);
            return;
        }
        if (envelope.MessageCase == ConsensusEnvelope.MessageOneofCase.None) { Reject(from, "empty consensus message", 20); return; }
        if (!_inbox.TryAdd(() => Handle(from, envelope))) Metrics.Rejected();
    }

    private void Run()
    {
        try
        {
            StartHeight(replay: true);
            FlushOutbox();
            while (!_stop.IsCancellationRequested)
            {
                long now = _clock.ElapsedMilliseconds;
                long next = _nextTickMs;
                if (_timers.TryPeek(out _, out long due)) next = Math.Min(next, due);
                if (_startNextHeightAtMs >= 0) next = Math.Min(next, _startNextHeightAtMs);
                int wait = (int)Math.Clamp(next - now, 0, 1000);
                if (_inbox.TryTake(out var action, wait, _stop.Token)) { action(); FlushOutbox(); }
                while (_inbox.TryTake(out action)) { action(); FlushOutbox(); }
                now = _clock.ElapsedMilliseconds;
                while (_timers.TryPeek(out var timeout, out due) && due <= now)
                {
                    _timers.Dequeue();
                    _engine.HandleTimeout(timeout);
                    AfterEngine();
                    FlushOutbox();
                }
                // A full last block means a backlog: go on at once. (The mempool's size says nothing: it
                // may hold transactions that cannot run yet, e.g. behind a nonce gap.)
                if (_startNextHeightAtMs >= 0 && (now >= _startNextHeightAtMs || _lastBlockFull))
                {
                    StartHeight(replay: false);
                    FlushOutbox();
                }
                if (now >= _nextTickMs) Tick(now);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Fault = e;
            LogFault(e);
        }
    }

    private void StartHeight(bool replay)
    {
        _startNextHeightAtMs = -1;
        ulong height = _processor.Head.Height + 1;
        _executed.Clear();
        _seenProposals.RemoveWhere(k => k.Height < height);
        _proposalAtMs = -1;
        _executeMs = _proposeMs = 0;
        _heightStartedMs = _clock.ElapsedMilliseconds;
        _engine.StartHeight(height, RosterOf(_processor.Validators));
        if (replay)
        {
            var logged = _wal.Read(height);
            _replaying = true;
            foreach (var message in logged) Handle(_signer?.Address ?? Address.Zero, message);
            _replaying = false;
            if (logged.Count > 0) LogReplayed(logged.Count, height);
        }
        AfterEngine();
    }

    private void FlushOutbox()
    {
        if (_outbox.Count == 0) return;
        _signer?.Flush();
        foreach (var message in _outbox) _transport.Broadcast(ConsensusChannel.Consensus, message);
        _outbox.Clear();
    }

    private static ValidatorRoster RosterOf(ValidatorSet set) =>
        new(set.Validators.Select(v => new WeightedValidator(new Address(v.Address.Span), v.VotingPower, v.ProposerPriority)));

    private void AfterEngine() => Metrics.SetPosition(_engine.Height, _engine.Round);

    private void Handle(Address from, ConsensusEnvelope envelope)
    {
        switch (envelope.MessageCase)
        {
            case ConsensusEnvelope.MessageOneofCase.Proposal:
                HandleProposal(from, envelope.Proposal);
                break;
            case ConsensusEnvelope.MessageOneofCase.Vote:
                HandleVote(from, envelope.Vote, envelope);
                break;
            case ConsensusEnvelope.MessageOneofCase.Status:
                HandleStatus(from, envelope.Status);
                break;
            case ConsensusEnvelope.MessageOneofCase.BlockRequest:
                HandleBlockRequest(from, envelope.BlockRequest);
                break;
            case ConsensusEnvelope.MessageOneofCase.BlockResponse:
                HandleBlockResponse(from, envelope.BlockResponse);
                break;
            case ConsensusEnvelope.MessageOneofCase.Evidence:
                HandleEvidence(from, envelope.Evidence);
                break;
        }
        AfterEngine();
    }

    private void HandleProposal(Address from, Proposal p)
    {
        ulong height = _engine.Height;
        if (p.Height != height && p.Height != height + 1) return;   // stale, or too far ahead: sync covers it
        if (p.BlockHash.Length != Hash256.Size || p.Proposer.Length != Address.Size || p.Signature.Length != 65 || p.PolRound < -1)
        {
            Reject(from, "malformed proposal", 20);
            return;
        }
        var hash = new Hash256(p.BlockHash.Span);
        if (_seenProposals.Contains((p.Height, p.Round, hash))) return;
        var proposer = new Address(p.Proposer.Span);
        var digest = VoteDigest.Proposal(_spec.ChainId, p.Height, p.Round, p.PolRound, hash);
        if (!Secp256k1.TryRecoverAddress(digest, p.Signature.Span, out var signer) || signer != proposer)
        {
            Reject(from, "proposal signature does not match its proposer", 50);
            return;
        }
        if (!ChainBlock.TryDecode(p.Block.Span, _spec.ChainId, _spec.Parameters.MaxTransactionBytes, out var block, out var error))
        {
            Reject(from, $"proposal carries an undecodable block: {error}", 50);
            return;
        }
        // The block's own proposer may differ from the proposal's: a later round re-proposes the valid block of an earlier one.
        if (block!.Hash != hash || block.Height != p.Height)
        {
            Reject(from, "proposal's block does not match its hash or height", 50);
            return;
        }
        if (p.Height == height) Log(p.Height, new ConsensusEnvelope { Proposal = p });
        if (p.Height == height && _proposalAtMs < 0) _proposalAtMs = _clock.ElapsedMilliseconds - _heightStartedMs;
        _seenProposals.Add((p.Height, p.Round, hash));
        _engine.HandleProposal(p, new ProposalValue(hash, p.Block.ToByteArray(), block));
    }

    private void HandleVote(Address from, Vote vote, ConsensusEnvelope envelope)
    {
        ulong height = _engine.Height;
        if (vote.Height + 1 < height || vote.Height > height + 1) return;
        if (vote.Validator.Length != Address.Size || vote.Signature.Length != 65 || vote.BlockHash.Length is not (0 or 32)
            || vote.Type is not (VoteType.Prevote or VoteType.Precommit))
        {
            Reject(from, "malformed vote", 20);
            return;
        }
        var validator = new Address(vote.Validator.Span);
        var set = vote.Height + 1 == height ? _processor.LastValidators : _processor.Validators;
        if (vote.Height == height && ValidatorLedger.PowerIn(set, validator) == 0)
        {
            Reject(from, $"vote from {validator}, who is not a validator", 5);
            return;
        }
        var hash = vote.BlockHash.Length == 0 ? Hash256.Zero : new Hash256(vote.BlockHash.Span);
        var digest = VoteDigest.Compute(_spec.ChainId, vote.Type, vote.Height, vote.Round, hash);
        if (!Secp256k1.TryRecoverAddress(digest, vote.Signature.Span, out var signer) || signer != validator)
        {
            Reject(from, "vote signature does not match its validator", 50);
            return;
        }
        if (vote.Height == height) Log(height, envelope);
        _engine.HandleVote(vote);
    }

    private void Log(ulong height, ConsensusEnvelope envelope)
    {
        if (!_replaying) _wal.Append(height, envelope);
    }

    private void HandleEvidence(Address from, DuplicateVoteEvidence evidence)
    {
        var error = Equivocation.Verify(evidence, _spec.ChainId, out var offender);
        if (error is not null)
        {
            Reject(from, $"invalid evidence: {error}", 50);
            return;
        }
        if (_evidence.Add(offender, evidence)) _transport.Broadcast(ConsensusChannel.Consensus, new ConsensusEnvelope { Evidence = evidence }.ToByteArray());
    }

    // A peer ahead of us means blocks to fetch; one behind will ask us.
    private void HandleStatus(Address from, ConsensusStatus status)
    {
        long now = _clock.ElapsedMilliseconds;
        if (status.Height <= _engine.Height || now - _lastSyncRequestMs < 500) return;
        _lastSyncRequestMs = now;
        var request = new ConsensusEnvelope { BlockRequest = new BlockRequest { FromHeight = _processor.Head.Height + 1, Count = MaxBlocksPerResponse } };
        _transport.Send(from, ConsensusChannel.Sync, request.ToByteArray());
    }

    private void HandleBlockRequest(Address from, BlockRequest request)
    {
        var response = new BlockResponse { HeadHeight = _processor.Head.Height };
        long bytes = 0;
        uint count = Math.Min(request.Count, (uint)MaxBlocksPerResponse);
        for (ulong h = request.FromHeight; h < request.FromHeight + count && h <= _processor.Head.Height; h++)
        {
            var block = _processor.Blocks.GetBlock(h);
            var commit = _processor.Blocks.GetCommit(h);
            if (block is null || commit is null) break;
            var encoded = block.ToBytes();
            if (bytes + encoded.Length > MaxResponseBytes && response.Blocks.Count > 0) break;
            bytes += encoded.Length;
            response.Blocks.Add(new CommittedBlock { Block = UnsafeByteOperations.UnsafeWrap(encoded), Commit = commit });
        }
        if (response.Blocks.Count > 0) _transport.Send(from, ConsensusChannel.Sync, new ConsensusEnvelope { BlockResponse = response }.ToByteArray());
    }

    private void HandleBlockResponse(Address from, BlockResponse response)
    {
        foreach (var item in response.Blocks)
        {
            ulong next = _processor.Head.Height + 1;
            if (!ChainBlock.TryDecode(item.Block.Span, _spec.ChainId, _spec.Parameters.MaxTransactionBytes, out var block, out var error))
            {
                Reject(from, $"synced block is undecodable: {error}", 50);
                return;
            }
            if (block!.Height < next) continue;
            if (block.Height > next) return;
            var commitError = item.Commit is null ? "no commit" : _processor.VerifyCommit(item.Commit, block.Height, block.Hash, _processor.Validators);
            if (commitError is not null)
            {
                Reject(from, $"synced block {block.Height} has a bad commit: {commitError}", 50);
                return;
            }
            var executed = _processor.Execute(block, out error);
            if (executed is null)
            {
                Reject(from, $"synced block {block.Height} is invalid: {error}", 50);
                return;
            }
            CommitBlock(executed, item.Commit!, item.Commit!.Round, synced: true);
            StartHeight(replay: false);
        }
        if (response.HeadHeight > _processor.Head.Height) _lastSyncRequestMs = -10_000;   // more to fetch: ask again at the next status
    }

    private void Tick(long now)
    {
        _nextTickMs = now + (long)TickInterval.TotalMilliseconds;
        _transport.Broadcast(ConsensusChannel.Consensus, new ConsensusEnvelope { Status = new ConsensusStatus { Height = _engine.Height, Round = _engine.Round } }.ToByteArray());
        _stalledTicks = _engine.Height == _heightAtLastTick && _engine.Step != RoundStep.Commit ? _stalledTicks + 1 : 0;
        _heightAtLastTick = _engine.Height;
        if (_stalledTicks == 0) return;
        // Votes are small: re-send them every stalled tick. Proposals carry whole blocks: only every fourth.
        foreach (var message in _engine.RebroadcastSet())
            if (message.MessageCase != ConsensusEnvelope.MessageOneofCase.Proposal || _stalledTicks % 4 == 0)
                _transport.Broadcast(ConsensusChannel.Consensus, message.ToByteArray());
    }

    private void Reject(Address from, string reason, int points)
    {
        Metrics.Rejected();
        if (_replaying || from == _signer?.Address) return;
        LogRejected(from, reason);
        _transport.Penalize(from, reason, points);
    }

    // ---- IConsensusContext ----

    ProposalValue IConsensusContext.CreateProposal(ulong height, uint round)
    {
        var (maxCount, maxBytes) = ProposalLimits();
        var candidates = _mempool.SelectForBlock(maxCount, maxBytes);
        ulong now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long started = _clock.ElapsedMilliseconds;
        var executed = _processor.Propose(_signer!.Address, now, candidates, LastCommit(), _evidence.Pending());
        _proposeMs += _clock.ElapsedMilliseconds - started;
        _executed[executed.Block.Hash] = executed;
        return new ProposalValue(executed.Block.Hash, executed.Block.ToBytes(), executed.Block);
    }

    private (int Count, long Bytes) ProposalLimits() => _processor.Validators.Validators.Count <= 1
        ? (_spec.Parameters.MaxBlockTransactions, _spec.Parameters.MaxBlockBytes)
        : (Math.Min(_spec.Parameters.MaxBlockTransactions, MaxSharedProposalTransactions), Math.Min(_spec.Parameters.MaxBlockBytes, MaxSharedProposalBytes));

    private Commit? LastCommit()
    {
        var head = _processor.Head;
        if (head.Height == 0) return null;
        var votes = _engine.LastCommitVotes;
        if (votes.Count == 0) return WithValidCheckpointSignatures(_processor.Blocks.GetCommit(head.Height)!);
        var commit = new Commit { Height = head.Height, Round = votes[0].Round, BlockHash = ByteString.CopyFrom(head.Hash.ToArray()) };
        foreach (var vote in votes.OrderBy(v => new Address(v.Validator.Span)))
            commit.Signatures.Add(new CommitSignature { Validator = vote.Validator, Signature = vote.Signature, TimeUnixMs = vote.TimeUnixMs, CheckpointSignature = vote.CheckpointSignature });
        // Late precommits only add signers; the commit must still prove > 2/3 on its own.
        if (_processor.VerifyLastCommit(commit, head) is not null) commit = _processor.Blocks.GetCommit(head.Height)!;
        return WithValidCheckpointSignatures(commit);
    }

    // Checkpoint signatures ride on precommits unchecked (the vote signature does not cover them);
    // a proposer keeps only those that verify, or its block would be invalid.
    private Commit WithValidCheckpointSignatures(Commit commit)
    {
        if (_processor.HeadCheckpoint() is not { } checkpoint) return commit;
        var digest = checkpoint.Digest();
        var cleaned = commit.Clone();
        foreach (var signature in cleaned.Signatures)
        {
            if (signature.CheckpointSignature.Length == 0) continue;
            if (signature.CheckpointSignature.Length != 65 || !Secp256k1.TryRecoverAddress(digest, signature.CheckpointSignature.Span, out var signer)
                || signer != new Address(signature.Validator.Span))
                signature.CheckpointSignature = ByteString.Empty;
        }
        return cleaned;
    }

    bool IConsensusContext.IsValid(ulong height, ProposalValue value)
    {
        if (_executed.TryGetValue(value.Hash, out var known)) return known is not null;
        if (value.Decoded is not ChainBlock block || height != _processor.Head.Height + 1) return false;
        ulong now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        string? error = null;
        // A proposer's clock may lead ours a little, never by more than the drift bound.
        long started = _clock.ElapsedMilliseconds;
        var executed = block.Header.TimeUnixMs > now + MaxClockDriftMs ? null : _processor.Execute(block, out error);
        _executeMs += _clock.ElapsedMilliseconds - started;
        error ??= executed is null ? $"block time {block.Header.TimeUnixMs} is more than {MaxClockDriftMs} ms ahead of this node's clock" : null;
        if (executed is null) LogInvalidBlock(block.Height, block.Hash.ToString(), error!);
        _executed[value.Hash] = executed;
        return executed is not null;
    }

    Proposal? IConsensusContext.SignProposal(ulong height, uint round, int polRound, ProposalValue value) =>
        _signer?.SignProposal(height, round, polRound, value);

    Vote? IConsensusContext.SignVote(VoteType type, ulong height, uint round, Hash256 blockHash)
    {
        if (_signer is null) return null;
        var vote = _signer.SignVote(type, height, round, blockHash, (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        // The precommit for the last block of a checkpoint range also signs that checkpoint.
        if (vote is not null && type == VoteType.Precommit && !blockHash.IsZero
            && _executed.GetValueOrDefault(blockHash) is { } executed && _processor.CheckpointOf(executed) is { } checkpoint)
            vote.CheckpointSignature = ByteString.CopyFrom(_signer.SignCheckpoint(checkpoint.Digest()));
        if (vote is not null && _signer.Equivocate)
        {
            // Fault injection: a conflicting vote for the same position goes out too.
            var twin = _signer.SignConflicting(vote, blockHash.IsZero ? Keccak256.Hash(vote.Signature.Span) : Hash256.Zero);
            _outbox.Add(new ConsensusEnvelope { Vote = twin }.ToByteArray());
        }
        return vote;
    }

    void IConsensusContext.Broadcast(ConsensusEnvelope message)
    {
        if (message.MessageCase is ConsensusEnvelope.MessageOneofCase.Proposal or ConsensusEnvelope.MessageOneofCase.Vote)
            Log(_engine.Height, message);
        _outbox.Add(message.ToByteArray());
    }

    void IConsensusContext.ScheduleTimeout(TimeoutEvent timeout, TimeSpan after) =>
        _timers.Enqueue(timeout, _clock.ElapsedMilliseconds + (long)after.TotalMilliseconds);

    void IConsensusContext.Decide(ulong height, uint round, ProposalValue value, IReadOnlyList<Vote> precommits)
    {
        var executed = _executed.GetValueOrDefault(value.Hash) ?? throw new InvalidOperationException($"decided block {value.Hash} was never executed");
        var commit = new Commit { Height = height, Round = round, BlockHash = ByteString.CopyFrom(value.Hash.ToArray()) };
        foreach (var vote in precommits.OrderBy(v => new Address(v.Validator.Span)))
            commit.Signatures.Add(new CommitSignature { Validator = vote.Validator, Signature = vote.Signature, TimeUnixMs = vote.TimeUnixMs, CheckpointSignature = vote.CheckpointSignature });
        CommitBlock(executed, commit, round, synced: false);
        long now = _clock.ElapsedMilliseconds;
        _startNextHeightAtMs = Math.Max(now, _heightStartedMs + _spec.Parameters.BlockIntervalMs);
    }

    void IConsensusContext.ReportEquivocation(Vote first, Vote second)
    {
        var evidence = new DuplicateVoteEvidence { VoteA = first, VoteB = second };
        var error = Equivocation.Verify(evidence, _spec.ChainId, out var offender);
        if (error is not null)
        {
            LogUnprovenEquivocation(error);
            return;
        }
        Metrics.Equivocation();
        LogEquivocation(offender, first.Height, first.Round);
        if (_evidence.Add(offender, evidence)) _transport.Broadcast(ConsensusChannel.Consensus, new ConsensusEnvelope { Evidence = evidence }.ToByteArray());
    }

    private void CommitBlock(ExecutedBlock executed, Commit commit, uint round, bool synced)
    {
        long decidedAt = _clock.ElapsedMilliseconds;
        _processor.Commit(executed, commit);
        long writeMs = _clock.ElapsedMilliseconds - decidedAt;
        var block = executed.Block;
        _mempool.OnBlockCommitted(block.Transactions, executed.Excluded.Select(e => e.Tx));
        _evidence.OnBlockCommitted(block.Evidence, block.Height, _spec.Parameters.Consensus.EvidenceMaxAgeBlocks);
        _wal.Prune(block.Height);
        long now = _clock.ElapsedMilliseconds;
        foreach (var tx in block.Transactions)
            if (_submitted.TryRemove(tx.Id, out long at))
            {
                Interlocked.Decrement(ref _submittedCount);
                Metrics.Finality.Observe((now - at) / 1000.0);
            }
        Metrics.BlockCommitted(round, block.Transactions.Count, _lastBlockMs == 0 ? 0 : now - _lastBlockMs, synced);
        _lastBlockMs = now;
        _lastBlockFull = block.Transactions.Count >= ProposalLimits().Count;
        LogCommitted(block.Height, round, block.Transactions.Count, block.Hash.ToString(), synced);
        LogTiming(block.Height, decidedAt - _heightStartedMs, _proposalAtMs, _proposeMs, _executeMs, writeMs, _inbox.Count);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join();
        _stop.Dispose();
        _inbox.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Committed block {Height} (round {Round}, {Count} txs, {Hash}, synced: {Synced})")]
    private partial void LogCommitted(ulong height, uint round, int count, string hash, bool synced);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Height {Height} timing: decided after {DecidedMs} ms; proposal arrived at {ProposalMs} ms; propose {ProposeMs} ms; execute {ExecuteMs} ms; commit write {WriteMs} ms; inbox {Inbox}")]
    private partial void LogTiming(ulong height, long decidedMs, long proposalMs, long proposeMs, long executeMs, long writeMs, int inbox);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Block {Height} ({Hash}) is invalid: {Error}")]
    private partial void LogInvalidBlock(ulong height, string hash, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rejected a message from {Peer}: {Reason}")]
    private partial void LogRejected(Address peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Validator {Offender} equivocated at height {Height}, round {Round}")]
    private partial void LogEquivocation(Address offender, ulong height, uint round);

    [LoggerMessage(Level = LogLevel.Error, Message = "The engine reported conflicting votes that are no proof of equivocation: {Error}")]
    private partial void LogUnprovenEquivocation(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Count} logged consensus messages for height {Height}")]
    private partial void LogReplayed(int count, ulong height);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Consensus stopped")]
    private partial void LogFault(Exception e);
}
