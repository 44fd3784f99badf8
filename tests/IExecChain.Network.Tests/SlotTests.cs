using NUnit.Framework;
using System.Net;

namespace IExecChain.Network.Tests;

/// <summary>Who gets a connection slot: validators keep reserved ones, unauthenticated senders are confined to the pending budget.</summary>
[TestFixture]
public sealed class SlotTests
{
    [Test]
    public void An_observer_cannot_take_a_slot_reserved_for_validators_and_a_validator_can()
    {
        using var net = new TestNetwork();
        var defaults = TestNetwork.Options();
        var validator = TestKeys.Node(3);
        var (host, _) = net.Start(TestKeys.Node(0), new NetworkOptions
        {
            ChainId = defaults.ChainId, GenesisHash = defaults.GenesisHash, ListenPort = 0, MaxPeers = 2, ReservedValidatorSlots = 1,
        });
        host.IsValidator = address => address == validator.Address;
        var (observer, _) = net.Start(TestKeys.Node(1), TestNetwork.Options(TestNetwork.SeedOf(host)));
        TestNetwork.FullyConnected([host, observer]);

        var (secondObserver, _) = net.Start(TestKeys.Node(2), TestNetwork.Options(TestNetwork.SeedOf(host)));
        TestNetwork.Eventually(() => secondObserver.Metrics.DisconnectsByPeer(DisconnectCause.TooManyPeers) > 0, "the second observer is told the observer slots are full");
        var (validatorHost, _) = net.Start(validator, TestNetwork.Options(TestNetwork.SeedOf(host)));

        TestNetwork.Eventually(() => host.Peers.Count == 2, "the validator takes the reserved slot");
        Assert.That(host.Peers.Select(p => p.Address), Is.EquivalentTo(new[] { observer.Address, validatorHost.Address }));
        Assert.That(host.Metrics.PeerCounts, Is.EqualTo((1, 1)));
        Assert.That(secondObserver.Peers, Is.Empty);
    }

    [Test]
    public void A_flood_of_silent_connections_from_other_addresses_does_not_keep_a_validator_out()
    {
        using var net = new TestNetwork();
        var defaults = TestNetwork.Options();
        var (host, _) = net.Start(TestKeys.Node(0), new NetworkOptions
        {
            ChainId = defaults.ChainId, GenesisHash = defaults.GenesisHash, ListenPort = 0,
            MaxPendingHandshakes = 6, MaxPendingPerIp = 2,
            // Long enough that no flood connection expires during the test: only the limits keep room.
            HandshakeTimeout = TimeSpan.FromMinutes(5),
        });
        // Two attacking addresses (all of 127.0.0.0/8 is loopback), four silent connection attempts each.
        var flood = new List<RogueClient>();
        foreach (var ip in new[] { "127.0.0.2", "127.0.0.3" })
            for (int i = 0; i < 4; i++) flood.Add(net.Own(new RogueClient(IPAddress.Parse(ip))));
        foreach (var rogue in flood) rogue.Dial(host);
        TestNetwork.Eventually(() => flood.Count(r => r.Connected) == 4 && flood.Count(r => r.Disconnected) == 4,
            "two connections per attacking address are accepted, the rest refused");

        var (validator, _) = net.Start(TestKeys.Node(1), TestNetwork.Options(TestNetwork.SeedOf(host)));

        TestNetwork.FullyConnected([host, validator]);
        Assert.That(host.Metrics.DisconnectsByUs(DisconnectCause.TooManyPeers), Is.EqualTo(4));
        Assert.That(flood.Where(r => r.Disconnected).Select(r => r.Goodbye?.Detail), Has.All.Contains("handshakes already pending from 127.0.0."));
    }
}
