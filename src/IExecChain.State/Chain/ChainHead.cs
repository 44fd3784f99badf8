using IExecChain.Core.Blocks;
using IExecChain.Core.Primitives;

namespace IExecChain.State.Chain;

/// <summary>The last finalized block, as the rest of the node needs to see it.</summary>
public sealed record ChainHead(ulong Height, Hash256 Hash, Hash256 StateRoot, ulong TimeUnixMs, Hash256 ValidatorSetHash)
{
    public static ChainHead Of(ChainBlock block) =>
        new(block.Height, block.Hash, block.StateRoot, block.Header.TimeUnixMs, new Hash256(block.Header.NextValidatorSetHash.Span));
}
