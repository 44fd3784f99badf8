using System.Diagnostics;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.Ethereum.Abi;
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
        System.Threading.Channels.Channel.CreateBounded<(Peer, SnapshotSyncMessage)>(new System.Threading.Channels.BoundedChannelOptions(256)
        {
            FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite, SingleReader = true,
        });
    // Requests sent and not yet answered, per peer: an answer nobody asked for is dropped on the network
    // thread, so the inbox holds at most what this node asked for.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Address, int> _outstanding = new();
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
            _host?.Penalize(peer, "snapshot channel: a message that does not parse", _host.Options.Penalties.Malformed);
            return;
        }
        if (message.BodyCase is not (SnapshotSyncMessage.BodyOneofCase.Offers or SnapshotSyncMessage.BodyOneofCase.Chunk
            or SnapshotSyncMessage.BodyOneofCase.TailPart or SnapshotSyncMessage.BodyOneofCase.Checkpoints)) return;
        if (!TakeOutstanding(peer.Address)) return;
        _inbox.Writer.TryWrite((peer, message));
    }

    private sealed class Candidate(SnapshotManifest manifest, Hash256 id)
    {
        public SnapshotManifest Manifest { get; } = manifest;
        public Hash256 Id { get; } = id;
        public ByteString IdBytes { get; } = ByteString.CopyFrom(id.ToArray());

        /// <summary>The peers offering it, with the size each gave its tail (tails differ: each node stores its own commits).</summary>
        public Dictionary<Address, ulong> TailBytes { get; } = [];
        public IReadOnlyCollection<Address> Peers => TailBytes.Keys;
        public ulong Height => Manifest.Height;
    }

    private async Task<ulong> SyncAsync(string databasePath, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        // Snapshots found wrong are not tried again; one skipped for a passing reason (not anchored yet, no
        // source left, a peer gone) is, at the next round.
        var refused = new HashSet<Hash256>();
        string? lastFailure = null;
        while (deadline.Elapsed < _options.Timeout)
        {
            _anchoredLatest = 0;
            var candidates = (await DiscoverAsync(deadline, ct).ConfigureAwait(false)).Where(c => !refused.Contains(c.Id)).ToList();
            if (candidates.Count == 0) LogNoSnapshot(_logger, Host.Peers.Count);
            foreach (var candidate in candidates)
            {
                bool restored = false;
                try
                {
                    var checkpoint = await TrustedCheckpointAsync(candidate, ct).ConfigureAwait(false);
                    if (checkpoint is null) continue;
                    var tail = await FetchTailAsync(candidate, checkpoint, ct).ConfigureAwait(false);
                    if (tail is null) continue;
                    string? failure = await RestoreAsync(candidate, tail.Value.Linked, tail.Value.From, databasePath, ct).ConfigureAwait(false);
                    restored = failure is null;
                    if (restored) return candidate.Height;
                    lastFailure = $"the restore of the snapshot at height {candidate.Height} ended: {failure}";
                }
                catch (SnapshotRefusedException e)
                {
                    refused.Add(candidate.Id);
                    lastFailure = e.Message;
                    LogSnapshotRefused(_logger, candidate.Height, candidate.Id.ToString(), e.Message);
                }
                finally
                {
                    // A half-restored database is never left behind: the next snapshot starts from an empty one.
                    if (!restored && Directory.Exists(databasePath)) Directory.Delete(databasePath, recursive: true);
                }
            }
            await Task.Delay(DiscoveryRetryMs * 2, ct).ConfigureAwait(false);
        }
        throw new StateSyncException($"no snapshot could be restored within {_options.Timeout.TotalSeconds:0} s ({Host.Peers.Count} peers connected" +
            (lastFailure is null ? "; none offered a snapshot at a checkpoint height that could be verified" : $"; the last attempt: {lastFailure}") +
            "): check --peer, the trust root, and that peers take snapshots (--snapshot-every)");
    }

    // ---- discovery ----

    private async Task<List<Candidate>> DiscoverAsync(Stopwatch deadline, CancellationToken ct)
    {
        var found = new Dictionary<Hash256, Candidate>();
        var answered = new HashSet<Address>();
        var asked = new Dictionary<Address, long>();
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
            foreach (var offer in message.Offers.Offers.Take(SnapshotServer.MaxOffers))
            {
                SnapshotManifest manifest;
                try
                {
                    manifest = SnapshotManifest.Parser.ParseFrom(offer.Manifest);
                }
                catch (InvalidProtocolBufferException)
                {
                    Host.Penalize(peerFrom, "snapshot channel: an offer whose manifest does not parse", Host.Options.Penalties.Malformed);
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
                if (!found.TryGetValue(id, out var candidate)) found[id] = candidate = new Candidate(manifest, id);
                candidate.TailBytes[peerFrom.Address] = offer.TailBytes;
            }
        }
        var ordered = found.Values.OrderByDescending(c => c.Height).ThenByDescending(c => c.Peers.Count).ToList();
        if (ordered.Count > 0)
            LogOffers(_logger, ordered.Count, answered.Count, string.Join(", ", ordered.Select(c => $"{c.Height} ({c.Peers.Count} peers)")));
        return ordered;
    }

    // ---- trust ----

    /// <summary>The checkpoint ending at the snapshot's height, verified from the trust root; null to skip the snapshot.</summary>
    private async Task<Checkpoint?> TrustedCheckpointAsync(Candidate candidate, CancellationToken ct)
    {
        ulong number = candidate.Height / Interval;
        Checkpoint? checkpoint = _options.Trust switch
        {
            TrustRoot.Checkpoint root => await FromCheckpointAsync(root, candidate, number, ct).ConfigureAwait(false),
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

    private async Task<Checkpoint?> FromCheckpointAsync(TrustRoot.Checkpoint root, Candidate candidate, ulong number, CancellationToken ct)
    {
        if (number < root.Number)
        {
            LogOlderThanRoot(_logger, candidate.Height, number, root.Number);
            return null;
        }
        if (_verified.TryGetValue(number, out var known)) return known;
        // Up to the snapshot's checkpoint, and one past the unbonding period: that much decides the root's age,
        // so no peer can make this node fetch (or hold) more.
        ulong ageLimit = checked(root.Number + _spec.Parameters.UnbondingPeriodBlocks / Interval + 1);
        ulong until = Math.Max(number, ageLimit);
        int wrongRoot = 0, asked = 0;
        foreach (var peer in Host.Peers.Where(p => !_banned.Contains(p.Address)).OrderByDescending(p => candidate.Peers.Contains(p.Address)).ToList())
        {
            asked++;
            var records = await FetchCheckpointsAsync(peer, root.Number, until, ct).ConfigureAwait(false);
            if (records is null || records.Count == 0) continue;
            var chain = records.Select(r => CheckpointLedger.ToSigned(_spec.ChainId, r)).ToList();
            if (chain[0].Checkpoint.Digest() != root.Digest)
            {
                // Either this peer lies or the operator's digest is wrong: not a reason to ban by itself.
                wrongRoot++;
                continue;
            }
            try
            {
                CheckpointChain.Verify(_spec.ChainId, new TrustedCheckpoint(root.Number, root.Digest), chain);
            }
            catch (CheckpointChainException e)
            {
                Ban(peer.Address, $"served checkpoints that do not verify from the trust root: {e.Message}");
                continue;
            }
            ulong newest = chain[^1].Checkpoint.Number;
            LogChainVerified(_logger, chain.Count, root.Number, newest);
            if (newest >= ageLimit && !_options.AllowOldTrustRoot)
                throw new StateSyncException($"--trust-checkpoint: checkpoint {root.Number} is more than {(newest - root.Number) * Interval - 1} blocks behind the newest checkpoint peers prove from it ({newest}), " +
                    $"more than the unbonding period ({_spec.Parameters.UnbondingPeriodBlocks} blocks): validators that signed it may have unbonded and could sign a false history at no cost. " +
                    "Take a newer checkpoint (iex_getCheckpoint on a node you trust, or --trust-anchor), or add --trust-old-root if you have checked this one another way");
            foreach (var signed in chain) _verified[signed.Checkpoint.Number] = signed.Checkpoint;
            if (_verified.TryGetValue(number, out var found)) return found;
        }
        if (asked > 0 && wrongRoot == asked)
            throw new StateSyncException($"--trust-checkpoint: every peer serves checkpoint {root.Number} with another digest than {root.Digest}: check the digest, and that this is the right network");
        LogNotProven(_logger, candidate.Height, number);
        return null;
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
            ulong age = checked((_anchoredLatest - number) * Interval);
            if (age > _spec.Parameters.UnbondingPeriodBlocks && !_options.AllowOldTrustRoot)
            {
                LogTooOld(_logger, candidate.Height, number, age, _spec.Parameters.UnbondingPeriodBlocks);
                return null;
            }
            digest = await contract.AnchoredDigestAsync(number, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is EthereumRpcException or EthereumUnavailableException or AbiException or OverflowException)
        {
            // The endpoint may be down for a moment, or answer what no anchor contract would: skip this snapshot, try again later.
            LogAnchorUnreadable(_logger, anchor.Contract.ToString(), anchor.EthRpc.ToString(), e.Message);
            return null;
        }
        if (digest.IsZero)
        {
            LogNotAnchored(_logger, candidate.Height, number, _anchoredLatest);
            return null;
        }
        foreach (var peer in PeersOf(candidate))
        {
            var records = await FetchCheckpointsAsync(peer, number, number, ct, pageSize: 1).ConfigureAwait(false);
            if (records is null || records.Count == 0) continue;
            var checkpoint = CheckpointLedger.ToSigned(_spec.ChainId, records[0]).Checkpoint;
            if (checkpoint.Digest() == digest) return checkpoint;
            Ban(peer.Address, $"served checkpoint {number} with digest {checkpoint.Digest()}, Ethereum anchors {digest}");
        }
        return null;
    }

    /// <summary>
    /// Checkpoints from <paramref name="from"/> to <paramref name="until"/> (or the peer's newest, if lower),
    /// consecutive and well formed; null when the peer does not answer or answers out of order.
    /// </summary>
    private async Task<List<CheckpointRecord>?> FetchCheckpointsAsync(Peer peer, ulong from, ulong until, CancellationToken ct, uint pageSize = SnapshotServer.MaxCheckpointsPerAnswer)
    {
        var records = new List<CheckpointRecord>();
        ulong next = from;
        while (next <= until)
        {
            uint count = (uint)Math.Min(pageSize, until - next + 1);
            if (!Send(peer, new SnapshotSyncMessage { CheckpointsRequest = new CheckpointsRequest { From = next, Count = count } })) return null;
            var answer = await ReceiveFromAsync(peer, SnapshotSyncMessage.BodyOneofCase.Checkpoints, m => m.Checkpoints.Records.Count == 0 || m.Checkpoints.Records[0].Number == next, ct).ConfigureAwait(false);
            if (answer is null) return null;
            var page = answer.Checkpoints;
            if ((uint)page.Records.Count > count)
            {
                Ban(peer.Address, $"answered {page.Records.Count} checkpoints to a request for {count}");
                return null;
            }
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
            if (page.Records.Count < count) break;   // the peer has no more
        }
        return records;
    }

    // ---- tail ----

    /// <summary>
    /// The snapshot's tail, its headers and commits checked against the verified checkpoint, from the first peer that gives a
    /// good one, with that peer; null when none does. Its transactions are checked while the state is restored.
    /// </summary>
    private async Task<(SnapshotTails.Linked Linked, Address From)?> FetchTailAsync(Candidate candidate, Checkpoint checkpoint, CancellationToken ct)
    {
        // Bounded by what one checkpoint interval of full blocks can take, and by the largest array .NET
        // makes; memory grows with what arrives, never with what a peer claims.
        ulong limit = Math.Min(Interval * (ulong)(_spec.Parameters.MaxBlockBytes + (1 << 20)), (ulong)Array.MaxLength);
        foreach (var peer in PeersOf(candidate))
        {
            ulong size = candidate.TailBytes[peer.Address];
            if (size == 0 || size > limit)
            {
                LogTailRefused(_logger, candidate.Height, $"{peer} says its tail is {size} bytes, at most {limit} fit one checkpoint interval");
                continue;
            }
            using var bytes = new MemoryStream();
            bool complete = true;
            while ((ulong)bytes.Length < size)
            {
                ulong at = (ulong)bytes.Length;
                // An honest server sends whole parts: anything else would only make this loop longer.
                int expected = (int)Math.Min((ulong)SnapshotServer.TailPartBytes, size - at);
                if (!Send(peer, new SnapshotSyncMessage { TailRequest = new SnapshotTailRequest { SnapshotId = candidate.IdBytes, Offset = at } }))
                {
                    complete = false;
                    break;
                }
                var answer = await ReceiveFromAsync(peer, SnapshotSyncMessage.BodyOneofCase.TailPart, m => m.TailPart.SnapshotId.Equals(candidate.IdBytes) && m.TailPart.Offset == at, ct).ConfigureAwait(false);
                var part = answer?.TailPart;
                if (part is null || part.Gone || part.Total != size || part.Data.Length != expected)
                {
                    complete = false;
                    break;
                }
                bytes.Write(part.Data.Span);
            }
            if (!complete) continue;
            if (TailProblem(bytes.GetBuffer().AsMemory(0, (int)bytes.Length), candidate, checkpoint, out var tail) is { } problem)
            {
                Ban(peer.Address, $"served a tail for snapshot {candidate.Id} that does not match checkpoint {checkpoint.Number}: {problem}");
                continue;
            }
            return (tail!, peer.Address);
        }
        return null;
    }

    /// <summary>
    /// Null when the tail holds the blocks checkpoint <paramref name="checkpoint"/> covers (its blocks root),
    /// ends at the snapshot's block and is consistent in itself (SnapshotTails.Check: heights, links, commits).
    /// </summary>
    private string? TailProblem(ReadOnlyMemory<byte> bytes, Candidate candidate, Checkpoint checkpoint, out SnapshotTails.Linked? tail)
    {
        tail = null;
        SnapshotTail parsed;
        try
        {
            parsed = SnapshotTail.Parser.ParseFrom(bytes.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            return $"it does not parse ({e.Message})";
        }
        if ((ulong)parsed.Blocks.Count != Interval) return $"it holds {parsed.Blocks.Count} blocks, the checkpoint covers {Interval}";
        SnapshotTails.Linked checkedTail;
        try
        {
            checkedTail = SnapshotTails.CheckLinks(_spec, candidate.Manifest, parsed);
        }
        catch (SnapshotRefusedException e)
        {
            return e.Message;
        }
        var root = MerkleRoot.Compute([.. checkedTail.Blocks.Select(b => b.Hash)]);
        if (root != checkpoint.BlocksRoot) return $"its blocks hash to the root {root}, the checkpoint's is {checkpoint.BlocksRoot}";
        tail = checkedTail;
        return null;
    }

    // ---- chunks ----

    private sealed class Source(Address address)
    {
        public Address Address { get; } = address;
        public Dictionary<int, long> InFlight { get; } = [];
        public int Strikes { get; set; }
    }

    /// <summary>At most this many bytes of chunks are held fetched ahead of the next one to apply.</summary>
    private const long MaxBufferedBytes = 256L << 20;

    /// <summary>
    /// Fetches, checks and applies the snapshot's chunks and its tail; null once the database holds the restored
    /// state and its head, else why this attempt ended (the snapshot may still be restored from other peers).
    /// Throws <see cref="SnapshotRefusedException"/> only for a fault of the snapshot itself.
    /// </summary>
    private async Task<string?> RestoreAsync(Candidate candidate, SnapshotTails.Linked linkedTail, Address tailFrom, string databasePath, CancellationToken ct)
    {
        var manifest = candidate.Manifest;
        int count = manifest.ChunkHashes.Count;
        var sources = PeersOf(candidate).ToDictionary(p => p.Address, p => new Source(p.Address));
        var received = new Dictionary<int, byte[]>();
        var wanted = new SortedSet<int>(Enumerable.Range(0, count));
        long averageChunk = Math.Max(1, (long)(manifest.TotalBytes / (ulong)count));
        int window = (int)Math.Clamp(MaxBufferedBytes / averageChunk, 2, Math.Max(4, sources.Count * _options.RequestsPerPeer * 2));
        int applied = 0;
        long bytesIn = 0;
        var clock = Stopwatch.StartNew();
        long lastProgress = 0, lastApplied = 0;
        LogRestoring(_logger, candidate.Height, candidate.Id.ToString(), count, manifest.TotalBytes / 1048576.0, sources.Count);

        // A source that leaves gives back what it was asked for, so no chunk is ever lost with it.
        void Drop(Source source)
        {
            sources.Remove(source.Address);
            foreach (int index in source.InFlight.Keys) wanted.Add(index);
            source.InFlight.Clear();
        }

        using var store = new RocksDbStore(databasePath);
        // The tail's transactions are checked against their headers' roots (~1M Keccak permutations for 100 full blocks), and
        // its blocks written, while the state is restored: its headers and commits were checked before the chunks were
        // fetched, and the head, written last and only once all of it and block H's commit verify, is what makes the
        // database a node's. A tail found wrong ends the attempt as soon as it is (its peer banned; the snapshot is
        // tried again from others).
        var tailBlocks = Task.Run(() =>
        {
            var tail = SnapshotTails.VerifyTransactions(linkedTail, onEveryCore: false);
            SnapshotTails.WriteBlocks(store, _spec, tail);
            return tail;
        }, CancellationToken.None);
        // The tail's transactions came from one peer: a mismatch is that peer's fault, not the snapshot's. Any other
        // failure of the tail's task (the disk) ends the attempt too, and is thrown.
        string? tailRefusal = null;
        bool TailFailed()
        {
            if (!tailBlocks.IsFaulted) return false;
            Exception failure = tailBlocks.Exception!.InnerException ?? tailBlocks.Exception;
            if (failure is not SnapshotRefusedException refused)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
                return false; // not reached
            }
            if (tailRefusal is null)
            {
                tailRefusal = $"peer {tailFrom} served a tail whose transactions do not match its blocks: {refused.Message}";
                Ban(tailFrom, $"served a tail for snapshot {candidate.Id} whose transactions do not match its blocks: {refused.Message}");
            }
            return true;
        }
        try
        {
            using (var restorer = new SnapshotRestorer(store, manifest, _spec.ChainId))
            {
                while (applied < count)
                {
                    if (TailFailed()) return tailRefusal;
                    if (sources.Count == 0)
                    {
                        LogNoSourceLeft(_logger, candidate.Height, applied, count);
                        return $"no peer was left serving its chunks ({applied} of {count} applied)";
                    }
                    long now = clock.ElapsedMilliseconds;
                    if (now - lastApplied > 4 * _options.RequestTimeout.TotalMilliseconds)
                    {
                        LogStalled(_logger, candidate.Height, applied, count, (now - lastApplied) / 1000.0);
                        return $"no chunk arrived for {(now - lastApplied) / 1000.0:0} s ({applied} of {count} applied)";
                    }
                    foreach (var source in sources.Values.ToList())
                    {
                        foreach (var (index, _) in source.InFlight.Where(f => now - f.Value > _options.RequestTimeout.TotalMilliseconds).ToList())
                        {
                            source.InFlight.Remove(index);
                            wanted.Add(index);
                            source.Strikes++;
                            LogChunkTimeout(_logger, source.Address.ToString(), index, _options.RequestTimeout.TotalSeconds);
                        }
                        if (source.Strikes >= MaxStrikes) Drop(source);
                    }
                    // The lowest chunks not yet asked, within the window past the next one to apply, to the
                    // sources with the fewest strikes, then the least busy.
                    foreach (int index in wanted.Where(i => i < applied + window).ToList())
                    {
                        var source = sources.Values.Where(s => s.InFlight.Count < _options.RequestsPerPeer).OrderBy(s => s.Strikes).ThenBy(s => s.InFlight.Count).FirstOrDefault();
                        if (source is null) break;
                        if (!Send(source.Address, new SnapshotSyncMessage { ChunkRequest = new SnapshotChunkRequest { SnapshotId = candidate.IdBytes, Index = (uint)index } }))
                        {
                            // Gone or its queue full: it gets a strike, the chunk stays wanted for another.
                            source.Strikes++;
                            if (source.Strikes >= MaxStrikes || !Host.TryGetPeer(source.Address, out _)) Drop(source);
                            continue;
                        }
                        wanted.Remove(index);
                        source.InFlight[index] = now;
                    }

                    var next = await ReceiveAsync(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
                    if (next is { Message.BodyCase: SnapshotSyncMessage.BodyOneofCase.Chunk } item && sources.TryGetValue(item.Peer.Address, out var from)
                        && item.Message.Chunk.SnapshotId.Equals(candidate.IdBytes) && from.InFlight.Remove((int)item.Message.Chunk.Index))
                    {
                        var chunk = item.Message.Chunk;
                        int index = (int)chunk.Index;
                        if (chunk.Gone)
                        {
                            // The peer deleted it (it keeps only its newest few): not a fault, but no use for this snapshot.
                            wanted.Add(index);
                            Drop(from);
                            LogPeerGone(_logger, from.Address.ToString(), candidate.Height);
                        }
                        else if (Keccak256.Hash(chunk.Data.Span) is var hash && hash != new Hash256(manifest.ChunkHashes[index].Span))
                        {
                            wanted.Add(index);
                            Drop(from);
                            Ban(from.Address, $"served chunk {index} of snapshot {candidate.Id} hashing to {hash}, the manifest lists {new Hash256(manifest.ChunkHashes[index].Span)}; fetching it from another peer");
                        }
                        else
                        {
                            received[index] = chunk.Data.ToByteArray();
                            bytesIn += chunk.Data.Length;
                            from.Strikes = 0;
                        }
                    }
                    while (received.Remove(applied, out var data))
                    {
                        restorer.Add(applied, data);
                        applied++;
                        lastApplied = clock.ElapsedMilliseconds;
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
                // The tail was checked against the checkpoint before the chunks were fetched; this verifies block H's
                // commit against the restored state's validators before the head is written.
                await Task.WhenAny(tailBlocks).ConfigureAwait(false);
                if (TailFailed()) return tailRefusal;
                try
                {
                    SnapshotTails.Restore(store, _spec, manifest, await tailBlocks.ConfigureAwait(false), blocksWritten: true);
                }
                catch (SnapshotRefusedException e)
                {
                    // The state matched the trusted checkpoint, so a commit that does not verify against its validators
                    // is the tail's: its peer is banned and the snapshot stays open to the others.
                    Ban(tailFrom, $"served a tail for snapshot {candidate.Id} whose last commit does not verify: {e.Message}");
                    return $"peer {tailFrom} served a last commit that does not verify: {e.Message}";
                }
                LogRestored(_logger, candidate.Height, root.ToString(), clock.Elapsed.TotalSeconds, bytesIn / 1048576.0 / Math.Max(0.001, clock.Elapsed.TotalSeconds));
            }
        }
        finally
        {
            // The store closes after this: the write must be over whatever ended the restore. A tail found wrong after
            // the attempt ended another way (a stall) still bans its peer.
            await Task.WhenAny(tailBlocks).ConfigureAwait(false);
            if (tailBlocks.IsFaulted && tailBlocks.Exception!.InnerException is SnapshotRefusedException && tailRefusal is null) TailFailed();
        }
        return null;
    }

    // ---- plumbing ----

        private List<Peer> PeersOf(Candidate candidate) =>
        [.. Host.Peers.Where(p => candidate.Peers.Contains(p.Address) && !_banned.Contains(p.Address))];

    /// <summary>Sends a request to the peer now connected at <paramref name="address"/>; false when it is gone or its queue is full.</summary>
    private bool Send(Address address, SnapshotSyncMessage message)
    {
        if (!Host.TryGetPeer(address, out var peer) || !peer.IsAuthenticated) return false;
        _outstanding.AddOrUpdate(address, 1, (_, n) => n + 1);
        if (Host.Send(peer, NetChannel.Snapshots, message.ToByteArray())) return true;
        TakeOutstanding(address);
        return false;
    }

    private bool Send(Peer peer, SnapshotSyncMessage message) => Send(peer.Address, message);

    private bool TakeOutstanding(Address address)
    {
        while (_outstanding.TryGetValue(address, out int n))
        {
            if (n <= 0) return false;
            if (_outstanding.TryUpdate(address, n - 1, n)) return true;
        }
        return false;
    }

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

    /// <summary>
    /// The next answer of <paramref name="kind"/> from <paramref name="peer"/> that <paramref name="matches"/>; null after the
    /// request timeout. Other messages are dropped, which loses nothing: the callers (checkpoints, then tail parts) ask one
    /// peer one thing at a time and wait for it, so anything else in the queue answers a request already given up on (a
    /// timed-out one, or an offer that came after discovery settled), and only asked-for answers are queued at all.
    /// </summary>
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

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: no usable snapshot offered yet ({Peers} peers connected); asking again")]
    private static partial void LogNoSnapshot(ILogger logger, int peers);

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

    [LoggerMessage(Level = LogLevel.Information, Message = "State sync: no peer proves checkpoint {Number} (of the snapshot at height {Height}) from the trust root yet; skipped for now")]
    private static partial void LogNotProven(ILogger logger, ulong height, ulong number);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State sync: the anchor contract {Contract} could not be read through {EthRpc} ({Reason}); trying again later")]
    private static partial void LogAnchorUnreadable(ILogger logger, string contract, string ethRpc, string reason);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "State sync: no chunk of the snapshot at height {Height} applied for {Seconds:0} s ({Applied} of {Count}); trying another")]
    private static partial void LogStalled(ILogger logger, ulong height, int applied, int count, double seconds);

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
