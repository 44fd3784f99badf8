using System.Buffers.Binary;
using System.Security.Cryptography;

namespace IExecChain.Network;

/// <summary>
/// The authenticated encryption of one connection's application messages, after the handshake:
/// AES-256-GCM with one key per direction (<see cref="KeyExchange"/> derives them), and per channel a
/// counter that makes the nonce and a <see cref="ReplayWindow"/> that refuses a counter twice.
/// <para>
/// A sealed message is counter (8 bytes, big-endian) ‖ ciphertext ‖ tag (16 bytes). The nonce is
/// channel number (1 byte) ‖ 3 zero bytes ‖ counter, never sent: a packet moved to another channel
/// fails its tag, and a nonce never repeats under one key because each channel's counter only grows.
/// </para>
/// <para>
/// <see cref="Seal"/> is thread-safe (any thread sends); <see cref="TryOpen"/> runs only on the network
/// thread. The connection's close disposes it; a send racing with the close finds it disposed under the
/// send lock and is refused, rather than touching a released key.
/// </para>
/// </summary>
internal sealed class SessionCipher : IDisposable
{
    public const int CounterSize = 8;
    public const int TagSize = 16;
    public const int KeySize = 32;

    /// <summary>Bytes a sealed message adds to its plaintext.</summary>
    public const int Overhead = CounterSize + TagSize;

    private const int Channels = NetworkOptions.ChannelCount;
    private readonly AesGcm _send;
    private readonly AesGcm _receive;
    private readonly Lock _sendLock = new();
    private readonly ulong[] _sent = new ulong[Channels];
    private readonly ReplayWindow[] _windows = [.. Enumerable.Range(0, Channels).Select(_ => new ReplayWindow())];
    private bool _disposed;

    public SessionCipher(ReadOnlySpan<byte> sendKey, ReadOnlySpan<byte> receiveKey)
    {
        if (sendKey.Length != KeySize || receiveKey.Length != KeySize) throw new ArgumentException($"keys must be {KeySize} bytes");
        _send = new AesGcm(sendKey, TagSize);
        _receive = new AesGcm(receiveKey, TagSize);
    }

    /// <summary>
    /// Seals <paramref name="plain"/> for <paramref name="channel"/> into <paramref name="output"/>, which must be
    /// exactly <see cref="Overhead"/> bytes longer. False once the connection closed.
    /// </summary>
    public bool Seal(byte channel, ReadOnlySpan<byte> plain, Span<byte> output)
    {
        if (output.Length != plain.Length + Overhead) throw new ArgumentException("output must be plaintext + overhead bytes", nameof(output));
        Span<byte> nonce = stackalloc byte[12];
        lock (_sendLock)
        {
            if (_disposed) return false;
            ulong counter = ++_sent[channel];
            Nonce(channel, counter, nonce);
            BinaryPrimitives.WriteUInt64BigEndian(output, counter);
            _send.Encrypt(nonce, plain, output.Slice(CounterSize, plain.Length), output[^TagSize..]);
        }
        return true;
    }

    /// <summary>Releases both keys; network thread (receives happen there too).</summary>
    public void Dispose()
    {
        lock (_sendLock)
        {
            if (_disposed) return;
            _disposed = true;
            _send.Dispose();
            _receive.Dispose();
        }
    }

    /// <summary>
    /// Authenticates and decrypts a sealed message into <paramref name="plain"/> (exactly
    /// <see cref="Overhead"/> bytes shorter). Only an authentic, fresh message moves the replay window.
    /// </summary>
    public OpenResult TryOpen(byte channel, ReadOnlySpan<byte> sealedMessage, Span<byte> plain)
    {
        if (_disposed || sealedMessage.Length < Overhead || plain.Length != sealedMessage.Length - Overhead) return OpenResult.Tampered;
        ulong counter = BinaryPrimitives.ReadUInt64BigEndian(sealedMessage);
        var window = _windows[channel];
        if (!window.IsFresh(counter)) return OpenResult.Replayed;
        Span<byte> nonce = stackalloc byte[12];
        Nonce(channel, counter, nonce);
        try
        {
            _receive.Decrypt(nonce, sealedMessage[CounterSize..^TagSize], sealedMessage[^TagSize..], plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return OpenResult.Tampered;
        }
        window.Mark(counter);
        return OpenResult.Authentic;
    }

    private static void Nonce(byte channel, ulong counter, Span<byte> nonce)
    {
        nonce[0] = channel;
        nonce[1] = nonce[2] = nonce[3] = 0;
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
    }
}

internal enum OpenResult
{
    Authentic,
    /// <summary>Too short, or the tag does not verify: modified, forged, or sealed under another key.</summary>
    Tampered,
    /// <summary>Its counter was already accepted, or is too far behind the window to tell.</summary>
    Replayed,
}
