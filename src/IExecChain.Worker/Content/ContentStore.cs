using System.Buffers.Binary;
using IExecChain.Core.Content;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts.Serving;
using Microsoft.Win32.SafeHandles;

namespace IExecChain.Worker.Content;

/// <summary>
/// Content-addressed files under one directory: <c>&lt;root-hex&gt;.bin</c> holds the bytes and
/// <c>&lt;root-hex&gt;.meta</c> the size, chunk size and leaf hashes (docs/content.md). Files are
/// immutable once visible; a put writes temporary files and renames them, metadata first, so a
/// reader that sees the data file always finds its metadata. Any number of readers may run
/// concurrently with puts.
/// </summary>
public sealed class ContentStore : IContentStore
{
    private const string DataExtension = ".bin";
    private const string MetaExtension = ".meta";
    private const string TempPrefix = ".tmp-";
    private static ReadOnlySpan<byte> MetaMagic => "IXCM"u8;
    private const byte MetaVersion = 1;
    private const int MetaHeaderLength = 4 + 1 + 8 + 4;

    public const long DefaultCachedTreeBytes = 64L * 1024 * 1024;

    // Rebuilding a tree costs one hash per leaf; the trees of recently served contents stay here,
    // bounded by their bytes: a count bound let 64 trees of tiny-chunk content take gigabytes.
    private readonly LruCache<Hash256, ContentTree> _trees;

    public ContentStore(string directory, int cachedTrees = 64, long cachedTreeBytes = DefaultCachedTreeBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(cachedTreeBytes, 0);
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
        _trees = new LruCache<Hash256, ContentTree>(cachedTrees, weigh: static tree => tree.MemoryBytes, maxWeight: cachedTreeBytes);
        RemoveStaleTemporaryFiles();
    }

    /// <summary>Bytes held by the cached trees.</summary>
    public long CachedTreeBytes => _trees.Weight;

    public string Directory { get; }

