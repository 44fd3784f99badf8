using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Network.Wire;
using LiteNetLib;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IExecChain.Network;

/// <summary>
/// The authenticated peer-to-peer transport of a node: one LiteNetLib <see cref="NetManager"/> on a
/// UDP endpoint, an authentication handshake per connection (see <see cref="Handshake"/>),
/// per-channel size and rate limits, gossip with de-duplication, misbehaviour scores and bans.
/// Payloads are opaque bytes: consensus, sync and the mempool define their own messages.
/// <para>
/// Threading: LiteNetLib events are handled on one dedicated network thread, which also calls the
/// <see cref="IMessageSink"/> and raises <see cref="PeerConnected"/> / <see cref="PeerDisconnected"/>;
/// none of them may block. <see cref="Send"/>, <see cref="Broadcast"/>, <see cref="Gossip"/>,
/// <see cref="Penalize"/>, <see cref="Peers"/> and <see cref="Metrics"/> are thread-safe and may be
/// called from any thread, including from the sink.
/// </para>
/// </summary>
public sealed class P2PHost : IDisposable
{
    internal const byte ControlChannel = 0;
    internal const byte FrameDirect = 0;
    internal const byte FrameGossip = 1;
    private const int HousekeepingPeriodMs = 50;
    private const long TransportGraceMs = 2000;

    private readonly PrivateKey _key;
    private readonly TransportManager _manager;
    private readonly BanList _bans = new();
    private readonly PersistentPeers _persistent;
    private readonly ConcurrentQueue<(Peer Peer, DisconnectCause Cause, string Detail)> _disconnectRequests = new();
    private readonly ConcurrentQueue<Action> _testActions = new();
    private readonly PeerTable _peers = new();
    private readonly Outbox _outbox;
    private readonly AutoResetEvent _wake = new(false);
    private volatile Func<Address, bool> _isValidator = static _ => false;
    private volatile bool _running;
    private Thread? _thread;
    private int _started;
    private int _stopped;

    public P2PHost(PrivateKey nodeKey, NetworkOptions options, IMessageSink sink, ILogger<P2PHost>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(nodeKey);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        options.Validate();
        _key = nodeKey;
        Options = options;
        Sink = sink;
        Log = (ILogger?)logger ?? NullLogger.Instance;
        Metrics = new NetworkMetrics(CountPeers);
        Seen = new GossipSeenSet(options.GossipSeenCapacity, (long)options.GossipSeenTtl.TotalMilliseconds);
        _persistent = new PersistentPeers(options);
        Quiet = new QuietLog(Log);
        Admission = new ConnectionAdmission(this, _peers, _bans, _persistent);
        _outbox = new Outbox(options, Metrics, _peers);
        _manager = new TransportManager(new InboundHandler(this))
        {
            ChannelsCount = NetworkOptions.ChannelCount,
            UpdateTime = options.UpdateTimeMs,
            DisconnectTimeout = options.DisconnectTimeoutMs,
            AutoRecycle = true,
            IPv6Enabled = false,
            UnsyncedEvents = false,
            MaxFragmentsCount = options.MaxFragments,
        };
        LocalEndPoint = new IPEndPoint(options.ListenAddress, options.ListenPort);
    }

    /// <summary>This node's identity: the address of its node key.</summary>
    public Address Address => _key.Address;

    public NetworkOptions Options { get; }

    /// <summary>The bound UDP endpoint (with the real port once started, if 0 was asked).</summary>
    public IPEndPoint LocalEndPoint { get; private set; }

    public NetworkMetrics Metrics { get; }

