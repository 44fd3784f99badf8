namespace IExecChain.Rpc.WebSockets;

/// <summary>
/// One message waiting in a connection's send queue: a response as it is, or a notification as the
/// subscription's prefix, the event shared by every subscriber, and the closing braces. The event
/// is serialized once per publish, never once per subscriber.
/// </summary>
internal readonly struct OutboundMessage(byte[]? notificationPrefix, byte[] body)
{
    /// <summary>Closes the "params" object and the notification.</summary>
    public static ReadOnlySpan<byte> NotificationSuffix => "}}"u8;

    public byte[]? NotificationPrefix { get; } = notificationPrefix;

    public byte[] Body { get; } = body;

    public int Length => NotificationPrefix is null ? Body.Length : NotificationPrefix.Length + Body.Length + NotificationSuffix.Length;
}
