namespace IExecChain.Network;

/// <summary>Why an incoming or outgoing message was not delivered.</summary>
public enum DropReason
{
    /// <summary>Larger than the channel's maximum message size (penalized).</summary>
    Oversized,
    /// <summary>Over the peer's per-channel message or byte rate (penalized).</summary>
    RateLimited,
    /// <summary>Bad frame header inside the seal (penalized); unknown channel, wrong delivery method or unparsable control message (not penalized: LiteNetLib's header is not sealed, and the handshake closes instead).</summary>
    Malformed,
    /// <summary>Application traffic before the peer proved its identity (penalized).</summary>
    Unauthenticated,
    /// <summary>A gossip message already seen: expected in a mesh, not penalized.</summary>
    Duplicate,
    /// <summary>Outgoing: the peer's LiteNetLib send queue for the channel is full.</summary>
    SendQueueFull,
    /// <summary>Did not authenticate under the session keys (modified, forged, or too short): not penalized, since anyone on the path can cause it.</summary>
    Tampered,
    /// <summary>Authentic but its counter was already accepted (or is beyond the replay window): a replay, not penalized.</summary>
    Replayed,
}

/// <summary>Why a connection ended or was refused. Values 0–12 are the wire's <c>GoodbyeReason</c>.</summary>
public enum DisconnectCause
{
    Unspecified = 0,
    ProtocolVersion = 1,
    WrongChain = 2,
    WrongGenesis = 3,
    BadSignature = 4,
    HandshakeTimeout = 5,
    DuplicateIdentity = 6,
    SelfConnection = 7,
    Banned = 8,
    TooManyPeers = 9,
    ProtocolViolation = 10,
    UnexpectedIdentity = 11,
    ShuttingDown = 12,
    /// <summary>No packet from the peer within LiteNetLib's disconnect timeout.</summary>
    ConnectionLost = 13,
    /// <summary>The peer closed the connection without giving a reason.</summary>
    RemoteClosed = 14,
    /// <summary>An outgoing connection attempt got no answer.</summary>
    ConnectFailed = 15,
}

/// <summary>
/// Plain counters of the transport, updated with interlocked operations and readable from any
/// thread (the node exports them to Prometheus). Peer counts are computed on read from the
/// current validator callback.
/// </summary>
public sealed class NetworkMetrics
{
    private const int ChannelSlots = NetworkOptions.ChannelCount; // index = LiteNetLib channel number; 0 is control
    private static readonly int DropReasons = Enum.GetValues<DropReason>().Length;
    private static readonly int Causes = Enum.GetValues<DisconnectCause>().Length;

    private readonly long[] _messagesIn = new long[ChannelSlots];
    private readonly long[] _bytesIn = new long[ChannelSlots];
    private readonly long[] _messagesOut = new long[ChannelSlots];
    private readonly long[] _bytesOut = new long[ChannelSlots];
    private readonly long[] _drops = new long[DropReasons];
    private readonly long[] _disconnectsLocal = new long[Causes];
    private readonly long[] _disconnectsRemote = new long[Causes];
    private long _handshakesCompleted;
    private long _dialsDeferred;
    private long _transportInconsistencies;
    private long _penaltyPoints;
    private long _bans;
    private readonly Func<(int Validators, int Observers)> _peerCounts;

    internal NetworkMetrics(Func<(int, int)> peerCounts) => _peerCounts = peerCounts;

    public long MessagesIn(Channel channel) => Volatile.Read(ref _messagesIn[(int)channel]);
    public long BytesIn(Channel channel) => Volatile.Read(ref _bytesIn[(int)channel]);
    public long MessagesOut(Channel channel) => Volatile.Read(ref _messagesOut[(int)channel]);
    public long BytesOut(Channel channel) => Volatile.Read(ref _bytesOut[(int)channel]);
    public long Drops(DropReason reason) => Volatile.Read(ref _drops[(int)reason]);

    /// <summary>Connections this node ended or refused, by cause.</summary>
    public long DisconnectsByUs(DisconnectCause cause) => Volatile.Read(ref _disconnectsLocal[(int)cause]);

    /// <summary>Connections the peer ended or refused (or that were lost), by cause.</summary>
    public long DisconnectsByPeer(DisconnectCause cause) => Volatile.Read(ref _disconnectsRemote[(int)cause]);

    public long HandshakesCompleted => Interlocked.Read(ref _handshakesCompleted);
    /// <summary>Housekeeping turns in which a due dial of a seed waited because LiteNetLib still held a closed connection to it.</summary>
    public long DialsDeferred => Interlocked.Read(ref _dialsDeferred);
    /// <summary>Stray connections put back into LiteNetLib's endpoint set, and endpoints it was found listing twice (<see cref="TransportManager"/>).</summary>
    public long TransportInconsistencies => Interlocked.Read(ref _transportInconsistencies);
    public long PenaltyPoints => Interlocked.Read(ref _penaltyPoints);
    public long Bans => Interlocked.Read(ref _bans);

    /// <summary>Authenticated peers now, split by the current validator callback.</summary>
    public (int Validators, int Observers) PeerCounts => _peerCounts();

    internal void CountIn(int channel, int bytes)
    {
        Interlocked.Increment(ref _messagesIn[channel]);
        Interlocked.Add(ref _bytesIn[channel], bytes);
    }

    internal void CountOut(int channel, int bytes)
    {
        Interlocked.Increment(ref _messagesOut[channel]);
        Interlocked.Add(ref _bytesOut[channel], bytes);
    }

    internal void CountDrop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);
    internal void CountDisconnect(DisconnectCause cause, bool byUs) =>
        Interlocked.Increment(ref (byUs ? _disconnectsLocal : _disconnectsRemote)[(int)cause]);
    internal void CountHandshake() => Interlocked.Increment(ref _handshakesCompleted);
    internal void CountDialDeferred() => Interlocked.Increment(ref _dialsDeferred);
    internal void CountTransportInconsistency() => Interlocked.Increment(ref _transportInconsistencies);
    internal void CountPenalty(int points) => Interlocked.Add(ref _penaltyPoints, points);
    internal void CountBan() => Interlocked.Increment(ref _bans);
}
