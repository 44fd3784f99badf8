using System.Buffers.Binary;
using Google.Protobuf;
using IExecChain.Consensus.Bft;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.Consensus.Tests.Simulated;

/// <summary>
/// One simulated validator: the real engine, a double-sign guard, and the same driver duties as a
/// node (re-gossip when stalled, hand a lagging peer the decided block with its commit). Signatures
/// are placeholders: the engine never sees them (the driver verifies them before the engine does).
/// </summary>
public sealed class SimNode : IConsensusContext
{
    private readonly Simulation _sim;
    private readonly DoubleSignGuard _guard = new();
    private readonly Dictionary<ulong, (ProposalValue Value, uint Round, List<Vote> Precommits)> _decided = [];
    private ulong _heightAtLastGossip;

    public SimNode(Simulation sim, int index, Address address, Behaviour behaviour)
    {
        _sim = sim;
        Index = index;
        Address = address;
        Behaviour = behaviour;
        Engine = new ConsensusEngine(this, sim.Timeouts);
    }

    public int Index { get; }
    public Address Address { get; }
    public Behaviour Behaviour { get; }
    public ConsensusEngine Engine { get; }
    public ulong DecidedHeight { get; private set; }
    public Dictionary<ulong, Address> Proposers { get; } = [];
    public Dictionary<ulong, uint> DecidedRounds { get; } = [];

    Address? IConsensusContext.Self => Address;

    public void Start(ValidatorRoster roster)
    {
        Engine.StartHeight(1, roster);
        ScheduleGossip();
    }

    public ProposalValue CreateProposal(ulong height, uint round) => NewValue(height, round, 0);

