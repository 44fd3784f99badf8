using System.Buffers;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.State.Snapshots;

/// <summary>
/// Cuts the state's entries, in key order, into chunks (<see cref="SnapshotFormat"/>) and describes them
/// in a manifest. The entries must be one consistent view of the state whose root is given: a
/// RocksDB iterator reads from an implicit snapshot taken when it starts, so iterating
/// <c>StateValues</c> of a store nobody writes to, or of a store snapshot, is one.
/// </summary>
public static class SnapshotWriter
{
    /// <param name="entries">The state's (32-byte key, value) pairs in strictly increasing key order.</param>
    /// <param name="chunk">Receives chunk i's bytes; the memory is reused once it returns.</param>
    public static SnapshotManifest Write(
        IEnumerable<(byte[] Key, byte[] Value)> entries, ulong chainId, ulong height, Hash256 blockHash, Hash256 stateRoot,
        Action<int, ReadOnlyMemory<byte>> chunk, int chunkBytes = SnapshotFormat.DefaultChunkBytes)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(chunk);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 64);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkBytes, SnapshotFormat.MaxChunkBytes);
        var manifest = new SnapshotManifest
        {
            Format = SnapshotFormat.Version,
            ChainId = chainId,
            Height = height,
            BlockHash = ByteString.CopyFrom(blockHash.ToArray()),
            StateRoot = ByteString.CopyFrom(stateRoot.ToArray()),
        };
        var buffer = new ArrayBufferWriter<byte>(Math.Min(chunkBytes, 1 << 20) + 1024);
        byte[]? previous = null;
        foreach (var (key, value) in entries)
        {
            if (key.Length != 32) throw new InvalidDataException($"a state key of {key.Length} bytes: the database is corrupt");
            if (previous is not null && previous.AsSpan().SequenceCompareTo(key) >= 0)
                throw new InvalidOperationException("the state's entries are not in increasing key order");
            previous = key;
            int size = 32 + VarintSize((ulong)value.Length) + value.Length;
            if (size > SnapshotFormat.MaxChunkBytes) throw new InvalidDataException($"the state value at {Hex.Encode(key)} is {value.Length} bytes, more than a chunk holds");
            if (buffer.WrittenCount > 0 && buffer.WrittenCount + size > chunkBytes) Flush();
            key.CopyTo(buffer.GetSpan(32));
            buffer.Advance(32);
            WriteVarint(buffer, (ulong)value.Length);
            value.CopyTo(buffer.GetSpan(value.Length));
            buffer.Advance(value.Length);
            manifest.Entries++;
        }
        // An empty state is one empty chunk, so every snapshot has at least one.
        if (buffer.WrittenCount > 0 || manifest.ChunkHashes.Count == 0) Flush();
        return manifest;

        void Flush()
        {
            if (manifest.ChunkHashes.Count == SnapshotFormat.MaxChunks)
                throw new InvalidOperationException($"the state needs more than {SnapshotFormat.MaxChunks} chunks of {chunkBytes} bytes");
            manifest.ChunkHashes.Add(ByteString.CopyFrom(Keccak256.Hash(buffer.WrittenSpan).ToArray()));
            manifest.TotalBytes += (ulong)buffer.WrittenCount;
            chunk(manifest.ChunkHashes.Count - 1, buffer.WrittenMemory);
            buffer.Clear();
        }
    }

    internal static int VarintSize(ulong value)
    {
        int size = 1;
        while (value >= 0x80) { value >>= 7; size++; }
        return size;
    }

    private static void WriteVarint(ArrayBufferWriter<byte> buffer, ulong value)
    {
        var span = buffer.GetSpan(10);
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        buffer.Advance(i);
    }
}
