using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.TxPool;
using IExecChain.State.Validators;
using Microsoft.Extensions.Logging;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// Runs the <see cref="ConsensusEngine"/> for a node: the loop that owns the engine, the timers and
/// the ticks, and hands the engine's requests to its parts: the <see cref="MessageGate"/> (checks
/// and penalties), <see cref="BlockSync"/>, <see cref="CommitAssembly"/> and the
/// <see cref="ChainApplication"/> (the chain behind the engine). It logs accepted messages to the
/// WAL, replays them on start, and lets nothing it signed out before the signature is on disk.
/// <para>
/// Time comes only from the injected <see cref="IConsensusClock"/>, and the loop is a step
/// (<see cref="Pump"/>) that a test calls on a virtual clock; <see cref="Start"/> runs it on a
/// thread of its own, woken by the network's messages and by what falls due.
/// </para>
/// </summary>
public sealed partial class BftDriver : IConsensusContext, IDisposable
{
    public const int InboxCapacity = 50_000;

    private readonly ChainSpec _spec;
    private readonly BlockProcessor _processor;
    private readonly IValidatorSigner? _signer;
    private readonly ConsensusWal _wal;
    private readonly IConsensusTransport _transport;
    private readonly IConsensusClock _clock;
    private readonly ILogger _logger;
    private readonly ConsensusEngine _engine;
    private readonly MessageGate _gate;
    private readonly BlockSync _sync;
    private readonly CatchUpProgress _catchUp = new();
    private readonly ChainApplication _application;
    private readonly DriverInbox _inbox = new(InboxCapacity);
    private readonly PriorityQueue<TimeoutEvent, long> _timers = new();
    private readonly EvidencePool _evidence = new();
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private bool _started;
    private long _heightStartedMs, _lastBlockMs = -1, _nextTickMs = long.MinValue, _startNextHeightAtMs = -1, _proposalAtMs = -1;
    private ulong _heightAtLastTick;
    private int _stalledTicks;
    // What the engine broadcasts while handling one input waits here until the signatures in it are
    // on disk: one fsync per input instead of one per signature.
    private readonly List<byte[]> _outbox = [];

    public BftDriver(BlockProcessor processor, Mempool mempool, ChainSpec spec, IValidatorSigner? signer, ConsensusWal wal,
        IConsensusTransport transport, IConsensusClock clock, ILogger<BftDriver> logger)
    {
        _processor = processor;
        _spec = spec;
        _signer = signer;
        _wal = wal;
        _transport = transport;
        _clock = clock;
        _logger = logger;
        _engine = new ConsensusEngine(this, ConsensusTimeouts.From(spec.Parameters.Consensus));
        _gate = new MessageGate(spec, processor, transport, Metrics, signer?.Address, logger);
        _sync = new BlockSync(spec, processor, transport, _gate, clock);
        _application = new ChainApplication(processor, mempool, spec, clock, Metrics, logger);
    }

    public ConsensusMetrics Metrics { get; } = new();
    public Exception? Fault { get; private set; }
    public ulong Height => _engine.Height;
    public uint Round => _engine.Round;

    /// <summary>The validators of the height being decided, with its proposer order.</summary>
    public ValidatorRoster Roster => _engine.Roster;

    /// <summary>The round this node locked on at the current height, -1 when unlocked.</summary>
    public int LockedRound => _engine.LockedRound;

    /// <summary>Validators' addresses of the height being decided (for peer classification).</summary>
    public Func<Address, bool> IsValidator => address => _processor.FindValidator(address) is not null;

    Address? IConsensusContext.Self => _signer?.Address;

