using System.Net;
using IExecChain.Core.Primitives;
using LiteNetLib;

namespace IExecChain.Network;

/// <summary>A peer to keep connected: dialed at start and re-dialed with back-off after every disconnect.</summary>
/// <param name="ExpectedAddress">If set, a peer at this endpoint that proves another identity is refused.</param>
public sealed record SeedPeer(IPEndPoint EndPoint, Address? ExpectedAddress = null);

/// <summary>Limits of one application channel, per peer and direction of receipt.</summary>
/// <param name="MaxMessageBytes">Largest payload accepted or sent (the one-byte frame header is extra).</param>
/// <param name="MessagesPerSecond">Sustained incoming message rate from one peer.</param>
/// <param name="BytesPerSecond">Sustained incoming payload bytes per second from one peer.</param>
/// <param name="BurstSeconds">Bucket depth: how many seconds of the rate a peer may save up.</param>
public sealed record ChannelLimits(int MaxMessageBytes, double MessagesPerSecond, double BytesPerSecond, double BurstSeconds = 2);

/// <summary>Points added to a peer's misbehaviour score by the transport itself.</summary>
public sealed record PenaltyPoints(int Oversized = 25, int RateLimited = 1, int Malformed = 20);

/// <summary>
/// Operator settings of the peer-to-peer transport; every default lives here. Chain id and
/// genesis hash come from the chain spec, the rest from node config.
/// </summary>
public sealed class NetworkOptions
{
    /// <summary>
    /// Version of the wire format and handshake in docs/network.md; peers must match exactly. 2: ephemeral
    /// keys in the Hello and sealed application messages (1 had neither, and its nodes are refused).
    /// </summary>
    public const uint ProtocolVersion = 3;

    /// <summary>How often a kind of log line caused by unauthenticated input may be written (once, then a count of the rest).</summary>
    public const long LogSummaryPeriodMs = 60_000;

    /// <summary>Largest control message (Hello, AuthProof, AuthAccepted are each under 200 bytes).</summary>
    internal const int MaxControlMessageBytes = 1024;

    public required ulong ChainId { get; init; }
    public required Hash256 GenesisHash { get; init; }

    /// <summary>The node's default listen address: loopback, so a node joins no network unless told to.</summary>
    public const string DefaultListenHost = "127.0.0.1";

    public IPAddress ListenAddress { get; init; } = IPAddress.Parse(DefaultListenHost);

    /// <summary>The node's default UDP port (NodeOptions and the devnet's base port refer to it).</summary>
    public const int DefaultListenPort = 30400;

    /// <summary>UDP port to listen on; 0 picks a free port (see <see cref="P2PHost.LocalEndPoint"/>).</summary>
    public int ListenPort { get; init; } = DefaultListenPort;

    public IReadOnlyList<SeedPeer> Seeds { get; init; } = [];

    /// <summary>Authenticated peers (validators and observers), inbound and outbound.</summary>
    public int MaxPeers { get; init; } = 50;

    /// <summary>
    /// Of <see cref="MaxPeers"/>, slots only validators may take (per <see cref="P2PHost.IsValidator"/>, checked once
    /// the identity is proven): observers never hold more than MaxPeers − this.
    /// </summary>
    public int ReservedValidatorSlots { get; init; } = 20;

    /// <summary>Inbound connections still in the handshake (unauthenticated); beyond it, connection requests are refused.</summary>
    public int MaxPendingHandshakes { get; init; } = 32;

