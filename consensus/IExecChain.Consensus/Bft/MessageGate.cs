using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Validators;
using Microsoft.Extensions.Logging;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// What stands between the network and the engine: every proposal, vote and piece of evidence is
/// checked for shape, signature and the signer's role before the engine (which trusts signatures)
/// sees it, and a peer that sends a bad one is penalized by the <see cref="PenaltyPoints"/> table.
/// Messages replayed from this node's own WAL, and its own messages, are checked but never penalized.
/// Runs on the consensus thread, except <see cref="TryParse"/> (any network thread).
/// </summary>
public sealed partial class MessageGate(ChainSpec spec, BlockProcessor processor, IConsensusTransport transport, ConsensusMetrics metrics,
    Address? self, ILogger logger)
{
    private readonly ILogger _logger = logger;

    // Proposals already handed to the engine: a re-broadcast copy (megabytes of block) is dropped before decoding.
    private readonly HashSet<(ulong Height, uint Round, Hash256 Hash)> _seenProposals = [];

    /// <summary>True while the driver replays its WAL: those messages were checked when they first came.</summary>
    public bool Replaying { get; set; }

    public void ForgetProposalsBelow(ulong height) => _seenProposals.RemoveWhere(k => k.Height < height);

    /// <summary>The envelope of a payload from <paramref name="from"/>, or false (and a penalty) when it is none.</summary>
    public bool TryParse(Address from, ReadOnlyMemory<byte> payload, out ConsensusEnvelope envelope)
    {
        try
        {
            envelope = ConsensusEnvelope.Parser.ParseFrom(payload.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            envelope = null!;
            Reject(from, $"malformed consensus message: {e.Message}", PenaltyPoints.Malformed);
            return false;
        }
        if (envelope.MessageCase != ConsensusEnvelope.MessageOneofCase.None) return true;
        Reject(from, "empty consensus message", PenaltyPoints.Malformed);
        return false;
    }

    /// <summary>
    /// The proposal's value with its decoded block when the engine should see it (at the current or
    /// next <paramref name="height"/>, well formed, signed by its proposer, carrying the signed block);
    /// null otherwise.
    /// </summary>
    public ProposalValue? AdmitProposal(Address from, Proposal p, ulong height)
    {
        if (p.Height != height && p.Height != height + 1) return null;   // stale, or too far ahead: sync covers it
        if (p.BlockHash.Length != Hash256.Size || p.Proposer.Length != Address.Size || p.Signature.Length != 65 || p.PolRound < -1)
        {
            Reject(from, "malformed proposal", PenaltyPoints.Malformed);
            return null;
        }
        var hash = new Hash256(p.BlockHash.Span);
        if (_seenProposals.Contains((p.Height, p.Round, hash))) return null;
        var proposer = new Address(p.Proposer.Span);
        var digest = VoteDigest.Proposal(spec.ChainId, p.Height, p.Round, p.PolRound, hash);
        if (!Secp256k1.TryRecoverAddress(digest, p.Signature.Span, out var signer) || signer != proposer)
        {
            Reject(from, "proposal signature does not match its proposer", PenaltyPoints.Forged);
            return null;
        }
        if (!ChainBlock.TryDecode(p.Block.Span, spec.ChainId, spec.Parameters.MaxTransactionBytes, out var block, out var error))
        {
            Reject(from, $"proposal carries an undecodable block: {error}", PenaltyPoints.Forged);
            return null;
        }
        // The block's own proposer may differ from the proposal's: a later round re-proposes the valid block of an earlier one.
        if (block!.Hash != hash || block.Height != p.Height)
        {
            Reject(from, "proposal's block does not match its hash or height", PenaltyPoints.Forged);
            return null;
        }
        _seenProposals.Add((p.Height, p.Round, hash));
        return new ProposalValue(hash, p.Block.ToByteArray(), block);
    }

    /// <summary>
    /// True when the engine should see the vote: of this height (signer in its set), of the next, or
    /// a late precommit of the previous one (signer in that height's set), well formed and signed.
    /// </summary>
    public bool AdmitVote(Address from, Vote vote, ulong height)
    {
        if (vote.Height + 1 < height || vote.Height > height + 1) return false;
        if (vote.Validator.Length != Address.Size || vote.Signature.Length != 65 || vote.BlockHash.Length is not (0 or 32)
            || vote.Type is not (VoteType.Prevote or VoteType.Precommit))
        {
            Reject(from, "malformed vote", PenaltyPoints.Malformed);
            return false;
        }
        var validator = new Address(vote.Validator.Span);
        var set = vote.Height + 1 == height ? processor.LastValidators : processor.Validators;
        if (vote.Height == height && ValidatorLedger.PowerIn(set, validator) == 0)
        {
            Reject(from, $"vote from {validator}, who is not a validator", PenaltyPoints.NotAValidator);
            return false;
        }
        var hash = vote.BlockHash.Length == 0 ? Hash256.Zero : new Hash256(vote.BlockHash.Span);
        var digest = VoteDigest.Compute(spec.ChainId, vote.Type, vote.Height, vote.Round, hash);
        if (!Secp256k1.TryRecoverAddress(digest, vote.Signature.Span, out var signer) || signer != validator)
        {
            Reject(from, "vote signature does not match its validator", PenaltyPoints.Forged);
            return false;
        }
        return true;
    }

    /// <summary>True, with the offender, when the evidence proves an equivocation.</summary>
    public bool AdmitEvidence(Address from, DuplicateVoteEvidence evidence, out Address offender)
    {
        var error = Equivocation.Verify(evidence, spec.ChainId, out offender);
        if (error is null) return true;
        Reject(from, $"invalid evidence: {error}", PenaltyPoints.Forged);
        return false;
    }

    /// <summary>Counts a refused message and penalizes its sender by <paramref name="points"/> (a <see cref="PenaltyPoints"/> value).</summary>
    public void Reject(Address from, string reason, int points)
    {
        metrics.Rejected();
        if (Replaying || from == self) return;
        LogRejected(from, reason);
        transport.Penalize(from, reason, points);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rejected a message from {Peer}: {Reason}")]
    private partial void LogRejected(Address peer, string reason);
}
