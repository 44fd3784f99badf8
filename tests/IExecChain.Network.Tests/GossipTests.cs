using NUnit.Framework;
using System.Text;

namespace IExecChain.Network.Tests;

[TestFixture]
public sealed class GossipTests
{
    [Test]
    public void Gossip_over_a_line_reaches_the_far_end_and_every_sink_sees_each_message_once()
    {
        using var net = new TestNetwork();
        // A–B–C–D: each host dials only its left neighbour.
        var line = new List<(P2PHost Host, RecordingSink Sink)>();
        for (int i = 0; i < 4; i++)
            line.Add(net.Start(TestKeys.Node(i), i == 0 ? TestNetwork.Options() : TestNetwork.Options(TestNetwork.SeedOf(line[i - 1].Host))));
        for (int i = 0; i < 4; i++)
        {
            int neighbours = i is 0 or 3 ? 1 : 2;
            var host = line[i].Host;
            TestNetwork.Eventually(() => host.Peers.Count == neighbours, $"host {i} has {neighbours} neighbours");
        }

        var sent = new List<(int Origin, byte[] Payload)>();
        for (int origin = 0; origin < 4; origin++)
            for (int n = 0; n < 10; n++)
            {
                byte[] payload = Encoding.ASCII.GetBytes($"gossip {n} from {origin}");
                Assert.That(line[origin].Host.Gossip(Channel.Sync, payload), Is.True);
                sent.Add((origin, payload));
            }
        Assert.That(line[0].Host.Gossip(Channel.Sync, sent[0].Payload), Is.False, "a message already gossiped is not sent again");

        FlushWithSentinels(line);
        for (int i = 0; i < 4; i++)
        {
            var received = line[i].Sink.Messages.Where(m => !IsSentinel(m.Payload)).Select(m => Encoding.ASCII.GetString(m.Payload)).ToList();
            var expected = sent.Where(s => s.Origin != i).Select(s => Encoding.ASCII.GetString(s.Payload)).ToList();
            Assert.That(received, Is.EquivalentTo(expected), $"host {i} delivered every other host's gossip exactly once, and not its own");
        }
        Assert.That(line[3].Sink.Messages.Count(m => m.From == line[2].Host.Address && !IsSentinel(m.Payload)), Is.EqualTo(30),
            "D hears A's, B's and C's gossip through C, its only neighbour");
    }

    [Test]
    public void Gossip_in_a_full_mesh_is_delivered_once_although_copies_arrive_from_every_neighbour()
    {
        using var net = new TestNetwork();
        var mesh = new List<(P2PHost Host, RecordingSink Sink)>();
        for (int i = 0; i < 4; i++)
            mesh.Add(net.Start(TestKeys.Node(i), TestNetwork.Options(mesh.Select(m => TestNetwork.SeedOf(m.Host)).ToArray())));
        TestNetwork.FullyConnected(mesh.Select(m => m.Host).ToList());

        for (int n = 0; n < 20; n++) mesh[n % 4].Host.Gossip(Channel.Sync, Encoding.ASCII.GetBytes($"mesh gossip {n}"));

        FlushWithSentinels(mesh);
        for (int i = 0; i < 4; i++)
        {
            var received = mesh[i].Sink.Messages.Where(m => !IsSentinel(m.Payload)).Select(m => Encoding.ASCII.GetString(m.Payload)).ToList();
            Assert.That(received, Is.Unique);
            Assert.That(received, Has.Count.EqualTo(15), $"host {i}: the 15 messages it did not originate");
        }
        Assert.That(mesh.Sum(m => m.Host.Metrics.Drops(DropReason.Duplicate)), Is.GreaterThan(0), "relayed copies were received and dropped");
    }

    /// <summary>
    /// Sync is reliable and ordered per link, and a node relays in the order it receives, so once
    /// every node has every other node's sentinel, every earlier copy on every path has arrived.
    /// </summary>
    private static void FlushWithSentinels(List<(P2PHost Host, RecordingSink Sink)> hosts)
    {
        for (int i = 0; i < hosts.Count; i++) hosts[i].Host.Gossip(Channel.Sync, Sentinel(i));
        foreach (var (host, sink) in hosts)
            TestNetwork.Eventually(() => sink.Messages.Count(m => IsSentinel(m.Payload)) == hosts.Count - 1, $"{host.Address} got every sentinel");
    }

    private static byte[] Sentinel(int i) => Encoding.ASCII.GetBytes($"sentinel {i}");
    private static bool IsSentinel(byte[] payload) => Encoding.ASCII.GetString(payload).StartsWith("sentinel ", StringComparison.Ordinal);
}
