using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

namespace IExecChain.State.Checkpoints;

/// <summary>
/// Checkpoints every C blocks (chain spec <c>checkpointInterval</c>): checkpoint n covers heights
/// (n-1)·C+1 .. n·C. Validators sign it with their precommit for block n·C (no separate round);
/// the next block carries those precommits in its commit and records the checkpoint, with the
/// signatures, in the state, where relayers read it.
/// </summary>
public static class CheckpointLedger
{
    public static bool IsLastOfRange(ulong height, ulong interval) => height > 0 && height % interval == 0;

    public static ulong NumberOf(ulong lastHeight, ulong interval) => lastHeight / interval;

    /// <summary>The set as a checkpoint commits to it: address and power, ascending by address.</summary>
    public static List<ValidatorPower> PowersOf(ValidatorSet set) =>
        [.. set.Validators.Select(v => new ValidatorPower(new Address(v.Address.Span), v.VotingPower)).OrderBy(v => v.Address)];

    /// <summary>
    /// The checkpoint ending at <paramref name="lastHeight"/>: <paramref name="blockHashes"/> are the
    /// hashes of its heights in order, <paramref name="nextSet"/> the validators of height lastHeight + 1,
    /// <paramref name="withdrawalsRoot"/> the root of the period's bridge withdrawals.
    /// </summary>
    public static Checkpoint Build(ulong chainId, ulong interval, ulong lastHeight, IReadOnlyList<Hash256> blockHashes, Hash256 stateRoot, ValidatorSet nextSet, Hash256 withdrawalsRoot)
    {
        if (!IsLastOfRange(lastHeight, interval)) throw new ArgumentException($"height {lastHeight} does not end a checkpoint range of {interval}", nameof(lastHeight));
        if ((ulong)blockHashes.Count != interval) throw new ArgumentException($"a checkpoint covers {interval} blocks, got {blockHashes.Count} hashes", nameof(blockHashes));
        return new Checkpoint(chainId, NumberOf(lastHeight, interval), lastHeight - interval + 1, lastHeight,
            MerkleRoot.Compute(blockHashes), stateRoot, ValidatorSetDigest.Compute(PowersOf(nextSet)), withdrawalsRoot);
    }

    /// <summary>
    /// End of block lastHeight + 1: writes the checkpoint that ended at the parent, with the
    /// checkpoint signatures found in the commit this block carries (each checked by the caller).
    /// </summary>
    public static void Record(WorldState state, Checkpoint checkpoint, ValidatorSet nextSet, Commit commit, ulong recordedAt)
    {
        var record = new CheckpointRecord
        {
            Number = checkpoint.Number,
            FirstHeight = checkpoint.FirstHeight,
            LastHeight = checkpoint.LastHeight,
            BlocksRoot = ByteString.CopyFrom(checkpoint.BlocksRoot.ToArray()),
            StateRoot = ByteString.CopyFrom(checkpoint.StateRoot.ToArray()),
            NextValidatorSetHash = ByteString.CopyFrom(checkpoint.NextValidatorSetHash.ToArray()),
            RecordedAtHeight = recordedAt,
            WithdrawalsRoot = ByteString.CopyFrom(checkpoint.WithdrawalsRoot.ToArray()),
        };
        foreach (var v in PowersOf(nextSet))
            record.NextValidators.Add(new ValidatorPowerEntry { Address = ByteString.CopyFrom(v.Address.ToArray()), Power = v.Power });
        foreach (var signature in commit.Signatures.OrderBy(s => new Address(s.Validator.Span)))
            if (signature.CheckpointSignature.Length == 65)
                record.Signatures.Add(new CheckpointSignatureEntry { Validator = signature.Validator, Signature = signature.CheckpointSignature });
        state.SetRecord(StateKeys.Checkpoint(checkpoint.Number), record);
        var totals = state.GetRecord(StateKeys.ChainTotals, ChainTotals.Parser) ?? new ChainTotals { NextProposalId = 1 };
        totals.LatestCheckpoint = checkpoint.Number;
        state.SetRecord(StateKeys.ChainTotals, totals);
    }

