using System.Globalization;
using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.State.Snapshots;
using IExecChain.Storage;

namespace IExecChain.Node.Snapshots;

/// <summary>
/// A snapshot on disk (docs/state-sync.md): a directory holding <c>manifest.pb</c>, <c>tail.pb</c>,
/// <c>chunk-000000.bin</c>… and the chain spec it belongs to. A node keeps its own under
/// <c>&lt;data&gt;/snapshots/&lt;height&gt;</c>; a directory is written under a temporary name and renamed
/// when complete, so a crash never leaves a partial snapshot under a real name.
/// </summary>
public static class SnapshotFiles
{
    public const string FolderName = "snapshots";
    public const string ManifestFile = "manifest.pb";
    public const string TailFile = "tail.pb";

    public static string ChunkFile(int index) => $"chunk-{index.ToString("D6", CultureInfo.InvariantCulture)}.bin";

    /// <summary>What <see cref="Create"/> made, or <see cref="Read"/> found.</summary>
    public sealed record Description(string Directory, SnapshotManifest Manifest, Hash256 Id)
    {
        public ulong Height => Manifest.Height;
    }

    /// <summary>A snapshot of the state at <paramref name="blocks"/>' head, written to <paramref name="directory"/> (which must not exist).</summary>
    public static Description Create(IKeyValueStore store, StateTree tree, BlockStore blocks, ChainSpec spec, string specPath, string directory,
        int chunkBytes = SnapshotFormat.DefaultChunkBytes)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(blocks);
        var (height, hash) = blocks.ReadHead() ?? throw new InvalidOperationException("the database has no head block");
        return Create(store.Iterate(DbColumn.StateValues), height, hash, tree.Root, blocks, spec, specPath, directory, chunkBytes);
    }

    /// <summary>
    /// A snapshot of the state after block <paramref name="height"/>, from <paramref name="entries"/> (that
    /// state's entries, in key order: an iterator started while it was the committed state), written to
    /// <paramref name="directory"/> through a temporary directory renamed at the end.
    /// </summary>
    public static Description Create(IEnumerable<(byte[] Key, byte[] Value)> entries, ulong height, Hash256 hash, Hash256 stateRoot, BlockStore blocks,
        ChainSpec spec, string specPath, string directory, int chunkBytes = SnapshotFormat.DefaultChunkBytes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(spec);
        if (Directory.Exists(directory)) throw new InvalidOperationException($"{directory} already exists");
        if (height == 0) throw new InvalidOperationException("the node is at genesis: a snapshot of the genesis state is the chain spec itself");
        string partial = directory + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        try
        {
            var manifest = SnapshotWriter.Write(entries, spec.ChainId, height, hash, stateRoot, (index, bytes) =>
            {
                ct.ThrowIfCancellationRequested();
                File.WriteAllBytes(Path.Combine(partial, ChunkFile(index)), bytes.ToArray());
            }, chunkBytes);
            File.WriteAllBytes(Path.Combine(partial, TailFile), SnapshotTails.Read(blocks, height, spec.Parameters.CheckpointInterval).ToByteArray());
            File.Copy(specPath, Path.Combine(partial, NodeOptions.ChainSpecFileName));
            File.WriteAllBytes(Path.Combine(partial, ManifestFile), manifest.ToByteArray());
            Directory.Move(partial, directory);
            return new Description(directory, manifest, SnapshotFormat.Id(manifest));
        }
        catch
        {
            Directory.Delete(partial, recursive: true);
            throw;
        }
    }

    /// <summary>The snapshot in <paramref name="directory"/>; a missing or unreadable manifest is a clear error.</summary>
    public static Description Read(string directory)
    {
        var path = Path.Combine(directory, ManifestFile);
        if (!File.Exists(path)) throw new InvalidOperationException($"{directory} holds no snapshot (no {ManifestFile})");
        SnapshotManifest manifest;
        try
        {
            manifest = SnapshotManifest.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidOperationException($"{path} is not a snapshot manifest: {e.Message}");
        }
        return new Description(directory, manifest, SnapshotFormat.Id(manifest));
    }

    /// <summary>The complete snapshots a node keeps, oldest first.</summary>
    public static IReadOnlyList<Description> List(string dataDir)
    {
        var root = Path.Combine(dataDir, FolderName);
        if (!Directory.Exists(root)) return [];
        var kept = new List<Description>();
        foreach (var directory in Directory.GetDirectories(root))
        {
            if (!ulong.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out _) || !File.Exists(Path.Combine(directory, ManifestFile))) continue;
            try
            {
                kept.Add(Read(directory));
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                // An unreadable manifest (a damaged disk, deleted while read) is no snapshot; the others still are.
            }
        }
        return [.. kept.OrderBy(s => s.Height)];
    }

    public static string DirectoryFor(string dataDir, ulong height) =>
        Path.Combine(dataDir, FolderName, height.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Restores the snapshot in <paramref name="snapshot"/> into the empty database at
    /// <paramref name="databasePath"/>: every chunk checked against the manifest, the state's root
    /// against the manifest and block H, the tail's links, and block H's commit against the validator
    /// set of the restored state. On any failure the database is deleted.
    /// </summary>
    public static Hash256 Restore(Description snapshot, ChainSpec spec, string databasePath, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(spec);
        var tailPath = Path.Combine(snapshot.Directory, TailFile);
        if (!File.Exists(tailPath)) throw new InvalidOperationException($"{snapshot.Directory} has no {TailFile}");
        var tail = SnapshotTail.Parser.ParseFrom(File.ReadAllBytes(tailPath));
        try
        {
            using var store = new RocksDbStore(databasePath);
            using var restorer = new SnapshotRestorer(store, snapshot.Manifest, spec.ChainId);
            for (int i = 0; i < restorer.ChunkCount; i++)
            {
                var chunkPath = Path.Combine(snapshot.Directory, ChunkFile(i));
                if (!File.Exists(chunkPath)) throw new SnapshotRefusedException(SnapshotFault.Snapshot, $"chunk {i} ({ChunkFile(i)}) is missing from {snapshot.Directory}");
                restorer.Add(i, File.ReadAllBytes(chunkPath));
                progress?.Invoke(i + 1, restorer.ChunkCount);
            }
            var root = restorer.Finish();
            SnapshotTails.Restore(store, spec, snapshot.Manifest, tail);
            return root;
        }
        catch
        {
            if (Directory.Exists(databasePath)) Directory.Delete(databasePath, recursive: true);
            throw;
        }
    }
}
