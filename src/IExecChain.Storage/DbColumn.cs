namespace IExecChain.Storage;

/// <summary>The column families of the node database. Each maps to one RocksDB column family.</summary>
public enum DbColumn : byte
{
    Meta,
    Headers,
    Blocks,
    HeightIndex,
    TxIndex,
    Receipts,
    StateValues,
    StateNodes,
    ConsensusWal,
    Commits,
}
