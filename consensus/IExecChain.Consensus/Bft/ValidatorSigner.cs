using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// The validator key behind the double-sign guard: every signature is checked against the last
/// signed position and recorded in the WAL. The caller must call <see cref="Flush"/> (one fsync for
/// all signatures made since the last one) before any of them leaves the node; without a caller
/// that batches, use <see cref="SyncEachSignature"/>.
/// </summary>
public sealed class ValidatorSigner : IValidatorSigner
{
    private readonly PrivateKey _key;
    private readonly ulong _chainId;
    private readonly ConsensusWal _wal;
    private readonly DoubleSignGuard _guard;

    public ValidatorSigner(PrivateKey key, ulong chainId, ConsensusWal wal)
    {
        _key = key;
        _chainId = chainId;
        _wal = wal;
        _guard = new DoubleSignGuard(wal.LoadLastSigned());
    }

    public Address Address => _key.Address;

    public long Refusals { get; private set; }

    /// <summary>Sync every signature as it is made instead of in <see cref="Flush"/>.</summary>
    public bool SyncEachSignature { get; init; }

    private bool _unsynced;

    /// <summary>Makes every signature made so far durable (one fsync); a no-op when there is none.</summary>
    public void Flush()
    {
        if (!_unsynced || _guard.Last is not { } last) return;
        _wal.RecordSigned(last, sync: true);
        _unsynced = false;
    }

    public Proposal? SignProposal(ulong height, uint round, int polRound, ProposalValue value)
    {
        var signature = Sign(height, round, SignStep.Proposal, value.Hash, VoteDigest.Proposal(_chainId, height, round, polRound, value.Hash));
        if (signature is null) return null;
        return new Proposal
        {
            Height = height,
            Round = round,
            PolRound = polRound,
            BlockHash = ByteString.CopyFrom(value.Hash.ToArray()),
            Block = UnsafeByteOperations.UnsafeWrap(value.Bytes),
            Proposer = ByteString.CopyFrom(_key.Address.ToArray()),
            Signature = ByteString.CopyFrom(signature),
        };
    }

    public Vote? SignVote(VoteType type, ulong height, uint round, Hash256 blockHash, ulong timeUnixMs)
    {
        var step = type == VoteType.Prevote ? SignStep.Prevote : SignStep.Precommit;
        var signature = Sign(height, round, step, blockHash, VoteDigest.Compute(_chainId, type, height, round, blockHash));
        return signature is null ? null : MakeVote(type, height, round, blockHash, _key.Address, signature, timeUnixMs);
    }

    /// <summary>
    /// A signature over a checkpoint digest. No guard: it rides on a precommit the guard already
    /// allowed, and the checkpoint is a function of the precommitted block.
    /// </summary>
    public byte[] SignCheckpoint(Hash256 digest) => _key.Sign(digest);

    /// <summary>A vote as the wire carries it (its signature made elsewhere).</summary>
    public static Vote MakeVote(VoteType type, ulong height, uint round, Hash256 hash, Address validator, byte[] signature, ulong time) => new()
    {
        Type = type,
        Height = height,
        Round = round,
        BlockHash = hash.IsZero ? ByteString.Empty : ByteString.CopyFrom(hash.ToArray()),
        Validator = ByteString.CopyFrom(validator.ToArray()),
        Signature = ByteString.CopyFrom(signature),
        TimeUnixMs = time,
    };

    private byte[]? Sign(ulong height, uint round, SignStep step, Hash256 hash, Hash256 digest)
    {
        if (!_guard.CanSign(height, round, step, hash, out var reuse, out _))
        {
            Refusals++;
            return null;
        }
        if (reuse is not null) return reuse;
        var signature = _key.Sign(digest);
        var position = new SignedPosition(height, round, step, hash, signature);
        _wal.RecordSigned(position, SyncEachSignature);
        _unsynced = !SyncEachSignature;
        _guard.Record(position);
        return signature;
    }
}

/// <summary>
/// What the driver signs with. <see cref="ValidatorSigner"/> is the one implementation a node runs;
/// the interface exists so that a test-only decorator can add faults around it without a switch in
/// the production type.
/// </summary>
public interface IValidatorSigner
{
    Address Address { get; }

    /// <summary>Makes every signature made so far durable; nothing signed leaves the node before.</summary>
    void Flush();

    /// <summary>A signed proposal, or null when the double-sign guard refuses.</summary>
    Proposal? SignProposal(ulong height, uint round, int polRound, ProposalValue value);

    /// <summary>A signed vote (Zero = nil), or null when the double-sign guard refuses.</summary>
    Vote? SignVote(VoteType type, ulong height, uint round, Hash256 blockHash, ulong timeUnixMs);

    /// <summary>A signature over a checkpoint digest, carried by the precommit of the checkpoint's last block.</summary>
    byte[] SignCheckpoint(Hash256 digest);
}