    /// <summary>
    /// Classifies authenticated peers as validators or observers. Set by the owner and replaced when
    /// the validator set changes; read on every <see cref="Peer.Class"/> access.
    /// </summary>
    public Func<Address, bool> IsValidator
    {
        get => _isValidator;
        set => _isValidator = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Authenticated peers now (a snapshot).</summary>
    public IReadOnlyList<Peer> Peers => _peers.Active;

    /// <summary>A peer completed the handshake. Raised on the network thread before any of its messages.</summary>
    public event Action<Peer>? PeerConnected;

    /// <summary>An authenticated peer went away, with the cause. Raised on the network thread.</summary>
    public event Action<Peer, DisconnectCause>? PeerDisconnected;

    internal IMessageSink Sink { get; }
    internal PrivateKey NodeKey => _key;
    internal ILogger Log { get; }
    internal QuietLog Quiet { get; }
    internal ConnectionAdmission Admission { get; }
    internal GossipSeenSet Seen { get; }
    internal BanList Bans => _bans;
    internal byte[] Preamble { get; private set; } = [];
    /// <summary>Peers whose identity is proven; pending handshakes do not count, so a flood of them cannot stop our own dials.</summary>
    internal int ProvenCount => _peers.ProvenCount;
    internal bool IsRunning => _running;

    /// <summary>Binds the UDP socket and starts LiteNetLib and the network thread. Throws if the port is taken.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopped) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("the host is already started");
        Preamble = Handshake.Preamble(Options);
        LiteNetLibLog.Attach(Log); // before LiteNetLib's threads start, or their first lines go to the console
        if (!_manager.Start(Options.ListenAddress, IPAddress.IPv6None, Options.ListenPort))
        {
            LiteNetLibLog.Detach(Log);
            throw new InvalidOperationException($"cannot bind UDP {Options.ListenAddress}:{Options.ListenPort}");
        }
        LocalEndPoint = new IPEndPoint(Options.ListenAddress, _manager.LocalPort);
        _running = true;
        // Consensus messages must not wait behind transaction verification for a core.
        _thread = new Thread(Run) { IsBackground = true, Name = $"p2p {LocalEndPoint}", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
        NetworkLog.Listening(Log, Address, LocalEndPoint);
    }

    /// <summary>
    /// Says goodbye to every peer, stops the network thread and closes the socket. No events are
    /// raised after it returns. Must not be called from the sink or an event handler.
    /// </summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        if (_thread is not null && Thread.CurrentThread == _thread)
            throw new InvalidOperationException("Stop must not be called on the network thread");
        _running = false;
        _wake.Set();
        _thread?.Join();
        if (Volatile.Read(ref _started) != 0)
        {
            _manager.DisconnectAll(Goodbye(DisconnectCause.ShuttingDown, "node stopping"));
            _manager.Stop(sendDisconnectMessages: true);
        }
        LiteNetLibLog.Detach(Log);
        _peers.Clear();
        _wake.Dispose();
    }

    public void Dispose() => Stop();

