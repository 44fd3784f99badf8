using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Wire;

namespace IExecChain.Consensus.Solo;

/// <summary>Signs precommits the way the BFT engine will, so a solo chain's commits verify the same way.</summary>
public static class CommitSigner
{
    public static Commit SignSoloCommit(PrivateKey key, ulong chainId, ChainBlock block, ulong timeUnixMs)
    {
        var digest = VoteDigest.Compute(chainId, VoteType.Precommit, block.Height, 0, block.Hash);
        return new Commit
        {
            Height = block.Height,
            Round = 0,
            BlockHash = ByteString.CopyFrom(block.Hash.ToArray()),
            Signatures =
            {
                new CommitSignature
                {
                    Validator = ByteString.CopyFrom(key.Address.ToArray()),
                    Signature = ByteString.CopyFrom(key.Sign(digest)),
                    TimeUnixMs = timeUnixMs,
                },
            },
        };
    }
}
