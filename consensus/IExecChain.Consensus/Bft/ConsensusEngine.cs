using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// Tendermint-style BFT agreement on one block per height (rounds of propose, prevote, precommit
/// with locking and proof-of-lock), as a pure state machine: inputs are proposals, votes and
/// timeouts handed in by a driver; outputs go through <see cref="IConsensusContext"/>. Signatures
/// are checked by the driver before a message gets here; the engine checks roles (proposer of the
/// round, member of the set) and protocol rules.
/// <para>
/// Rules follow "The latest gossip on BFT consensus" (Buchman, Kwon, Milosevic, 2018); every input
/// re-evaluates all of them until nothing changes, so the order in which messages arrive never
/// matters. Not thread-safe: one driver thread calls it.
/// </para>
/// </summary>
public sealed class ConsensusEngine
{
    /// <summary>Votes and proposals further ahead than this many rounds are dropped (memory bound).</summary>
    public const uint MaxRoundsAhead = 64;

    /// <summary>Messages buffered for the next height before it starts.</summary>
    public const int MaxBufferedMessages = 20_000;

    private readonly IConsensusContext _context;
    private readonly ConsensusTimeouts _timeouts;
    private ValidatorRoster _roster = null!;
    private readonly Dictionary<uint, (Proposal Message, ProposalValue Value)> _proposals = [];
    private readonly Dictionary<uint, VoteSet> _prevotes = [];
    private readonly Dictionary<uint, VoteSet> _precommits = [];
    private readonly HashSet<(uint Round, RoundStep Step)> _scheduled = [];
    private readonly HashSet<uint> _lockRuleFired = [];
    private readonly List<ConsensusEnvelope> _nextHeight = [];
    private ProposalValue? _lockedValue, _validValue;
    private int _lockedRound = -1, _validRound = -1;
    private VoteSet? _lastPrecommits;
    private Hash256 _lastDecidedHash;
    private ulong _lastDecidedHeight;
    private uint _lastDecidedRound;

