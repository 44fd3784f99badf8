using IExecChain.Core.Primitives;

namespace IExecChain.State.Merkle;

/// <summary>
/// Proof that a key holds a value (inclusion) or holds nothing (non-inclusion) under a root.
/// <see cref="Siblings"/> are ordered from the root down: Siblings[i] is the hash of the subtree next
/// to the key's path at depth i + 1. The path ends at depth Siblings.Count in one of three ways:
/// the key's own leaf (<see cref="Value"/> set), an empty slot (nothing else set), or another key's
/// leaf sharing the first Siblings.Count bits (<see cref="OtherLeafKey"/> and
/// <see cref="OtherLeafValueHash"/> set), which proves the key is absent because a lone leaf always
/// sits at the top of its subtree.
/// </summary>
public sealed class StateProof
{
    public StateProof(Hash256 key, byte[]? value, IReadOnlyList<Hash256> siblings, Hash256? otherLeafKey = null, Hash256? otherLeafValueHash = null)
    {
        ArgumentNullException.ThrowIfNull(siblings);
        if (otherLeafKey.HasValue != otherLeafValueHash.HasValue)
            throw new ArgumentException("other leaf key and value hash go together", nameof(otherLeafKey));
        if (value is not null && otherLeafKey.HasValue)
            throw new ArgumentException("an inclusion proof has no other leaf", nameof(otherLeafKey));
        Key = key;
        Value = value;
        Siblings = siblings;
        OtherLeafKey = otherLeafKey;
        OtherLeafValueHash = otherLeafValueHash;
    }

    public Hash256 Key { get; }

    /// <summary>The root this proof was taken against (the committed root at the time).</summary>
    public Hash256 Root { get; init; }

    /// <summary>The key's value; null for a proof of non-inclusion.</summary>
    public byte[]? Value { get; }

    public IReadOnlyList<Hash256> Siblings { get; }
    public Hash256? OtherLeafKey { get; }
    public Hash256? OtherLeafValueHash { get; }

    public bool Verify(Hash256 root)
    {
        int depth = Siblings.Count;
        if (depth > 256) return false;
        Hash256 current;
        if (Value is not null)
        {
            current = TreeHashes.Leaf(Key, TreeHashes.Value(Value));
        }
        else if (OtherLeafKey is { } other)
        {
            if (other == Key) return false;
            for (int i = 0; i < depth; i++)
                if (other.Bit(i) != Key.Bit(i)) return false;
            current = TreeHashes.Leaf(other, OtherLeafValueHash!.Value);
        }
        else
        {
            current = Hash256.Zero;
        }

        for (int i = depth - 1; i >= 0; i--)
        {
            current = Key.Bit(i) == 0
                ? TreeHashes.Internal(current, Siblings[i])
                : TreeHashes.Internal(Siblings[i], current);
        }
        return current == root;
    }
}
