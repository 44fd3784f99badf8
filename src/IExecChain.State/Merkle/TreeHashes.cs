using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.State.Merkle;

/// <summary>
/// The hash rules of the state tree (docs/state-tree.md):
/// <code>
///   empty subtree = Zero (32 zero bytes)
///   leaf          = keccak256(0x00 || key(32) || keccak256(value)(32))
///   internal      = keccak256(0x01 || left(32) || right(32))
/// </code>
/// A subtree holding exactly one leaf is that leaf, placed at the subtree's top: there is no chain of
/// single-child internal nodes above a lone leaf. The empty tree's root is Zero, a one-key tree's root
/// is its leaf hash. The 0x00/0x01 prefixes keep leaf and internal preimages apart (65 bytes both).
/// </summary>
internal static class TreeHashes
{
    public const byte LeafPrefix = 0x00;
    public const byte InternalPrefix = 0x01;

    public static Hash256 Value(ReadOnlySpan<byte> value) => Keccak256.Hash(value);

    public static Hash256 Leaf(in Hash256 key, in Hash256 valueHash)
    {
        Span<byte> buffer = stackalloc byte[65];
        buffer[0] = LeafPrefix;
        key.CopyTo(buffer[1..]);
        valueHash.CopyTo(buffer[33..]);
        Span<byte> output = stackalloc byte[32];
        Keccak256.Hash(buffer, output);
        return new Hash256(output);
    }

    public static Hash256 Internal(in Hash256 left, in Hash256 right)
    {
        Span<byte> buffer = stackalloc byte[65];
        buffer[0] = InternalPrefix;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[33..]);
        Span<byte> output = stackalloc byte[32];
        Keccak256.Hash(buffer, output);
        return new Hash256(output);
    }
}
