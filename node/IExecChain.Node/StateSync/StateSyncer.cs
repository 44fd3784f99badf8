using System.Diagnostics;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.JsonRpc;
using IExecChain.Network;
using IExecChain.State.Chain;
using IExecChain.State.Checkpoints;
using IExecChain.State.Merkle;
using IExecChain.State.Snapshots;
using IExecChain.Storage;
using Microsoft.Extensions.Logging;
using NetChannel = IExecChain.Network.Channel;

namespace IExecChain.Node.StateSync;

/// <summary>How a node joins by state sync (`run --state-sync`).</summary>
public sealed record StateSyncOptions(TrustRoot Trust)
{
    /// <summary>Accept a trust root older than the unbonding period (`--trust-old-root`).</summary>
    public bool AllowOldTrustRoot { get; init; }

    /// <summary>How long to look for peers and snapshots before giving up.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A request unanswered this long is asked of another peer (the first peer gets a strike).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Chunk requests outstanding per peer.</summary>
    public int RequestsPerPeer { get; init; } = 2;
}

/// <summary>State sync failed: the message says why and what to do.</summary>
public sealed class StateSyncException(string message) : Exception(message);

/// <summary>
/// Makes a node from a snapshot fetched from its peers (docs/state-sync.md, "Joining by state sync"):
/// asks every peer what it offers, verifies the snapshot's checkpoint from the trust root (a chain of
/// checkpoints signed by more than 2/3 of each set, or the checkpoint anchored on Ethereum), fetches the
/// tail from one peer and the chunks from every peer offering the snapshot, checking each chunk as it
/// arrives. A peer that serves a chunk, a tail or a checkpoint chain that does not verify is banned and
/// what it served is fetched elsewhere. The restored database is the node's; block sync then takes it
/// from the snapshot's height to the tip.
/// </summary>
public sealed partial class StateSyncer : IMessageSink, IDisposable
{
    private const int DiscoveryRetryMs = 2_000;
    private const int SettleMs = 3_000;
    private const int ProgressMs = 2_000;
    private const int MaxStrikes = 3;

    private readonly ChainSpec _spec;
    private readonly StateSyncOptions _options;
    private readonly ILogger _logger;
    private readonly System.Threading.Channels.Channel<(Peer Peer, SnapshotSyncMessage Message)> _inbox =
        System.Threading.Channels.Channel.CreateBounded<(Peer, SnapshotSyncMessage)>(new System.Threading.Channels.BoundedChannelOptions(4096)
        {
            FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite, SingleReader = true,
        });
    private readonly Dictionary<ulong, Checkpoint> _verified = [];
    private readonly HashSet<Address> _banned = [];
    private P2PHost? _host;
    private ulong _anchoredLatest;

    private StateSyncer(ChainSpec spec, StateSyncOptions options, ILogger logger)
    {
        _spec = spec;
        _options = options;
        _logger = logger;
    }

    private P2PHost Host => _host ?? throw new InvalidOperationException("not started");
    private ulong Interval => _spec.Parameters.CheckpointInterval;

    /// <summary>
    /// Restores the state of a verified snapshot into <paramref name="databasePath"/> (which must not exist)
    /// and returns the snapshot's height; throws <see cref="StateSyncException"/> when no snapshot can be had.
    /// </summary>
    public static async Task<ulong> RunAsync(ChainSpec spec, string databasePath, PrivateKey nodeKey, NetworkOptions network, StateSyncOptions options,
        ILoggerFactory loggerFactory, CancellationToken ct)
    {
        if (Directory.Exists(databasePath)) throw new InvalidOperationException($"{databasePath} exists: state sync restores into a new database");
        using var syncer = new StateSyncer(spec, options, loggerFactory.CreateLogger<StateSyncer>());
        using var host = new P2PHost(nodeKey, network, syncer, loggerFactory.CreateLogger<P2PHost>());
        syncer._host = host;
        host.Start();
        return await syncer.SyncAsync(databasePath, ct).ConfigureAwait(false);
    }

