using IExecChain.Core.Specs;
using IExecChain.State.Chain;
using IExecChain.Storage;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node.Snapshots;

/// <summary>How often a running node snapshots its state, and how many it keeps (node config "snapshots", `run --snapshot-every`).</summary>
public sealed record SnapshotOptions
{
    /// <summary>A snapshot every this many checkpoints (at checkpoint heights); 0 takes none.</summary>
    public ulong EveryCheckpoints { get; init; } = 100;

    /// <summary>The newest this many are kept; older ones are deleted once a new one is complete.</summary>
    public int Keep { get; init; } = 2;

    public int ChunkBytes { get; init; } = State.Snapshots.SnapshotFormat.DefaultChunkBytes;

    /// <summary>
    /// The writer's share of one core while it runs, in (0, 1] (<see cref="SnapshotPacer"/>): on a machine
    /// of few cores a writer at full speed slows the blocks committed meanwhile (benchmarks/RESULTS.md
    /// "Snapshot while committing").
    /// </summary>
    public double WriterShare { get; init; } = DefaultWriterShare;

    public const double DefaultWriterShare = 0.25;
}

/// <summary>
/// Takes a snapshot at every <see cref="SnapshotOptions.EveryCheckpoints"/>-th checkpoint height while the
/// node runs, without holding up consensus: when the block is committed, only an iterator over the state
/// is opened (RocksDB pins that version of the data for the iterator's life, so later blocks do not
/// change what it reads); the chunks are written on a background task. One snapshot at a time: a height
/// reached while one is still being written is skipped, with a log line.
/// </summary>
public sealed partial class SnapshotScheduler : IAsyncDisposable
{
    private readonly ChainSpec _spec;
    private readonly string _specPath;
    private readonly string _dataDir;
    private readonly IKeyValueStore _store;
    private readonly BlockProcessor _processor;
    private readonly SnapshotOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    public SnapshotScheduler(ChainSpec spec, string specPath, string dataDir, IKeyValueStore store, BlockProcessor processor, SnapshotOptions options, ILogger logger)
    {
        _spec = spec;
        _specPath = specPath;
        _dataDir = dataDir;
        _store = store;
        _processor = processor;
        _options = options;
        _logger = logger;
        // A snapshot left half-written by a crash or a stop is not one.
        var root = Path.Combine(dataDir, SnapshotFiles.FolderName);
        if (Directory.Exists(root))
            foreach (var partial in Directory.GetDirectories(root, "*.partial")) Directory.Delete(partial, recursive: true);
    }

    /// <summary>Snapshots taken since the node started (for metrics and tests).</summary>
    public int Taken { get; private set; }

    /// <summary>Called on the consensus thread after each block's commit.</summary>
    public void OnCommitted(ulong height, Core.Primitives.Hash256 hash)
    {
        ulong every = _options.EveryCheckpoints * _spec.Parameters.CheckpointInterval;
        if (every == 0 || height == 0 || height % every != 0) return;
        if (!_running.IsCompleted)
        {
            LogSkipped(_logger, height);
            return;
        }
        // Opening the iterator here pins the state of this block; reading it can then take its time.
        var entries = _store.Iterate(DbColumn.StateValues).GetEnumerator();
        bool any = entries.MoveNext();
        var root = _processor.Tree.Root;
        _running = Task.Run(() => Take(height, hash, root, entries, any));
    }

    private void Take(ulong height, Core.Primitives.Hash256 hash, Core.Primitives.Hash256 root, IEnumerator<(byte[] Key, byte[] Value)> entries, bool any)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var pacer = new SnapshotPacer(_options.WriterShare);
        try
        {
            using (entries)
            {
                var made = SnapshotFiles.Create(pacer.Pace(Rest(entries, any), _stop.Token), height, hash, root, _processor.Blocks, _spec, _specPath,
                    SnapshotFiles.DirectoryFor(_dataDir, height), _options.ChunkBytes, _stop.Token);
                Taken++;
                LogTaken(_logger, height, made.Id.ToString(), (long)made.Manifest.Entries, made.Manifest.ChunkHashes.Count, made.Manifest.TotalBytes / 1048576.0,
                    watch.Elapsed.TotalSeconds, pacer.Slept.TotalSeconds);
            }
            var all = SnapshotFiles.List(_dataDir);
            for (int i = 0; i < all.Count - _options.Keep; i++) Directory.Delete(all[i].Directory, recursive: true);
        }
        catch (OperationCanceledException)
        {
            LogAbandoned(_logger, height);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            LogFailed(_logger, height, e);
        }
    }

    private static IEnumerable<(byte[] Key, byte[] Value)> Rest(IEnumerator<(byte[] Key, byte[] Value)> entries, bool any)
    {
        if (!any) yield break;
        do yield return entries.Current;
        while (entries.MoveNext());
    }

    /// <summary>Stops a snapshot being written (its partial directory is removed) and waits for it: before the store closes.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot at height {Height}: {Id}, {Entries} entries in {Chunks} chunk(s), {MiB:F1} MiB, written in {Seconds:F1} s ({Paused:F1} s of it paused to leave the blocks their CPU)")]
    private static partial void LogTaken(ILogger logger, ulong height, string id, long entries, int chunks, double mib, double seconds, double paused);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot at height {Height} skipped: the previous one is still being written")]
    private static partial void LogSkipped(ILogger logger, ulong height);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot at height {Height} abandoned: the node is stopping")]
    private static partial void LogAbandoned(ILogger logger, ulong height);

    [LoggerMessage(Level = LogLevel.Error, Message = "Snapshot at height {Height} failed")]
    private static partial void LogFailed(ILogger logger, ulong height, Exception exception);
}
