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

    public RogueClient()
    {
        var listener = new EventBasedNetListener();
        listener.PeerConnectedEvent += peer => _peer = peer;
        listener.NetworkReceiveEvent += (peer, reader, channel, _) =>
        {
            if (channel == 0 && peer == _current) Control.Enqueue(ControlMessage.Parser.ParseFrom(reader.GetRemainingBytesSpan()));
        };
        listener.PeerDisconnectedEvent += (peer, info) =>
        {
            // A late event of an earlier connection must not mark the current one closed.
            if (peer != _current) return;
            if (!info.AdditionalData.IsNull && info.AdditionalData.AvailableBytes > 0)
                Goodbye = Wire.Goodbye.Parser.ParseFrom(info.AdditionalData.GetRemainingBytesSpan());
            Disconnected = true;
        };
        _manager = new NetManager(listener) { ChannelsCount = 4, UpdateTime = 1, IPv6Enabled = false, AutoRecycle = true };
        if (!_manager.Start(IPAddress.Loopback, IPAddress.IPv6None, 0)) throw new InvalidOperationException("rogue client cannot bind");
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

    public ConcurrentQueue<ControlMessage> Control { get; } = new();
    public volatile Goodbye? Goodbye;
    public volatile bool Disconnected;
    public bool Connected => _peer is { ConnectionState: ConnectionState.Connected };

    public void Connect(P2PHost target, NetworkOptions? asIf = null)
    {
        Disconnected = false;
        Goodbye = null;
        _peer = null;
        Control.Clear();
        _current = _manager.Connect(target.LocalEndPoint, Handshake.Preamble(asIf ?? target.Options));
        TestNetwork.Eventually(() => Connected, "rogue client connected");
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

    public static ControlMessage HelloFrom(Address claimed, byte[] challenge, NetworkOptions options, int listenPort = 1) => new()
    {
        Hello = new Hello
        {
            ProtocolVersion = NetworkOptions.ProtocolVersion,
            ChainId = options.ChainId,
            GenesisHash = ByteString.CopyFrom(options.GenesisHash.ToArray()),
            Challenge = ByteString.CopyFrom(challenge),
            ListenPort = (uint)listenPort,
            Address = ByteString.CopyFrom(claimed.ToArray()),
        },
    };

    public static ControlMessage ProofBy(PrivateKey signer, NetworkOptions options, ReadOnlySpan<byte> verifierChallenge, ReadOnlySpan<byte> signerChallenge)
    {
        var digest = Handshake.ProofDigest(options.ChainId, options.GenesisHash, verifierChallenge, signerChallenge);
        return new ControlMessage { Auth = new AuthProof { Signature = ByteString.CopyFrom(signer.Sign(digest)) } };
    }

    public void Dispose()
    {
        _running = false;
        _poller.Join();
        _manager.Stop();
    }
}