    /// <summary>
    /// What a killed process leaves behind: the socket closes and no peer is told. Peers learn of it
    /// only by silence or by the next connection from the same endpoint. For tests of restarts.
    /// </summary>
    internal void Crash()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _running = false;
        _wake.Set();
        _thread?.Join();
        if (Volatile.Read(ref _started) != 0) _manager.Stop(sendDisconnectMessages: false);
        LiteNetLibLog.Detach(Log);
        _peers.Clear();
        _wake.Dispose();
    }

    /// <summary>
    /// Sends to one authenticated peer. False if the peer is gone or its send queue is full (counted
    /// as <see cref="DropReason.SendQueueFull"/>). Throws if the payload exceeds the channel's limit.
    /// </summary>
    public bool Send(Peer peer, Channel channel, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(peer);
        CheckSize(channel, payload.Length);
        return peer.State == PeerState.Active && _outbox.Send(peer, channel, FrameDirect, payload);
    }

    /// <summary>Sends to every authenticated peer but <paramref name="except"/>; returns how many accepted it.</summary>
    public int Broadcast(Channel channel, ReadOnlySpan<byte> payload, Peer? except = null)
    {
        CheckSize(channel, payload.Length);
        return _outbox.SendToAll(channel, FrameDirect, payload, except);
    }

    /// <summary>
    /// Floods a message through the network: every node that receives it for the first time delivers
    /// it to its sink once and relays it once. False if this node had already seen it (keccak256 of
    /// the payload, per channel, in a bounded seen-set), in which case nothing is sent.
    /// </summary>
    public bool Gossip(Channel channel, ReadOnlySpan<byte> payload)
    {
        CheckSize(channel, payload.Length);
        if (!Seen.TryAdd(channel, Keccak256.Hash(payload), Environment.TickCount64)) return false;
        _outbox.SendToAll(channel, FrameGossip, payload, except: null);
        return true;
    }

    /// <summary>
    /// Adds misbehaviour points to a peer (consumers call it for invalid payloads: bad signature,
    /// invalid block). Points decay over time; at <see cref="NetworkOptions.BanThreshold"/> the peer
    /// is disconnected and its address and endpoint are banned for <see cref="NetworkOptions.BanDuration"/>.
    /// </summary>
    public void Penalize(Peer peer, string reason, int points)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(points);
        long now = Environment.TickCount64;
        double score = peer.AddScore(points, now);
        Metrics.CountPenalty(points);
        if (score < Options.BanThreshold || !peer.TryIssueBan()) return;
        _bans.Ban(peer.Address, peer.EndPoint, now + (long)Options.BanDuration.TotalMilliseconds);
        Metrics.CountBan();
        NetworkLog.Banned(Log, peer, Options.BanDuration.TotalMinutes, score, reason);
        RequestDisconnect(peer, DisconnectCause.Banned, $"misbehaviour: {reason}");
    }

    /// <summary>The authenticated peer with this address, if connected.</summary>
    public bool TryGetPeer(Address address, [NotNullWhen(true)] out Peer? peer)
    {
        foreach (var candidate in _peers.Active)
        {
            if (candidate.Address == address)
            {
                peer = candidate;
                return true;
            }
        }
        peer = null;
        return false;
    }

    /// <summary>True while <paramref name="address"/> is banned on this node.</summary>
    public bool IsBanned(Address address) => _bans.IsBanned(address, Environment.TickCount64);

    internal PeerClass Classify(Address address) =>
        !address.IsZero && _isValidator(address) ? PeerClass.Validator : PeerClass.Observer;

    internal static DeliveryMethod DeliveryOf(byte channelNumber) =>
        channelNumber is ControlChannel or (byte)Channel.Sync ? DeliveryMethod.ReliableOrdered : DeliveryMethod.ReliableUnordered;

    internal static byte[] Goodbye(DisconnectCause cause, string detail)
    {
        // LiteNetLib carries disconnect data in one packet of at most MTU − 8 bytes.
        if (detail.Length > 200) detail = detail[..200];
        return new Goodbye { Reason = (GoodbyeReason)(int)cause, Detail = detail }.ToByteArray();
    }

    internal void SendControl(Peer peer, ControlMessage message)
    {
        byte[] bytes = message.ToByteArray();
        peer.Connection.Send(bytes, ControlChannel, DeliveryMethod.ReliableOrdered);
        Metrics.CountOut(ControlChannel, bytes.Length);
    }

    /// <summary>Relays a received gossip frame (kind byte and payload) to every other authenticated peer.</summary>
    internal void Relay(Channel channel, ReadOnlySpan<byte> frame, Peer source) => _outbox.Relay(channel, frame, source);

    internal NetPeer? Dial(IPEndPoint endPoint) => _manager.Connect(endPoint, Preamble);

    /// <summary>Gives up a dial LiteNetLib should long have finished or failed.</summary>
    internal void AbandonDial(NetPeer pending, double seconds)
    {
        NetworkLog.DialStuck(Log, new IPEndPoint(pending.Address, pending.Port), seconds);
        _manager.DisconnectPeerForce(pending);
    }

    /// <summary>Closes a live LiteNetLib connection that has no open peer here (network thread).</summary>
    internal void DropUntracked(NetPeer connection)
    {
        NetworkLog.UntrackedConnection(Log, new IPEndPoint(connection.Address, connection.Port));
        Metrics.CountDisconnect(DisconnectCause.ProtocolViolation, byUs: true);
        _manager.DisconnectPeer(connection, Goodbye(DisconnectCause.ProtocolViolation, "no session on this connection; dial again"));
    }

    /// <summary>Disconnects from any thread: the network thread does it after its current batch of events.</summary>
    internal void RequestDisconnect(Peer peer, DisconnectCause cause, string detail)
    {
        _disconnectRequests.Enqueue((peer, cause, detail));
        try
        {
            _wake.Set();
        }
        catch (ObjectDisposedException)
        {
            // Stopped meanwhile: every connection is closed anyway.
        }
    }

    /// <summary>Runs <paramref name="action"/> on the network thread, between two batches of events. For tests that break the table's invariants.</summary>
    internal void OnNetworkThreadForTesting(Action action)
    {
        _testActions.Enqueue(action);
        _wake.Set();
    }

    // ---- network thread only below ----

    internal void AddConnection(Peer peer) => _peers.Add(peer);

    internal Peer? FindConnection(IPEndPoint endPoint) => _peers.Find(endPoint);

    internal void MarkVerified(Peer peer, Address address) => _peers.MarkVerified(peer, address);

    internal void Activate(Peer peer)
    {
        peer.Activate();
        _peers.PublishActive();
        Metrics.CountHandshake();
        NetworkLog.PeerAuthenticated(Log, peer.Address, peer.EndPoint, peer.Class);
        try
        {
            PeerConnected?.Invoke(peer);
        }
        catch (Exception e)
        {
            Quiet.HandlerFailed(e);
        }
    }

    /// <summary>Closes a connection with a reason the peer receives.</summary>
    internal void Disconnect(Peer peer, DisconnectCause cause, string detail)
    {
        if (peer.State == PeerState.Closed) return;
        peer.LocalCause = cause;
        Metrics.CountDisconnect(cause, byUs: true);
        if (peer.Address.IsZero) Quiet.Closed(peer, cause, detail);
        else NetworkLog.Disconnected(Log, peer, cause, detail);
        _manager.DisconnectPeer(peer.Connection, Goodbye(cause, detail));
        Closed(peer, cause);
    }

    /// <summary>The peer closed the connection, or it was lost.</summary>
    internal void ConnectionEnded(Peer peer, DisconnectCause cause, string detail)
    {
        if (peer.State == PeerState.Closed) return;
        Metrics.CountDisconnect(cause, byUs: false);
        if (peer.Address.IsZero) Quiet.Left(peer, cause, detail);
        else NetworkLog.RemoteDisconnected(Log, peer, cause, detail);
        Closed(peer, cause);
    }

    private void Closed(Peer peer, DisconnectCause cause)
    {
        bool wasActive = peer.State == PeerState.Active;
        peer.Close();
        _peers.Remove(peer);
        if (!wasActive) return;
        _peers.PublishActive();
        try
        {
            PeerDisconnected?.Invoke(peer, cause);
        }
        catch (Exception e)
        {
            Quiet.HandlerFailed(e);
        }
    }

    private long _nextTransportAudit;
    private readonly List<LiteNetPeer> _transportPeers = [];
    private readonly Dictionary<IPEndPoint, long> _transportReported = [];

    private const ConnectionState ClosedStates = ConnectionState.ShutdownRequested | ConnectionState.Disconnected;
    private const ConnectionState AllStates = ConnectionState.Any | ConnectionState.Disconnected; // LiteNetLib's Any leaves out Disconnected

    /// <summary>
    /// Whether a dial to <paramref name="endPoint"/> must wait: LiteNetLib still holds a closed connection to it
    /// (it drops one a disconnect timeout after its last packet). Dialing then makes LiteNetLib replace that
    /// connection on this thread while its receive and logic threads may still remove the old one; it removes
    /// peers from its endpoint set by endpoint, not by object, so a late removal takes the new connection out of
    /// the set, a stray (<see cref="TransportManager"/>, docs/reliability.md "Re-peering after loss").
    /// <see cref="PersistentPeers"/> stops waiting after three disconnect timeouts.
    /// </summary>
    internal bool MustDeferDial(IPEndPoint endPoint)
    {
        _manager.GetPeers(_transportPeers, ClosedStates);
        foreach (var connection in _transportPeers)
        {
            if (connection.Port != endPoint.Port || !connection.Address.Equals(endPoint.Address)) continue;
            Metrics.CountDialDeferred();
            return true;
        }
        return false;
    }

    /// <summary>
    /// Looks for what <see cref="MustDeferDial"/> guards against, whoever caused it (LiteNetLib's own threads
    /// can too). A stray, a connection LiteNetLib lists but cannot reach by its endpoint, is put back where
    /// LiteNetLib finds it (<see cref="TransportManager.TryAdoptStray"/>). An endpoint listed twice is logged.
    /// Each is counted (<see cref="NetworkMetrics.TransportInconsistencies"/>) and logged once a minute per endpoint.
    /// </summary>
    private void AuditTransport(long now)
    {
        _manager.GetPeers(_transportPeers, AllStates);
        foreach (var connection in _transportPeers)
        {
            if (_manager.Reachable(connection) || !_manager.TryAdoptStray(connection)) continue;
            ReportTransport(now, new IPEndPoint(connection.Address, connection.Port),
                $"LiteNetLib listed {Describe(connection)} but could not reach it by its endpoint; put back");
        }
        if (_transportPeers.Count < 2) return;
        foreach (var group in _transportPeers.GroupBy(c => new IPEndPoint(c.Address, c.Port)))
            if (group.Count() > 1) ReportTransport(now, group.Key, $"LiteNetLib lists {string.Join(", ", group.Select(Describe))}");
    }

    private void ReportTransport(long now, IPEndPoint endPoint, string what)
    {
        Metrics.CountTransportInconsistency();
        if (_transportReported.TryGetValue(endPoint, out long at) && now - at < NetworkOptions.LogSummaryPeriodMs) return;
        if (_transportReported.Count >= 256)
            foreach (var old in _transportReported.Where(e => now - e.Value >= NetworkOptions.LogSummaryPeriodMs).Select(e => e.Key).ToArray())
                _transportReported.Remove(old);
        _transportReported[endPoint] = now;
        NetworkLog.TransportInconsistent(Log, endPoint, what);
    }

    private static string Describe(LiteNetPeer c) =>
        $"connection {c.Id} {c.ConnectionState}, last packet {c.TimeSinceLastPacket / 1000:F1} s ago, {(c.Tag is Peer peer ? peer.State.ToString().ToLowerInvariant() : "untracked")}";

    /// <summary>Makes this peer's connection a stray, as LiteNetLib's late removal does (tests only; network thread).</summary>
    internal bool StrayForTesting(Peer peer) => _manager.StrayForTesting(peer.Connection);

    private void Run()
    {
        long nextHousekeeping = 0;
        while (_running)
        {
            try
            {
                _manager.PollEvents();
                while (_disconnectRequests.TryDequeue(out var request))
                    Disconnect(request.Peer, request.Cause, request.Detail);
                while (_testActions.TryDequeue(out var action)) action();
                long now = Environment.TickCount64;
                if (now >= nextHousekeeping)
                {
                    Housekeeping(now);
                    nextHousekeeping = now + HousekeepingPeriodMs;
                }
            }
            catch (Exception e)
            {
                // A bug in one event must not take the node off the network.
                Quiet.HandlerFailed(e);
            }
            _wake.WaitOne(1);
        }
    }

    private void Housekeeping(long now)
    {
        long timeout = (long)Options.HandshakeTimeout.TotalMilliseconds;
        var late = _peers.HandshakesOlderThan(now, timeout);
        if (late is not null)
            foreach (var peer in late) Disconnect(peer, DisconnectCause.HandshakeTimeout, $"no handshake within {timeout} ms");
        var gone = _peers.ClosedUnderneath(now, TransportGraceMs);
        if (gone is not null)
        {
            foreach (var peer in gone)
            {
                // Left open, it would count as connected, take sends into nothing and stop the redial of a seed.
                NetworkLog.Inconsistent(Log, peer, "was closed by the transport without a disconnect event");
                ConnectionEnded(peer, DisconnectCause.ConnectionLost, "closed by the transport without a disconnect event");
            }
        }
        if (now >= _nextTransportAudit)
        {
            AuditTransport(now);
            _nextTransportAudit = now + 1000;
        }
        _persistent.Tick(this, now);
        _bans.RemoveExpired(now);
        Quiet.Flush();
    }

    private void CheckSize(Channel channel, int length)
    {
        int max = Options.LimitsOf(channel).MaxMessageBytes;
        if (length > max) throw new ArgumentException($"{length}-byte payload exceeds the {channel} limit of {max} bytes", nameof(length));
    }

    private (int, int) CountPeers()
    {
        int validators = 0, observers = 0;
        foreach (var peer in _peers.Active)
        {
            if (peer.Class == PeerClass.Validator) validators++;
            else observers++;
        }
        return (validators, observers);
    }
}
