using System.Buffers.Binary;
using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Checkpoints;

/// <summary>
/// A summary of blocks <see cref="FirstHeight"/>..<see cref="LastHeight"/> that validators sign
/// and relayers anchor on Ethereum. <see cref="BlocksRoot"/> is <see cref="Blocks.MerkleRoot"/>
/// over the block hashes in height order; <see cref="NextValidatorSetHash"/> is the
/// <see cref="ValidatorSetDigest"/> of the set that signs the next checkpoint.
/// </summary>
public sealed record Checkpoint(
    ulong ChainId,
    ulong Number,
    ulong FirstHeight,
    ulong LastHeight,
    Hash256 BlocksRoot,
    Hash256 StateRoot,
    Hash256 NextValidatorSetHash)
{
    /// <summary>The signed digest; see <see cref="CheckpointDigest"/>.</summary>
    public Hash256 Digest() => CheckpointDigest.Compute(this);
}

/// <summary>
/// keccak256("iExecChain/checkpoint/v1" ‖ chainId ‖ number ‖ firstHeight ‖ lastHeight ‖
/// blocksRoot ‖ stateRoot ‖ nextValidatorSetHash), integers as 8-byte big-endian: 152 bytes
/// hashed. The anchor contract recomputes it with <c>abi.encodePacked</c> and the same tag, which
/// keeps a checkpoint signature from being replayed as a vote or a transaction signature.
/// </summary>
public static class CheckpointDigest
{
    public const int PreimageSize = 24 + 4 * 8 + 3 * Hash256.Size;
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("iExecChain/checkpoint/v1");

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
        checkpoint.NextValidatorSetHash.CopyTo(buffer[o..]);
        return Keccak256.Hash(buffer);
    }
}
