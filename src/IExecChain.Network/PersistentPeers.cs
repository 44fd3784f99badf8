using System.Net;
using LiteNetLib;

namespace IExecChain.Network;

/// <summary>
/// Keeps the configured seed peers connected: dials each one that has no connection, and after a
/// failed attempt or a disconnect waits an exponentially growing delay (from
/// <see cref="NetworkOptions.RedialMinDelay"/> to <see cref="NetworkOptions.RedialMaxDelay"/>)
/// before the next. A successful handshake resets the delay. Used only on the network thread.
/// </summary>
internal sealed class PersistentPeers
{
    private readonly SeedState[] _seeds;
    private readonly long _minDelayMs;
    private readonly long _maxDelayMs;
    private readonly long _deferLimitMs;

    // LiteNetLib's defaults: 10 connect attempts 500 ms apart; three times that is surely stuck.
    private const long StuckDialMs = 15_000;

    public PersistentPeers(NetworkOptions options)
    {
        _minDelayMs = (long)options.RedialMinDelay.TotalMilliseconds;
        _maxDelayMs = (long)options.RedialMaxDelay.TotalMilliseconds;
        _deferLimitMs = 3L * options.DisconnectTimeoutMs;
        _seeds = new SeedState[options.Seeds.Count];
        for (int i = 0; i < _seeds.Length; i++) _seeds[i] = new SeedState(options.Seeds[i], _minDelayMs);
    }

    /// <summary>The seed a connection belongs to: same IP, and its port is the connection's or the peer's listen port.</summary>
    public SeedPeer? Find(IPEndPoint endPoint, int listenPort)
    {
        foreach (var state in _seeds)
        {
            var seed = state.Seed.EndPoint;
            if (seed.Address.Equals(endPoint.Address) && (seed.Port == endPoint.Port || seed.Port == listenPort)) return state.Seed;
        }
        return null;
    }

    public void Tick(P2PHost host, long nowMs)
    {
        foreach (var state in _seeds)
        {
            var endPoint = state.Seed.EndPoint;
            if (endPoint.Equals(host.LocalEndPoint)) continue;
            var connection = host.FindConnection(endPoint);
            if (connection is not null)
            {
                if (connection.IsAuthenticated) state.DelayMs = _minDelayMs;
                state.Pending = null;
                continue;
            }
            // LiteNetLib repeats a connection request for a while (MaxConnectAttempts × ReconnectDelay) on its own,
            // then fails the dial. One still outgoing long after that is no longer LiteNetLib's (dropped from its
            // table without a state change): waiting on it would never dial this seed again.
            if (state.Pending is { ConnectionState: ConnectionState.Outgoing } pending)
            {
                if (nowMs - state.DialedAtMs < StuckDialMs) continue;
                host.AbandonDial(pending, (nowMs - state.DialedAtMs) / 1000.0);
            }
            state.Pending = null;
            if (nowMs < state.NextAttemptMs) continue;
            if (host.Bans.IsBanned(endPoint, nowMs) || host.ProvenCount >= host.Options.MaxPeers) continue;
            // Not counted as an attempt: the back-off resumes where it was once the old connection is gone. LiteNetLib
            // drops a closed connection a disconnect timeout after its last packet; one it keeps three times as long
            // it will not drop (a stray the host's audit puts back), and waiting on it would never dial this seed.
            if (host.MustDeferDial(endPoint))
            {
                state.DeferredSinceMs ??= nowMs;
                if (nowMs - state.DeferredSinceMs.Value < _deferLimitMs) continue;
            }
            state.DeferredSinceMs = null;
            state.Pending = host.Dial(endPoint);
            state.DialedAtMs = nowMs;
            state.NextAttemptMs = nowMs + state.DelayMs;
            state.DelayMs = Math.Min(state.DelayMs * 2, _maxDelayMs);
        }
    }

    private sealed class SeedState(SeedPeer seed, long delayMs)
    {
        public SeedPeer Seed { get; } = seed;
        public long DelayMs { get; set; } = delayMs;
        public long NextAttemptMs { get; set; }
        public NetPeer? Pending { get; set; }
        public long DialedAtMs { get; set; }
        public long? DeferredSinceMs { get; set; }
    }
}
