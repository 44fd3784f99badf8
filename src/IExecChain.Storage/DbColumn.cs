namespace IExecChain.Storage;

/// <summary>The column families of the node database. Each maps to one RocksDB column family.</summary>
public enum DbColumn : byte
{
    /// <summary>Small records: chain head, state root.</summary>
    Meta,
    /// <summary>Height (big-endian) → serialized block.</summary>
    Blocks,
    /// <summary>Block hash → height.</summary>
    HeightIndex,
    /// <summary>Height → the commit that finalized the block.</summary>
    Commits,
    /// <summary>Transaction id → receipt (which names its height and index).</summary>
    Receipts,
    /// <summary>State key → value (flat, for point reads).</summary>
    StateValues,
    /// <summary>State tree nodes by position.</summary>
    StateNodes,
    /// <summary>Reserved for the BFT engine's write-ahead log.</summary>
    ConsensusWal,
    /// <summary>Open market orders (order hash → empty): rebuilds the in-memory order book at startup.</summary>
    MarketOrders,
    /// <summary>
    /// Secondary indexes for queries (transactions by account, deals by party, tasks by worker and
    /// status...): derived from blocks and state, never hashed into anything, rebuilt when missing.
    /// </summary>
    QueryIndex,
}
