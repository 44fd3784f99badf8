using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Merkle;
using IExecChain.Storage;

namespace IExecChain.Benchmarks;

/// <summary>
/// The state restore as <c>SnapshotRestorer</c> did it before <c>SortedTreeBuilder</c> (commit 0aa278f):
/// the entries in 100,000-entry <see cref="StateTree"/> updates (Prepare, then Commit into a batch), each
/// batch written in the background while the next is prepared. Kept as the baseline that
/// <see cref="SnapshotBenchmarks"/> measures in the same run as the new path. No open-order index and
/// no manifest checks beyond the chunk hashes and the root: those cost the same on both paths.
/// </summary>
internal static class RestoreByTreeUpdates
{
    public const int BatchEntries = 100_000;

    public static Hash256 Run(IKeyValueStore store, SnapshotManifest manifest, Func<int, byte[]> chunk)
    {
        var tree = new StateTree(store);
        var pending = new List<KeyValuePair<Hash256, byte[]?>>(BatchEntries);
        var writing = Task.CompletedTask;
        for (int i = 0; i < manifest.ChunkHashes.Count; i++)
        {
            byte[] bytes = chunk(i);
            if (Keccak256.Hash(bytes) != new Hash256(manifest.ChunkHashes[i].Span)) throw new InvalidOperationException($"chunk {i} hash");
            int offset = 0;
            while (offset < bytes.Length)
            {
                // As the old Add: the key and the value each copied out of the chunk.
                var key = bytes.AsSpan(offset, 32).ToArray();
                offset += 32;
                int length = 0, shift = 0;
                byte b;
                do { b = bytes[offset++]; length |= (b & 0x7F) << shift; shift += 7; } while ((b & 0x80) != 0);
                pending.Add(new(new Hash256(key), bytes.AsSpan(offset, length).ToArray()));
                offset += length;
                if (pending.Count >= BatchEntries) Apply(sync: false);
            }
        }
        Apply(sync: true);
        return tree.Root;

        void Apply(bool sync)
        {
            var update = pending.Count > 0 ? tree.Prepare(pending) : null;
            pending.Clear();
            writing.GetAwaiter().GetResult();
            var batch = store.NewBatch();
            if (update is not null) tree.Commit(update, batch);
            if (sync)
            {
                using (batch) store.Write(batch, sync: true);
                return;
            }
            writing = Task.Run(() =>
            {
                using (batch) store.Write(batch, sync: false);
            });
        }
    }
}
