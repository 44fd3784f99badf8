using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;

namespace IExecChain.Core.Blocks;

/// <summary>
/// A serialized block read without decoding its transactions: the header, hash, last commit and evidence
/// decoded, each transaction located in <see cref="Bytes"/>. For blocks that are stored and served but never
/// executed (a snapshot's tail), where decoding 5,000 transactions a block only to encode them again cost
/// more than all the checks. Only the layout <see cref="ChainBlock.ToBytes"/> writes is accepted (fields in
/// order, shortest lengths, nothing unknown, a last commit and evidence exactly as they re-encode), so
/// <see cref="Bytes"/> is what a node that decoded the block would store, byte for byte.
/// </summary>
public sealed class EncodedBlock
{
    // Block's fields (blocks.proto), each length-delimited: header = 1, transactions = 2, last_commit = 3, evidence = 4.
    private const byte HeaderTag = 0x0A, TransactionTag = 0x12, LastCommitTag = 0x1A, EvidenceTag = 0x22;

    // A SignedTransaction's canonical encoding starts with its body (field 1, length-delimited): TransactionCodec
    // refuses an empty body and any other layout.
    private const byte SignedBodyTag = 0x0A;

    private readonly int[] _txOffsets;
    private readonly int[] _txLengths;

    private EncodedBlock(ReadOnlyMemory<byte> bytes, BlockHeader header, Hash256 hash, Commit? lastCommit, int[] txOffsets, int[] txLengths)
    {
        Bytes = bytes;
        Header = header;
        Hash = hash;
        LastCommit = lastCommit;
        _txOffsets = txOffsets;
        _txLengths = txLengths;
    }

    /// <summary>The block as received (and as <see cref="ChainBlock.ToBytes"/> would write it).</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    public BlockHeader Header { get; }

    public Hash256 Hash { get; }

    public Commit? LastCommit { get; }

    public ulong Height => Header.Height;

    public Hash256 ParentHash => new(Header.ParentHash.Span);

    public Hash256 StateRoot => new(Header.StateRoot.Span);

    public int TransactionCount => _txOffsets.Length;

    /// <summary>Transaction <paramref name="index"/>'s signed bytes, as its id hashes them.</summary>
    public ReadOnlySpan<byte> Transaction(int index) => Bytes.Span.Slice(_txOffsets[index], _txLengths[index]);