    public ConsensusEngine(IConsensusContext context, ConsensusTimeouts timeouts)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(timeouts);
        _context = context;
        _timeouts = timeouts;
    }

    public ulong Height { get; private set; }
    public uint Round { get; private set; }
    public RoundStep Step { get; private set; }
    public int LockedRound => _lockedRound;
    public ValidatorRoster Roster => _roster;

    /// <summary>Hash with > 2/3 precommits in some round whose proposal this node has not seen.</summary>
    public Hash256? MissingDecisionBlock { get; private set; }

    /// <summary>Precommits for the previous height's decided block, including late ones.</summary>
    public IReadOnlyList<Vote> LastCommitVotes =>
        _lastPrecommits is null ? [] : _lastPrecommits.VotesFor(_lastDecidedHash);

    /// <summary>Starts deciding <paramref name="height"/> with its validators; replays buffered messages.</summary>
    public void StartHeight(ulong height, ValidatorRoster roster)
    {
        ArgumentNullException.ThrowIfNull(roster);
        if (Height != 0 && height <= Height) throw new InvalidOperationException($"height {height} does not follow {Height}");
        if (Step != RoundStep.Commit || height != Height + 1) _lastPrecommits = null;
        Height = height;
        _roster = roster;
        _proposals.Clear();
        _prevotes.Clear();
        _precommits.Clear();
        _scheduled.Clear();
        _lockRuleFired.Clear();
        _lockedValue = _validValue = null;
        _lockedRound = _validRound = -1;
        MissingDecisionBlock = null;
        StartRound(0);

        _suppliedValues.Clear();
        var buffered = _nextHeight.ToArray();
        _nextHeight.Clear();
        foreach (var message in buffered)
        {
            if (message.Proposal is { } p && message.Proposal.Height == height && TryTakeBuffered(p, out var value)) HandleProposal(p, value!);
            else if (message.Vote is { } v) HandleVote(v);
        }
        _bufferedValues.Clear();
        Evaluate();
    }

    private readonly Dictionary<Hash256, ProposalValue> _bufferedValues = [];

    private bool TryTakeBuffered(Proposal p, out ProposalValue? value)
    {
        var hash = new Hash256(p.BlockHash.Span);
        bool found = _bufferedValues.Remove(hash, out value);
        return found;
    }

    /// <summary>A proposal whose signature the driver checked; <paramref name="value"/> carries its decoded block.</summary>
    public void HandleProposal(Proposal proposal, ProposalValue value)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(value);
        if (proposal.Height == Height + 1 && Height != 0)
        {
            if (_nextHeight.Count < MaxBufferedMessages)
            {
                _nextHeight.Add(new ConsensusEnvelope { Proposal = proposal });
                _bufferedValues[value.Hash] = value;
            }
            return;
        }
        if (proposal.Height != Height || Step == RoundStep.Commit) return;
        if (proposal.Round > Round + MaxRoundsAhead) return;
        if (proposal.PolRound < -1 || proposal.PolRound >= proposal.Round) return;
        if (proposal.BlockHash.Length != Hash256.Size || new Hash256(proposal.BlockHash.Span) != value.Hash) return;
        if (proposal.Proposer.Length != Address.Size || new Address(proposal.Proposer.Span) != _roster.ProposerFor(proposal.Round)) return;
        if (_proposals.ContainsKey(proposal.Round)) return;   // the first one counts; a second is the proposer's fault
        _proposals[proposal.Round] = (proposal, value);
        Evaluate();
    }

    /// <summary>A vote whose signature the driver checked.</summary>
    public void HandleVote(Vote vote)
    {
        ArgumentNullException.ThrowIfNull(vote);
        if (!TryReadVote(vote, out var validator, out var hash)) return;
        if (vote.Height == Height + 1 && Height != 0)
        {
            if (_nextHeight.Count < MaxBufferedMessages) _nextHeight.Add(new ConsensusEnvelope { Vote = vote });
            return;
        }
        if (vote.Height + 1 == Height && vote.Type == VoteType.Precommit && _lastPrecommits is not null)
        {
            // A late precommit of the deciding round still earns its signer credit in the next block's commit.
            // One of another round (often nil), or of the height before while this one sits decided, belongs to
            // another vote set: set beside the signer's vote in this one, it looked like equivocation.
            if (vote.Height == _lastDecidedHeight && vote.Round == _lastDecidedRound) AddChecked(_lastPrecommits, vote, validator, hash);
            return;
        }
        if (vote.Height != Height) return;
        if (vote.Round > Round + MaxRoundsAhead) return;
        var set = VotesOf(vote.Type, vote.Round);
        if (AddChecked(set, vote, validator, hash) != VoteAddResult.Duplicate) Evaluate();
    }

    public void HandleTimeout(TimeoutEvent timeout)
    {
        if (timeout.Height != Height || timeout.Round != Round) return;
        switch (timeout.Step)
        {
            case RoundStep.Propose when Step == RoundStep.Propose:
                CastVote(VoteType.Prevote, Hash256.Zero);
                Step = RoundStep.Prevote;
                break;
            case RoundStep.Prevote when Step == RoundStep.Prevote:
                CastVote(VoteType.Precommit, Hash256.Zero);
                Step = RoundStep.Precommit;
                break;
            case RoundStep.Precommit when Step != RoundStep.Commit:
                StartRound(Round + 1);
                break;
            default:
                return;
        }
        Evaluate();
    }

    /// <summary>
    /// What to re-send when progress stalls: this height's proposals and votes of the current round,
    /// the previous one (a peer still there needs its precommits to time out and follow) and the
    /// locked and valid rounds (a peer needs that proof-of-lock to accept a re-proposal).
    /// </summary>
    public List<ConsensusEnvelope> RebroadcastSet()
    {
        var messages = new List<ConsensusEnvelope>();
        var rounds = new SortedSet<uint> { Round };
        if (Round > 0) rounds.Add(Round - 1);
        if (_validRound >= 0) rounds.Add((uint)_validRound);
        if (_lockedRound >= 0) rounds.Add((uint)_lockedRound);
        foreach (uint round in rounds)
        {
            if (_proposals.TryGetValue(round, out var proposal)) messages.Add(new ConsensusEnvelope { Proposal = proposal.Message });
            if (_prevotes.TryGetValue(round, out var prevotes))
                foreach (var vote in prevotes.Votes) messages.Add(new ConsensusEnvelope { Vote = vote });
            if (_precommits.TryGetValue(round, out var precommits))
                foreach (var vote in precommits.Votes) messages.Add(new ConsensusEnvelope { Vote = vote });
        }
        return messages;
    }

    private void StartRound(uint round)
    {
        Round = round;
        Step = RoundStep.Propose;
        var self = _context.Self;
        if (self is { } me && _roster.ProposerFor(round) == me)
        {
            var value = _validValue ?? _context.CreateProposal(Height, round);
            var proposal = _context.SignProposal(Height, round, _validValue is null ? -1 : _validRound, value);
            if (proposal is not null)
            {
                _proposals.TryAdd(round, (proposal, value));
                _context.Broadcast(new ConsensusEnvelope { Proposal = proposal });
            }
        }
        Schedule(RoundStep.Propose);
    }

    private void Evaluate()
    {
        bool changed = true;
        while (changed && Step != RoundStep.Commit)
        {
            changed = TryDecide() || TrySkipRound() || ApplyRoundRules();
        }
    }

    // Lines 22-33: the first prevote of the round, for the proposal or nil.
    // Lines 34-48: timeouts on any quorum, locking, nil precommit.
    private bool ApplyRoundRules()
    {
        _proposals.TryGetValue(Round, out var proposal);
        var prevotes = VotesOf(VoteType.Prevote, Round);
        var precommits = VotesOf(VoteType.Precommit, Round);

        if (Step == RoundStep.Propose && proposal.Value is { } v)
        {
            int vr = proposal.Message.PolRound;
            if (vr == -1)
            {
                bool accept = _context.IsValid(Height, v) && (_lockedRound == -1 || _lockedValue!.Hash == v.Hash);
                CastVote(VoteType.Prevote, accept ? v.Hash : Hash256.Zero);
                Step = RoundStep.Prevote;
                return true;
            }
            if (VotesOf(VoteType.Prevote, (uint)vr).HasQuorumFor(v.Hash))
            {
                bool accept = _context.IsValid(Height, v) && (_lockedRound <= vr || _lockedValue!.Hash == v.Hash);
                CastVote(VoteType.Prevote, accept ? v.Hash : Hash256.Zero);
                Step = RoundStep.Prevote;
                return true;
            }
        }

        if (Step == RoundStep.Prevote && prevotes.HasQuorumOfAny) Schedule(RoundStep.Prevote);

        if (Step >= RoundStep.Prevote && proposal.Value is { } p && prevotes.HasQuorumFor(p.Hash)
            && !_lockRuleFired.Contains(Round) && _context.IsValid(Height, p))
        {
            _lockRuleFired.Add(Round);
            if (Step == RoundStep.Prevote)
            {
                _lockedValue = p;
                _lockedRound = (int)Round;
                CastVote(VoteType.Precommit, p.Hash);
                Step = RoundStep.Precommit;
            }
            _validValue = p;
            _validRound = (int)Round;
            return true;
        }

        if (Step == RoundStep.Prevote && prevotes.HasQuorumFor(Hash256.Zero))
        {
            CastVote(VoteType.Precommit, Hash256.Zero);
            Step = RoundStep.Precommit;
            return true;
        }

        if (precommits.HasQuorumOfAny) Schedule(RoundStep.Precommit);
        return false;
    }

    // Line 49: a proposal and > 2/3 precommits for it in any round decide the height.
    private bool TryDecide()
    {
        foreach (var (round, precommits) in _precommits)
        {
            if (!precommits.TryGetQuorum(out var hash) || hash.IsZero) continue;
            if (!_proposals.TryGetValue(round, out var proposal) || proposal.Value.Hash != hash)
            {
                var known = FindValue(hash);
                if (known is null)
                {
                    MissingDecisionBlock = hash;
                    continue;
                }
                proposal = (proposal.Message, known);
            }
            if (!_context.IsValid(Height, proposal.Value)) continue;   // > 2/3 committed an invalid block: nothing safe to do but wait
            MissingDecisionBlock = null;
            Step = RoundStep.Commit;
            _lastPrecommits = precommits;
            _lastDecidedHash = hash;
            _lastDecidedHeight = Height;
            _lastDecidedRound = round;
            _context.Decide(Height, round, proposal.Value, precommits.VotesFor(hash));
            return true;
        }
        return false;
    }

    /// <summary>Supplies a block fetched by other means (block sync) for a hash consensus is waiting on.</summary>
    public void SupplyValue(ProposalValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _suppliedValues[value.Hash] = value;
        Evaluate();
    }

    private readonly Dictionary<Hash256, ProposalValue> _suppliedValues = [];

    private ProposalValue? FindValue(Hash256 hash)
    {
        foreach (var (_, proposal) in _proposals)
            if (proposal.Value.Hash == hash) return proposal.Value;
        return _suppliedValues.GetValueOrDefault(hash);
    }

    // Line 55: > 1/3 of the power is already in a later round, so this round cannot finish without it.
    private bool TrySkipRound()
    {
        uint? target = null;
        var rounds = new HashSet<uint>(_prevotes.Keys);
        rounds.UnionWith(_precommits.Keys);
        foreach (uint round in rounds)
        {
            if (round <= Round || (target is { } t && round <= t)) continue;
            var voters = new HashSet<Address>();
            if (_prevotes.TryGetValue(round, out var pv)) voters.UnionWith(pv.Voters);
            if (_precommits.TryGetValue(round, out var pc)) voters.UnionWith(pc.Voters);
            ulong power = 0;
            foreach (var voter in voters) power += _roster.PowerOf(voter);
            if (_roster.IsOverOneThird(power)) target = round;
        }
        if (target is not { } skipTo) return false;
        StartRound(skipTo);
        return true;
    }

    private void CastVote(VoteType type, Hash256 hash)
    {
        if (_context.Self is not { } self || !_roster.Contains(self)) return;
        var vote = _context.SignVote(type, Height, Round, hash);
        if (vote is null) return;
        VotesOf(type, Round).Add(vote, self, hash, out _);
        _context.Broadcast(new ConsensusEnvelope { Vote = vote });
    }

    private void Schedule(RoundStep step)
    {
        if (_scheduled.Add((Round, step)))
            _context.ScheduleTimeout(new TimeoutEvent(Height, Round, step), _timeouts.For(step, Round));
    }

    private VoteSet VotesOf(VoteType type, uint round)
    {
        var sets = type == VoteType.Prevote ? _prevotes : _precommits;
        if (!sets.TryGetValue(round, out var set))
        {
            set = new VoteSet(_roster, type);
            sets[round] = set;
        }
        return set;
    }

    private VoteAddResult AddChecked(VoteSet set, Vote vote, Address validator, Hash256 hash)
    {
        var result = set.Add(vote, validator, hash, out var existing);
        if (result == VoteAddResult.Conflicting) _context.ReportEquivocation(existing!, vote);
        return result;
    }

    /// <summary>Hash of the proposal this node holds for <paramref name="round"/> of the current height.</summary>
    public Hash256? ProposalHash(uint round) => _proposals.TryGetValue(round, out var p) ? p.Value.Hash : null;

    private static bool TryReadVote(Vote vote, out Address validator, out Hash256 hash)
    {
        validator = default;
        hash = default;
        if (vote.Type is not (VoteType.Prevote or VoteType.Precommit)) return false;
        if (vote.Validator.Length != Address.Size) return false;
        if (vote.BlockHash.Length is not (0 or Hash256.Size)) return false;
        validator = new Address(vote.Validator.Span);
        hash = vote.BlockHash.Length == 0 ? Hash256.Zero : new Hash256(vote.BlockHash.Span);
        return true;
    }
}
