using IExecChain.Core.Primitives;

namespace IExecChain.State.Merkle;

/// <summary>
/// The result of <see cref="StateTree.Prepare"/>: the new root and everything needed to make it the
/// committed tree. Applies only on top of <see cref="BaseRoot"/> and only once.
/// </summary>
public sealed class StateUpdate
{
    internal StateUpdate(StateTree tree, Slot baseRoot, Slot root, StateChange[] changes, List<(NodeKey Key, InternalNode? Node)> nodeWrites)
    {
        Tree = tree;
        BaseSlot = baseRoot;
        RootSlot = root;
        Changes = changes;
        NodeWrites = nodeWrites;
    }

    public Hash256 Root => RootSlot.Hash;
    public Hash256 BaseRoot => BaseSlot.Hash;

    /// <summary>Distinct keys in the change set (a key given twice counts once; the last value wins).</summary>
    public int ChangedKeys => Changes.Length;

    internal StateTree Tree { get; }
    internal Slot BaseSlot { get; }
    internal Slot RootSlot { get; }
    internal StateChange[] Changes { get; }

    /// <summary>Nodes to store (or delete, when null) at their position.</summary>
    internal List<(NodeKey Key, InternalNode? Node)> NodeWrites { get; }

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
