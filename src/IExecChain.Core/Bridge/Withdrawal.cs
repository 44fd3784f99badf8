using System.Buffers.Binary;
using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Bridge;

/// <summary>
/// A withdrawal as the bridge contract releases it: <paramref name="Id"/> (unique on the chain,
/// claimed at most once), the Ethereum <paramref name="Recipient"/> and the amount in nRLC (= RLC
/// token units, both 9 decimals).
/// </summary>
public readonly record struct Withdrawal(ulong Id, Address Recipient, ulong Amount)
{
    public const int LeafPreimageSize = 24 + 8 + Address.Size + 8;
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("iExecChain/withdrawal/v1");

    /// <summary>
    /// keccak256("iExecChain/withdrawal/v1" ‖ id ‖ recipient ‖ amount), integers 8-byte big-endian:
    /// 60 bytes, never 65 like an inner node of <see cref="Blocks.MerkleRoot"/> (0x01 ‖ left ‖ right),
    /// so a leaf cannot pass for a node. Solidity: keccak256(abi.encodePacked(tag, uint64 id, address recipient, uint64 amount)).
    /// </summary>
    public Hash256 LeafHash()
    {
        Span<byte> buffer = stackalloc byte[LeafPreimageSize];
        Domain.CopyTo(buffer);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[24..], Id);
        Recipient.CopyTo(buffer[32..]);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[52..], Amount);
        return Keccak256.Hash(buffer);
    }
}
