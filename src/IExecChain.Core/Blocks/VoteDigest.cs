using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.Core.Blocks;

/// <summary>
/// The digest a validator signs for a vote. Domain-separated so a vote signature can never be
/// replayed as a transaction or checkpoint signature: keccak256("iExecChain/vote/v1" ‖ chainId ‖
/// type ‖ height ‖ round ‖ blockHash), integers big-endian.
/// </summary>
public static class VoteDigest
{
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("iExecChain/vote/v1");

    public static Hash256 Compute(ulong chainId, VoteType type, ulong height, uint round, Hash256 blockHash)
    {
        Span<byte> buffer = stackalloc byte[18 + 8 + 1 + 8 + 4 + 32];
        Domain.CopyTo(buffer);
        int o = Domain.Length;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[o..], chainId); o += 8;
        buffer[o++] = (byte)type;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[o..], height); o += 8;
        BinaryPrimitives.WriteUInt32BigEndian(buffer[o..], round); o += 4;
        blockHash.CopyTo(buffer[o..]);
        return Keccak256.Hash(buffer[..(o + 32)]);
    }

    private static readonly byte[] ProposalDomain = Encoding.ASCII.GetBytes("iExecChain/proposal/v1");

    /// <summary>
    /// The digest a proposer signs: keccak256("iExecChain/proposal/v1" ‖ chainId ‖ height ‖ round ‖
    /// polRound (int32, two's complement) ‖ blockHash), integers big-endian.
    /// </summary>
    public static Hash256 Proposal(ulong chainId, ulong height, uint round, int polRound, Hash256 blockHash)
    {
        Span<byte> buffer = stackalloc byte[22 + 8 + 8 + 4 + 4 + 32];
        ProposalDomain.CopyTo(buffer);
        int o = ProposalDomain.Length;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[o..], chainId); o += 8;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[o..], height); o += 8;
        BinaryPrimitives.WriteUInt32BigEndian(buffer[o..], round); o += 4;
        BinaryPrimitives.WriteInt32BigEndian(buffer[o..], polRound); o += 4;
        blockHash.CopyTo(buffer[o..]);
        return Keccak256.Hash(buffer[..(o + 32)]);
    }

    public static Hash256 CommitHash(Commit? commit) => commit is null ? Hash256.Zero : Keccak256.Hash(commit.ToByteArray());
}