    public ContentInfo Put(ReadOnlySpan<byte> content, int chunkSize = ContentMerkle.DefaultChunkSize)
    {
        if (ContentChunking.Problem(content.Length, chunkSize) is { } problem) throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, problem);
        string tempData = TempPath(DataExtension);
        var builder = new ContentRootBuilder(chunkSize, keepLeaves: true);
        try
        {
            using (var file = new FileStream(tempData, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            {
                file.Write(content);
                builder.Append(content);
                file.Flush(flushToDisk: true);
            }
            return Commit(tempData, builder);
        }
        finally
        {
            File.Delete(tempData);
        }
    }

    public ContentInfo Put(Stream content, int chunkSize = ContentMerkle.DefaultChunkSize)
    {
        ArgumentNullException.ThrowIfNull(content);
        // The length of a stream may be unknown: a small chunk size is checked against the real size at the end.
        if (ContentChunking.Problem(0, chunkSize) is { } problem) throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, problem);
        string tempData = TempPath(DataExtension);
        var builder = new ContentRootBuilder(chunkSize, keepLeaves: true);
        byte[] buffer = new byte[Math.Max(chunkSize, 81_920)];
        try
        {
            using (var file = new FileStream(tempData, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            {
                int read;
                while ((read = content.Read(buffer, 0, buffer.Length)) > 0)
                {
                    file.Write(buffer, 0, read);
                    builder.Append(buffer.AsSpan(0, read));
                }
                file.Flush(flushToDisk: true);
            }
            return Commit(tempData, builder);
        }
        finally
        {
            File.Delete(tempData);
        }
    }

    public ContentInfo PutFile(string path, int chunkSize = ContentMerkle.DefaultChunkSize)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return Put(file, chunkSize);
    }

    /// <summary>
    /// Moves <paramref name="path"/> (a file on this store's file system, such as a finished upload)
    /// into the store as <paramref name="expected"/>, after hashing it whole: a file that does not
    /// hash to the expected root is left where it is and refused.
    /// </summary>
    public ContentInfo Adopt(string path, ContentInfo expected)
    {
        if (ContentChunking.Problem(expected.Size, expected.ChunkSize) is { } problem) throw new ArgumentException(problem, nameof(expected));
        var builder = new ContentRootBuilder(expected.ChunkSize, keepLeaves: true);
        byte[] buffer = new byte[Math.Max(expected.ChunkSize, 1 << 20)];
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.SequentialScan))
        {
            int read;
            while ((read = file.Read(buffer, 0, buffer.Length)) > 0) builder.Append(buffer.AsSpan(0, read));
            file.Flush(flushToDisk: true);
        }
        if (builder.Size != expected.Size) throw new InvalidDataException($"{path} is {builder.Size} bytes, expected {expected.Size}");
        string temp = TempPath(DataExtension);
        File.Move(path, temp);
        try
        {
            return Commit(temp, builder, expected.Root);
        }
        catch (InvalidDataException)
        {
            File.Move(temp, path);
            throw;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public bool Has(Hash256 root) => File.Exists(DataPath(root));

    /// <summary>A fresh path in the store's directory (same file system, so <see cref="Adopt"/> renames it); removed on open if left over an hour.</summary>
    public string NewTemporaryPath() => TempPath(".fetch");

    public ContentInfo? TryGetInfo(Hash256 root) => TryGetTree(root)?.Info;

    /// <summary>
    /// Chunk <paramref name="index"/> of <paramref name="root"/> with its proof; false when the
    /// store does not hold the content. An index past the last chunk throws.
    /// </summary>
    public bool TryGetChunk(Hash256 root, long index, out ContentChunk? chunk)
    {
        chunk = null;
        var tree = TryGetTree(root);
        if (tree is null) return false;
        (long offset, int length) = tree.ChunkRange(index);
        byte[] data = new byte[length];
        using (SafeFileHandle handle = OpenDataHandle(root))
        {
            int done = 0;
            while (done < length)
            {
                int read = RandomAccess.Read(handle, data.AsSpan(done), offset + done);
                if (read == 0) throw new InvalidDataException($"content {root}: data file ends before chunk {index} ({offset + done} of {tree.Size} bytes)");
                done += read;
            }
        }
        chunk = new ContentChunk(tree.Info, index, data, tree.Prove(index));
        return true;
    }

    /// <summary>The content's bytes as a read-only stream; throws <see cref="FileNotFoundException"/> when absent.</summary>
    public Stream OpenRead(Hash256 root)
    {
        string path = DataPath(root);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81_920);
        }
        catch (FileNotFoundException)
        {
            throw new FileNotFoundException($"content {root} is not in the store at {Directory}", path);
        }
    }

    /// <summary>The file holding the content, to be read (never written) in place; throws <see cref="FileNotFoundException"/> when absent.</summary>
    public string FilePath(Hash256 root)
    {
        string path = DataPath(root);
        return File.Exists(path) ? path : throw new FileNotFoundException($"content {root} is not in the store at {Directory}", path);
    }

    public byte[] ReadAllBytes(Hash256 root)
    {
        using var stream = OpenRead(root);
        byte[] bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private ContentInfo Commit(string tempData, ContentRootBuilder builder, Hash256? expectedRoot = null)
    {
        if (ContentChunking.Problem(builder.Size, builder.ChunkSize) is { } problem) throw new ArgumentException(problem, nameof(builder));
        ContentInfo info = builder.Finish();
        if (expectedRoot is { } expected && info.Root != expected)
            throw new InvalidDataException($"the file hashes to root {info.Root}, expected {expected}; not stored");
        if (Has(info.Root)) return info;

        IReadOnlyList<Hash256> leaves = builder.Leaves;
        byte[] meta = new byte[MetaHeaderLength + leaves.Count * Hash256.Size];
        MetaMagic.CopyTo(meta);
        meta[4] = MetaVersion;
        BinaryPrimitives.WriteUInt64BigEndian(meta.AsSpan(5), (ulong)info.Size);
        BinaryPrimitives.WriteUInt32BigEndian(meta.AsSpan(13), (uint)info.ChunkSize);
        for (int i = 0; i < leaves.Count; i++) leaves[i].CopyTo(meta.AsSpan(MetaHeaderLength + i * Hash256.Size));

        string tempMeta = TempPath(MetaExtension);
        try
        {
            using (var file = new FileStream(tempMeta, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            {
                file.Write(meta);
                file.Flush(flushToDisk: true);
            }
            // Metadata first: the data file is what makes the content visible. Two puts of the same
            // content may race here; both renames carry identical bytes.
            File.Move(tempMeta, MetaPath(info.Root), overwrite: true);
            File.Move(tempData, DataPath(info.Root), overwrite: true);
        }
        finally
        {
            File.Delete(tempMeta);
        }
        return info;
    }

    private ContentTree? TryGetTree(Hash256 root)
    {
        if (_trees.TryGet(root, out var cached)) return cached;
        if (!Has(root)) return null;
        byte[] meta;
        try
        {
            meta = File.ReadAllBytes(MetaPath(root));
        }
        catch (FileNotFoundException)
        {
            throw new InvalidDataException($"content {root}: data file without metadata in {Directory}");
        }
        var tree = ParseMeta(root, meta);
        return _trees.GetOrAdd(root, tree);
    }

    private ContentTree ParseMeta(Hash256 root, byte[] meta)
    {
        if (meta.Length < MetaHeaderLength || !meta.AsSpan(0, 4).SequenceEqual(MetaMagic) || meta[4] != MetaVersion)
            throw new InvalidDataException($"content {root}: metadata file is not version {MetaVersion} content metadata");
        long size = (long)BinaryPrimitives.ReadUInt64BigEndian(meta.AsSpan(5));
        int chunkSize = (int)BinaryPrimitives.ReadUInt32BigEndian(meta.AsSpan(13));
        if (size < 0 || chunkSize is < 1 or > ContentMerkle.MaxChunkSize)
            throw new InvalidDataException($"content {root}: metadata holds size {size} and chunk size {chunkSize}");
        // Stored before the minimum existed: its tree would cost more than the content is worth serving.
        if (ContentChunking.Problem(size, chunkSize) is { } problem)
            throw new ContentNotServedException($"content {root} is not served: {problem}");
        long count = ContentMerkle.ChunkCount(size, chunkSize);
        if (meta.Length != MetaHeaderLength + count * Hash256.Size)
            throw new InvalidDataException($"content {root}: metadata is {meta.Length} bytes, expected {MetaHeaderLength + count * Hash256.Size} for {count} chunk(s)");
        var leaves = new Hash256[count];
        for (int i = 0; i < leaves.Length; i++) leaves[i] = new Hash256(meta.AsSpan(MetaHeaderLength + i * Hash256.Size, Hash256.Size));
        var tree = ContentTree.FromLeaves(size, chunkSize, leaves);
        if (tree.Root != root) throw new InvalidDataException($"content {root}: metadata describes another content ({tree.Root})");
        return tree;
    }

    private SafeFileHandle OpenDataHandle(Hash256 root) =>
        File.OpenHandle(DataPath(root), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);

    private string DataPath(Hash256 root) => Path.Combine(Directory, Name(root) + DataExtension);
    private string MetaPath(Hash256 root) => Path.Combine(Directory, Name(root) + MetaExtension);
    private string TempPath(string extension) => Path.Combine(Directory, TempPrefix + Guid.NewGuid().ToString("N") + extension);

    private static string Name(Hash256 root)
    {
        Span<byte> bytes = stackalloc byte[Hash256.Size];
        root.CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    private void RemoveStaleTemporaryFiles()
    {
        // Left by a put that crashed; an hour is far longer than any put, so no live put loses its file.
        DateTime cutoff = DateTime.UtcNow.AddHours(-1);
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory, TempPrefix + "*"))
        {
            try
            {
                if (File.GetLastWriteTimeUtc(path) < cutoff) File.Delete(path);
            }
            catch (IOException)
            {
                // Another process removed it first, or it is busy: not ours to insist on.
            }
        }
    }
}
