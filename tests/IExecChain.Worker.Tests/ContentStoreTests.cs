using IExecChain.Core.Content;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts.Serving;
using IExecChain.Worker.Content;
using NUnit.Framework;

namespace IExecChain.Worker.Tests;

[TestFixture]
public sealed class ContentStoreTests
{
    private static byte[] Bytes(int length, int seed = 7)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Test]
    public void Put_bytes_returns_the_content_root_and_every_chunk_comes_back_with_a_valid_proof()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        byte[] data = Bytes(40_000);

        ContentInfo info = store.Put(data, chunkSize: 4096);

        Assert.That(info, Is.EqualTo(new ContentInfo(ContentMerkle.ComputeRoot(data, 4096), 40_000, 4096)));
        Assert.That(store.Has(info.Root), Is.True);
        for (long i = 0; i < info.ChunkCount; i++)
        {
            Assert.That(store.TryGetChunk(info.Root, i, out var chunk), Is.True);
            Assert.That(chunk!.Data, Is.EqualTo(data.AsSpan((int)i * 4096, (int)Math.Min(4096, 40_000 - i * 4096)).ToArray()));
            Assert.That(ContentMerkle.Verify(info.Root, info.Size, info.ChunkSize, i, chunk.Data, chunk.Proof), Is.True, $"chunk {i}");
        }
        Assert.That(store.ReadAllBytes(info.Root), Is.EqualTo(data));
    }

    [Test]
    public void Put_file_and_put_stream_store_the_same_content_once()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(Path.Combine(dir.Path, "content"));
        byte[] data = Bytes(200_000);
        string file = Path.Combine(dir.Path, "input.bin");
        File.WriteAllBytes(file, data);

        ContentInfo fromFile = store.PutFile(file);
        ContentInfo fromStream = store.Put(new MemoryStream(data));
        ContentInfo fromBytes = store.Put(data);

        Assert.That(fromStream, Is.EqualTo(fromFile));
        Assert.That(fromBytes, Is.EqualTo(fromFile));
        Assert.That(Directory.GetFiles(store.Directory), Has.Length.EqualTo(2), "one data file and one metadata file, no temporaries");
        using var stream = store.OpenRead(fromFile.Root);
        Assert.That(stream.Length, Is.EqualTo(200_000));
    }

    [Test]
    public void Empty_content_is_stored_and_its_single_empty_chunk_is_served()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);

        ContentInfo info = store.Put([]);

        Assert.That(store.TryGetChunk(info.Root, 0, out var chunk), Is.True);
        Assert.That(chunk!.Data, Is.Empty);
        Assert.That(ContentMerkle.Verify(info.Root, 0, info.ChunkSize, 0, chunk.Data, chunk.Proof), Is.True);
    }

    [Test]
    public void Unknown_root_is_absent_and_an_index_past_the_end_is_an_error()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        ContentInfo info = store.Put(Bytes(8000), chunkSize: 4096);
        Hash256 unknown = ContentMerkle.ComputeRoot(Bytes(5));

        Assert.That(store.Has(unknown), Is.False);
        Assert.That(store.TryGetInfo(unknown), Is.Null);
        Assert.That(store.TryGetChunk(unknown, 0, out _), Is.False);
        Assert.Throws<FileNotFoundException>(() => store.OpenRead(unknown));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.TryGetChunk(info.Root, 2, out _));
    }

    [Test]
    public void A_second_store_on_the_same_directory_sees_what_the_first_stored()
    {
        using var dir = new TempDirectory();
        ContentInfo info = new ContentStore(dir.Path).Put(Bytes(24_000), chunkSize: 4096);

        var reopened = new ContentStore(dir.Path);

        Assert.That(reopened.TryGetInfo(info.Root), Is.EqualTo(info));
        Assert.That(reopened.TryGetChunk(info.Root, 5, out var chunk), Is.True);
        Assert.That(chunk!.Data, Has.Length.EqualTo(24_000 - 5 * 4096));
    }

    [Test]
    public void Metadata_that_does_not_match_its_root_is_reported_not_served()
    {
        using var dir = new TempDirectory();
        ContentInfo info = new ContentStore(dir.Path).Put(Bytes(24_000), chunkSize: 4096);
        string meta = Directory.GetFiles(dir.Path, "*.meta").Single();
        byte[] bytes = File.ReadAllBytes(meta);
        bytes[^1] ^= 0xff; // a leaf hash
        File.WriteAllBytes(meta, bytes);

        var reopened = new ContentStore(dir.Path);

        var error = Assert.Throws<InvalidDataException>(() => reopened.TryGetChunk(info.Root, 0, out _));
        Assert.That(error!.Message, Does.Contain("describes another content"));
    }

    [Test]
    public void Readers_are_never_shown_a_partial_content_while_puts_run()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        var contents = Enumerable.Range(0, 20).Select(i => Bytes(50_000 + i, i)).ToArray();
        var roots = contents.Select(c => ContentMerkle.ComputeRoot(c, 4096)).ToArray();
        int checkedChunks = 0;

        var writer = Task.Run(() =>
        {
            foreach (var content in contents) store.Put(content, 4096);
        });
        var reader = Task.Run(() =>
        {
            while (!writer.IsCompleted)
                for (int i = 0; i < roots.Length; i++)
                {
                    if (!store.TryGetChunk(roots[i], 12, out var chunk)) continue;
                    Assert.That(ContentMerkle.Verify(roots[i], contents[i].Length, 4096, 12, chunk!.Data, chunk.Proof), Is.True);
                    Interlocked.Increment(ref checkedChunks);
                }
        });
        Task.WaitAll(writer, reader);

        Assert.That(roots.All(store.Has), Is.True);
        Assert.That(Directory.GetFiles(dir.Path, ".tmp-*"), Is.Empty);
        TestContext.Out.WriteLine($"{checkedChunks} chunks read during the puts");
    }

    [Test]
    public void Chunks_under_4_KiB_are_refused_unless_the_content_fits_in_one()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => store.Put(Bytes(10_000), chunkSize: 1));
        Assert.That(error!.Message, Does.Contain("under the minimum of 4096 bytes"));
        Assert.Throws<ArgumentException>(() => store.Put(new MemoryStream(Bytes(10_000)), chunkSize: 1024));
        Assert.That(store.Put(Bytes(100), chunkSize: 100).ChunkCount, Is.EqualTo(1), "one short chunk costs nothing");
        Assert.That(Directory.GetFiles(dir.Path, "*.bin"), Has.Length.EqualTo(1));
    }

    [Test]
    public void Content_stored_with_tiny_chunks_before_the_minimum_is_not_served()
    {
        using var dir = new TempDirectory();
        ContentInfo info = new ContentStore(dir.Path).Put(Bytes(20_000), chunkSize: 4096);
        // Rewrite it as an older node would have stored it: 1,000-byte chunks.
        byte[] data = Bytes(20_000);
        var tree = ContentTree.Build(data, 1000);
        string name = Convert.ToHexStringLower(tree.Root.ToArray());
        File.Copy(Directory.GetFiles(dir.Path, "*.bin").Single(), Path.Combine(dir.Path, name + ".bin"));
        var meta = new List<byte>("IXCM"u8.ToArray()) { 1 };
        meta.AddRange(BigEndian(20_000, 8));
        meta.AddRange(BigEndian(1000, 4));
        foreach (Hash256 leaf in tree.Leaves) meta.AddRange(leaf.ToArray());
        File.WriteAllBytes(Path.Combine(dir.Path, name + ".meta"), [.. meta]);

        var store = new ContentStore(dir.Path);

        var error = Assert.Throws<ContentNotServedException>(() => store.TryGetChunk(tree.Root, 0, out _));
        Assert.That(error!.Message, Does.Contain("under the minimum"));
        Assert.That(store.TryGetChunk(info.Root, 0, out _), Is.True);
    }

    [Test]
    public void The_tree_cache_is_bounded_by_bytes_not_only_by_count()
    {
        using var dir = new TempDirectory();
        // 40 KiB of trees at most: one tree of 100 chunks takes 199 hashes = 6,368 bytes.
        var store = new ContentStore(dir.Path, cachedTrees: 64, cachedTreeBytes: 40 * 1024);
        var roots = Enumerable.Range(0, 20).Select(i => store.Put(Bytes(100 * 4096, i), 4096).Root).ToList();

        foreach (Hash256 root in roots) Assert.That(store.TryGetChunk(root, 99, out _), Is.True);

        Assert.That(store.CachedTreeBytes, Is.InRange(1, 40 * 1024));
    }

    private static byte[] BigEndian(ulong value, int length)
    {
        var bytes = new byte[length];
        for (int i = length - 1; i >= 0; i--, value >>= 8) bytes[i] = (byte)value;
        return bytes;
    }
}