    /// <summary>Of <see cref="MaxPendingHandshakes"/>, how many one IP address may hold, so one sender cannot take them all.</summary>
    public int MaxPendingPerIp { get; init; } = 8;

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RedialMinDelay { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan RedialMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>LiteNetLib's logic period: how often it sends queued packets and acks (ms).</summary>
    public int UpdateTimeMs { get; init; } = 1;

    /// <summary>A peer silent for this long (LiteNetLib pings every second) is dropped (ms).</summary>
    public int DisconnectTimeoutMs { get; init; } = 5000;

    /// <summary>Block proposals travel here, so a full block must fit.</summary>
    public ChannelLimits Consensus { get; init; } = new(1 << 20, 2_000, 32 << 20);
    public ChannelLimits Transactions { get; init; } = new(64 << 10, 50_000, 32 << 20);
    public ChannelLimits Sync { get; init; } = new(8 << 20, 200, 64 << 20);

    /// <summary>State sync: a snapshot chunk is at most 16 MiB (SnapshotFormat.MaxChunkBytes), plus its framing.</summary>
    public ChannelLimits Snapshots { get; init; } = new(17 << 20, 100, 128 << 20);

    /// <summary>Handshake messages a peer may send per second (it needs three).</summary>
    public ChannelLimits Control { get; init; } = new(MaxControlMessageBytes, 10, 8 << 10);

    /// <summary>A peer whose score reaches this is disconnected and banned.</summary>
    public int BanThreshold { get; init; } = 100;
    public TimeSpan BanDuration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Score points forgiven per second, so rare accidents never add up to a ban.</summary>
    public double ScoreDecayPerSecond { get; init; } = 1;

    public PenaltyPoints Penalties { get; init; } = new();

    public int GossipSeenCapacity { get; init; } = 100_000;
    public TimeSpan GossipSeenTtl { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Outgoing LiteNetLib packets (≈1 KiB each) that may wait per peer and channel before
    /// <see cref="P2PHost.Send"/> refuses more: a slow peer must not make this node buffer without bound.
    /// </summary>
    public int MaxQueuedPacketsPerChannel { get; init; } = 16_384;

    public ChannelLimits LimitsOf(Channel channel) => channel switch
    {
        Channel.Consensus => Consensus,
        Channel.Transactions => Transactions,
        Channel.Sync => Sync,
        Channel.Snapshots => Snapshots,
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "unknown channel"),
    };

    /// <summary>Bytes an application message gains on the wire: the frame kind and the seal (counter and tag).</summary>
    /// <summary>LiteNetLib channels: 0 for the handshake, then one per <see cref="Channel"/>. Every per-channel array is this long.</summary>
    internal const int ChannelCount = (int)Channel.Snapshots + 1;

    internal const int WireOverhead = 1 + SessionCipher.Overhead;

    /// <summary>Payload bytes a LiteNetLib fragment carries at the smallest MTU it uses (1024).</summary>
    internal static readonly int FragmentPayloadBytes = NetConstants.InitialMtu - NetConstants.ChanneledHeaderSize - NetConstants.FragmentHeaderSize;

    /// <summary>
    /// LiteNetLib reassembles a message of up to this many fragments before we see it, so it is
    /// derived from the largest channel limit: a peer cannot make us buffer a bigger message.
    /// </summary>
    internal ushort MaxFragments
    {
        get
        {
            int largest = Math.Max(Math.Max(Consensus.MaxMessageBytes, Snapshots.MaxMessageBytes), Math.Max(Transactions.MaxMessageBytes, Sync.MaxMessageBytes));
            return (ushort)((largest + WireOverhead + FragmentPayloadBytes - 1) / FragmentPayloadBytes);
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (ChainId == 0) throw new ArgumentException("ChainId must be set", nameof(ChainId));
        if (GenesisHash.IsZero) throw new ArgumentException("GenesisHash must be set", nameof(GenesisHash));
        ArgumentNullException.ThrowIfNull(ListenAddress);
        if (ListenPort is < 0 or > 65535) throw new ArgumentException($"ListenPort {ListenPort} is not a UDP port", nameof(ListenPort));
        if (MaxPeers < 1) throw new ArgumentException("MaxPeers must be at least 1", nameof(MaxPeers));
        if (ReservedValidatorSlots < 0 || ReservedValidatorSlots > MaxPeers)
            throw new ArgumentException($"ReservedValidatorSlots must be between 0 and MaxPeers ({MaxPeers})", nameof(ReservedValidatorSlots));
        if (MaxPendingHandshakes < 1) throw new ArgumentException("MaxPendingHandshakes must be at least 1", nameof(MaxPendingHandshakes));
        if (MaxPendingPerIp < 1 || MaxPendingPerIp > MaxPendingHandshakes)
            throw new ArgumentException("need 1 ≤ MaxPendingPerIp ≤ MaxPendingHandshakes", nameof(MaxPendingPerIp));
        if (HandshakeTimeout <= TimeSpan.Zero) throw new ArgumentException("HandshakeTimeout must be positive", nameof(HandshakeTimeout));
        if (RedialMinDelay <= TimeSpan.Zero || RedialMaxDelay < RedialMinDelay)
            throw new ArgumentException("need 0 < RedialMinDelay ≤ RedialMaxDelay", nameof(RedialMinDelay));
        if (UpdateTimeMs < 1) throw new ArgumentException("UpdateTimeMs must be at least 1", nameof(UpdateTimeMs));
        if (DisconnectTimeoutMs < 1000) throw new ArgumentException("DisconnectTimeoutMs must be at least 1000 (LiteNetLib pings every second)", nameof(DisconnectTimeoutMs));
        foreach (var (name, limits) in new[] { ("Consensus", Consensus), ("Transactions", Transactions), ("Sync", Sync), ("Snapshots", Snapshots), ("Control", Control) })
        {
            ArgumentNullException.ThrowIfNull(limits, name);
            if (limits.MaxMessageBytes < 1) throw new ArgumentException($"{name}.MaxMessageBytes must be positive", name);
            if (limits.MessagesPerSecond <= 0 || limits.BytesPerSecond <= 0 || limits.BurstSeconds <= 0)
                throw new ArgumentException($"{name} rates and burst must be positive", name);
        }
        // 65,535 fragments is LiteNetLib's ceiling (a ushort on the wire).
        long largest = Math.Max(Math.Max(Consensus.MaxMessageBytes, Snapshots.MaxMessageBytes), Math.Max(Transactions.MaxMessageBytes, Sync.MaxMessageBytes));
        if ((largest + WireOverhead + FragmentPayloadBytes - 1) / FragmentPayloadBytes > ushort.MaxValue)
            throw new ArgumentException($"a channel limit of {largest} bytes exceeds LiteNetLib's {ushort.MaxValue} fragments of {FragmentPayloadBytes} bytes");
        if (BanThreshold < 1) throw new ArgumentException("BanThreshold must be positive", nameof(BanThreshold));
        if (BanDuration <= TimeSpan.Zero) throw new ArgumentException("BanDuration must be positive", nameof(BanDuration));
        if (ScoreDecayPerSecond < 0) throw new ArgumentException("ScoreDecayPerSecond must not be negative", nameof(ScoreDecayPerSecond));
        ArgumentNullException.ThrowIfNull(Penalties);
        if (GossipSeenCapacity < 1) throw new ArgumentException("GossipSeenCapacity must be positive", nameof(GossipSeenCapacity));
        if (GossipSeenTtl <= TimeSpan.Zero) throw new ArgumentException("GossipSeenTtl must be positive", nameof(GossipSeenTtl));
        if (MaxQueuedPacketsPerChannel < 1) throw new ArgumentException("MaxQueuedPacketsPerChannel must be positive", nameof(MaxQueuedPacketsPerChannel));
        ArgumentNullException.ThrowIfNull(Seeds);
    }
}
