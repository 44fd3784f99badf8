using IExecChain.Core.Blocks;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.State.Chain;

/// <summary>
/// What a block received from another validator must satisfy, one named rule each: the header's
/// rules before anything is executed (cheap, in this order), and the executed block's rules after
/// (the header must state what executing it on our head produced). A rule returns null when it
/// holds, else why the block is refused.
/// </summary>
public static class BlockRules
{
    /// <summary>Everything a header rule may look at.</summary>
    public readonly record struct Context(ChainBlock Block, ChainHead Head, ulong ChainId, Func<Address, bool> IsValidator, Func<Commit?, ChainHead, string?> VerifyLastCommit)
    {
        public BlockHeader Header => Block.Header;
    }

    public sealed record Rule(string Name, Func<Context, string?> Check);

    public static IReadOnlyList<Rule> HeaderRules { get; } =
    [
        new("chain id is ours", c => c.Header.ChainId != c.ChainId ? $"chain id {c.Header.ChainId} is not {c.ChainId}" : null),
        new("height follows the head", c => c.Header.Height != c.Head.Height + 1 ? $"height {c.Header.Height} does not follow head {c.Head.Height}" : null),
        new("parent is the head", c => c.Block.ParentHash != c.Head.Hash ? $"parent {c.Block.ParentHash} is not head {c.Head.Hash}" : null),
        new("time increases", c => c.Header.TimeUnixMs <= c.Head.TimeUnixMs ? "block time does not increase" : null),
        new("proposer is a validator", c =>
            c.Header.Proposer.Length != Address.Size || !c.IsValidator(new Address(c.Header.Proposer.Span)) ? "proposer is not a validator" : null),
        new("transaction root matches", c =>
            ChainBlock.ComputeTxRoot(c.Block.Transactions) != new Hash256(c.Header.TxRoot.Span) ? "transaction root does not match" : null),
        new("last commit hash matches", c =>
            VoteDigest.CommitHash(c.Block.LastCommit) != new Hash256(c.Header.LastCommitHash.Span) ? "last commit hash does not match" : null),
        new("last commit finalizes the parent", c => c.VerifyLastCommit(c.Block.LastCommit, c.Head)),
    ];

    /// <summary>The first header rule the block breaks, or null.</summary>
    public static string? CheckHeader(in Context context)
    {
        foreach (var rule in HeaderRules)
            if (rule.Check(context) is { } error) return error;
        return null;
    }

    /// <summary>The first way the received header differs from the one we built by executing its block, or null.</summary>
    public static string? CheckExecuted(BlockHeader received, BlockHeader executed)
    {
        if (!executed.StateRoot.Equals(received.StateRoot))
            return $"state root {new Hash256(received.StateRoot.Span)} does not match executed {new Hash256(executed.StateRoot.Span)}";
        if (!executed.ReceiptRoot.Equals(received.ReceiptRoot)) return "receipt root does not match";
        if (!executed.ValidatorSetHash.Equals(received.ValidatorSetHash) || !executed.NextValidatorSetHash.Equals(received.NextValidatorSetHash))
            return "validator set hash does not match";
        return null;
    }
}
