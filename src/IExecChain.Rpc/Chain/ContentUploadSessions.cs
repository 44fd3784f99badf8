using System.Text.Json;
using IExecChain.Core.Content;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts.Serving;
using Microsoft.Win32.SafeHandles;

namespace IExecChain.Rpc.Chain;

/// <summary>An upload refused or failed; the message says why and what to do.</summary>
public sealed class ContentUploadException(string message, bool notFound = false) : Exception(message)
{
    /// <summary>No upload of that root is in progress.</summary>
    public bool NotFound { get; } = notFound;
}

/// <summary>Where one upload stands: which chunks the node holds, and whether the content is stored.</summary>
public sealed record ContentUploadProgress(ContentInfo Content, long ReceivedChunks, IReadOnlyList<(long First, long Count)> Missing, bool Complete, ulong ExpiresAt);

/// <summary>
/// Uploads of content in chunks (docs/content.md, "Uploading"), resumable across client and node
/// restarts. An upload is opened for a root, size and chunk size the uploader signed; every chunk
/// arrives with its Merkle proof and is checked against that root before it is written, so a
/// wrong byte is refused with the chunk's index and nothing unproven reaches the disk. When the
/// last chunk arrives the whole file is hashed again and moved into the <see cref="IContentStore"/>:
/// content becomes visible complete or not at all.
/// </summary>
/// <remarks>
/// On disk, under <c>&lt;store&gt;/uploads/</c>: <c>&lt;root&gt;.part</c> (the content's bytes at their
/// offsets, sparse until received), <c>&lt;root&gt;.leaves</c> (32 bytes per chunk, the leaf hash
/// once the chunk is written, zero before) and <c>&lt;root&gt;.upload</c> (size, chunk size,
/// uploader, expiry, kind). A chunk's leaf is written after its data, so a crash between the two
/// loses only that chunk; a damaged chunk is caught by the final hash and asked for again.
/// Uploads not completed within <see cref="Retention"/> after their statement expired are deleted.
/// </remarks>
public sealed class ContentUploadSessions
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    /// <summary>At most this many missing ranges are listed in one answer; the client asks again after sending them.</summary>
    public const int MaxListedRanges = 256;

    private const string PartExtension = ".part";
    private const string LeavesExtension = ".leaves";
    private const string HeaderExtension = ".upload";

    private readonly IContentStore _store;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<Hash256, Session> _sessions = [];

    public ContentUploadSessions(IContentStore store, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _time = time ?? TimeProvider.System;
        Directory = Path.Combine(store.Directory, "uploads");
        System.IO.Directory.CreateDirectory(Directory);
        Load();
    }

    public string Directory { get; }

    /// <summary>True when an upload of <paramref name="root"/> is in progress (its quota was charged when it began).</summary>
    public bool IsOpen(Hash256 root)
    {
        lock (_lock) return _sessions.ContainsKey(root);
    }

    /// <summary>
    /// Opens the upload of <paramref name="content"/>, or resumes it with a later expiry; answers
    /// complete at once when the store already holds the content.
    /// </summary>
    public ContentUploadProgress Begin(ContentInfo content, Address uploader, ulong expiresAt, string? kind)
    {
        if (ContentChunking.Problem(content.Size, content.ChunkSize) is { } chunking) throw new ContentUploadException(chunking);
        if (_store.Has(content.Root)) return Completed(content, expiresAt);
        Session session;
        lock (_lock)
        {
            RemoveExpired();
            if (_sessions.TryGetValue(content.Root, out var open))
            {
                if (open.Content != content)
                    throw new ContentUploadException($"an upload of root {content.Root} is in progress with size {open.Content.Size} and chunk size {open.Content.ChunkSize}");
                open.Extend(expiresAt, kind);
                session = open;
            }
            else
            {
                session = Session.Create(Directory, content, uploader, expiresAt, kind);
                _sessions[content.Root] = session;
            }
        }
        return session.Progress();
    }

    /// <summary>
    /// Writes chunk <paramref name="index"/> of the upload of <paramref name="root"/> once its
    /// proof holds; the chunk that completes the upload commits the content to the store after
    /// <paramref name="check"/> (given the file's path and the upload's kind) finds nothing wrong with it.
    /// </summary>
    public ContentUploadProgress PutChunk(Hash256 root, long index, ReadOnlySpan<byte> data, ReadOnlySpan<Hash256> proof, Func<string, string?, string?>? check = null)
    {
        Session? session;
        lock (_lock) session = _sessions.GetValueOrDefault(root);
        if (session is null)
        {
            if (_store.TryGetInfo(root) is { } stored) return Completed(stored, 0);
            throw new ContentUploadException($"no upload of root {root} is in progress on this node; open it with iex_beginUpload", notFound: true);
        }
        ulong now = (ulong)_time.GetUtcNow().ToUnixTimeSeconds();
        if (session.ExpiresAt <= now)
            throw new ContentUploadException($"the upload statement of root {root} expired at {session.ExpiresAt} (now {now}); call iex_beginUpload with a new statement to resume ({session.Received} chunk(s) are kept)");
        if (ContentMerkle.Check(root, session.Content.Size, session.Content.ChunkSize, index, data, proof) is { } problem)
            throw new ContentUploadException($"chunk refused: {problem}; nothing was written");

        ContentUploadProgress? progress = session.Write(index, data, ContentMerkle.LeafHash(index, data));
        if (progress is null)
        {
            if (_store.TryGetInfo(root) is { } stored) return Completed(stored, 0);
            throw new ContentUploadException($"the upload of root {root} was discarded while this chunk arrived; open it again with iex_beginUpload", notFound: true);
        }
        if (progress.ReceivedChunks < session.Content.ChunkCount) return progress;
        return Complete(session, check);
    }

    private ContentUploadProgress Complete(Session session, Func<string, string?, string?>? check)
    {
        lock (session.CompletionLock)
        {
            if (session.IsClosed) return Completed(session.Content, session.ExpiresAt);
            if (session.DamagedChunks() is { Count: > 0 } damaged)
            {
                session.Forget(damaged);
                throw new ContentUploadException($"{damaged.Count} chunk(s) of root {session.Content.Root} were damaged on this node's disk (first: {damaged[0]}); send them again");
            }
            if (check?.Invoke(session.PartPath, session.Kind) is { } problem)
            {
                Discard(session);
                throw new ContentUploadException($"the content cannot be stored: {problem}; the upload was discarded and nothing was stored");
            }
            ContentInfo stored = _store.Adopt(session.PartPath, session.Content);
            Discard(session);
            return Completed(stored, session.ExpiresAt);
        }
    }

    private void Discard(Session session)
    {
        lock (_lock)
        {
            if (_sessions.TryGetValue(session.Content.Root, out var current) && current == session) _sessions.Remove(session.Content.Root);
        }
        session.Delete();
    }

    private static ContentUploadProgress Completed(ContentInfo content, ulong expiresAt) =>
        new(content, content.ChunkCount, [], Complete: true, expiresAt);

    private void RemoveExpired()
    {
        ulong cutoff = (ulong)_time.GetUtcNow().Subtract(Retention).ToUnixTimeSeconds();
        foreach (var session in _sessions.Values.Where(s => s.ExpiresAt < cutoff).ToList())
        {
            _sessions.Remove(session.Content.Root);
            session.Delete();
        }
    }

    private void Load()
    {
        foreach (string header in System.IO.Directory.EnumerateFiles(Directory, "*" + HeaderExtension))
        {
            Session? session = Session.TryOpen(header);
            if (session is null || _store.Has(session.Content.Root)) Session.DeleteFiles(header);
            else _sessions[session.Content.Root] = session;
        }
        lock (_lock) RemoveExpired();
    }

    private sealed class Session
    {
        private readonly Lock _lock = new();
        private readonly bool[] _received;
        private long _receivedCount;
        private string? _kind;

        private Session(string basePath, ContentInfo content, Address uploader, ulong expiresAt, string? kind, bool[] received)
        {
            BasePath = basePath;
            Content = content;
            Uploader = uploader;
            ExpiresAt = expiresAt;
            _kind = kind;
            _received = received;
            _receivedCount = received.Count(r => r);
        }

        public Lock CompletionLock { get; } = new();
        public string BasePath { get; }
        public ContentInfo Content { get; }
        public Address Uploader { get; }
        public ulong ExpiresAt { get; private set; }
        public bool IsClosed { get; private set; }
        public string PartPath => BasePath + PartExtension;
        private string LeavesPath => BasePath + LeavesExtension;
        private string HeaderPath => BasePath + HeaderExtension;

        public long Received
        {
            get
            {
                lock (_lock) return _receivedCount;
            }
        }

        public static Session Create(string directory, ContentInfo content, Address uploader, ulong expiresAt, string? kind)
        {
            string basePath = Path.Combine(directory, Convert.ToHexStringLower(content.Root.ToArray()));
            DeleteFiles(basePath + HeaderExtension);
            using (var part = new FileStream(basePath + PartExtension, FileMode.CreateNew, FileAccess.Write))
                part.SetLength(content.Size);
            using (var leaves = new FileStream(basePath + LeavesExtension, FileMode.CreateNew, FileAccess.Write))
                leaves.SetLength(content.ChunkCount * Hash256.Size);
            var session = new Session(basePath, content, uploader, expiresAt, kind, new bool[content.ChunkCount]);
            session.WriteHeader();
            return session;
        }

        public static Session? TryOpen(string headerPath)
        {
            try
            {
                var header = JsonSerializer.Deserialize<Header>(File.ReadAllBytes(headerPath));
                string basePath = headerPath[..^HeaderExtension.Length];
                if (header is null || !Hash256.TryParse("0x" + Path.GetFileName(basePath), out var root) || !Address.TryParse(header.Uploader, out var uploader))
                    return null;
                var content = new ContentInfo(root, header.Size, header.ChunkSize);
                if (ContentChunking.Problem(content.Size, content.ChunkSize) is not null) return null;
                byte[] leaves = File.ReadAllBytes(basePath + LeavesExtension);
                if (leaves.Length != content.ChunkCount * Hash256.Size || new FileInfo(basePath + PartExtension).Length != content.Size) return null;
                var received = new bool[content.ChunkCount];
                for (int i = 0; i < received.Length; i++) received[i] = leaves.AsSpan(i * Hash256.Size, Hash256.Size).IndexOfAnyExcept((byte)0) >= 0;
                return new Session(basePath, content, uploader, header.ExpiresAt, header.Kind, received);
            }
            catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        public static void DeleteFiles(string headerPath)
        {
            string basePath = headerPath[..^HeaderExtension.Length];
            File.Delete(headerPath);
            File.Delete(basePath + PartExtension);
            File.Delete(basePath + LeavesExtension);
        }

        public void Extend(ulong expiresAt, string? kind)
        {
            lock (_lock)
            {
                if (expiresAt <= ExpiresAt && (kind is null || kind == _kind)) return;
                ExpiresAt = Math.Max(ExpiresAt, expiresAt);
                _kind = kind ?? _kind;
                WriteHeader();
            }
        }

        /// <summary>Null when the upload was closed meanwhile (completed or discarded).</summary>
        public ContentUploadProgress? Write(long index, ReadOnlySpan<byte> data, Hash256 leaf)
        {
            lock (_lock)
            {
                if (IsClosed) return null;
                if (_received[index]) return Snapshot();
                (long offset, _) = ContentMerkle.ChunkRange(Content.Size, Content.ChunkSize, index);
                using (SafeFileHandle part = File.OpenHandle(PartPath, FileMode.Open, FileAccess.Write))
                    RandomAccess.Write(part, data, offset);
                Span<byte> leafBytes = stackalloc byte[Hash256.Size];
                leaf.CopyTo(leafBytes);
                using (SafeFileHandle leaves = File.OpenHandle(LeavesPath, FileMode.Open, FileAccess.Write))
                    RandomAccess.Write(leaves, leafBytes, index * Hash256.Size);
                _received[index] = true;
                _receivedCount++;
                return Snapshot();
            }
        }

        public ContentUploadProgress Progress()
        {
            lock (_lock) return IsClosed ? Completed(Content, ExpiresAt) : Snapshot();
        }

        /// <summary>Chunks whose bytes on disk no longer hash to their leaf: written by a node that crashed before its page cache reached the disk.</summary>
        public List<long> DamagedChunks()
        {
            var damaged = new List<long>();
            byte[] leaves = File.ReadAllBytes(LeavesPath);
            byte[] buffer = new byte[Content.ChunkSize];
            using SafeFileHandle handle = File.OpenHandle(PartPath, FileMode.Open, FileAccess.Read);
            for (long i = 0; i < Content.ChunkCount; i++)
            {
                (long offset, int length) = ContentMerkle.ChunkRange(Content.Size, Content.ChunkSize, i);
                Span<byte> chunk = buffer.AsSpan(0, length);
                int done = 0;
                while (done < length)
                {
                    int read = RandomAccess.Read(handle, chunk[done..], offset + done);
                    if (read == 0) break;
                    done += read;
                }
                if (done < length || ContentMerkle.LeafHash(i, chunk) != new Hash256(leaves.AsSpan((int)(i * Hash256.Size), Hash256.Size))) damaged.Add(i);
            }
            return damaged;
        }

        public void Forget(List<long> chunks)
        {
            lock (_lock)
            {
                using SafeFileHandle leaves = File.OpenHandle(LeavesPath, FileMode.Open, FileAccess.Write);
                Span<byte> zero = stackalloc byte[Hash256.Size];
                foreach (long index in chunks)
                {
                    RandomAccess.Write(leaves, zero, index * Hash256.Size);
                    if (_received[index]) _receivedCount--;
                    _received[index] = false;
                }
            }
        }

        public void Delete()
        {
            lock (_lock) IsClosed = true;
            DeleteFiles(HeaderPath);
        }

        private ContentUploadProgress Snapshot()
        {
            var missing = new List<(long First, long Count)>();
            for (long i = 0; i < _received.Length && missing.Count < MaxListedRanges; i++)
            {
                if (_received[i]) continue;
                long first = i;
                while (i + 1 < _received.Length && !_received[i + 1]) i++;
                missing.Add((first, i - first + 1));
            }
            return new ContentUploadProgress(Content, _receivedCount, missing, Complete: false, ExpiresAt);
        }

        private void WriteHeader()
        {
            byte[] json = JsonSerializer.SerializeToUtf8Bytes(new Header(Content.Size, Content.ChunkSize, Uploader.ToString(), ExpiresAt, _kind));
            string temp = HeaderPath + ".new";
            File.WriteAllBytes(temp, json);
            File.Move(temp, HeaderPath, overwrite: true);
        }

        public string? Kind
        {
            get
            {
                lock (_lock) return _kind;
            }
        }
    }

    private sealed record Header(long Size, int ChunkSize, string Uploader, ulong ExpiresAt, string? Kind);
}
