using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Storage;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// The consensus write-ahead log, in <see cref="DbColumn.ConsensusWal"/>:
/// <list type="bullet">
/// <item>"signed": the last position this validator signed (height, round, step, block hash,
/// signature). Written with fsync before a signature leaves the node, so a restarted validator
/// never signs something that conflicts with what it already sent.</item>
/// <item>"msg" ‖ height ‖ sequence: every proposal and vote the engine accepted for a height not
/// yet committed. Written without fsync, but always before this node's next signature, whose
/// synced write makes them durable too; replayed on start so locks survive a crash.</item>
/// </list>
/// Entries of committed heights are deleted.
/// </summary>
public sealed class ConsensusWal
{
    private static readonly byte[] SignedKey = Encoding.ASCII.GetBytes("signed");
    private static readonly byte[] MessagePrefix = Encoding.ASCII.GetBytes("msg");

    private readonly IKeyValueStore _store;
    private ulong _sequence;

    public ConsensusWal(IKeyValueStore store) => _store = store;

    public SignedPosition? LoadLastSigned()
    {
        var bytes = _store.Get(DbColumn.ConsensusWal, SignedKey);
        if (bytes is null) return null;
        var record = SignedRecord.Parser.ParseFrom(bytes);
        return new SignedPosition(record.Height, record.Round, (SignStep)record.Step,
            record.BlockHash.Length == Hash256.Size ? new Hash256(record.BlockHash.Span) : Hash256.Zero, record.Signature.ToByteArray());
    }

    /// <summary>
    /// Persists a signature; with <paramref name="sync"/> it returns only once it is on disk (and so
    /// is everything written before it, the logged messages included).
    /// </summary>
    public void RecordSigned(SignedPosition position, bool sync = true)
    {
        var record = new SignedRecord
        {
            Height = position.Height,
            Round = position.Round,
            Step = (uint)position.Step,
            BlockHash = ByteString.CopyFrom(position.BlockHash.ToArray()),
            Signature = ByteString.CopyFrom(position.Signature),
        };
        _store.Put(DbColumn.ConsensusWal, SignedKey, record.ToByteArray(), sync);
    }

    public void Append(ulong height, ConsensusEnvelope message)
    {
        Span<byte> key = stackalloc byte[MessagePrefix.Length + 16];
        MessageKey(height, _sequence++, key);
        _store.Put(DbColumn.ConsensusWal, key, message.ToByteArray());
    }

    /// <summary>The messages logged for <paramref name="height"/>, in the order they were accepted.</summary>
    public List<ConsensusEnvelope> Read(ulong height)
    {
        var prefix = new byte[MessagePrefix.Length + 8];
        MessagePrefix.CopyTo(prefix, 0);
        BinaryPrimitives.WriteUInt64BigEndian(prefix.AsSpan(MessagePrefix.Length), height);
        var messages = new List<ConsensusEnvelope>();
        foreach (var (key, value) in _store.Iterate(DbColumn.ConsensusWal, prefix))
        {
            messages.Add(ConsensusEnvelope.Parser.ParseFrom(value));
            _sequence = Math.Max(_sequence, BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(prefix.Length)) + 1);
        }
        return messages;
    }

    /// <summary>Deletes the messages of every height up to <paramref name="height"/>.</summary>
    public void Prune(ulong height)
    {
        using var batch = _store.NewBatch();
        foreach (var (key, _) in _store.Iterate(DbColumn.ConsensusWal, MessagePrefix))
        {
            if (BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(MessagePrefix.Length)) > height) break;
            batch.Delete(DbColumn.ConsensusWal, key);
        }
        if (batch.Count > 0) _store.Write(batch, sync: false);
    }

    private static void MessageKey(ulong height, ulong sequence, Span<byte> key)
    {
        MessagePrefix.CopyTo(key);
        BinaryPrimitives.WriteUInt64BigEndian(key[MessagePrefix.Length..], height);
        BinaryPrimitives.WriteUInt64BigEndian(key[(MessagePrefix.Length + 8)..], sequence);
    }
}
