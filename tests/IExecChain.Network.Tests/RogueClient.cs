using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Network.Wire;
using LiteNetLib;

namespace IExecChain.Network.Tests;

/// <summary>
/// A hand-driven peer on a real LiteNetLib socket that speaks the wire format message by message,
/// so tests can send what an honest <see cref="P2PHost"/> never would: forged or replayed proofs,
/// reflected Hellos, traffic before authentication.
/// </summary>
internal sealed class RogueClient : IDisposable
{
    private readonly NetManager _manager;
    private readonly Thread _poller;
    private volatile bool _running = true;
    private volatile NetPeer? _peer;
    private volatile NetPeer? _current;

    public RogueClient(System.Net.IPAddress? bindTo = null)
    {
        var listener = new EventBasedNetListener();
        listener.PeerConnectedEvent += peer => _peer = peer;
        listener.NetworkReceiveEvent += (peer, reader, channel, _) =>
        {
            if (peer != _current) return;
            if (channel == 0) Control.Enqueue(ControlMessage.Parser.ParseFrom(reader.GetRemainingBytesSpan()));
            else Sealed.Enqueue(((Channel)channel, reader.GetRemainingBytesSpan().ToArray()));
        };
        listener.PeerDisconnectedEvent += (peer, info) =>
        {
            // A late event of an earlier connection must not mark the current one closed.
            if (peer != _current) return;
            if (!info.AdditionalData.IsNull && info.AdditionalData.AvailableBytes > 0)
                Goodbye = Wire.Goodbye.Parser.ParseFrom(info.AdditionalData.GetRemainingBytesSpan());
            Disconnected = true;
        };
        // ReuseAddress lets a raw socket send from this client's port, as if from inside its connection.
        _manager = new NetManager(listener) { ChannelsCount = 5, UpdateTime = 1, IPv6Enabled = false, AutoRecycle = true, ReuseAddress = true };
        if (!_manager.Start(bindTo ?? IPAddress.Loopback, IPAddress.IPv6None, 0)) throw new InvalidOperationException("rogue client cannot bind");
        _poller = new Thread(() =>
        {
            while (_running)
            {
                _manager.PollEvents();
                Thread.Sleep(1);
            }
        }) { IsBackground = true, Name = "rogue client" };
        _poller.Start();
    }

    /// <summary>The client's UDP port.</summary>
    public int Port => _manager.LocalPort;

    public ConcurrentQueue<ControlMessage> Control { get; } = new();

    /// <summary>Application messages from the host, as they were on the wire.</summary>
    public ConcurrentQueue<(Channel Channel, byte[] Wire)> Sealed { get; } = new();
    public volatile Goodbye? Goodbye;
    public volatile bool Disconnected;
    public bool Connected => _peer is { ConnectionState: ConnectionState.Connected };

    public void Connect(P2PHost target, NetworkOptions? asIf = null)
    {
        Dial(target, asIf);
        TestNetwork.Eventually(() => Connected, "rogue client connected");
    }

    /// <summary>Sends a connection request and returns at once (the host may refuse it).</summary>
    public void Dial(P2PHost target, NetworkOptions? asIf = null)
    {
        Disconnected = false;
        Goodbye = null;
        _peer = null;
        Control.Clear();
        _current = _manager.Connect(target.LocalEndPoint, Handshake.Preamble(asIf ?? target.Options));
    }

    /// <summary>The session keys after <see cref="Authenticate"/>: the rogue can seal, and so replay or tamper with, real messages.</summary>
    public SessionCipher? Session { get; private set; }

    /// <summary>Completes an honest handshake as <paramref name="key"/> and derives the session keys, as a P2PHost would.</summary>
    public void Authenticate(P2PHost target, PrivateKey key)
    {
        Connect(target);
        var hello = AwaitHello();
        byte[] challenge = Handshake.NewChallenge();
        using var ephemeral = new EphemeralKey();
        SendControl(HelloFrom(key.Address, challenge, target.Options, ephemeral.PublicKey));
        SendControl(ProofBy(key, target.Options, hello.Challenge.Span, challenge, hello.EphemeralKey.Span, ephemeral.PublicKey));
        SendControl(new ControlMessage { Accepted = new AuthAccepted() });
        byte[] secret = ephemeral.Agree(hello.EphemeralKey.Span) ?? throw new InvalidOperationException("host ephemeral key is not a point");
        Session = KeyExchange.Derive(secret, target.Options.ChainId, target.Options.GenesisHash, ephemeral.PublicKey, hello.EphemeralKey.ToByteArray(),
            challenge, hello.Challenge.ToByteArray());
        TestNetwork.Eventually(() => target.TryGetPeer(key.Address, out _), "the host authenticates the rogue");
    }

    /// <summary>A direct frame carrying <paramref name="payload"/>, sealed with the next counter of <paramref name="channel"/>.</summary>
    public byte[] Seal(Channel channel, ReadOnlySpan<byte> payload)
    {
        byte[] frame = [P2PHost.FrameDirect, .. payload];
        byte[] sealedFrame = new byte[frame.Length + SessionCipher.Overhead];
        Session!.Seal((byte)channel, frame, sealedFrame);
        return sealedFrame;
    }

    public void Disconnect()
    {
        if (_peer is { } peer) _manager.DisconnectPeer(peer);
        // Wait for our own disconnect event, or it could land on the next connection's flags.
        TestNetwork.Eventually(() => Disconnected, "rogue client disconnected");
    }

    /// <summary>The host's Hello, which it sends as soon as the connection exists.</summary>
    public Hello AwaitHello()
    {
        Hello? hello = null;
        TestNetwork.Eventually(() => Control.TryPeek(out var m) && (hello = m.Hello) is not null, "host Hello");
        return hello!;
    }

    public void SendControl(ControlMessage message) => _peer!.Send(message.ToByteArray(), 0, DeliveryMethod.ReliableOrdered);

    public void SendFrame(Channel channel, byte[] frame) =>
        _peer!.Send(frame, (byte)channel, channel == Channel.Sync ? DeliveryMethod.ReliableOrdered : DeliveryMethod.ReliableUnordered);

    public static ControlMessage HelloFrom(Address claimed, byte[] challenge, NetworkOptions options, byte[]? ephemeralKey = null, int listenPort = 1) => new()
    {
        Hello = new Hello
        {
            ProtocolVersion = NetworkOptions.ProtocolVersion,
            ChainId = options.ChainId,
            GenesisHash = ByteString.CopyFrom(options.GenesisHash.ToArray()),
            Challenge = ByteString.CopyFrom(challenge),
            ListenPort = (uint)listenPort,
            Address = ByteString.CopyFrom(claimed.ToArray()),
            EphemeralKey = ByteString.CopyFrom(ephemeralKey ?? FreshEphemeral()),
        },
    };

    private static byte[] FreshEphemeral()
    {
        using var key = new EphemeralKey();
        return key.PublicKey;
    }

    public static ControlMessage ProofBy(PrivateKey signer, NetworkOptions options, ReadOnlySpan<byte> verifierChallenge, ReadOnlySpan<byte> signerChallenge,
        ReadOnlySpan<byte> verifierEphemeral, ReadOnlySpan<byte> signerEphemeral)
    {
        var digest = Handshake.ProofDigest(options.ChainId, options.GenesisHash, verifierChallenge, signerChallenge, verifierEphemeral, signerEphemeral);
        return new ControlMessage { Auth = new AuthProof { Signature = ByteString.CopyFrom(signer.Sign(digest)) } };
    }

    public void Dispose()
    {
        _running = false;
        _poller.Join();
        _manager.Stop();
    }
}