    /// <summary>
    /// The Merkle root of the transactions' ids (keccak-256 of each one's signed bytes), as
    /// <see cref="ChainBlock.ComputeTxRoot"/> computes it from decoded transactions. The costly part of
    /// checking a block: one Keccak permutation per transfer and one per pair.
    /// </summary>
    public Hash256 ComputeTxRoot()
    {
        var ids = new Hash256[_txOffsets.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = Keccak256.Hash(Transaction(i));
        return MerkleRoot.Compute(ids);
    }

    /// <summary>Whether the transactions are the ones the header's transaction root commits to.</summary>
    public bool TransactionsMatchHeader() => ComputeTxRoot() == new Hash256(Header.TxRoot.Span);

    /// <summary>
    /// Reads a block: its layout (see the class), the header's shape and chain id, the transaction count against the
    /// header's, each transaction's size and first byte, the last commit and the evidence (against the header's evidence hash).
    /// The transactions are not decoded; <see cref="TransactionsMatchHeader"/> ties them to the header. A transaction that
    /// matches a header root the network signed is one its validators decoded and executed.
    /// </summary>
    public static bool TryRead(ReadOnlyMemory<byte> bytes, ulong chainId, int maxTxSize, out EncodedBlock? block, out string? error)
    {
        block = null;
        var span = bytes.Span;
        int offset = 0;
        if (!TryField(span, ref offset, HeaderTag, out int headerOffset, out int headerLength, out error)) return false;
        BlockHeader header;
        try
        {
            header = BlockHeader.Parser.ParseFrom(span.Slice(headerOffset, headerLength));
        }
        catch (InvalidProtocolBufferException e)
        {
            error = $"malformed block: {e.Message}";
            return false;
        }
        if (header.ChainId != chainId) { error = $"block has chain id {header.ChainId}, expected {chainId}"; return false; }
        if (ChainBlock.HeaderShapeError(header) is { } shape) { error = shape; return false; }
        // The count is the header's (hashed), so the arrays are allocated once and a hostile count is refused before
        // any of them: it cannot exceed the bytes there are (each transaction takes at least 3).
        if (header.TxCount > (ulong)(span.Length / 3)) { error = $"header says {header.TxCount} transactions, the block is {span.Length} bytes"; return false; }
        int count = (int)header.TxCount;
        var offsets = new int[count];
        var lengths = new int[count];
        int limit = Math.Min(maxTxSize, TransactionCodec.AbsoluteMaxSize);
        int n = 0;
        while (offset < span.Length && span[offset] == TransactionTag)
        {
            if (!TryField(span, ref offset, TransactionTag, out int txOffset, out int txLength, out error)) return false;
            if (n == count) { error = $"header says {count} transactions, block has more"; return false; }
            if (txLength == 0) { error = $"transaction {n}: empty transaction"; return false; }
            if (txLength > limit) { error = $"transaction {n}: transaction is {txLength} bytes, limit is {limit}"; return false; }
            // An id shaped like a Merkle node (keccak of 0x01 ‖ left ‖ right) could stand for two transactions; no
            // transaction starts with 0x01, and this keeps it so without decoding.
            if (span[txOffset] != SignedBodyTag) { error = $"transaction {n}: malformed transaction encoding"; return false; }
            offsets[n] = txOffset;
            lengths[n] = txLength;
            n++;
        }
        if (n != count) { error = $"header says {count} transactions, block has {n}"; return false; }
        Commit? lastCommit = null;
        if (offset < span.Length && span[offset] == LastCommitTag)
        {
            if (!TryField(span, ref offset, LastCommitTag, out int commitOffset, out int commitLength, out error)) return false;
            if (!TryParseCanonical(span.Slice(commitOffset, commitLength), Commit.Parser, out lastCommit, out error))
            {
                error = $"malformed last commit: {error}";
                return false;
            }
        }
        var evidence = new List<DuplicateVoteEvidence>();
        while (offset < span.Length && span[offset] == EvidenceTag)
        {
            if (evidence.Count == ChainBlock.MaxEvidencePerBlock) { error = $"block carries more than {ChainBlock.MaxEvidencePerBlock} pieces of evidence"; return false; }
            if (!TryField(span, ref offset, EvidenceTag, out int evidenceOffset, out int evidenceLength, out error)) return false;
            if (!TryParseCanonical(span.Slice(evidenceOffset, evidenceLength), DuplicateVoteEvidence.Parser, out var piece, out error))
            {
                error = $"evidence {evidence.Count} is malformed: {error}";
                return false;
            }
            evidence.Add(piece!);
        }
        if (offset != span.Length) { error = $"malformed block: unexpected field at byte {offset}"; return false; }
        if (ChainBlock.ComputeEvidenceRoot(evidence) != new Hash256(header.EvidenceHash.Span)) { error = "evidence hash does not match the evidence carried"; return false; }
        block = new EncodedBlock(bytes, header, Keccak256.Hash(span.Slice(headerOffset, headerLength)), lastCommit, offsets, lengths);
        error = null;
        return true;
    }

    /// <summary>One length-delimited field with <paramref name="tag"/> at <paramref name="offset"/>, its length the shortest varint.</summary>
    private static bool TryField(ReadOnlySpan<byte> span, ref int offset, byte tag, out int start, out int length, out string? error)
    {
        start = length = 0;
        if (offset >= span.Length || span[offset] != tag) { error = $"malformed block: expected field {tag >> 3} at byte {offset}"; return false; }
        int at = offset + 1;
        ulong value = 0;
        int read = 0;
        while (true)
        {
            if (at + read >= span.Length || read == 5) { error = $"malformed block: bad length at byte {offset + 1}"; return false; }
            byte b = span[at + read];
            value |= (ulong)(b & 0x7F) << (7 * read);
            read++;
            if ((b & 0x80) == 0)
            {
                if (read > 1 && b == 0) { error = $"malformed block: non-minimal length at byte {offset + 1}"; return false; }
                break;
            }
        }
        if (value > (ulong)(span.Length - at - read)) { error = $"malformed block: field {tag >> 3} at byte {offset} runs past the end"; return false; }
        start = at + read;
        length = (int)value;
        offset = start + length;
        error = null;
        return true;
    }

    /// <summary>A message whose bytes are exactly its re-encoding (what <see cref="ChainBlock.ToBytes"/> would write for it).</summary>
    private static bool TryParseCanonical<T>(ReadOnlySpan<byte> bytes, MessageParser<T> parser, out T? message, out string? error) where T : IMessage<T>
    {
        message = default;
        try
        {
            message = parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            error = e.Message;
            return false;
        }
        if (!bytes.SequenceEqual(message.ToByteArray()))
        {
            error = "non-canonical encoding";
            return false;
        }
        error = null;
        return true;
    }
}
