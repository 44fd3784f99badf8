using System.Buffers.Binary;
using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Checkpoints;

/// <summary>
/// A summary of blocks <see cref="FirstHeight"/>..<see cref="LastHeight"/> that validators sign
/// and relayers anchor on Ethereum. <see cref="BlocksRoot"/> is <see cref="Blocks.MerkleRoot"/>
/// over the block hashes in height order; <see cref="NextValidatorSetHash"/> is the
/// <see cref="ValidatorSetDigest"/> of the set that signs the next checkpoint;
/// <see cref="WithdrawalsRoot"/> is <see cref="Blocks.MerkleRoot"/> over the leaf hashes of the
/// period's bridge withdrawals in id order (<see cref="Bridge.Withdrawal.LeafHash"/>), Zero when there were none.
/// </summary>
public sealed record Checkpoint(
    ulong ChainId,
    ulong Number,
    ulong FirstHeight,
    ulong LastHeight,
    Hash256 BlocksRoot,
    Hash256 StateRoot,
    Hash256 NextValidatorSetHash,
    Hash256 WithdrawalsRoot)
{
    /// <summary>The signed digest; see <see cref="CheckpointDigest"/>.</summary>
    public Hash256 Digest() => CheckpointDigest.Compute(this);
}

/// <summary>
/// keccak256("iExecChain/checkpoint/v2" ‖ chainId ‖ number ‖ firstHeight ‖ lastHeight ‖
/// blocksRoot ‖ stateRoot ‖ nextValidatorSetHash ‖ withdrawalsRoot), integers as 8-byte
/// big-endian: 184 bytes hashed (v1, without withdrawalsRoot, was replaced when the bridge came). The anchor contract recomputes it with <c>abi.encodePacked</c> and the same tag, which
/// keeps a checkpoint signature from being replayed as a vote or a transaction signature.
/// </summary>
public static class CheckpointDigest
{
    public const int PreimageSize = 24 + 4 * 8 + 4 * Hash256.Size;
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("iExecChain/checkpoint/v2");

    public static Hash256 Compute(Checkpoint checkpoint)
    {
        Span<byte> buffer = stackalloc byte[PreimageSize];
        Domain.CopyTo(buffer);
        int o = Domain.Length;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[o..], checkpoint.ChainId); o += 8;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[o..], checkpoint.Number); o += 8;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[o..], checkpoint.FirstHeight); o += 8;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[o..], checkpoint.LastHeight); o += 8;
        checkpoint.BlocksRoot.CopyTo(buffer[o..]); o += Hash256.Size;
        checkpoint.StateRoot.CopyTo(buffer[o..]); o += Hash256.Size;
        checkpoint.NextValidatorSetHash.CopyTo(buffer[o..]); o += Hash256.Size;
        checkpoint.WithdrawalsRoot.CopyTo(buffer[o..]);
        return Keccak256.Hash(buffer);
    }
}
