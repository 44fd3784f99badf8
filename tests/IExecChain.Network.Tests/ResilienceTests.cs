using NUnit.Framework;
using System.Security.Cryptography;

namespace IExecChain.Network.Tests;

[TestFixture]
public sealed class ResilienceTests
{
    [Test]
    public void A_stopped_host_that_restarts_is_redialed_and_reauthenticated()
    {
        using var net = new TestNetwork();
        var (b, _) = net.Start(TestKeys.Node(1), TestNetwork.Options());
        int port = b.LocalEndPoint.Port;
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options(TestNetwork.SeedOf(b)));
        var causes = new System.Collections.Concurrent.ConcurrentQueue<DisconnectCause>();
        a.PeerDisconnected += (_, cause) => causes.Enqueue(cause);
        TestNetwork.FullyConnected([a, b]);

        b.Dispose();
        TestNetwork.Eventually(() => a.Peers.Count == 0, "a notices b left");
        Assert.That(causes, Is.EqualTo(new[] { DisconnectCause.ShuttingDown }));

        var restartOptions = TestNetwork.Options();
        var (b2, b2Sink) = net.Start(TestKeys.Node(1), new NetworkOptions
        {
            ChainId = restartOptions.ChainId, GenesisHash = restartOptions.GenesisHash, ListenPort = port,
        });
        TestNetwork.Eventually(() => a.Peers.Count == 1 && b2.Peers.Count == 1, "a re-dials the restarted b", timeoutMs: 20_000);
        Assert.That(a.Peers[0].Address, Is.EqualTo(b2.Address));
        Assert.That(a.Metrics.HandshakesCompleted, Is.EqualTo(2));

        Assert.That(a.Send(a.Peers[0], Channel.Consensus, "welcome back"u8), Is.True);
        TestNetwork.Eventually(() => b2Sink.Messages.Count == 1, "the new connection carries traffic");
    }

    [Test]
    public void A_full_block_on_consensus_and_a_full_batch_on_sync_arrive_intact()
    {
        using var net = new TestNetwork();
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        var (b, sink) = net.Start(TestKeys.Node(1), TestNetwork.Options(TestNetwork.SeedOf(a)));
        TestNetwork.FullyConnected([a, b]);
        byte[] proposal = RandomNumberGenerator.GetBytes(a.Options.Consensus.MaxMessageBytes);
        byte[] batch = RandomNumberGenerator.GetBytes(a.Options.Sync.MaxMessageBytes);

        Assert.That(a.Send(a.Peers[0], Channel.Consensus, proposal), Is.True);
        Assert.That(a.Send(a.Peers[0], Channel.Sync, batch), Is.True);

        TestNetwork.Eventually(() => sink.Messages.Count == 2, "both large messages arrive", timeoutMs: 60_000);
        var received = sink.Messages.ToDictionary(m => m.Channel, m => m.Payload);
        Assert.That(SHA256.HashData(received[Channel.Consensus]), Is.EqualTo(SHA256.HashData(proposal)));
        Assert.That(SHA256.HashData(received[Channel.Sync]), Is.EqualTo(SHA256.HashData(batch)));
        Assert.That(b.Metrics.Drops(DropReason.Oversized), Is.Zero);
    }
}
