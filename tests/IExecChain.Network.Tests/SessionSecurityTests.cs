using NUnit.Framework;
using System.Text;

namespace IExecChain.Network.Tests;

/// <summary>The sealed session on real sockets: a rogue that completed an honest handshake tampers with and replays its own sealed messages.</summary>
[TestFixture]
public sealed class SessionSecurityTests
{
    [Test]
    public void A_modified_message_is_dropped_and_counted_unscored_and_the_connection_keeps_working()
    {
        using var net = new TestNetwork();
        var (host, sink) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        using var rogue = net.Own(new RogueClient());
        rogue.Authenticate(host, TestKeys.Node(7));

        byte[] flippedCiphertext = rogue.Seal(Channel.Sync, "transfer 10 RLC"u8);
        flippedCiphertext[SessionCipher.CounterSize + 3] ^= 0x01;
        byte[] flippedTag = rogue.Seal(Channel.Sync, "transfer 10 RLC"u8);
        flippedTag[^1] ^= 0x80;
        byte[] otherChannel = rogue.Seal(Channel.Consensus, "vote"u8);
        byte[] truncated = rogue.Seal(Channel.Sync, "x"u8)[..(SessionCipher.Overhead - 1)];
        rogue.SendFrame(Channel.Sync, flippedCiphertext);
        rogue.SendFrame(Channel.Sync, flippedTag);
        rogue.SendFrame(Channel.Sync, otherChannel); // sealed for Consensus, sent on Sync: the nonce differs
        rogue.SendFrame(Channel.Sync, truncated);
        rogue.SendFrame(Channel.Sync, rogue.Seal(Channel.Sync, "intact"u8));

        // Sync is ordered: once the intact message is delivered, the four before it were judged.
        TestNetwork.Eventually(() => sink.Messages.Count == 1, "the intact message arrives");
        Assert.That(Encoding.ASCII.GetString(sink.Messages.Single().Payload), Is.EqualTo("intact"));
        Assert.That(host.Metrics.Drops(DropReason.Tampered), Is.EqualTo(4));
        Assert.That(host.Metrics.PenaltyPoints, Is.Zero, "anyone on the path can break a seal: the peer is not blamed");
        Assert.That(host.Peers.Single().Address, Is.EqualTo(TestKeys.Node(7).Address), "the connection survives");
    }

    [Test]
    public void A_replayed_message_is_dropped_while_messages_reordered_within_the_window_are_delivered()
    {
        using var net = new TestNetwork();
        var (host, sink) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        using var rogue = net.Own(new RogueClient());
        rogue.Authenticate(host, TestKeys.Node(7));
        byte[] first = rogue.Seal(Channel.Sync, "first"u8);
        byte[] second = rogue.Seal(Channel.Sync, "second"u8);

        // Later counter first (what an unordered channel does after a retransmission), then both again.
        rogue.SendFrame(Channel.Sync, second);
        rogue.SendFrame(Channel.Sync, first);
        rogue.SendFrame(Channel.Sync, first);
        rogue.SendFrame(Channel.Sync, second);
        rogue.SendFrame(Channel.Sync, rogue.Seal(Channel.Sync, "third"u8));

        TestNetwork.Eventually(() => sink.Messages.Any(m => m.Payload.AsSpan().SequenceEqual("third"u8)), "the message after the replays arrives");
        Assert.That(sink.Messages.Select(m => Encoding.ASCII.GetString(m.Payload)), Is.EqualTo(new[] { "second", "first", "third" }));
        Assert.That(host.Metrics.Drops(DropReason.Replayed), Is.EqualTo(2));
        Assert.That(host.Peers, Has.Count.EqualTo(1));
    }

    [Test]
    public void What_the_host_sends_is_sealed_on_the_wire_and_opens_only_with_the_session_keys()
    {
        using var net = new TestNetwork();
        var (host, _) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        using var rogue = net.Own(new RogueClient());
        rogue.Authenticate(host, TestKeys.Node(7));
        byte[] plain = Encoding.ASCII.GetBytes("a recognisable consensus payload");
        Assert.That(host.TryGetPeer(TestKeys.Node(7).Address, out var peer), Is.True);

        Assert.That(host.Send(peer!, Channel.Consensus, plain), Is.True);

        TestNetwork.Eventually(() => rogue.Sealed.Count == 1, "the rogue receives the message");
        var (channel, wire) = rogue.Sealed.Single();
        Assert.That(channel, Is.EqualTo(Channel.Consensus));
        Assert.That(wire, Has.Length.EqualTo(1 + plain.Length + SessionCipher.Overhead));
        Assert.That(Encoding.ASCII.GetString(wire), Does.Not.Contain("recognisable"));
        byte[] opened = new byte[wire.Length - SessionCipher.Overhead];
        Assert.That(rogue.Session!.TryOpen((byte)Channel.Consensus, wire, opened), Is.EqualTo(OpenResult.Authentic));
        Assert.That(opened[1..], Is.EqualTo(plain));
    }
}