    private ProposalValue NewValue(ulong height, uint round, byte variant)
    {
        var bytes = new byte[8 + 4 + 1 + 1 + 8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, height);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), round);
        bytes[12] = (byte)Index;
        bytes[13] = variant;
        _sim.Random.NextBytes(bytes.AsSpan(14));
        return new ProposalValue(Keccak256.Hash(bytes), bytes);
    }

    public bool IsValid(ulong height, ProposalValue value) =>
        value.Bytes.Length == 22 && BinaryPrimitives.ReadUInt64BigEndian(value.Bytes) == height;

    public Proposal? SignProposal(ulong height, uint round, int polRound, ProposalValue value)
    {
        if (Behaviour == Behaviour.Honest && !Guarded(height, round, SignStep.Proposal, value.Hash)) return null;
        return new Proposal
        {
            Height = height,
            Round = round,
            PolRound = polRound,
            BlockHash = ByteString.CopyFrom(value.Hash.ToArray()),
            Block = ByteString.CopyFrom(value.Bytes),
            Proposer = ByteString.CopyFrom(Address.ToArray()),
        };
    }

    public Vote? SignVote(VoteType type, ulong height, uint round, Hash256 blockHash)
    {
        var step = type == VoteType.Prevote ? SignStep.Prevote : SignStep.Precommit;
        if (Behaviour == Behaviour.Honest && !Guarded(height, round, step, blockHash)) return null;
        return MakeVote(type, height, round, blockHash);
    }

    private Vote MakeVote(VoteType type, ulong height, uint round, Hash256 blockHash) => new()
    {
        Type = type,
        Height = height,
        Round = round,
        BlockHash = blockHash.IsZero ? ByteString.Empty : ByteString.CopyFrom(blockHash.ToArray()),
        Validator = ByteString.CopyFrom(Address.ToArray()),
    };

    private bool Guarded(ulong height, uint round, SignStep step, Hash256 hash)
    {
        if (!_guard.CanSign(height, round, step, hash, out _, out _)) return false;
        _guard.Record(new SignedPosition(height, round, step, hash, []));
        return true;
    }

    public void Broadcast(ConsensusEnvelope message)
    {
        switch (Behaviour)
        {
            case Behaviour.Silent:
                return;
            case Behaviour.Honest:
                SendToAll(message);
                return;
            case Behaviour.Equivocating:
                Equivocate(message);
                return;
        }
    }

    private void Equivocate(ConsensusEnvelope message)
    {
        if (message.Proposal is { } p)
        {
            var other = NewValue(p.Height, p.Round, 1);
            var forged = p.Clone();
            forged.BlockHash = ByteString.CopyFrom(other.Hash.ToArray());
            forged.Block = ByteString.CopyFrom(other.Bytes);
            var twin = new ConsensusEnvelope { Proposal = forged };
            foreach (var node in _sim.Nodes)
            {
                var sent = node.Index % 2 == 0 ? message : twin;
                _sim.ProposalsSentTo[(p.Height, p.Round, node.Index)] = new Hash256(sent.Proposal.BlockHash.Span);
                _sim.Send(Index, node.Index, sent);
            }
            return;
        }
        if (message.Vote is not { } v)
        {
            SendToAll(message);
            return;
        }
        foreach (var node in _sim.Nodes)
        {
            if (node.Index == Index) continue;
            // Byzantine validators collude: a recipient still waiting for a forged proposal gets votes for it.
            var wanted = (node.Engine.Height == v.Height ? node.Engine.ProposalHash(v.Round) : null)
                ?? (_sim.ProposalsSentTo.TryGetValue((v.Height, v.Round, node.Index), out var forged) ? forged : Hash256.Zero);
            _sim.Send(Index, node.Index, new ConsensusEnvelope { Vote = MakeVote(v.Type, v.Height, v.Round, wanted) });
        }
    }

    private void SendToAll(ConsensusEnvelope message)
    {
        foreach (var node in _sim.Nodes) _sim.Send(Index, node.Index, message);
    }

    public void ScheduleTimeout(TimeoutEvent timeout, TimeSpan after) =>
        _sim.At((long)after.TotalMilliseconds, () => Engine.HandleTimeout(timeout));

    public void Decide(ulong height, uint round, ProposalValue value, IReadOnlyList<Vote> precommits)
    {
        _decided[height] = (value, round, precommits.ToList());
        DecidedHeight = height;
        DecidedRounds[height] = round;
        Proposers[height] = _sim.RosterAt(height).ProposerFor(round);
        _sim.RecordDecision(Index, height, value.Hash);
        _sim.At(_sim.CommitDelayMs, () => Engine.StartHeight(height + 1, _sim.RosterAt(height + 1)));
    }

    public void ReportEquivocation(Vote first, Vote second) => _sim.Equivocations.Add((Index, first, second));

    public void Receive(int from, ConsensusEnvelope message)
    {
        switch (message.MessageCase)
        {
            case ConsensusEnvelope.MessageOneofCase.Proposal:
                var p = message.Proposal;
                Engine.HandleProposal(p, new ProposalValue(Keccak256.Hash(p.Block.Span), p.Block.ToByteArray()));
                break;
            case ConsensusEnvelope.MessageOneofCase.Vote:
                Engine.HandleVote(message.Vote);
                break;
            case ConsensusEnvelope.MessageOneofCase.Status:
                AnswerStatus(from, message.Status);
                break;
            case ConsensusEnvelope.MessageOneofCase.BlockResponse:
                CatchUp(message.BlockResponse);
                break;
        }
    }

    // A peer still deciding a height we decided gets the block and its commit.
    private void AnswerStatus(int from, ConsensusStatus status)
    {
        if (Behaviour != Behaviour.Honest || !_decided.TryGetValue(status.Height, out var decided)) return;
        var commit = new Commit { Height = status.Height, Round = decided.Round, BlockHash = ByteString.CopyFrom(decided.Value.Hash.ToArray()) };
        var response = new BlockResponse { HeadHeight = DecidedHeight };
        response.Blocks.Add(new CommittedBlock { Block = ByteString.CopyFrom(decided.Value.Bytes), Commit = commit });
        var envelope = new ConsensusEnvelope { BlockResponse = response };
        // The precommits travel as votes: the engine decides from them exactly as from live ones.
        _sim.Send(Index, from, envelope);
        foreach (var vote in decided.Precommits) _sim.Send(Index, from, new ConsensusEnvelope { Vote = vote });
    }

    private void CatchUp(BlockResponse response)
    {
        foreach (var block in response.Blocks)
        {
            if (block.Commit.Height != Engine.Height) continue;
            var value = new ProposalValue(Keccak256.Hash(block.Block.Span), block.Block.ToByteArray());
            if (value.Hash != new Hash256(block.Commit.BlockHash.Span)) continue;
            Engine.SupplyValue(value);
        }
    }

    private void ScheduleGossip()
    {
        _sim.At(_sim.GossipIntervalMs + _sim.Random.Next(20), () =>
        {
            Gossip();
            ScheduleGossip();
        });
    }

    private void Gossip()
    {
        if (Behaviour == Behaviour.Silent) return;
        SendToAll(new ConsensusEnvelope { Status = new ConsensusStatus { Height = Engine.Height, Round = Engine.Round } });
        if (Engine.Height != _heightAtLastGossip)
        {
            _heightAtLastGossip = Engine.Height;
            return;
        }
        foreach (var message in Engine.RebroadcastSet()) SendToAll(message);
    }
}
