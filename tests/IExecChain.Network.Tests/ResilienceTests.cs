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
    public void A_seed_that_closed_the_connection_is_dialed_again_only_once_the_transport_dropped_the_old_one()
    {
        using var net = new TestNetwork();
        var (b, _) = net.Start(TestKeys.Node(1), TestNetwork.Options());
        // Production disconnect timeout: the old connection stays in LiteNetLib's table for up to 5 s after it closed.
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options(TestNetwork.SeedOf(b)));
        TestNetwork.FullyConnected([a, b]);

        b.RequestDisconnect(b.Peers[0], DisconnectCause.ProtocolViolation, "test: close this connection");
        TestNetwork.Eventually(() => a.Peers.Count == 0, "a learns that b closed the connection");
        TestNetwork.Eventually(() => a.Peers.Count == 1 && b.Peers.Count == 1, "a dials b again and both authenticate", timeoutMs: 20_000);

        // a's closed connection was still in LiteNetLib's table when a first wanted to dial: that dial waited.
        Assert.That(a.Metrics.DialsDeferred, Is.GreaterThan(0), "a dialed b while LiteNetLib still held the closed connection");
        Assert.That(a.Metrics.HandshakesCompleted, Is.EqualTo(2));
        Assert.That(a.Metrics.TransportInconsistencies + b.Metrics.TransportInconsistencies, Is.Zero);
    }

    [Test]
    public void A_connection_LiteNetLib_can_no_longer_reach_is_put_back_and_the_two_ends_stay_connected()
    {
        using var net = new TestNetwork();
        var (b, _) = net.Start(TestKeys.Node(1), TestNetwork.Options());
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options(TestNetwork.SeedOf(b)));
        TestNetwork.FullyConnected([a, b]);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var lost = new System.Collections.Concurrent.ConcurrentQueue<(long At, DisconnectCause Cause)>();
        a.PeerDisconnected += (_, cause) => lost.Enqueue((clock.ElapsedMilliseconds, cause));
        b.PeerDisconnected += (_, cause) => lost.Enqueue((clock.ElapsedMilliseconds, cause));

        // What LiteNetLib's late removal of an older connection does: a's live connection to b leaves its
        // endpoint set and stays in its list. Unrepaired, b's next packets are answered "peer not found", and the
        // stray, once timed out and dropped, takes each next connection between them out of the set.
        bool strayed = false;
        a.OnNetworkThreadForTesting(() => strayed = a.StrayForTesting(a.Peers[0]));
        TestNetwork.Eventually(() => strayed, "a's connection to b is a stray");

        // Two disconnect timeouts and more: long enough for a stray to time out, be dropped and take the next one.
        Thread.Sleep(12_000);
        TestNetwork.Eventually(() => a.Peers.Count == 1 && b.Peers.Count == 1, "a and b are connected");
        long settled = clock.ElapsedMilliseconds;
        Thread.Sleep(8_000);
        var late = lost.Where(e => e.At >= settled - 6_000).ToArray();
        Assert.That(late, Is.Empty, $"a and b still lose each other: {string.Join(", ", lost)}");
        Assert.That(a.Peers.Count == 1 && b.Peers.Count == 1, Is.True, "a and b are connected at the end");
        Assert.That(a.Metrics.TransportInconsistencies, Is.GreaterThan(0), "a's audit saw nothing");
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

/// <summary>
/// The peer table and LiteNetLib's connections can fall out of step (a lost event, a connection replaced
/// underneath): one end then believes a link is up that the other does not have. Each such state must
/// repair itself within seconds, with both ends authenticated again, not last until a restart.
/// </summary>
[TestFixture]
public sealed class PeerTableRepairTests
{
    [Test]
    public void A_live_connection_the_table_forgot_is_closed_and_both_ends_authenticate_again()
    {
        using var net = new TestNetwork();
        var (b, _) = net.Start(TestKeys.Node(1), TestNetwork.Options());
        var (a, aSink) = net.Start(TestKeys.Node(0), TestNetwork.Options(TestNetwork.SeedOf(b)));
        TestNetwork.FullyConnected([a, b]);
        var before = a.Peers[0];

        // b forgets a without closing the connection: a still sees it up and keeps sending into it.
        b.OnNetworkThreadForTesting(() => b.ConnectionEnded(b.Peers[0], DisconnectCause.Unspecified, "forgotten by the test"));
        TestNetwork.Eventually(() => b.Peers.Count == 0, "b forgot a");
        using var stop = new CancellationTokenSource();
        var load = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var peer in a.Peers) a.Send(peer, Channel.Consensus, "vote"u8);
                Thread.Sleep(20);
            }
        });
        try
        {
            TestNetwork.Eventually(() => a.Peers.Count == 1 && a.Peers[0] != before && b.Peers.Count == 1,
                "a is told the connection is gone, dials again, and both ends authenticate", timeoutMs: 20_000);
        }
        finally
        {
            stop.Cancel();
            load.Wait();
        }
        Assert.That(b.Metrics.DisconnectsByUs(DisconnectCause.ProtocolViolation), Is.GreaterThanOrEqualTo(1), "b closed the untracked connection");
        Assert.That(b.Send(b.Peers[0], Channel.Consensus, "back"u8), Is.True);
        TestNetwork.Eventually(() => aSink.Messages.Any(m => m.Payload.SequenceEqual("back"u8.ToArray())), "the new connection carries traffic");
    }

    [Test]
    public void A_peer_whose_connection_closed_without_an_event_is_dropped_and_its_seed_dialed_again()
    {
        using var net = new TestNetwork();
        var (b, _) = net.Start(TestKeys.Node(1), TestNetwork.Options());
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options(TestNetwork.SeedOf(b)));
        TestNetwork.FullyConnected([a, b]);
        var before = a.Peers[0];

        // a's transport closes the connection, but the event that would tell the table is lost (the Tag that routes it is gone).
        a.OnNetworkThreadForTesting(() =>
        {
            before.Connection.Tag = null;
            before.Connection.Disconnect();
        });
        TestNetwork.Eventually(() => a.Peers.Count == 1 && a.Peers[0] != before && b.Peers.Count == 1 && b.Peers[0].IsAuthenticated,
            "a drops the dead peer and dials b again", timeoutMs: 20_000);
        Assert.That(before.IsAuthenticated, Is.False, "the dead peer is closed, not left counted as connected");
    }
}
