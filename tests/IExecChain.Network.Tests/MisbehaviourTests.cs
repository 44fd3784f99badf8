using NUnit.Framework;
using System.Text;

namespace IExecChain.Network.Tests;

[TestFixture]
public sealed class MisbehaviourTests
{
    [Test]
    public void An_oversized_message_is_dropped_and_its_sender_penalized()
    {
        using var net = new TestNetwork();
        var (receiver, sink) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        var lax = TestNetwork.Options(TestNetwork.SeedOf(receiver));
        // A sender whose own limit is larger (another version, or a hostile build).
        var (sender, _) = net.Start(TestKeys.Node(1), new NetworkOptions
        {
            ChainId = lax.ChainId, GenesisHash = lax.GenesisHash, ListenPort = 0, Seeds = lax.Seeds,
            Transactions = lax.Transactions with { MaxMessageBytes = 1 << 20 },
        });
        TestNetwork.FullyConnected([receiver, sender]);

        Assert.That(sender.Send(sender.Peers[0], Channel.Transactions, new byte[100_000]), Is.True);
        Assert.That(sender.Send(sender.Peers[0], Channel.Transactions, "fits"u8), Is.True);

        // Transactions is unordered: the small message may overtake the large one.
        TestNetwork.Eventually(() => sink.Messages.Count == 1, "the message within the limit arrives");
        TestNetwork.Eventually(() => receiver.Metrics.PenaltyPoints == receiver.Options.Penalties.Oversized, "the sender is penalized");
        Assert.That(Encoding.ASCII.GetString(sink.Messages.Single().Payload), Is.EqualTo("fits"));
        Assert.That(receiver.Metrics.Drops(DropReason.Oversized), Is.EqualTo(1));
        Assert.That(receiver.Peers.Single().Score, Is.GreaterThan(0).And.LessThanOrEqualTo(receiver.Options.Penalties.Oversized));
        Assert.That(receiver.Peers, Has.Count.EqualTo(1), "one oversized message is below the ban threshold");
    }

    [Test]
    public void A_flooding_peer_is_rate_limited_then_disconnected_and_banned_while_the_others_keep_working()
    {
        using var net = new TestNetwork();
        var defaults = TestNetwork.Options();
        var (victim, victimSink) = net.Start(TestKeys.Node(0), new NetworkOptions
        {
            ChainId = defaults.ChainId, GenesisHash = defaults.GenesisHash, ListenPort = 0,
            Transactions = new ChannelLimits(64 << 10, MessagesPerSecond: 100, BytesPerSecond: 1 << 20, BurstSeconds: 1),
            RedialMinDelay = defaults.RedialMinDelay, RedialMaxDelay = defaults.RedialMaxDelay,
        });
        var (flooder, _) = net.Start(TestKeys.Node(1), TestNetwork.Options(TestNetwork.SeedOf(victim)));
        var (honest, honestSink) = net.Start(TestKeys.Node(2), TestNetwork.Options(TestNetwork.SeedOf(victim), TestNetwork.SeedOf(flooder)));
        TestNetwork.FullyConnected([victim, flooder, honest]);

        var victimAsSeenByFlooder = flooder.Peers.Single(p => p.Address == victim.Address);
        byte[] spam = new byte[200];
        int sent = 0;
        for (int i = 0; i < 2_000 && victimAsSeenByFlooder.IsAuthenticated; i++)
        {
            BitConverter.TryWriteBytes(spam, i);
            if (flooder.Send(victimAsSeenByFlooder, Channel.Transactions, spam)) sent++;
        }

        TestNetwork.Eventually(() => victim.Metrics.Bans == 1, "the flooder is banned");
        TestNetwork.Eventually(() => victim.Peers.All(p => p.Address != flooder.Address), "the flooder is disconnected");
        Assert.That(victim.IsBanned(flooder.Address), Is.True);
        Assert.That(victim.Metrics.Drops(DropReason.RateLimited), Is.GreaterThanOrEqualTo(victim.Options.BanThreshold / victim.Options.Penalties.RateLimited));
        Assert.That(victimSink.Count(m => m.From == flooder.Address), Is.LessThan(sent), "the rate limit held part of the flood back");
        TestNetwork.Eventually(() => flooder.Metrics.DisconnectsByPeer(DisconnectCause.Banned) >= 2, "the flooder's re-dial is refused too");

        // The honest peer still talks to the victim, both ways.
        var victimForHonest = honest.Peers.Single(p => p.Address == victim.Address);
        var honestForVictim = victim.Peers.Single(p => p.Address == honest.Address);
        Assert.That(honest.Send(victimForHonest, Channel.Consensus, "still here"u8), Is.True);
        Assert.That(victim.Send(honestForVictim, Channel.Consensus, "me too"u8), Is.True);
        TestNetwork.Eventually(() => victimSink.Count(m => m.From == honest.Address) == 1, "victim hears the honest peer");
        TestNetwork.Eventually(() => honestSink.Count(m => m.From == victim.Address) == 1, "honest peer hears the victim");
    }

    [Test]
    public void A_consumer_penalty_over_the_threshold_bans_the_peer()
    {
        using var net = new TestNetwork();
        var (a, sink) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        // The consumer finds the payload invalid (say, a bad vote signature) and penalizes from the sink.
        sink.OnEach = (peer, _, _) => a.Penalize(peer, "invalid vote signature", 60);
        var (b, _) = net.Start(TestKeys.Node(1), TestNetwork.Options(TestNetwork.SeedOf(a)));
        TestNetwork.FullyConnected([a, b]);

        b.Send(b.Peers[0], Channel.Consensus, "bad vote 1"u8);
        TestNetwork.Eventually(() => sink.Messages.Count == 1, "first bad vote delivered");
        Assert.That(a.IsBanned(b.Address), Is.False, "60 points are below the threshold of 100");
        b.Send(b.Peers[0], Channel.Consensus, "bad vote 2"u8);

        TestNetwork.Eventually(() => a.IsBanned(b.Address) && a.Peers.Count == 0, "b is banned and disconnected");
        TestNetwork.Eventually(() => b.Metrics.DisconnectsByPeer(DisconnectCause.Banned) > 0, "b told it is banned");
    }
}
