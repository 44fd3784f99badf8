using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Network;
using IExecChain.Node.Snapshots;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node.StateSync;

/// <summary>
/// Serves state sync to joining nodes on the snapshot channel (docs/state-sync.md): the snapshots this
/// node keeps (offers, tails, chunks, read from its snapshot directories) and the checkpoints recorded
/// in its state. Requests are parsed on the network thread and answered from one background task, so
/// reading a 4 MiB chunk never holds up consensus; a full queue drops requests (the joining node asks
/// again, or another peer).
/// </summary>
public sealed partial class SnapshotServer : IAsyncDisposable
{
    public const int MaxOffers = 8;
    public const int MaxCheckpointsPerAnswer = 256;
    public const int TailPartBytes = 4 << 20;
    private const int QueueCapacity = 64;

    /// <summary>Requests of one peer waiting at once; more are dropped, so one peer cannot crowd out the others.</summary>
    public const int MaxQueuedPerPeer = 4;

    private readonly ulong _chainId;
    private readonly string _dataDir;
    private readonly BlockProcessor _processor;
    private readonly ILogger _logger;
    private readonly System.Threading.Channels.Channel<(Peer Peer, SnapshotSyncMessage Message)> _queue =
        System.Threading.Channels.Channel.CreateBounded<(Peer, SnapshotSyncMessage)>(new System.Threading.Channels.BoundedChannelOptions(QueueCapacity)
        {
            FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite, SingleReader = true,
        });
    private readonly Task _serving;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Core.Primitives.Address, int> _queued = new();
    private Dictionary<Hash256, SnapshotFiles.Description> _byId = [];
    private long _listedAtMs = long.MinValue / 2;
    private long _chunksServed, _dropped;

    public SnapshotServer(ulong chainId, string dataDir, BlockProcessor processor, ILogger logger)
    {
        _chainId = chainId;
        _dataDir = dataDir;
        _processor = processor;
        _logger = logger;
        _serving = Task.Run(ServeAsync);
    }

    public P2PHost? Host { get; set; }

    /// <summary>Chunks sent to joining nodes since start.</summary>
    public long ChunksServed => Interlocked.Read(ref _chunksServed);

    /// <summary>Called on the network thread: parse and queue, never block.</summary>
    public void OnMessage(Peer peer, ReadOnlyMemory<byte> payload)
    {
        SnapshotSyncMessage message;
        try
        {
            message = SnapshotSyncMessage.Parser.ParseFrom(payload.Span);
        }
        catch (InvalidProtocolBufferException)
        {
            Host?.Penalize(peer, "snapshot channel: a message that does not parse", Host.Options.Penalties.Malformed);
            return;
        }
        switch (message.BodyCase)
        {
            case SnapshotSyncMessage.BodyOneofCase.None:
                Host?.Penalize(peer, "snapshot channel: an empty message", Host.Options.Penalties.Malformed);
                return;
            case SnapshotSyncMessage.BodyOneofCase.OffersRequest or SnapshotSyncMessage.BodyOneofCase.ChunkRequest
                or SnapshotSyncMessage.BodyOneofCase.TailRequest or SnapshotSyncMessage.BodyOneofCase.CheckpointsRequest:
                if (_queued.AddOrUpdate(peer.Address, 1, (_, n) => n + 1) > MaxQueuedPerPeer || !_queue.Writer.TryWrite((peer, message)))
                {
                    _queued.AddOrUpdate(peer.Address, 0, (_, n) => n - 1);
                    Interlocked.Increment(ref _dropped);
                }
                return;
            default:
                // An answer: only a node that is syncing asked for one, and this one is running.
                return;
        }
    }

    private async Task ServeAsync()
    {
        await foreach (var (peer, message) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            _queued.AddOrUpdate(peer.Address, 0, (_, n) => n - 1);
            try
            {
                var answer = Answer(message);
                if (answer is not null && Host is { } host && peer.IsAuthenticated) host.Send(peer, Channel.Snapshots, answer.ToByteArray());
            }
            catch (Exception e)
            {
                // One request that cannot be answered (a snapshot deleted while read, a read error) must not
                // stop this node serving the others: state sync is a service to peers, never a reason to fail.
                LogServeFailed(_logger, peer.ToString(), e.Message);
            }
        }
    }

