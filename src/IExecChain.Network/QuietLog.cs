using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace IExecChain.Network;

/// <summary>
/// The host's log lines about input nobody authenticated: refused connection requests, handshakes that
/// failed or timed out, packets that failed their seal, socket errors, handler exceptions. Each kind
/// (what happened and why) writes its first line, then only counts until the period is over, when one
/// summary line gives the count (<see cref="LogThrottle"/>). The metrics count every event; the log
/// stays readable under attack. Lines about authenticated peers are not throttled: they are rare.
/// </summary>
internal sealed class QuietLog(ILogger log)
{
    private static readonly string[] RefusedKinds = KindsOf("refused connection request");
    private static readonly string[] ClosedKinds = KindsOf("closed unauthenticated connection");
    private static readonly string[] LeftKinds = KindsOf("unauthenticated connection ended");
    private static readonly string[] DropKinds = Enum.GetNames<DropReason>().Select(n => $"dropped packet: {n}").ToArray();
    private readonly LogThrottle _throttle = new(NetworkOptions.LogSummaryPeriodMs, static () => Environment.TickCount64);

    public void Refused(IPEndPoint endPoint, DisconnectCause cause, string detail)
    {
        if (_throttle.TryWrite(RefusedKinds[(int)cause], out _)) NetworkLog.Refused(log, endPoint, cause, detail);
    }

    public void Closed(Peer peer, DisconnectCause cause, string detail)
    {
        if (_throttle.TryWrite(ClosedKinds[(int)cause], out _)) NetworkLog.Disconnected(log, peer, cause, detail);
    }

    public void Left(Peer peer, DisconnectCause cause, string detail)
    {
        if (_throttle.TryWrite(LeftKinds[(int)cause], out _)) NetworkLog.RemoteDisconnected(log, peer, cause, detail);
    }

    public void PacketRejected(Peer peer, byte channel, DropReason reason)
    {
        if (_throttle.TryWrite(DropKinds[(int)reason], out _)) NetworkLog.PacketRejected(log, channel, peer, reason);
    }

    public void SocketError(IPEndPoint endPoint, SocketError error)
    {
        if (_throttle.TryWrite("socket error", out _)) NetworkLog.SocketError(log, endPoint, error);
    }

    /// <summary>An exception from an event handler or the sink: input can provoke it, so it is throttled by type.</summary>
    public void HandlerFailed(Exception exception)
    {
        if (_throttle.TryWrite($"handler threw {exception.GetType().Name}", out _)) NetworkLog.HandlerFailed(log, exception);
    }

    /// <summary>Writes the summaries that are due, LiteNetLib's included; called from the host's housekeeping.</summary>
    public void Flush()
    {
        var due = _throttle.Flush();
        if (due is not null)
            foreach (var (kind, suppressed) in due) NetworkLog.Suppressed(log, suppressed, kind, _throttle.PeriodMs / 1000);
        LiteNetLibLog.Flush();
    }

    private static string[] KindsOf(string what) => Enum.GetNames<DisconnectCause>().Select(n => $"{what}: {n}").ToArray();
}
