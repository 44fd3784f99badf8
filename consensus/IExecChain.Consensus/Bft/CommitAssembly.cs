using Google.Protobuf;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// How precommits become a block's commit, and how a proposer picks the commit its block carries
/// for the previous height. The BFT driver and the test chains build commits only here, so a test
/// chain's blocks carry exactly what a node's would.
/// </summary>
public static class CommitAssembly
{
    /// <summary>The commit of a decided block: its precommits, ordered by validator address.</summary>
    public static Commit FromPrecommits(ulong height, uint round, Hash256 blockHash, IEnumerable<Vote> precommits)
    {
        var commit = new Commit { Height = height, Round = round, BlockHash = ByteString.CopyFrom(blockHash.ToArray()) };
        foreach (var vote in precommits.OrderBy(v => new Address(v.Validator.Span)))
            commit.Signatures.Add(new CommitSignature { Validator = vote.Validator, Signature = vote.Signature, TimeUnixMs = vote.TimeUnixMs, CheckpointSignature = vote.CheckpointSignature });
        return commit;
    }

    /// <summary>
    /// The precommit for the last block of a checkpoint range also signs that checkpoint
    /// (<paramref name="checkpoint"/> is <see cref="BlockProcessor.CheckpointOf"/> of the block; null
    /// for any other block, and then nothing is added).
    /// </summary>
    public static void AddCheckpointSignature(Vote precommit, Checkpoint? checkpoint, Func<Hash256, byte[]> sign)
    {
        ArgumentNullException.ThrowIfNull(precommit);
        ArgumentNullException.ThrowIfNull(sign);
        if (checkpoint is null) return;
        precommit.CheckpointSignature = ByteString.CopyFrom(sign(checkpoint.Digest()));
    }

    /// <summary>
    /// The commit a block on top of the head carries: the precommits collected for the head,
    /// late ones included (<paramref name="headPrecommits"/>, so that their signers get credit), when
    /// they still prove > 2/3 on their own; else the commit stored with the head. Null at genesis.
    /// </summary>
    public static Commit? LastCommit(BlockProcessor processor, IReadOnlyList<Vote> headPrecommits)
    {
        ArgumentNullException.ThrowIfNull(processor);
        ArgumentNullException.ThrowIfNull(headPrecommits);
        var head = processor.Head;
        if (head.Height == 0) return null;
        if (headPrecommits.Count == 0) return WithValidCheckpointSignatures(processor.Blocks.GetCommit(head.Height)!, processor.HeadCheckpoint());
        var commit = FromPrecommits(head.Height, headPrecommits[0].Round, head.Hash, headPrecommits);
        if (processor.VerifyLastCommit(commit, head) is not null) commit = processor.Blocks.GetCommit(head.Height)!;
        return WithValidCheckpointSignatures(commit, processor.HeadCheckpoint());
    }

    /// <summary>
    /// Checkpoint signatures ride on precommits unchecked (the vote signature does not cover them);
    /// a proposer keeps only those that verify, or its block would be invalid. A copy when
    /// <paramref name="checkpoint"/> is set; the commit itself otherwise.
    /// </summary>
    public static Commit WithValidCheckpointSignatures(Commit commit, Checkpoint? checkpoint)
    {
        ArgumentNullException.ThrowIfNull(commit);
        if (checkpoint is null) return commit;
        var digest = checkpoint.Digest();
        var cleaned = commit.Clone();
        foreach (var signature in cleaned.Signatures)
        {
            if (signature.CheckpointSignature.Length == 0) continue;
            if (signature.CheckpointSignature.Length != 65 || !Secp256k1.TryRecoverAddress(digest, signature.CheckpointSignature.Span, out var signer)
                || signer != new Address(signature.Validator.Span))
                signature.CheckpointSignature = ByteString.Empty;
        }
        return cleaned;
    }
}
