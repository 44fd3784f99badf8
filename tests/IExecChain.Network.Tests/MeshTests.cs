using NUnit.Framework;
using System.Text;
using IExecChain.Core.Primitives;

namespace IExecChain.Network.Tests;

[TestFixture]
public sealed class MeshTests
{
    private static readonly Channel[] AllChannels = [Channel.Consensus, Channel.Transactions, Channel.Sync, Channel.Snapshots];

    [Test]
    public void Four_hosts_in_a_full_mesh_authenticate_and_exchange_on_every_channel()
    {
        using var net = new TestNetwork();
        var keys = Enumerable.Range(0, 4).Select(TestKeys.Node).ToArray();
        var validators = keys.Take(3).Select(k => k.Address).ToHashSet();
        var hosts = new List<(P2PHost Host, RecordingSink Sink)>();
        for (int i = 0; i < 4; i++)
        {
            // Host i dials every host before it: the four form a full mesh.
            var seeds = hosts.Select(h => TestNetwork.SeedOf(h.Host)).ToArray();
            var started = net.Start(keys[i], TestNetwork.Options(seeds));
            started.Host.IsValidator = validators.Contains;
            hosts.Add(started);
        }
        TestNetwork.FullyConnected(hosts.Select(h => h.Host).ToList());

        foreach (var (host, _) in hosts)
        {
            var expected = keys.Select(k => k.Address).Where(a => a != host.Address).OrderBy(a => a).ToArray();
            Assert.That(host.Peers.Select(p => p.Address).OrderBy(a => a).ToArray(), Is.EqualTo(expected), $"{host.Address} recovered its peers' addresses");
            foreach (var peer in host.Peers)
                Assert.That(peer.Class, Is.EqualTo(validators.Contains(peer.Address) ? PeerClass.Validator : PeerClass.Observer));
            int validatorPeers = validators.Count(v => v != host.Address);
            Assert.That(host.Metrics.PeerCounts, Is.EqualTo((validatorPeers, 3 - validatorPeers)));
        }

        foreach (var (host, _) in hosts)
            foreach (var peer in host.Peers)
                foreach (var channel in AllChannels)
                    Assert.That(host.Send(peer, channel, Payload(host.Address, peer.Address, channel)), Is.True);

        foreach (var (host, sink) in hosts)
        {
            TestNetwork.Eventually(() => sink.Messages.Count == 3 * AllChannels.Length, $"{host.Address} received 9 messages");
            foreach (var message in sink.Messages)
                Assert.That(message.Payload, Is.EqualTo(Payload(message.From, host.Address, message.Channel)),
                    "payload names the sender the network reported and the channel it arrived on");
            foreach (var channel in AllChannels)
            {
                Assert.That(host.Metrics.MessagesIn(channel), Is.EqualTo(3));
                Assert.That(host.Metrics.MessagesOut(channel), Is.EqualTo(3));
            }
        }
    }

    [Test]
    public void Validator_set_change_reclassifies_connected_peers()
    {
        using var net = new TestNetwork();
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        var (b, _) = net.Start(TestKeys.Node(1), TestNetwork.Options(TestNetwork.SeedOf(a)));
        TestNetwork.FullyConnected([a, b]);
        var peer = a.Peers.Single();
        Assert.That(peer.Class, Is.EqualTo(PeerClass.Observer));

        a.IsValidator = address => address == b.Address;

        Assert.That(peer.Class, Is.EqualTo(PeerClass.Validator));
        Assert.That(a.Metrics.PeerCounts, Is.EqualTo((1, 0)));
    }

    [Test]
    public void Sending_more_than_the_channel_limit_is_refused_locally()
    {
        using var net = new TestNetwork();
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        var (b, _) = net.Start(TestKeys.Node(1), TestNetwork.Options(TestNetwork.SeedOf(a)));
        TestNetwork.FullyConnected([a, b]);

        Assert.Throws<ArgumentException>(() => a.Send(a.Peers[0], Channel.Transactions, new byte[(64 << 10) + 1]));
        Assert.Throws<ArgumentException>(() => a.Gossip(Channel.Consensus, new byte[(1 << 20) + 1]));
    }

    private static byte[] Payload(Address from, Address to, Channel channel) => Encoding.ASCII.GetBytes($"{from}->{to} on {channel}");
}
