using IExecChain.Core.Blocks;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Merkle;

namespace IExecChain.State.Chain;

/// <summary>A block whose transactions have been executed on top of the head, ready to commit.</summary>
public sealed class ExecutedBlock
{
    internal ExecutedBlock(ChainBlock block, StateUpdate stateUpdate, IReadOnlyList<Receipt> receipts, IReadOnlyList<byte[]> receiptBytes,
        IReadOnlyList<(Transaction Tx, string Reason)> excluded, ValidatorSet nextValidators)
    {
        NextValidators = nextValidators;
        Block = block;
        StateUpdate = stateUpdate;
        Receipts = receipts;
        ReceiptBytes = receiptBytes;
        Excluded = excluded;
    }

    public ChainBlock Block { get; }

    /// <summary>The market's part of the execution: order-book journal, order-index changes, task events.</summary>
    public Market.MarketBlock? Market { get; init; }

    /// <summary>The validators of the following height, as this block's execution leaves them.</summary>
    public ValidatorSet NextValidators { get; }

    /// <summary>The root of the withdrawals of the checkpoint period this block ends (Zero when it ends none or there were none).</summary>
    public Core.Primitives.Hash256 WithdrawalsRoot { get; init; }
    public StateUpdate StateUpdate { get; }
    public IReadOnlyList<Receipt> Receipts { get; }

    /// <summary>Each receipt serialized once: hashed into the receipt root and stored as is.</summary>
    public IReadOnlyList<byte[]> ReceiptBytes { get; }

    /// <summary>Candidates a proposer left out, with the reason (stale nonce, cannot pay the fee).</summary>
    public IReadOnlyList<(Transaction Tx, string Reason)> Excluded { get; }
}
