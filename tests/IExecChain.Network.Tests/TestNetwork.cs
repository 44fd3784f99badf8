using NUnit.Framework;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Network.Tests;

/// <summary>Fixed node keys, derived from public strings: keccak256("iexecchain-test/p2p/i").</summary>
internal static class TestKeys
{
    public static PrivateKey Node(int i) => new(Keccak256.Hash(Encoding.ASCII.GetBytes($"iexecchain-test/p2p/{i}")).ToArray());
}

/// <summary>A message as a sink saw it, copied out of the receive buffer.</summary>
internal sealed record Received(Address From, Channel Channel, byte[] Payload);

internal sealed class RecordingSink : IMessageSink
{
    public ConcurrentQueue<Received> Messages { get; } = new();
    public Action<Peer, Channel, ReadOnlyMemory<byte>>? OnEach { get; set; }

    public void OnMessage(Peer peer, Channel channel, ReadOnlyMemory<byte> payload)
    {
        Messages.Enqueue(new Received(peer.Address, channel, payload.ToArray()));
        OnEach?.Invoke(peer, channel, payload);
    }

    public int Count(Func<Received, bool> predicate) => Messages.Count(predicate);
}

/// <summary>
/// Builds and owns hosts on 127.0.0.1 with free ports; disposing it stops them all, so a test
/// leaks no socket or thread even when it fails.
/// </summary>
internal sealed class TestNetwork : IDisposable
{
    public const ulong ChainId = 1337;
    public static readonly Hash256 Genesis = Keccak256.Hash(Encoding.ASCII.GetBytes("iexecchain-test/p2p/genesis"));

    private readonly List<IDisposable> _owned = [];

    public static NetworkOptions Options(params SeedPeer[] seeds) => new()
    {
        ChainId = ChainId,
        GenesisHash = Genesis,
        ListenAddress = IPAddress.Loopback,
        ListenPort = 0,
        Seeds = seeds,
        HandshakeTimeout = TimeSpan.FromSeconds(3),
        RedialMinDelay = TimeSpan.FromMilliseconds(100),
        RedialMaxDelay = TimeSpan.FromSeconds(1),
    };

    public (P2PHost Host, RecordingSink Sink) Start(PrivateKey key, NetworkOptions options)
    {
        var sink = new RecordingSink();
        var host = new P2PHost(key, options, sink);
        _owned.Add(host);
        host.Start();
        return (host, sink);
    }

    public T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public static SeedPeer SeedOf(P2PHost host) => new(host.LocalEndPoint);

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
    }

    /// <summary>Waits for a condition on real sockets; fails the test with <paramref name="what"/> after the timeout.</summary>
    public static void Eventually(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.ElapsedMilliseconds > timeoutMs) Assert.Fail($"timed out after {timeoutMs} ms waiting for: {what}");
            Thread.Sleep(5);
        }
    }

    public static void FullyConnected(IReadOnlyList<P2PHost> hosts)
    {
        foreach (var host in hosts)
            Eventually(() => host.Peers.Count == hosts.Count - 1, $"{host.Address} has {hosts.Count - 1} authenticated peers");
    }
}
