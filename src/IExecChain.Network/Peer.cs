using System.Net;
using IExecChain.Core.Primitives;
using LiteNetLib;

namespace IExecChain.Network;

/// <summary>
/// One connection to a remote node. Consumers see only authenticated peers (in
/// <see cref="P2PHost.PeerConnected"/>, the sink and <see cref="P2PHost.Peers"/>); the handshake
/// state is internal and changed only on the network thread.
/// </summary>
public sealed class Peer
{
    private readonly P2PHost _host;
    private readonly Lock _scoreLock = new();
    private double _score;
    private long _scoreUpdatedMs;
    private int _banIssued;
    private volatile PeerState _state = PeerState.Handshaking;

    internal Peer(P2PHost host, NetPeer connection, byte[] ownChallenge, long nowMs, bool inbound)
    {
        _host = host;
        Connection = connection;
        Inbound = inbound;
        Ephemeral = new EphemeralKey();
        OwnEphemeral = Ephemeral.PublicKey;
        EndPoint = new IPEndPoint(connection.Address, connection.Port);
        OwnChallenge = ownChallenge;
        CreatedAtMs = nowMs;
        _scoreUpdatedMs = nowMs;
        var options = host.Options;
        Buckets = new ChannelBuckets[NetworkOptions.ChannelCount];
        Buckets[0] = new ChannelBuckets(options.Control, nowMs);
        Buckets[(int)Channel.Consensus] = new ChannelBuckets(options.Consensus, nowMs);
        Buckets[(int)Channel.Transactions] = new ChannelBuckets(options.Transactions, nowMs);
        Buckets[(int)Channel.Sync] = new ChannelBuckets(options.Sync, nowMs);
        Buckets[(int)Channel.Snapshots] = new ChannelBuckets(options.Snapshots, nowMs);
    }

    /// <summary>The identity the peer proved with its node key (Zero before that).</summary>
    public Address Address { get; private set; }

    /// <summary>The UDP endpoint of the connection, as seen by this node.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The port the peer says it listens on (from its Hello).</summary>
    public int ListenPort { get; private set; }

    /// <summary>Validator or observer, per the owner's current callback (it may change at epoch boundaries).</summary>
    public PeerClass Class => _host.Classify(Address);

    public bool IsAuthenticated => _state == PeerState.Active;

    /// <summary>Current misbehaviour score, after decay.</summary>
    public double Score
    {
        get
        {
            lock (_scoreLock) return Decayed(Environment.TickCount64);
        }
    }

    public override string ToString() => Address.IsZero ? $"peer {EndPoint} (unauthenticated)" : $"peer {Address} at {EndPoint}";

    internal NetPeer Connection { get; }
    internal PeerState State => _state;
    internal long CreatedAtMs { get; }
    internal byte[] OwnChallenge { get; }
    internal byte[]? RemoteChallenge { get; private set; }

    /// <summary>The peer dialed us: it holds one of the pending-handshake slots until it authenticates.</summary>
    internal bool Inbound { get; }

    /// <summary>Our ephemeral key pair for this connection, until the shared secret is derived.</summary>
    internal EphemeralKey? Ephemeral { get; private set; }
    internal byte[] OwnEphemeral { get; }
    internal byte[]? RemoteEphemeral { get; private set; }

    /// <summary>The session keys, from the peer's Hello on; trusted once its proof (which signs both ephemeral keys) verified.</summary>
    internal SessionCipher? Session { get; private set; }
    internal Address ClaimedAddress { get; private set; }
    internal bool ProofSent { get; set; }
    internal bool AcceptedUs { get; set; }
    internal ChannelBuckets[] Buckets { get; }

    /// <summary>When the table first saw this connection closed underneath it (0: open). Network thread only.</summary>
    internal long TransportGoneSinceMs { get; set; }

    /// <summary>True once the score crossed the ban threshold: its traffic is ignored until the disconnect.</summary>
    internal bool IsBanIssued => Volatile.Read(ref _banIssued) != 0;

    /// <summary>True for the one caller that crosses the ban threshold first.</summary>
    internal bool TryIssueBan() => Interlocked.Exchange(ref _banIssued, 1) == 0;

    /// <summary>The reason this node gave when it closed the connection, for the disconnect event.</summary>
    internal DisconnectCause? LocalCause { get; set; }

    internal void HelloReceived(byte[] challenge, Address claimed, int listenPort, byte[] remoteEphemeral, SessionCipher session)
    {
        RemoteChallenge = challenge;
        ClaimedAddress = claimed;
        ListenPort = listenPort;
        RemoteEphemeral = remoteEphemeral;
        Session = session;
        DropEphemeral();
    }

    /// <summary>Forgets the ephemeral private key: once the session keys exist nothing needs it, and without it recorded traffic stays sealed.</summary>
    internal void DropEphemeral()
    {
        Ephemeral?.Dispose();
        Ephemeral = null;
    }

    internal void Verified(Address address)
    {
        Address = address;
        _state = PeerState.Verified;
    }

    internal void Activate() => _state = PeerState.Active;

    internal void Close()
    {
        _state = PeerState.Closed;
        DropEphemeral();
        Session?.Dispose();
    }

    /// <summary>Adds points and returns the new score; thread-safe.</summary>
    internal double AddScore(int points, long nowMs)
    {
        lock (_scoreLock)
        {
            _score = Decayed(nowMs) + points;
            _scoreUpdatedMs = nowMs;
            return _score;
        }
    }

    private double Decayed(long nowMs)
    {
        double forgiven = (nowMs - _scoreUpdatedMs) / 1000.0 * _host.Options.ScoreDecayPerSecond;
        return Math.Max(0, _score - forgiven);
    }
}

internal enum PeerState
{
    /// <summary>Connected; Hello and proofs under way. Only control messages are accepted.</summary>
    Handshaking,
    /// <summary>We verified the peer's proof; it has not yet confirmed ours.</summary>
    Verified,
    /// <summary>Both sides verified: application traffic flows both ways.</summary>
    Active,
    Closed,
}

/// <summary>A peer's incoming rate limits on one channel: messages per second and bytes per second.</summary>
internal sealed class ChannelBuckets(ChannelLimits limits, long nowMs)
{
    public TokenBucket Messages { get; } = new(limits.MessagesPerSecond, limits.MessagesPerSecond * limits.BurstSeconds, nowMs);

    // Deep enough for one maximal message, or the largest allowed message could never pass.
    public TokenBucket Bytes { get; } = new(limits.BytesPerSecond, Math.Max(limits.BytesPerSecond * limits.BurstSeconds, limits.MaxMessageBytes), nowMs);

    public bool TryTake(int bytes, long nowMs) => Messages.TryTake(1, nowMs) && Bytes.TryTake(bytes, nowMs);
}