    /// <summary>Runs the loop on a thread of its own.</summary>
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
        if (!_gate.TryParse(from, payload, out var envelope)) return;
        if (!_inbox.TryAdd(() => Handle(from, envelope))) Metrics.Rejected();
    }

    /// <summary>
    /// One step of the loop, at the clock's current time: the first call starts the height after
    /// the head and replays the WAL into it; every call then handles the queued messages, fires the
    /// timeouts that are due, starts the next height when it is time and ticks. Not thread-safe: the
    /// loop's thread, or a test's, calls it.
    /// </summary>
    public void Pump()
    {
        if (!_started)
        {
            _started = true;
            StartHeight(replay: true);
            FlushOutbox();
        }
        while (_inbox.TryTake(out var action)) { action(); FlushOutbox(); }
        long now = _clock.MonotonicMs;
        while (_timers.TryPeek(out var timeout, out long due) && due <= now)
        {
            _timers.Dequeue();
            _engine.HandleTimeout(timeout);
            AfterEngine();
            FlushOutbox();
        }
        // A full last block means a backlog: go on at once. (The mempool's size says nothing: it
        // may hold transactions that cannot run yet, e.g. behind a nonce gap.)
        if (_startNextHeightAtMs >= 0 && (now >= _startNextHeightAtMs || _application.LastBlockFull))
        {
            StartHeight(replay: false);
            FlushOutbox();
        }
        if (now >= _nextTickMs) Tick(now);
    }

    /// <summary>When <see cref="Pump"/> next has something to do other than queued messages (monotonic ms).</summary>
    public long NextDueMs
    {
        get
        {
            long next = _nextTickMs;
            if (_timers.TryPeek(out _, out long due)) next = Math.Min(next, due);
            if (_startNextHeightAtMs >= 0) next = Math.Min(next, _startNextHeightAtMs);
            return next;
        }
    }

    /// <summary>Messages queued for the next <see cref="Pump"/>.</summary>
    public int Queued => _inbox.Count;

    private void Run()
    {
        try
        {
            Pump();
            while (!_stop.IsCancellationRequested)
            {
                int wait = (int)Math.Clamp(NextDueMs - _clock.MonotonicMs, 0, DriverTimings.MaxIdleWaitMs);
                if (_inbox.TryTake(out var action, wait, _stop.Token)) { action(); FlushOutbox(); }
                Pump();
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
        ulong height = _application.NextHeight;
        _application.StartHeight();
        _gate.ForgetProposalsBelow(height);
        _proposalAtMs = -1;
        _heightStartedMs = _clock.MonotonicMs;
        _engine.StartHeight(height, _application.Roster());
        if (replay)
        {
            var logged = _wal.Read(height);
            _gate.Replaying = true;
            foreach (var message in logged) Handle(_signer?.Address ?? Address.Zero, message);
            _gate.Replaying = false;
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

    private void AfterEngine() => Metrics.SetPosition(_engine.Height, _engine.Round);

    private void Handle(Address from, ConsensusEnvelope envelope)
    {
        ulong height = _engine.Height;
        switch (envelope.MessageCase)
        {
            case ConsensusEnvelope.MessageOneofCase.Proposal:
                var p = envelope.Proposal;
                if (_gate.AdmitProposal(from, p, height) is not { } value) break;
                if (p.Height == height)
                {
                    Log(height, envelope);
                    if (_proposalAtMs < 0) _proposalAtMs = _clock.MonotonicMs - _heightStartedMs;
                }
                _engine.HandleProposal(p, value);
                break;
            case ConsensusEnvelope.MessageOneofCase.Vote:
                if (!_gate.AdmitVote(from, envelope.Vote, height)) break;
                if (envelope.Vote.Height == height) Log(height, envelope);
                _engine.HandleVote(envelope.Vote);
                break;
            case ConsensusEnvelope.MessageOneofCase.Status:
                _sync.OnStatus(from, envelope.Status, height);
                break;
            case ConsensusEnvelope.MessageOneofCase.BlockRequest:
                _sync.OnRequest(from, envelope.BlockRequest);
                break;
            case ConsensusEnvelope.MessageOneofCase.BlockResponse:
                _sync.OnResponse(from, envelope.BlockResponse, (executed, commit) =>
                {
                    CommitBlock(executed, commit, commit.Round, synced: true);
                    StartHeight(replay: false);
                    if (_catchUp.Report(executed.Block.Height, _sync.PeerHead, _clock.MonotonicMs) is { } progress) _logger.LogInformation("{Progress}", progress);
                });
                break;
            case ConsensusEnvelope.MessageOneofCase.Evidence:
                if (_gate.AdmitEvidence(from, envelope.Evidence, out var offender) && _evidence.Add(offender, envelope.Evidence))
                    _transport.Broadcast(ConsensusChannel.Consensus, envelope.ToByteArray());
                break;
        }
        AfterEngine();
    }

    private void Log(ulong height, ConsensusEnvelope envelope)
    {
        if (!_gate.Replaying) _wal.Append(height, envelope);
    }

    private void Tick(long now)
    {
        _nextTickMs = now + DriverTimings.TickIntervalMs;
        _transport.Broadcast(ConsensusChannel.Consensus, new ConsensusEnvelope { Status = new ConsensusStatus { Height = _engine.Height, Round = _engine.Round } }.ToByteArray());
        _stalledTicks = _engine.Height == _heightAtLastTick && _engine.Step != RoundStep.Commit ? _stalledTicks + 1 : 0;
        _heightAtLastTick = _engine.Height;
        if (_stalledTicks == 0) return;
        // Votes are small: re-send them every stalled tick. Proposals carry whole blocks: only every few.
        foreach (var message in _engine.RebroadcastSet())
            if (message.MessageCase != ConsensusEnvelope.MessageOneofCase.Proposal || _stalledTicks % DriverTimings.ProposalRebroadcastEveryTicks == 0)
                _transport.Broadcast(ConsensusChannel.Consensus, message.ToByteArray());
    }

    // ---- IConsensusContext: the engine's requests, each handed to the part that owns it ----

    ProposalValue IConsensusContext.CreateProposal(ulong height, uint round) =>
        _application.CreateProposal(_signer!.Address, CommitAssembly.LastCommit(_processor, _engine.LastCommitVotes), _evidence.Pending());

    bool IConsensusContext.IsValid(ulong height, ProposalValue value) => _application.IsValid(height, value);

    Proposal? IConsensusContext.SignProposal(ulong height, uint round, int polRound, ProposalValue value) =>
        _signer?.SignProposal(height, round, polRound, value);

    Vote? IConsensusContext.SignVote(VoteType type, ulong height, uint round, Hash256 blockHash)
    {
        if (_signer is null) return null;
        var vote = _signer.SignVote(type, height, round, blockHash, _clock.UnixMs);
        if (vote is not null && type == VoteType.Precommit && !blockHash.IsZero)
            CommitAssembly.AddCheckpointSignature(vote, _application.CheckpointOf(blockHash), _signer.SignCheckpoint);
        return vote;
    }

    void IConsensusContext.Broadcast(ConsensusEnvelope message)
    {
        if (message.MessageCase is ConsensusEnvelope.MessageOneofCase.Proposal or ConsensusEnvelope.MessageOneofCase.Vote)
            Log(_engine.Height, message);
        _outbox.Add(message.ToByteArray());
    }

    void IConsensusContext.ScheduleTimeout(TimeoutEvent timeout, TimeSpan after) =>
        _timers.Enqueue(timeout, _clock.MonotonicMs + (long)after.TotalMilliseconds);

    void IConsensusContext.Decide(ulong height, uint round, ProposalValue value, IReadOnlyList<Vote> precommits)
    {
        var executed = _application.Executed(value.Hash) ?? throw new InvalidOperationException($"decided block {value.Hash} was never executed");
        CommitBlock(executed, CommitAssembly.FromPrecommits(height, round, value.Hash, precommits), round, synced: false);
        _startNextHeightAtMs = Math.Max(_clock.MonotonicMs, _heightStartedMs + _spec.Parameters.BlockIntervalMs);
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
        long decidedAt = _clock.MonotonicMs;
        long writeMs = _application.Commit(executed, commit);
        var block = executed.Block;
        _evidence.OnBlockCommitted(block.Evidence, block.Height, _spec.Parameters.Consensus.EvidenceMaxAgeBlocks);
        _wal.Prune(block.Height);
        long now = _clock.MonotonicMs;
        Metrics.BlockCommitted(round, block.Transactions.Count, _lastBlockMs < 0 ? 0 : now - _lastBlockMs, synced);
        _lastBlockMs = now;
        LogCommitted(block.Height, round, block.Transactions.Count, block.Hash.ToString(), synced);
        LogTiming(block.Height, decidedAt - _heightStartedMs, _proposalAtMs, _application.ProposeMs, _application.ExecuteMs, writeMs, _inbox.Count);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Validator {Offender} equivocated at height {Height}, round {Round}")]
    private partial void LogEquivocation(Address offender, ulong height, uint round);

    [LoggerMessage(Level = LogLevel.Error, Message = "The engine reported conflicting votes that are no proof of equivocation: {Error}")]
    private partial void LogUnprovenEquivocation(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Count} logged consensus messages for height {Height}")]
    private partial void LogReplayed(int count, ulong height);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Consensus stopped")]
    private partial void LogFault(Exception e);
}
