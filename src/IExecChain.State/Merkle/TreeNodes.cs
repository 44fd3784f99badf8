using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using IExecChain.Core.Primitives;

namespace IExecChain.State.Merkle;

internal enum SlotKind : byte { Empty = 0, Leaf = 1, Internal = 2 }

/// <summary>
/// What sits at one position of the tree: nothing, a lone leaf (with its key, so an insert can split
/// it without a lookup), or an internal node stored at that position.
/// </summary>
internal readonly struct Slot
{
    public static readonly Slot Empty;

    public readonly SlotKind Kind;
    public readonly Hash256 Hash;
    public readonly Hash256 LeafKey;

    private Slot(SlotKind kind, Hash256 hash, Hash256 leafKey)
    {
        Kind = kind;
        Hash = hash;
        LeafKey = leafKey;
    }

    public static Slot Leaf(Hash256 key, Hash256 leafHash) => new(SlotKind.Leaf, leafHash, key);
    public static Slot Internal(Hash256 hash) => new(SlotKind.Internal, hash, default);

    public bool SameAs(in Slot other) => Kind == other.Kind && Hash == other.Hash;

    // Meta record of the root: kind(1) || leaf key(32); the hash itself is stored apart under "state-root".
    public void WriteRootRecord(Span<byte> destination)
    {
        destination[0] = (byte)Kind;
        LeafKey.CopyTo(destination[1..33]);
    }

    public static Slot FromRootRecord(Hash256 hash, ReadOnlySpan<byte> record)
    {
        if (hash.IsZero) return Empty;
        if (record.Length != 33) throw new InvalidDataException("state-root-slot record is not 33 bytes");
        return (SlotKind)record[0] switch
        {
            SlotKind.Leaf => Leaf(new Hash256(record[1..33]), hash),
            SlotKind.Internal => Internal(hash),
            _ => throw new InvalidDataException("state-root-slot record has an unknown kind"),
        };
    }
}

/// <summary>An internal node: its two children. A plain value (no object per node).</summary>
internal readonly struct InternalNode(Slot left, Slot right)
{
    public readonly Slot Left = left;
    public readonly Slot Right = right;

    public Hash256 ComputeHash() => TreeHashes.Internal(Left.Hash, Right.Hash);

    public Slot Child(int bit) => bit == 0 ? Left : Right;

    // Stored form: kinds(1: left | right << 2) || left hash || right hash || left leaf key? || right leaf key?
    public int EncodedLength => 65 + (Left.Kind == SlotKind.Leaf ? 32 : 0) + (Right.Kind == SlotKind.Leaf ? 32 : 0);

    public void Encode(Span<byte> destination)
    {
        destination[0] = (byte)((byte)Left.Kind | ((byte)Right.Kind << 2));
        Left.Hash.CopyTo(destination[1..]);
        Right.Hash.CopyTo(destination[33..]);
        int offset = 65;
        if (Left.Kind == SlotKind.Leaf)
        {
            Left.LeafKey.CopyTo(destination[offset..]);
            offset += 32;
        }
        if (Right.Kind == SlotKind.Leaf) Right.LeafKey.CopyTo(destination[offset..]);
    }

    public static InternalNode Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 65) throw new InvalidDataException("state node record is too short");
        var leftKind = (SlotKind)(data[0] & 3);
        var rightKind = (SlotKind)((data[0] >> 2) & 3);
        int offset = 65;
        var left = DecodeSlot(leftKind, data.Slice(1, 32), data, ref offset);
        var right = DecodeSlot(rightKind, data.Slice(33, 32), data, ref offset);
        return new InternalNode(left, right);
    }

    private static Slot DecodeSlot(SlotKind kind, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> data, ref int offset)
    {
        switch (kind)
        {
            case SlotKind.Empty: return Slot.Empty;
            case SlotKind.Internal: return Slot.Internal(new Hash256(hash));
            case SlotKind.Leaf:
                if (data.Length < offset + 32) throw new InvalidDataException("state node record lacks a leaf key");
                var slot = Slot.Leaf(new Hash256(data.Slice(offset, 32)), new Hash256(hash));
                offset += 32;
                return slot;
            default: throw new InvalidDataException("state node record has an unknown child kind");
        }
    }
}

/// <summary>
/// The position of a node: its depth and the first <c>depth</c> bits of any key below it (the rest
/// zeroed). Nodes are stored under this position, so an update overwrites a node in place and a node
/// that disappears is deleted: the store holds exactly the current tree, no garbage to collect.
/// </summary>
internal readonly struct NodeKey : IEquatable<NodeKey>
{
    private readonly ulong _p0, _p1, _p2, _p3;
    public readonly int Depth;

    private NodeKey(int depth, ulong p0, ulong p1, ulong p2, ulong p3)
    {
        Depth = depth;
        _p0 = p0;
        _p1 = p1;
        _p2 = p2;
        _p3 = p3;
    }

    public static NodeKey Of(in Hash256 key, int depth)
    {
        // Hash256 holds its bytes as four big-endian words, in order.
        ref readonly ulong words = ref Unsafe.As<Hash256, ulong>(ref Unsafe.AsRef(in key));
        return new NodeKey(depth,
            words & Mask(depth, 0),
            Unsafe.Add(ref Unsafe.AsRef(in words), 1) & Mask(depth, 1),
            Unsafe.Add(ref Unsafe.AsRef(in words), 2) & Mask(depth, 2),
            Unsafe.Add(ref Unsafe.AsRef(in words), 3) & Mask(depth, 3));
    }

    private static ulong Mask(int depth, int word)
    {
        int kept = Math.Clamp(depth - 64 * word, 0, 64);
        return kept == 0 ? 0 : ulong.MaxValue << (64 - kept);
    }

    /// <summary>Key of this position in <see cref="NodeCache"/>: path bits and depth + 1 in one word; 0 when too deep to cache.</summary>
    public ulong CacheCode => (uint)Depth <= NodeCache.MaxDepth ? _p0 | (uint)(Depth + 1) : 0;

    /// <summary>Store key: depth(1) || the ceil(depth/8) bytes holding the path bits.</summary>
    public int EncodedLength => 1 + (Depth + 7) / 8;

    public void Encode(Span<byte> destination)
    {
        Span<byte> path = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(path, _p0);
        BinaryPrimitives.WriteUInt64BigEndian(path[8..], _p1);
        BinaryPrimitives.WriteUInt64BigEndian(path[16..], _p2);
        BinaryPrimitives.WriteUInt64BigEndian(path[24..], _p3);
        destination[0] = (byte)Depth;
        path[..((Depth + 7) / 8)].CopyTo(destination[1..]);
    }

    public bool Equals(NodeKey other) =>
        Depth == other.Depth && _p0 == other._p0 && _p1 == other._p1 && _p2 == other._p2 && _p3 == other._p3;

    public override bool Equals(object? obj) => obj is NodeKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Depth, _p0, _p1, _p2, _p3);
}