    /// <summary>Most anchoring transactions kept per checkpoint (relayers may race; the first few reports are enough).</summary>
    public const int MaxAnchorsPerCheckpoint = 4;

    /// <summary>An AnchorReceipt: kept with its checkpoint; null on success, else why it had no effect.</summary>
    public static Reason? RecordAnchor(WorldState state, Address relayer, AnchorReceipt receipt, ulong height)
    {
        var key = StateKeys.Checkpoint(receipt.CheckpointNumber);
        var record = state.GetRecord(key, CheckpointRecord.Parser);
        if (record is null) return Reasons.Of(ReasonCode.ReasonCheckpointNotRecorded).Number(receipt.CheckpointNumber);
        if (record.Anchors.Any(a => a.Receipt.EthTxHash.Equals(receipt.EthTxHash) && a.Receipt.EthChainId == receipt.EthChainId))
            return Reasons.Of(ReasonCode.ReasonAnchorAlreadyRecorded).Number(receipt.CheckpointNumber).Id(receipt.EthTxHash);
        if (record.Anchors.Count >= MaxAnchorsPerCheckpoint) return Reasons.Of(ReasonCode.ReasonCheckpointAnchorsFull).Number(receipt.CheckpointNumber).Number((ulong)MaxAnchorsPerCheckpoint);
        record.Anchors.Add(new AnchorEntry { Relayer = ByteString.CopyFrom(relayer.ToArray()), Receipt = receipt, ReportedAtHeight = height });
        state.SetRecord(key, record);
        return null;
    }

    /// <summary>Null when every checkpoint signature present in the commit is the named validator's, else why not.</summary>
    public static string? VerifySignatures(Commit commit, Checkpoint checkpoint)
    {
        var digest = checkpoint.Digest();
        foreach (var signature in commit.Signatures)
        {
            if (signature.CheckpointSignature.Length == 0) continue;
            var validator = new Address(signature.Validator.Span);
            if (signature.CheckpointSignature.Length != 65 || !Secp256k1.TryRecoverAddress(digest, signature.CheckpointSignature.Span, out var signer) || signer != validator)
                return $"checkpoint {checkpoint.Number} signature of {validator} is invalid";
        }
        return null;
    }

    /// <summary>
    /// What is wrong with the shape of a record read from a peer, or null when <see cref="ToSigned"/> can
    /// read it: its hashes are 32 bytes and its addresses 20 (a wrong length would throw there).
    /// </summary>
    public static string? Problem(CheckpointRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ReadOnlySpan<(string Name, int Length)> hashes =
        [
            ("blocks root", record.BlocksRoot.Length), ("state root", record.StateRoot.Length),
            ("next validator set hash", record.NextValidatorSetHash.Length), ("withdrawals root", record.WithdrawalsRoot.Length),
        ];
        foreach (var (name, length) in hashes)
            if (length != Hash256.Size) return $"checkpoint {record.Number}: its {name} is {length} bytes, not {Hash256.Size}";
        foreach (var v in record.NextValidators)
            if (v.Address.Length != Address.Size) return $"checkpoint {record.Number}: a next validator's address is {v.Address.Length} bytes, not {Address.Size}";
        foreach (var s in record.Signatures)
            if (s.Validator.Length != Address.Size) return $"checkpoint {record.Number}: a signer's address is {s.Validator.Length} bytes, not {Address.Size}";
        return null;
    }

    /// <summary>The record as a checkpoint with its signatures; throws <see cref="ArgumentException"/> on a record <see cref="Problem"/> refuses.</summary>
    public static SignedCheckpoint ToSigned(ulong chainId, CheckpointRecord record) => new(
        new Checkpoint(chainId, record.Number, record.FirstHeight, record.LastHeight, new Hash256(record.BlocksRoot.Span),
            new Hash256(record.StateRoot.Span), new Hash256(record.NextValidatorSetHash.Span), new Hash256(record.WithdrawalsRoot.Span)),
        [.. record.Signatures.Select(s => new CheckpointSignature(new Address(s.Validator.Span), s.Signature.ToByteArray()))],
        [.. record.NextValidators.Select(v => new ValidatorPower(new Address(v.Address.Span), v.Power))]);
}
