using IExecChain.Consensus.Bft;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using Google.Protobuf;

namespace IExecChain.Node.Testing;

/// <summary>
/// TEST ONLY (<c>--equivocate-for-testing</c>): a validator that double-signs on purpose, to prove on
/// a real network that its peers catch it and the chain slashes, jails and zeroes it. Every vote the
/// guarded signer makes goes out with a conflicting twin for the same position (nil for a block
/// vote, a made-up block for a nil vote), signed with the raw key past the double-sign guard and
/// never recorded in the WAL. The node installs it only when the flag is set.
/// </summary>
internal sealed class EquivocatingSigner(IValidatorSigner inner, PrivateKey key, ulong chainId, IConsensusTransport transport) : IValidatorSigner
{
    public Address Address => inner.Address;

    public void Flush() => inner.Flush();

    public Proposal? SignProposal(ulong height, uint round, int polRound, ProposalValue value) => inner.SignProposal(height, round, polRound, value);

    public byte[] SignCheckpoint(Hash256 digest) => inner.SignCheckpoint(digest);

    public Vote? SignVote(VoteType type, ulong height, uint round, Hash256 blockHash, ulong timeUnixMs)
    {
        var vote = inner.SignVote(type, height, round, blockHash, timeUnixMs);
        if (vote is null) return null;
        var other = blockHash.IsZero ? Keccak256.Hash(vote.Signature.Span) : Hash256.Zero;
        var signature = key.Sign(VoteDigest.Compute(chainId, type, height, round, other));
        var twin = ValidatorSigner.MakeVote(type, height, round, other, key.Address, signature, timeUnixMs);
        transport.Broadcast(ConsensusChannel.Consensus, new ConsensusEnvelope { Vote = twin }.ToByteArray());
        return vote;
    }
}
