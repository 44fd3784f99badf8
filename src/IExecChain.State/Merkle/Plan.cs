using IExecChain.Core.Primitives;

namespace IExecChain.State.Merkle;

/// <summary>
/// A child during the structure pass of <see cref="StateTree.Prepare"/>: either a slot whose hash is
/// known (unchanged subtree, leaf, empty) or a new internal node planned at index <see cref="Ref"/>,
/// hashed later in the level-by-level hash pass.
/// </summary>
internal readonly struct PlanSlot
{
    public readonly Slot Slot;
    public readonly int Ref;

    private PlanSlot(in Slot slot, int reference)
    {
        Slot = slot;
        Ref = reference;
    }

    public static PlanSlot Known(in Slot slot) => new(slot, -1);
    public static PlanSlot Planned(int index) => new(Slot.Internal(default), index);

    public bool IsPlanned => Ref >= 0;

    /// <summary>True when this is exactly <paramref name="old"/> (a planned node is always new).</summary>
    public bool Unchanged(in Slot old) => Ref < 0 && Slot.SameAs(old);

    public PlanSlot Shifted(int offset) => Ref < 0 ? this : new PlanSlot(Slot, Ref + offset);

    public Hash256 HashIn(Hash256[] hashes) => Ref < 0 ? Slot.Hash : hashes[Ref];

    public Slot Resolve(Hash256[] hashes) => Ref < 0 ? Slot : Slot.Internal(hashes[Ref]);
}

/// <summary>
/// A new internal node of the structure pass; its children may themselves be planned. Its position is
/// the first <see cref="Depth"/> bits of the sorted change at <see cref="KeyIndex"/> (any key below it).
/// </summary>
internal readonly struct PlannedNode(int keyIndex, int depth, PlanSlot left, PlanSlot right)
{
    public readonly PlanSlot Left = left;
    public readonly PlanSlot Right = right;
    public readonly int KeyIndex = keyIndex;
    public readonly int Depth = depth;
}

/// <summary>What the structure pass of one thread produced: new nodes (children before parents),
/// positions whose node disappears, and nodes it had to read from the store.</summary>
internal sealed class Plan
{
    public readonly List<PlannedNode> Nodes = [];
    public readonly List<NodeKey> Deletes = [];
    public readonly List<(NodeKey Position, InternalNode Node)> Loaded = [];

    /// <summary>Empties the plan for the next batch, keeping the lists' memory (Prepare reuses it).</summary>
    public void Clear()
    {
        Nodes.Clear();
        Deletes.Clear();
        Loaded.Clear();
    }

    public PlanSlot AddNode(int keyIndex, int depth, in PlanSlot left, in PlanSlot right)
    {
        Nodes.Add(new PlannedNode(keyIndex, depth, left, right));
        return PlanSlot.Planned(Nodes.Count - 1);
    }

    /// <summary>Moves <paramref name="other"/> into this plan; returns <paramref name="result"/> (a slot of
    /// <paramref name="other"/>) renumbered for this plan.</summary>
    public PlanSlot Append(in PlanSlot result, Plan other)
    {
        int offset = Nodes.Count;
        Nodes.EnsureCapacity(offset + other.Nodes.Count);
        foreach (var node in other.Nodes)
            Nodes.Add(new PlannedNode(node.KeyIndex, node.Depth, node.Left.Shifted(offset), node.Right.Shifted(offset)));
        Deletes.AddRange(other.Deletes);
        Loaded.AddRange(other.Loaded);
        return result.Shifted(offset);
    }
}