    /// <summary>Called on the network thread: answers on the snapshot channel are queued; everything else waits until the node runs.</summary>
    public void OnMessage(Peer peer, NetChannel channel, ReadOnlyMemory<byte> payload)
    {
        if (channel != NetChannel.Snapshots) return;
        SnapshotSyncMessage message;
        try
        {
            message = SnapshotSyncMessage.Parser.ParseFrom(payload.Span);
        }
        catch (InvalidProtocolBufferException)
        {
            _host?.Penalize(peer, "snapshot channel: a message that does not parse", SnapshotServer.MalformedPoints);
            return;
        }
        if (message.BodyCase is SnapshotSyncMessage.BodyOneofCase.Offers or SnapshotSyncMessage.BodyOneofCase.Chunk
            or SnapshotSyncMessage.BodyOneofCase.TailPart or SnapshotSyncMessage.BodyOneofCase.Checkpoints)
            _inbox.Writer.TryWrite((peer, message));
    }

    private sealed class Candidate(SnapshotManifest manifest, Hash256 id, ulong tailBytes)
    {
        public SnapshotManifest Manifest { get; } = manifest;
        public Hash256 Id { get; } = id;
        public ulong TailBytes { get; } = tailBytes;
        public HashSet<Address> Peers { get; } = [];
        public ulong Height => Manifest.Height;
    }

    private async Task<ulong> SyncAsync(string databasePath, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        var tried = new HashSet<Hash256>();
        string? lastFailure = null;
        while (deadline.Elapsed < _options.Timeout)
        {
            var (candidates, latest) = await DiscoverAsync(deadline, ct).ConfigureAwait(false);
            var usable = candidates.Where(c => !tried.Contains(c.Id)).ToList();
            if (usable.Count == 0)
            {
                LogNoSnapshot(_logger, candidates.Count, Host.Peers.Count);
                await Task.Delay(DiscoveryRetryMs * 2, ct).ConfigureAwait(false);
                continue;
            }
            foreach (var candidate in usable)
            {
                tried.Add(candidate.Id);
                bool restored = false;
                try
                {
                    var checkpoint = await TrustedCheckpointAsync(candidate, latest, ct).ConfigureAwait(false);
                    if (checkpoint is null) continue;
                    var tail = await FetchTailAsync(candidate, checkpoint, ct).ConfigureAwait(false);
                    if (tail is null) continue;
                    restored = await RestoreAsync(candidate, tail.Value.Tail, tail.Value.From, databasePath, ct).ConfigureAwait(false);
                    if (restored) return candidate.Height;
                }
                catch (SnapshotRefusedException e)
                {
                    lastFailure = e.Message;
                    LogSnapshotRefused(_logger, candidate.Height, candidate.Id.ToString(), e.Message);
                }
                finally
                {
                    // A half-restored database is never left behind: the next snapshot starts from an empty one.
                    if (!restored && Directory.Exists(databasePath)) Directory.Delete(databasePath, recursive: true);
                }
            }
        }
        throw new StateSyncException($"no snapshot could be restored within {_options.Timeout.TotalSeconds:0} s ({Host.Peers.Count} peers connected" +
            (lastFailure is null ? "" : $"; the last one refused: {lastFailure}") + "): check --peer, and that peers take snapshots (--snapshot-every)");
    }

    // ---- discovery ----

