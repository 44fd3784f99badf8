using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using Google.Protobuf;

namespace IExecChain.State.Snapshots;

/// <summary>
/// The snapshot format (docs/state-sync.md), version 1. A chunk is a run of state entries in strictly
/// increasing key order, each <c>key (32 bytes) ‖ uvarint(value length) ‖ value</c>; the entries of
/// chunk i+1 follow those of chunk i. A chunk holds whole entries only and is at most
/// <see cref="MaxChunkBytes"/> long.
/// </summary>
public static class SnapshotFormat
{
    public const uint Version = 1;

    /// <summary>Chunks are cut at the first entry boundary past this size unless told otherwise.</summary>
    public const int DefaultChunkBytes = 4 << 20;

    /// <summary>The largest chunk a node writes or accepts (a value is at most the state's largest record, far below).</summary>
    public const int MaxChunkBytes = 16 << 20;

    /// <summary>At most this many chunks (16 MiB each: 64 GiB of state), so a manifest stays small.</summary>
    public const int MaxChunks = 4096;

    /// <summary>The snapshot's id: keccak-256 of its manifest's bytes.</summary>
    public static Hash256 Id(SnapshotManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Keccak256.Hash(manifest.ToByteArray());
    }

    /// <summary>What is wrong with a manifest read from a peer or a file, or null when its shape is sound.</summary>
    public static string? Problem(SnapshotManifest manifest, ulong chainId)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Format != Version) return $"format {manifest.Format} is not supported (this node reads format {Version})";
        if (manifest.ChainId != chainId) return $"it is for chain {manifest.ChainId}, this node runs chain {chainId}";
        if (manifest.BlockHash.Length != 32) return $"its block hash is {manifest.BlockHash.Length} bytes, not 32";
        if (manifest.StateRoot.Length != 32) return $"its state root is {manifest.StateRoot.Length} bytes, not 32";
        if (manifest.ChunkHashes.Count == 0) return "it lists no chunks";
        if (manifest.ChunkHashes.Count > MaxChunks) return $"it lists {manifest.ChunkHashes.Count} chunks, at most {MaxChunks} are accepted";
        for (int i = 0; i < manifest.ChunkHashes.Count; i++)
            if (manifest.ChunkHashes[i].Length != 32) return $"the hash of chunk {i} is {manifest.ChunkHashes[i].Length} bytes, not 32";
        if (manifest.TotalBytes > (ulong)manifest.ChunkHashes.Count * MaxChunkBytes)
            return $"it claims {manifest.TotalBytes} bytes in {manifest.ChunkHashes.Count} chunks of at most {MaxChunkBytes}";
        return null;
    }
}

/// <summary>A snapshot that cannot be used: the message says which part is wrong and how.</summary>
public sealed class SnapshotException(string message) : Exception(message);
