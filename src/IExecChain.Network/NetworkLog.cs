using System.Net;
using IExecChain.Core.Primitives;
using Microsoft.Extensions.Logging;

namespace IExecChain.Network;

internal static partial class NetworkLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "P2P host {Address} listening on UDP {EndPoint}")]
    public static partial void Listening(ILogger logger, Address address, IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer {Address} at {EndPoint} authenticated ({Class})")]
    public static partial void PeerAuthenticated(ILogger logger, Address address, IPEndPoint endPoint, PeerClass @class);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed connection to {Peer}: {Cause} ({Detail})")]
    public static partial void Disconnected(ILogger logger, Peer peer, DisconnectCause cause, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer {Peer} left: {Cause} ({Detail})")]
    public static partial void RemoteDisconnected(ILogger logger, Peer peer, DisconnectCause cause, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused connection request from {EndPoint}: {Cause} ({Detail})")]
    public static partial void Refused(ILogger logger, IPEndPoint endPoint, DisconnectCause cause, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection to {EndPoint} failed: {Cause} ({Detail})")]
    public static partial void DialFailed(ILogger logger, IPEndPoint endPoint, DisconnectCause cause, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Banning {Peer} for {Minutes:F1} min: score {Score:F0} after {Reason}")]
    public static partial void Banned(ILogger logger, Peer peer, double minutes, double score, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Peer table out of step with the transport: {Peer} {What}; repaired")]
    public static partial void Inconsistent(ILogger logger, Peer peer, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closed an untracked live connection from {EndPoint}; its owner will dial again")]
    public static partial void UntrackedConnection(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dial to {EndPoint} still pending after {Seconds:F0} s; abandoned and dialing again")]
    public static partial void DialStuck(ILogger logger, IPEndPoint endPoint, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transport out of step for {EndPoint}: {What}")]
    public static partial void TransportInconsistent(ILogger logger, IPEndPoint endPoint, string what);

    [LoggerMessage(Level = LogLevel.Error, Message = "A network event handler threw; the network thread continues")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "UDP socket error from {EndPoint}: {Error}")]
    public static partial void SocketError(ILogger logger, IPEndPoint endPoint, System.Net.Sockets.SocketError error);

    [LoggerMessage(Message = "LiteNetLib: {Text}")]
    public static partial void LiteNetLib(ILogger logger, LogLevel level, string text);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LiteNetLib: {Count} more '{Kind}' lines suppressed in the last {Seconds} s")]
    public static partial void LiteNetLibSuppressed(ILogger logger, long count, string kind, long seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} more '{Kind}' events from unauthenticated senders suppressed in the last {Seconds} s (see the metrics)")]
    public static partial void Suppressed(ILogger logger, long count, string kind, long seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a packet on LiteNetLib channel {Channel} from {Peer}: {Reason} (counted; this line is throttled)")]
    public static partial void PacketRejected(ILogger logger, byte channel, Peer peer, DropReason reason);
}
