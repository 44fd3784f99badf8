using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Blocks;

/// <summary>
/// Binary Merkle root over an ordered list of hashes: pairs hashed as keccak256(0x01 ‖ left ‖ right),
/// an odd last node carried up unchanged, leaves given as already-hashed items; empty list = Zero.
/// </summary>
public static class MerkleRoot
{
    public static Hash256 Compute(IReadOnlyList<Hash256> leaves)
    {
        if (leaves.Count == 0) return Hash256.Zero;
        var level = new Hash256[leaves.Count];
        for (int i = 0; i < leaves.Count; i++) level[i] = leaves[i];
        int count = level.Length;
        Span<byte> buffer = stackalloc byte[65];
        buffer[0] = 0x01;
        while (count > 1)
        {
            int next = 0;
            for (int i = 0; i < count; i += 2)
            {
                if (i + 1 == count) { level[next++] = level[i]; continue; }
                level[i].CopyTo(buffer[1..]);
                level[i + 1].CopyTo(buffer[33..]);
                level[next++] = Keccak256.Hash(buffer);
            }
            count = next;
        }
        return level[0];
    }

    /// <summary>Sibling path proving leaf <paramref name="index"/>; see <see cref="Verify"/>.</summary>
    public static List<Hash256> Prove(IReadOnlyList<Hash256> leaves, int index)
    {
        var proof = new List<Hash256>();
        var level = new List<Hash256>(leaves);
        Span<byte> buffer = stackalloc byte[65];
        buffer[0] = 0x01;
        while (level.Count > 1)
        {
            int sibling = index ^ 1;
            if (sibling < level.Count) proof.Add(level[sibling]);
            var next = new List<Hash256>((level.Count + 1) / 2);
            for (int i = 0; i < level.Count; i += 2)
            {
                if (i + 1 == level.Count) { next.Add(level[i]); continue; }
                level[i].CopyTo(buffer[1..]);
                level[i + 1].CopyTo(buffer[33..]);
                next.Add(Keccak256.Hash(buffer));
            }
            level = next;
            index /= 2;
        }
        return proof;
    }

    public static bool Verify(Hash256 root, Hash256 leaf, int index, int leafCount, IReadOnlyList<Hash256> proof)
    {
        var current = leaf;
        int used = 0, count = leafCount;
        Span<byte> buffer = stackalloc byte[65];
        buffer[0] = 0x01;
        while (count > 1)
        {
            int sibling = index ^ 1;
            if (sibling < count)
            {
                if (used >= proof.Count) return false;
                var other = proof[used++];
                (index % 2 == 0 ? current : other).CopyTo(buffer[1..]);
                (index % 2 == 0 ? other : current).CopyTo(buffer[33..]);
                current = Keccak256.Hash(buffer);
            }
            index /= 2;
            count = (count + 1) / 2;
        }
        return used == proof.Count && current == root;
    }
}
