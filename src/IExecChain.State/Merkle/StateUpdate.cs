using IExecChain.Core.Primitives;

namespace IExecChain.State.Merkle;

/// <summary>
/// The result of <see cref="StateTree.Prepare"/>: the new root and everything needed to make it the
/// committed tree. Applies only on top of <see cref="BaseRoot"/> and only once.
/// </summary>
public sealed class StateUpdate
{
    internal StateUpdate(StateTree tree, Slot baseRoot, Slot root, StateChange[] changes, NodeWrite[] nodeWrites, Hash256[] leafKeys, NodeKey[] nodeDeletes)
    {
        Tree = tree;
        BaseSlot = baseRoot;
        RootSlot = root;
        Changes = changes;
        NodeWrites = nodeWrites;
        LeafKeys = leafKeys;
        NodeDeletes = nodeDeletes;
    }

    public Hash256 Root => RootSlot.Hash;
    public Hash256 BaseRoot => BaseSlot.Hash;

    /// <summary>Distinct keys in the change set (a key given twice counts once; the last value wins).</summary>
    public int ChangedKeys => Changes.Length;

    internal StateTree Tree { get; }
    internal Slot BaseSlot { get; }
    internal Slot RootSlot { get; }
    internal StateChange[] Changes { get; }

    /// <summary>Nodes to store, in a compact form (<see cref="Node"/> expands one).</summary>
    internal NodeWrite[] NodeWrites { get; }

    /// <summary>Keys of the lone-leaf children of <see cref="NodeWrites"/>.</summary>
    internal Hash256[] LeafKeys { get; }

    /// <summary>Positions whose node disappears.</summary>
    internal NodeKey[] NodeDeletes { get; }

    internal (NodeKey Position, InternalNode Node) Node(in NodeWrite write) =>
        (NodeKey.Of(Changes[write.KeyIndex].Key, write.Depth),
         new InternalNode(Child(write.LeftKind, write.LeftHash, write.LeftLeaf), Child(write.RightKind, write.RightHash, write.RightLeaf)));

    private Slot Child(SlotKind kind, in Hash256 hash, int leaf) => kind switch
    {
        SlotKind.Leaf => Slot.Leaf(LeafKeys[leaf], hash),
        SlotKind.Internal => Slot.Internal(hash),
        _ => Slot.Empty,
    };

    internal bool Committed { get; set; }
}

/// <summary>One key's change, with its leaf hash computed once up front.</summary>
internal struct StateChange
{
    public Hash256 Key;
    public Hash256 LeafHash;
    public byte[]? Value;
    public int Order;

    public readonly bool IsDelete => Value is null;
}

/// <summary>
/// A node to store, 80 bytes instead of a position and two full slots: the position is the first
/// <see cref="Depth"/> bits of the update's change at <see cref="KeyIndex"/>, and a lone-leaf child's
/// key is an index into <see cref="StateUpdate.LeafKeys"/>.
/// </summary>
internal struct NodeWrite
{
    public Hash256 LeftHash;
    public Hash256 RightHash;
    public int KeyIndex;
    public int LeftLeaf;
    public int RightLeaf;
    public byte Depth;
    public SlotKind LeftKind;
    public SlotKind RightKind;
}
