using IExecChain.Core.Content;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts.Serving;
using Microsoft.Win32.SafeHandles;

namespace IExecChain.Worker.Content;

/// <summary>
/// The files of one directory served as content, in place (`iexchain content serve DIR`): a
/// provider serves its apps and datasets from its own machine instead of uploading them to a
/// node. Each file's tree is built once, when the source is made; a file changed afterwards no
/// longer matches its root, and its chunks are refused rather than served wrong.
/// </summary>
public sealed class DirectoryContentSource : IContentSource
{
    private readonly Dictionary<Hash256, (string Path, ContentTree Tree)> _files = [];

    public DirectoryContentSource(string directory, int chunkSize = ContentMerkle.DefaultChunkSize)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"'{directory}' is not a directory");
        foreach (string path in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(path).StartsWith('.')) continue;
            long size = new FileInfo(path).Length;
            if (size == 0 || ContentChunking.Problem(size, chunkSize) is not null) continue;
            ContentTree tree = ContentTree.FromFile(path, chunkSize);
            _files.TryAdd(tree.Root, (Path.GetFullPath(path), tree));
        }
    }

    /// <summary>Every file served: its path and content.</summary>
    public IEnumerable<(string Path, ContentInfo Content)> Files => _files.Values.Select(f => (f.Path, f.Tree.Info)).OrderBy(f => f.Item1, StringComparer.Ordinal);

    public ContentInfo? TryGetInfo(Hash256 root) => _files.TryGetValue(root, out var file) ? file.Tree.Info : null;

    public bool TryGetChunk(Hash256 root, long index, out ContentChunk? chunk)
    {
        chunk = null;
        if (!_files.TryGetValue(root, out var file)) return false;
        (long offset, int length) = file.Tree.ChunkRange(index);
        byte[] data = new byte[length];
        using (SafeFileHandle handle = File.OpenHandle(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            int done = 0;
            while (done < length)
            {
                int read = RandomAccess.Read(handle, data.AsSpan(done), offset + done);
                if (read == 0) throw new ContentNotServedException($"content {root}: {file.Path} is shorter than when it was indexed");
                done += read;
            }
        }
        if (ContentMerkle.LeafHash(index, data) != file.Tree.Leaves[(int)index])
            throw new ContentNotServedException($"content {root}: {file.Path} changed since it was indexed; restart `content serve` to serve its new content");
        chunk = new ContentChunk(file.Tree.Info, index, data, file.Tree.Prove(index));
        return true;
    }

}
