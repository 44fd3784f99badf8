using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;

namespace IExecChain.Core.Blocks;

/// <summary>A block with its decoded header, hash and transactions. Hash = keccak256(header bytes).</summary>
public sealed class ChainBlock
{
    public ChainBlock(BlockHeader header, IReadOnlyList<Transaction> transactions, Commit? lastCommit, IReadOnlyList<DuplicateVoteEvidence>? evidence = null)
        : this(header.ToByteArray(), header, transactions, lastCommit, evidence ?? [])
    {
    }

    private ChainBlock(byte[] headerBytes, BlockHeader header, IReadOnlyList<Transaction> transactions, Commit? lastCommit, IReadOnlyList<DuplicateVoteEvidence> evidence)
    {
        Evidence = evidence;
        HeaderBytes = headerBytes;
        Header = header;
        Hash = Keccak256.Hash(headerBytes);
        Transactions = transactions;
        LastCommit = lastCommit;
    }

    public byte[] HeaderBytes { get; }
    public BlockHeader Header { get; }
    public Hash256 Hash { get; }
    public IReadOnlyList<Transaction> Transactions { get; }
    public Commit? LastCommit { get; }

    /// <summary>Proofs of equivocation the proposer included; each one is punished by this block.</summary>
    public IReadOnlyList<DuplicateVoteEvidence> Evidence { get; }

    public ulong Height => Header.Height;
    public Hash256 ParentHash => new(Header.ParentHash.Span);
    public Hash256 StateRoot => new(Header.StateRoot.Span);

    public byte[] ToBytes()
    {
        var block = new Block { Header = ByteString.CopyFrom(HeaderBytes) };
        if (LastCommit is not null) block.LastCommit = LastCommit;
        foreach (var tx in Transactions) block.Transactions.Add(UnsafeByteOperations.UnsafeWrap(tx.SignedBytes));
        foreach (var evidence in Evidence) block.Evidence.Add(evidence.ToByteString());
        return block.ToByteArray();
    }

    /// <summary>Decodes a stored or received block; transactions are decoded but not verified.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, ulong chainId, int maxTxSize, out ChainBlock? block, out string? error)
    {
        block = null;
        Block wire;
        BlockHeader header;
        try
        {
            wire = Block.Parser.ParseFrom(bytes);
            header = BlockHeader.Parser.ParseFrom(wire.Header);
        }
        catch (InvalidProtocolBufferException e)
        {
            error = $"malformed block: {e.Message}";
            return false;
        }
        if (header.ChainId != chainId) { error = $"block has chain id {header.ChainId}, expected {chainId}"; return false; }
        if (HeaderShapeError(header) is { } shape) { error = shape; return false; }
        if (header.TxCount != wire.Transactions.Count) { error = $"header says {header.TxCount} transactions, block has {wire.Transactions.Count}"; return false; }
        var txs = new Transaction[wire.Transactions.Count];
        for (int i = 0; i < txs.Length; i++)
        {
            if (!TransactionCodec.TryDecode(wire.Transactions[i].ToByteArray(), chainId, maxTxSize, out var tx, out var txError))
            {
                error = $"transaction {i}: {txError}";
                return false;
            }
            txs[i] = tx!;
        }
        if (wire.Evidence.Count > MaxEvidencePerBlock) { error = $"block carries {wire.Evidence.Count} pieces of evidence, at most {MaxEvidencePerBlock} allowed"; return false; }
        var evidence = new DuplicateVoteEvidence[wire.Evidence.Count];
        for (int i = 0; i < evidence.Length; i++)
        {
            try
            {
                evidence[i] = DuplicateVoteEvidence.Parser.ParseFrom(wire.Evidence[i]);
            }
            catch (InvalidProtocolBufferException e)
            {
                error = $"evidence {i} is malformed: {e.Message}";
                return false;
            }
        }
        if (ComputeEvidenceRoot(evidence) != new Hash256(header.EvidenceHash.Span)) { error = "evidence hash does not match the evidence carried"; return false; }
        block = new ChainBlock(wire.Header.ToByteArray(), header, txs, wire.LastCommit, evidence);
        error = null;
        return true;
    }

    public const int MaxEvidencePerBlock = 100;

    // Every header this chain writes has these lengths; one that does not is refused here, before any
    // rule wraps a field in a Hash256 or an Address (which throw on a wrong length: found by fuzzing,
    // a sync response with a short parent hash ended the consensus loop).
    internal static string? HeaderShapeError(BlockHeader header)
    {
        if (header.Proposer.Length != Address.Size) return $"header proposer is {header.Proposer.Length} bytes, expected {Address.Size}";
        ReadOnlySpan<(string Name, int Length)> hashes =
        [
            ("parent hash", header.ParentHash.Length), ("transaction root", header.TxRoot.Length), ("state root", header.StateRoot.Length),
            ("validator set hash", header.ValidatorSetHash.Length), ("next validator set hash", header.NextValidatorSetHash.Length),
            ("last commit hash", header.LastCommitHash.Length), ("evidence hash", header.EvidenceHash.Length), ("receipt root", header.ReceiptRoot.Length),
        ];
        foreach (var (name, length) in hashes)
            if (length != Hash256.Size) return $"header {name} is {length} bytes, expected {Hash256.Size}";
        return null;
    }

    /// <summary>Merkle root of keccak256 of each serialized evidence; zero when there is none.</summary>
    public static Hash256 ComputeEvidenceRoot(IReadOnlyList<DuplicateVoteEvidence> evidence)
    {
        if (evidence.Count == 0) return Hash256.Zero;
        var hashes = new Hash256[evidence.Count];
        for (int i = 0; i < hashes.Length; i++) hashes[i] = Keccak256.Hash(evidence[i].ToByteArray());
        return MerkleRoot.Compute(hashes);
    }

    public static Hash256 ComputeTxRoot(IReadOnlyList<Transaction> transactions)
    {
        var ids = new Hash256[transactions.Count];
        for (int i = 0; i < ids.Length; i++) ids[i] = transactions[i].Id;
        return MerkleRoot.Compute(ids);
    }
}