    private async Task<(List<Candidate> Candidates, ulong Latest)> DiscoverAsync(Stopwatch deadline, CancellationToken ct)
    {
        var found = new Dictionary<Hash256, Candidate>();
        var answered = new HashSet<Address>();
        var asked = new Dictionary<Address, long>();
        ulong latest = 0;
        long firstAnswer = -1;
        var clock = Stopwatch.StartNew();
        while (deadline.Elapsed < _options.Timeout)
        {
            foreach (var peer in Host.Peers)
            {
                if (answered.Contains(peer.Address) || _banned.Contains(peer.Address)) continue;
                if (asked.TryGetValue(peer.Address, out long at) && clock.ElapsedMilliseconds - at < DiscoveryRetryMs) continue;
                asked[peer.Address] = clock.ElapsedMilliseconds;
                Send(peer, new SnapshotSyncMessage { OffersRequest = new SnapshotOffersRequest() });
            }
            bool everyoneAnswered = Host.Peers.Count > 0 && Host.Peers.All(p => answered.Contains(p.Address) || _banned.Contains(p.Address));
            if (firstAnswer >= 0 && (everyoneAnswered || clock.ElapsedMilliseconds - firstAnswer > SettleMs)) break;
            var next = await ReceiveAsync(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
            if (next is not { } item || item.Message.BodyCase != SnapshotSyncMessage.BodyOneofCase.Offers) continue;
            var (peerFrom, message) = item;
            if (!answered.Add(peerFrom.Address)) continue;
            if (firstAnswer < 0) firstAnswer = clock.ElapsedMilliseconds;
            latest = Math.Max(latest, message.Offers.LatestCheckpoint);
            foreach (var offer in message.Offers.Offers.Take(SnapshotServer.MaxOffers))
            {
                SnapshotManifest manifest;
                try
                {
                    manifest = SnapshotManifest.Parser.ParseFrom(offer.Manifest);
                }
                catch (InvalidProtocolBufferException)
                {
                    Host.Penalize(peerFrom, "snapshot channel: an offer whose manifest does not parse", SnapshotServer.MalformedPoints);
                    continue;
                }
                if (SnapshotFormat.Problem(manifest, _spec.ChainId) is { } problem)
                {
                    LogOfferIgnored(_logger, peerFrom.ToString(), manifest.Height, problem);
                    continue;
                }
                // Only a snapshot at a checkpoint's last block can be tied to a checkpoint, and so verified.
                if (manifest.Height < Interval || manifest.Height % Interval != 0) continue;
                var id = SnapshotFormat.Id(manifest);
                if (!found.TryGetValue(id, out var candidate)) found[id] = candidate = new Candidate(manifest, id, offer.TailBytes);
                candidate.Peers.Add(peerFrom.Address);
            }
        }
        var ordered = found.Values.OrderByDescending(c => c.Height).ThenByDescending(c => c.Peers.Count).ToList();
        if (ordered.Count > 0)
            LogOffers(_logger, ordered.Count, answered.Count, string.Join(", ", ordered.Select(c => $"{c.Height} ({c.Peers.Count} peers)")));
        return (ordered, latest);
    }

    // ---- trust ----

    /// <summary>The checkpoint ending at the snapshot's height, verified from the trust root; null to skip the snapshot.</summary>
    private async Task<Checkpoint?> TrustedCheckpointAsync(Candidate candidate, ulong latest, CancellationToken ct)
    {
        ulong number = candidate.Height / Interval;
        Checkpoint? checkpoint = _options.Trust switch
        {
            TrustRoot.Checkpoint root => await FromCheckpointAsync(root, candidate, number, latest, ct).ConfigureAwait(false),
            TrustRoot.Anchor anchor => await FromAnchorAsync(anchor, candidate, number, ct).ConfigureAwait(false),
            _ => throw new InvalidOperationException("unknown trust root"),
        };
        if (checkpoint is null) return null;
        if (checkpoint.StateRoot != new Hash256(candidate.Manifest.StateRoot.Span))
        {
            foreach (var address in candidate.Peers) Ban(address, $"offered snapshot {candidate.Id} of state root {new Hash256(candidate.Manifest.StateRoot.Span)} at height {candidate.Height}, where the verified checkpoint {number} has {checkpoint.StateRoot}");
            return null;
        }
        LogTrusted(_logger, candidate.Height, number, checkpoint.Digest().ToString());
        return checkpoint;
    }

    private async Task<Checkpoint?> FromCheckpointAsync(TrustRoot.Checkpoint root, Candidate candidate, ulong number, ulong latest, CancellationToken ct)
    {
        if (number < root.Number)
        {
            LogOlderThanRoot(_logger, candidate.Height, number, root.Number);
            return null;
        }
        if (_verified.Count == 0)
        {
            // The whole chain from the root to the newest checkpoint a peer has: its length is the root's age.
            foreach (var peer in Host.Peers.Where(p => !_banned.Contains(p.Address)).OrderByDescending(p => candidate.Peers.Contains(p.Address)).ToList())
            {
                var records = await FetchCheckpointsAsync(peer, root.Number, Math.Max(latest, number), ct).ConfigureAwait(false);
                if (records is null) continue;
                var chain = records.Select(r => CheckpointLedger.ToSigned(_spec.ChainId, r)).ToList();
                try
                {
                    CheckpointChain.Verify(_spec.ChainId, new TrustedCheckpoint(root.Number, root.Digest), chain);
                }
                catch (CheckpointChainException e)
                {
                    Ban(peer.Address, $"served checkpoints that do not verify from the trust root: {e.Message}");
                    continue;
                }
                foreach (var signed in chain) _verified[signed.Checkpoint.Number] = signed.Checkpoint;
                ulong newest = chain[^1].Checkpoint.Number;
                ulong age = (newest - root.Number) * Interval;
                LogChainVerified(_logger, chain.Count, root.Number, newest);
                if (age > _spec.Parameters.UnbondingPeriodBlocks && !_options.AllowOldTrustRoot)
                    throw new StateSyncException($"--trust-checkpoint: checkpoint {root.Number} is {age} blocks behind the newest checkpoint peers prove from it ({newest}), " +
                        $"more than the unbonding period ({_spec.Parameters.UnbondingPeriodBlocks} blocks): validators that signed it may have unbonded and could sign a false history at no cost. " +
                        "Take a newer checkpoint (iex_getCheckpoint on a node you trust, or --trust-anchor), or add --trust-old-root if you have checked this one another way");
                break;
            }
            if (_verified.Count == 0) throw new StateSyncException($"--trust-checkpoint: no peer served a chain of checkpoints from checkpoint {root.Number} that verifies (is the digest right, and is this the right network?)");
        }
        return _verified.GetValueOrDefault(number);
    }

    private async Task<Checkpoint?> FromAnchorAsync(TrustRoot.Anchor anchor, Candidate candidate, ulong number, CancellationToken ct)
    {
        using var eth = new EthereumRpcClient(anchor.EthRpc, new EthereumRpcOptions { MaxRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(250), RequestTimeout = TimeSpan.FromSeconds(10) });
        var contract = new AnchorContract(eth, anchor.Contract);
        Hash256 digest;
        try
        {
            if (_anchoredLatest == 0)
            {
                ulong ethChain = await contract.ChainIdAsync(ct).ConfigureAwait(false);
                if (ethChain != _spec.ChainId) throw new StateSyncException($"--trust-anchor: the contract at {anchor.Contract} anchors chain {ethChain}, this node runs chain {_spec.ChainId}");
                _anchoredLatest = (await contract.LatestCheckpointAsync(ct).ConfigureAwait(false)).Number;
                LogAnchorLatest(_logger, anchor.Contract.ToString(), _anchoredLatest);
            }
            if (number > _anchoredLatest)
            {
                LogNotAnchored(_logger, candidate.Height, number, _anchoredLatest);
                return null;
            }
            ulong age = (_anchoredLatest - number) * Interval;
            if (age > _spec.Parameters.UnbondingPeriodBlocks && !_options.AllowOldTrustRoot)
            {
                LogTooOld(_logger, candidate.Height, number, age, _spec.Parameters.UnbondingPeriodBlocks);
                return null;
            }
            digest = await contract.AnchoredDigestAsync(number, ct).ConfigureAwait(false);
        }
        catch (EthereumRpcException e)
        {
            throw new StateSyncException($"--trust-anchor: reading the anchor contract at {anchor.Contract} through {anchor.EthRpc} failed: {e.Message}");
        }
        if (digest.IsZero)
        {
            LogNotAnchored(_logger, candidate.Height, number, _anchoredLatest);
            return null;
        }
        foreach (var peer in PeersOf(candidate))
        {
            var records = await FetchCheckpointsAsync(peer, number, number, ct).ConfigureAwait(false);
            if (records is null) continue;
            var checkpoint = CheckpointLedger.ToSigned(_spec.ChainId, records[0]).Checkpoint;
            if (checkpoint.Digest() == digest) return checkpoint;
            Ban(peer.Address, $"served checkpoint {number} with digest {checkpoint.Digest()}, Ethereum anchors {digest}");
        }
        return null;
    }

    /// <summary>Checkpoints <paramref name="from"/>..(at least <paramref name="until"/>, up to the peer's newest), consecutive; null when the peer does not give them.</summary>
    private async Task<List<CheckpointRecord>?> FetchCheckpointsAsync(Peer peer, ulong from, ulong until, CancellationToken ct)
    {
        var records = new List<CheckpointRecord>();
        ulong next = from;
        while (true)
        {
            Send(peer, new SnapshotSyncMessage { CheckpointsRequest = new CheckpointsRequest { From = next, Count = SnapshotServer.MaxCheckpointsPerAnswer } });
            var answer = await ReceiveFromAsync(peer, SnapshotSyncMessage.BodyOneofCase.Checkpoints, m => m.Checkpoints.Records.Count == 0 || m.Checkpoints.Records[0].Number == next, ct).ConfigureAwait(false);
            if (answer is null) return null;
            var page = answer.Checkpoints;
            for (int i = 0; i < page.Records.Count; i++)
            {
                if (page.Records[i].Number != next + (ulong)i)
                {
                    Ban(peer.Address, $"answered checkpoints from {next} with checkpoint {page.Records[i].Number} at position {i}");
                    return null;
                }
                if (CheckpointLedger.Problem(page.Records[i]) is { } problem)
                {
                    Ban(peer.Address, $"answered a malformed checkpoint record: {problem}");
                    return null;
                }
            }
            records.AddRange(page.Records);
            next += (ulong)page.Records.Count;
            if (page.Records.Count == 0 || next > page.LatestCheckpoint) break;
        }
        if (records.Count == 0 || next <= until) return null;
        return records;
    }

    // ---- tail ----

    /// <summary>The snapshot's tail, checked against the verified checkpoint, and the peer it came from; null when no peer gives a good one.</summary>
    private async Task<(SnapshotTail Tail, Address From)?> FetchTailAsync(Candidate candidate, Checkpoint checkpoint, CancellationToken ct)
    {
        // Bounded by what one checkpoint interval of full blocks can take, and by the largest array .NET
        // makes; memory grows with what arrives, never with what a peer claims.
        ulong limit = Math.Min(Interval * (ulong)(_spec.Parameters.MaxBlockBytes + (1 << 20)), (ulong)Array.MaxLength);
        if (candidate.TailBytes == 0 || candidate.TailBytes > limit)
        {
            LogTailRefused(_logger, candidate.Height, $"its tail is said to be {candidate.TailBytes} bytes, at most {limit} fit one checkpoint interval");
            return null;
        }
        foreach (var peer in PeersOf(candidate))
        {
            using var bytes = new MemoryStream();
            ulong offset = 0;
            bool complete = true;
            while (offset < candidate.TailBytes)
            {
                ulong at = offset;
                Send(peer, new SnapshotSyncMessage { TailRequest = new SnapshotTailRequest { SnapshotId = Id(candidate), Offset = at } });
                var answer = await ReceiveFromAsync(peer, SnapshotSyncMessage.BodyOneofCase.TailPart, m => m.TailPart.SnapshotId.Equals(Id(candidate)) && m.TailPart.Offset == at, ct).ConfigureAwait(false);
                var part = answer?.TailPart;
                if (part is null || part.Gone || part.Total != candidate.TailBytes || part.Data.Length == 0 || (ulong)part.Data.Length > candidate.TailBytes - offset)
                {
                    complete = false;
                    break;
                }
                bytes.Write(part.Data.Span);
                offset += (ulong)part.Data.Length;
            }
            if (!complete) continue;
            if (TailProblem(bytes.ToArray(), candidate, checkpoint, out var tail) is { } problem)
            {
                Ban(peer.Address, $"served a tail for snapshot {candidate.Id} that does not match checkpoint {checkpoint.Number}: {problem}");
                continue;
            }
            return (tail!, peer.Address);
        }
        return null;
    }

    /// <summary>Null when the tail's blocks are those checkpoint <paramref name="checkpoint"/> covers (its blocks root) and end at the snapshot's block.</summary>
    private string? TailProblem(byte[] bytes, Candidate candidate, Checkpoint checkpoint, out SnapshotTail? tail)
    {
        tail = null;
        SnapshotTail parsed;
        try
        {
            parsed = SnapshotTail.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            return $"it does not parse ({e.Message})";
        }
        if ((ulong)parsed.Blocks.Count != Interval) return $"it holds {parsed.Blocks.Count} blocks, the checkpoint covers {Interval}";
        var hashes = new List<Hash256>(parsed.Blocks.Count);
        foreach (var item in parsed.Blocks)
        {
            if (!ChainBlock.TryDecode(item.Block.Span, _spec.ChainId, _spec.Parameters.MaxTransactionBytes, out var block, out var error)) return $"a block does not decode: {error}";
            hashes.Add(block!.Hash);
        }
        if (hashes[^1] != new Hash256(candidate.Manifest.BlockHash.Span)) return $"it ends at block {hashes[^1]}, the snapshot is of block {new Hash256(candidate.Manifest.BlockHash.Span)}";
        var root = MerkleRoot.Compute(hashes);
        if (root != checkpoint.BlocksRoot) return $"its blocks hash to the root {root}, the checkpoint's is {checkpoint.BlocksRoot}";
        tail = parsed;
        return null;
    }

    // ---- chunks ----

    private sealed class Source(Peer peer)
    {
        public Peer Peer { get; } = peer;
        public Dictionary<int, long> InFlight { get; } = [];
        public int Strikes { get; set; }
    }

    private async Task<bool> RestoreAsync(Candidate candidate, SnapshotTail tail, Address tailFrom, string databasePath, CancellationToken ct)
    {
        var manifest = candidate.Manifest;
        int count = manifest.ChunkHashes.Count;
        var sources = PeersOf(candidate).Select(p => new Source(p)).ToDictionary(s => s.Peer.Address);
        var received = new Dictionary<int, byte[]>();
        var wanted = new SortedSet<int>(Enumerable.Range(0, count));
        int window = Math.Max(4, sources.Count * _options.RequestsPerPeer * 2);
        int applied = 0;
        long bytesIn = 0;
        var clock = Stopwatch.StartNew();
        long lastProgress = 0;
        LogRestoring(_logger, candidate.Height, candidate.Id.ToString(), count, manifest.TotalBytes / 1048576.0, sources.Count);

        using (var store = new RocksDbStore(databasePath))
        {
            using var restorer = new SnapshotRestorer(store, manifest, _spec.ChainId);
            while (applied < count)
            {
                if (sources.Count == 0)
                {
                    LogNoSourceLeft(_logger, candidate.Height, applied, count);
                    return false;
                }
                long now = clock.ElapsedMilliseconds;
                foreach (var source in sources.Values)
                {
                    foreach (var (index, sentAt) in source.InFlight.Where(f => now - f.Value > _options.RequestTimeout.TotalMilliseconds).ToList())
                    {
                        source.InFlight.Remove(index);
                        wanted.Add(index);
                        source.Strikes++;
                        LogChunkTimeout(_logger, source.Peer.ToString(), index, _options.RequestTimeout.TotalSeconds);
                    }
                }
                foreach (var slow in sources.Values.Where(s => s.Strikes >= MaxStrikes).ToList()) sources.Remove(slow.Peer.Address);
                // Ask for the lowest chunks not yet asked, within a window past the next one to apply, from the least busy peers.
                foreach (int index in wanted.Where(i => i < applied + window).ToList())
                {
                    var source = sources.Values.Where(s => s.InFlight.Count < _options.RequestsPerPeer).OrderBy(s => s.InFlight.Count).ThenBy(s => s.Strikes).FirstOrDefault();
                    if (source is null) break;
                    wanted.Remove(index);
                    source.InFlight[index] = now;
                    Send(source.Peer, new SnapshotSyncMessage { ChunkRequest = new SnapshotChunkRequest { SnapshotId = Id(candidate), Index = (uint)index } });
                }

                var next = await ReceiveAsync(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
                if (next is { Message.BodyCase: SnapshotSyncMessage.BodyOneofCase.Chunk } item && sources.TryGetValue(item.Peer.Address, out var from)
                    && item.Message.Chunk.SnapshotId.Equals(Id(candidate)) && from.InFlight.Remove((int)item.Message.Chunk.Index))
                {
                    var chunk = item.Message.Chunk;
                    int index = (int)chunk.Index;
                    if (chunk.Gone)
                    {
                        // The peer deleted it (it keeps only its newest few): not a fault, but no use for this snapshot.
                        sources.Remove(from.Peer.Address);
                        foreach (int lost in from.InFlight.Keys) wanted.Add(lost);
                        wanted.Add(index);
                        LogPeerGone(_logger, from.Peer.ToString(), candidate.Height);
                    }
                    else if (Keccak256.Hash(chunk.Data.Span) is var hash && hash != new Hash256(manifest.ChunkHashes[index].Span))
                    {
                        sources.Remove(from.Peer.Address);
                        foreach (int lost in from.InFlight.Keys) wanted.Add(lost);
                        wanted.Add(index);
                        Ban(from.Peer.Address, $"served chunk {index} of snapshot {candidate.Id} hashing to {hash}, the manifest lists {new Hash256(manifest.ChunkHashes[index].Span)}; fetching it from another peer");
                    }
                    else
                    {
                        received[index] = chunk.Data.ToByteArray();
                        bytesIn += chunk.Data.Length;
                    }
                }
                while (received.Remove(applied, out var data))
                {
                    restorer.Add(applied, data);
                    applied++;
                }
                if (clock.ElapsedMilliseconds - lastProgress >= ProgressMs || applied == count)
                {
                    lastProgress = clock.ElapsedMilliseconds;
                    double seconds = Math.Max(0.001, clock.Elapsed.TotalSeconds);
                    double rate = bytesIn / 1048576.0 / seconds;
                    double remaining = Math.Max(0, manifest.TotalBytes / 1048576.0 - bytesIn / 1048576.0);
                    string eta = rate > 0 ? $"{remaining / rate:0} s" : "unknown";
                    LogProgress(_logger, candidate.Height, applied, count, bytesIn / 1048576.0, manifest.TotalBytes / 1048576.0, rate, eta, sources.Count);
                }
            }
            Hash256 root;
            try
            {
                root = restorer.Finish();
            }
            catch (SnapshotRefusedException e)
            {
                // Every chunk matched the manifest, the manifest's root matched the checkpoint: the manifest lists chunks of another state.
                foreach (var address in candidate.Peers) Ban(address, $"offered snapshot {candidate.Id}, whose chunks do not make the state its manifest names: {e.Message}");
                throw;
            }
            try
            {
                SnapshotTails.Restore(store, _spec, manifest, tail);
            }
            catch (SnapshotRefusedException e)
            {
                Ban(tailFrom, $"served a tail for snapshot {candidate.Id} whose commits do not link its blocks: {e.Message}");
                throw;
            }
            var blocks = new BlockStore(store, _spec.ChainId, _spec.Parameters.MaxTransactionBytes);
            var processor = new BlockProcessor(_spec, store, new StateTree(store), blocks, new Core.Transactions.TransactionVerifier());
            var commit = blocks.GetCommit(candidate.Height)!;
            if (processor.VerifyCommit(commit, candidate.Height, processor.Head.Hash, processor.LastValidators) is { } problem)
                throw new SnapshotRefusedException(SnapshotFault.Snapshot, $"the commit of block {candidate.Height} does not verify against the validators of the restored state: {problem}");
            LogRestored(_logger, candidate.Height, root.ToString(), clock.Elapsed.TotalSeconds, bytesIn / 1048576.0 / Math.Max(0.001, clock.Elapsed.TotalSeconds));
        }
        return true;
    }

    // ---- plumbing ----

    private static ByteString Id(Candidate candidate) => ByteString.CopyFrom(candidate.Id.ToArray());

    private List<Peer> PeersOf(Candidate candidate) =>
        [.. Host.Peers.Where(p => candidate.Peers.Contains(p.Address) && !_banned.Contains(p.Address))];

    private void Send(Peer peer, SnapshotSyncMessage message) => Host.Send(peer, NetChannel.Snapshots, message.ToByteArray());

    private void Ban(Address address, string why)
    {
        _banned.Add(address);
        LogBanned(_logger, address.ToString(), why);
        if (Host.TryGetPeer(address, out var peer)) Host.Penalize(peer, "state sync: " + why, Host.Options.BanThreshold);
    }

    private async Task<(Peer Peer, SnapshotSyncMessage Message)?> ReceiveAsync(TimeSpan wait, CancellationToken ct)
    {
        if (_inbox.Reader.TryRead(out var ready)) return ready;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(wait);
        try
        {
            return await _inbox.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The next answer of <paramref name="kind"/> from <paramref name="peer"/> that <paramref name="matches"/>; null after the request timeout. Other messages are dropped.</summary>
    private async Task<SnapshotSyncMessage?> ReceiveFromAsync(Peer peer, SnapshotSyncMessage.BodyOneofCase kind, Func<SnapshotSyncMessage, bool> matches, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < _options.RequestTimeout)
        {
            var next = await ReceiveAsync(_options.RequestTimeout - clock.Elapsed, ct).ConfigureAwait(false);
            if (next is { } item && item.Peer.Address == peer.Address && item.Message.BodyCase == kind && matches(item.Message)) return item.Message;
            if (!peer.IsAuthenticated) return null;
        }
        LogNoAnswer(_logger, peer.ToString(), kind.ToString(), _options.RequestTimeout.TotalSeconds);
        return null;
    }

    public void Dispose() => _inbox.Writer.TryComplete();

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: {Count} snapshot(s) offered by {Peers} peer(s), at heights {Heights}")]
    private static partial void LogOffers(ILogger logger, int count, int peers, string heights);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: no usable snapshot yet ({Count} offered, {Peers} peers connected); asking again")]
    private static partial void LogNoSnapshot(ILogger logger, int count, int peers);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: {Peer} offers a snapshot at height {Height} this node cannot use: {Problem}")]
    private static partial void LogOfferIgnored(ILogger logger, string peer, ulong height, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: {Count} checkpoints verified from the trust root {Root} to {Newest}")]
    private static partial void LogChainVerified(ILogger logger, int count, ulong root, ulong newest);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: the snapshot at height {Height} ends checkpoint {Number} ({Digest}), verified from the trust root")]
    private static partial void LogTrusted(ILogger logger, ulong height, ulong number, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: the snapshot at height {Height} (checkpoint {Number}) is older than the trust root, checkpoint {Root}; skipped")]
    private static partial void LogOlderThanRoot(ILogger logger, ulong height, ulong number, ulong root);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: the anchor contract {Contract} has anchored up to checkpoint {Latest}")]
    private static partial void LogAnchorLatest(ILogger logger, string contract, ulong latest);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: the snapshot at height {Height} ends checkpoint {Number}, not anchored on Ethereum (anchored up to {Latest}); skipped")]
    private static partial void LogNotAnchored(ILogger logger, ulong height, ulong number, ulong latest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State sync: the snapshot at height {Height} ends checkpoint {Number}, {Age} blocks behind the newest anchored one: older than the unbonding period ({Unbonding} blocks), so skipped (--trust-old-root accepts it)")]
    private static partial void LogTooOld(ILogger logger, ulong height, ulong number, ulong age, ulong unbonding);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State sync: the tail of the snapshot at height {Height} is refused: {Problem}")]
    private static partial void LogTailRefused(ILogger logger, ulong height, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: restoring the snapshot at height {Height} ({Id}): {Chunks} chunks, {MiB:F1} MiB, from {Peers} peer(s)")]
    private static partial void LogRestoring(ILogger logger, ulong height, string id, int chunks, double mib, int peers);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: height {Height}: {Done}/{Total} chunks, {DoneMiB:F1} of {TotalMiB:F1} MiB, {Rate:F1} MiB/s, ETA {Eta}, {Peers} peer(s) serving")]
    private static partial void LogProgress(ILogger logger, ulong height, int done, int total, double doneMiB, double totalMiB, double rate, string eta, int peers);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: restored the state at height {Height} (root {Root}) in {Seconds:F1} s, {Rate:F1} MiB/s; block sync takes it from here")]
    private static partial void LogRestored(ILogger logger, ulong height, string root, double seconds, double rate);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State sync: no peer left serving the snapshot at height {Height} ({Applied} of {Count} chunks applied); trying another")]
    private static partial void LogNoSourceLeft(ILogger logger, ulong height, int applied, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: {Peer} did not answer chunk {Index} within {Seconds:0} s; asking another peer")]
    private static partial void LogChunkTimeout(ILogger logger, string peer, int index, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: {Peer} no longer holds the snapshot at height {Height}")]
    private static partial void LogPeerGone(ILogger logger, string peer, ulong height);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State sync: banned peer {Peer}: it {Why}")]
    private static partial void LogBanned(ILogger logger, string peer, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State sync: the snapshot at height {Height} ({Id}) is refused: {Problem}")]
    private static partial void LogSnapshotRefused(ILogger logger, ulong height, string id, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: {Peer} did not answer a {Kind} request within {Seconds:0} s")]
    private static partial void LogNoAnswer(ILogger logger, string peer, string kind, double seconds);
}