    public SnapshotSyncMessage? Answer(SnapshotSyncMessage message) => message.BodyCase switch
    {
        SnapshotSyncMessage.BodyOneofCase.OffersRequest => new SnapshotSyncMessage { Offers = Offers() },
        SnapshotSyncMessage.BodyOneofCase.ChunkRequest => new SnapshotSyncMessage { Chunk = Chunk(message.ChunkRequest) },
        SnapshotSyncMessage.BodyOneofCase.TailRequest => new SnapshotSyncMessage { TailPart = TailPart(message.TailRequest) },
        SnapshotSyncMessage.BodyOneofCase.CheckpointsRequest => new SnapshotSyncMessage { Checkpoints = Checkpoints(message.CheckpointsRequest) },
        _ => null,
    };

    private SnapshotOffers Offers()
    {
        var kept = Listing(force: true);
        var offers = new SnapshotOffers { LatestCheckpoint = StateReader.Totals(_processor.Tree).LatestCheckpoint };
        foreach (var snapshot in kept.Where(s => s.Manifest.ChainId == _chainId).OrderByDescending(s => s.Height).Take(MaxOffers))
        {
            var tail = new FileInfo(Path.Combine(snapshot.Directory, SnapshotFiles.TailFile));
            if (!tail.Exists) continue;
            offers.Offers.Add(new SnapshotOffer { Manifest = snapshot.Manifest.ToByteString(), TailBytes = (ulong)tail.Length });
        }
        return offers;
    }

    private SnapshotFiles.Description? Find(ByteString id)
    {
        if (id.Length != Hash256.Size) return null;
        var key = new Hash256(id.Span);
        if (_byId.TryGetValue(key, out var found) && Directory.Exists(found.Directory)) return found;
        Listing(force: false);
        return _byId.GetValueOrDefault(key);
    }

    /// <summary>The snapshots kept, read again at most once a second unless <paramref name="force"/>d (a peer asking for unknown ids must not make this node re-read every manifest per request).</summary>
    private IReadOnlyList<SnapshotFiles.Description> Listing(bool force)
    {
        long now = Environment.TickCount64;
        if (!force && now - _listedAtMs < 1000) return [.. _byId.Values];
        _listedAtMs = now;
        var kept = SnapshotFiles.List(_dataDir);
        _byId = kept.GroupBy(s => s.Id).ToDictionary(g => g.Key, g => g.First());
        return kept;
    }

    private SnapshotChunk Chunk(SnapshotChunkRequest request)
    {
        var answer = new SnapshotChunk { SnapshotId = request.SnapshotId, Index = request.Index };
        var snapshot = Find(request.SnapshotId);
        var path = snapshot is null || request.Index >= snapshot.Manifest.ChunkHashes.Count ? null : Path.Combine(snapshot.Directory, SnapshotFiles.ChunkFile((int)request.Index));
        if (path is null || !File.Exists(path))
        {
            answer.Gone = true;
            return answer;
        }
        try
        {
            answer.Data = UnsafeByteOperations.UnsafeWrap(File.ReadAllBytes(path));
        }
        catch (FileNotFoundException)
        {
            // Deleted between the check and the read: the scheduler keeps only the newest few.
            answer.Gone = true;
            return answer;
        }
        Interlocked.Increment(ref _chunksServed);
        return answer;
    }

    private SnapshotTailPart TailPart(SnapshotTailRequest request)
    {
        var answer = new SnapshotTailPart { SnapshotId = request.SnapshotId, Offset = request.Offset };
        var snapshot = Find(request.SnapshotId);
        var path = snapshot is null ? null : Path.Combine(snapshot.Directory, SnapshotFiles.TailFile);
        try
        {
            if (path is null) throw new FileNotFoundException();
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            answer.Total = (ulong)file.Length;
            if (request.Offset > (ulong)file.Length) return answer;
            file.Position = (long)request.Offset;
            var buffer = new byte[(int)Math.Min(TailPartBytes, file.Length - (long)request.Offset)];
            file.ReadExactly(buffer);
            answer.Data = UnsafeByteOperations.UnsafeWrap(buffer);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            answer.Gone = true;
        }
        return answer;
    }

    private CheckpointsResponse Checkpoints(CheckpointsRequest request)
    {
        var tree = _processor.Tree;
        var answer = new CheckpointsResponse { LatestCheckpoint = StateReader.Totals(tree).LatestCheckpoint };
        uint count = Math.Min(request.Count, MaxCheckpointsPerAnswer);
        for (ulong n = request.From; n < request.From + count && n <= answer.LatestCheckpoint; n++)
        {
            var bytes = tree.Get(StateKeys.Checkpoint(n));
            if (bytes is null) break;
            answer.Records.Add(CheckpointRecord.Parser.ParseFrom(bytes));
        }
        return answer;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _serving.ConfigureAwait(false);   // never faults: every request's failure is caught and logged
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "State sync: could not answer {Peer}: {Reason}")]
    private static partial void LogServeFailed(ILogger logger, string peer, string reason);
}
