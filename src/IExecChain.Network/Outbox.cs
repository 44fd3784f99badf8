using System.Buffers;
using LiteNetLib;

namespace IExecChain.Network;

/// <summary>
/// The way out of a host: frames an application payload (kind byte ‖ payload), seals it separately for
/// each peer with that peer's session (<see cref="SessionCipher"/>), and queues it with LiteNetLib unless
/// the peer's queue for the channel is full. Thread-safe: any thread sends.
/// </summary>
internal sealed class Outbox(NetworkOptions options, NetworkMetrics metrics, PeerTable peers)
{
    // Frames below this are built on the stack; larger ones in pooled arrays.
    private const int StackFrameLimit = 1024;

    public bool Send(Peer peer, Channel channel, byte kind, ReadOnlySpan<byte> payload)
    {
        byte[]? rented = null;
        Span<byte> frame = payload.Length < StackFrameLimit ? stackalloc byte[payload.Length + 1] : Rent(payload.Length + 1, out rented);
        try
        {
            frame[0] = kind;
            payload.CopyTo(frame[1..]);
            return SendFrame(peer, channel, frame);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Sends to every authenticated peer but <paramref name="except"/>; returns how many accepted it.</summary>
    public int SendToAll(Channel channel, byte kind, ReadOnlySpan<byte> payload, Peer? except)
    {
        byte[]? rented = null;
        Span<byte> frame = payload.Length < StackFrameLimit ? stackalloc byte[payload.Length + 1] : Rent(payload.Length + 1, out rented);
        try
        {
            frame[0] = kind;
            payload.CopyTo(frame[1..]);
            int sent = 0;
            foreach (var peer in peers.Active)
                if (peer != except && peer.State == PeerState.Active && SendFrame(peer, channel, frame)) sent++;
            return sent;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Relays a received gossip frame, as it was opened, to every other authenticated peer.</summary>
    public void Relay(Channel channel, ReadOnlySpan<byte> frame, Peer source)
    {
        foreach (var peer in peers.Active)
            if (peer != source && peer.State == PeerState.Active) SendFrame(peer, channel, frame);
    }

    /// <summary>Seals a frame with the peer's session and queues it; false if the peer's queue is full.</summary>
    private bool SendFrame(Peer peer, Channel channel, ReadOnlySpan<byte> frame)
    {
        byte number = (byte)channel;
        DeliveryMethod method = P2PHost.DeliveryOf(number);
        if (peer.Connection.GetPacketsCountInReliableQueue(number, method == DeliveryMethod.ReliableOrdered) >= options.MaxQueuedPacketsPerChannel)
        {
            metrics.CountDrop(DropReason.SendQueueFull);
            return false;
        }
        if (peer.Session is not { } session) return false; // an active peer always has one
        int length = frame.Length + SessionCipher.Overhead;
        byte[]? rented = null;
        Span<byte> sealedFrame = length <= StackFrameLimit ? stackalloc byte[length] : Rent(length, out rented);
        try
        {
            if (!session.Seal(number, frame, sealedFrame)) return false; // closed meanwhile
            peer.Connection.Send(sealedFrame, number, method);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
        metrics.CountOut(number, frame.Length - 1);
        return true;
    }

    private static Span<byte> Rent(int length, out byte[] rented)
    {
        rented = ArrayPool<byte>.Shared.Rent(length);
        return rented.AsSpan(0, length);
    }
}
