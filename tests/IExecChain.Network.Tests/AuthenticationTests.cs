using NUnit.Framework;
using IExecChain.Core.Crypto;
using IExecChain.Network.Wire;

namespace IExecChain.Network.Tests;

[TestFixture]
public sealed class AuthenticationTests
{
    [Test]
    public void A_node_on_another_chain_is_refused_with_the_reason()
    {
        using var net = new TestNetwork();
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        var other = TestNetwork.Options(TestNetwork.SeedOf(a));
        var (b, _) = net.Start(TestKeys.Node(1), new NetworkOptions
        {
            ChainId = TestNetwork.ChainId + 1, GenesisHash = other.GenesisHash, ListenPort = 0, Seeds = other.Seeds,
        });

        TestNetwork.Eventually(() => b.Metrics.DisconnectsByPeer(DisconnectCause.WrongChain) > 0, "b told it is on the wrong chain");
        Assert.That(a.Metrics.DisconnectsByUs(DisconnectCause.WrongChain), Is.GreaterThan(0));
        Assert.That(a.Peers, Is.Empty);
        Assert.That(b.Peers, Is.Empty);
    }

    [Test]
    public void A_node_with_another_genesis_is_refused_with_the_reason()
    {
        using var net = new TestNetwork();
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        var other = TestNetwork.Options(TestNetwork.SeedOf(a));
        var (b, _) = net.Start(TestKeys.Node(1), new NetworkOptions
        {
            ChainId = TestNetwork.ChainId, GenesisHash = Keccak256.Hash([1, 2, 3]), ListenPort = 0, Seeds = other.Seeds,
        });

        TestNetwork.Eventually(() => b.Metrics.DisconnectsByPeer(DisconnectCause.WrongGenesis) > 0, "b told its genesis differs");
        Assert.That(a.Metrics.DisconnectsByUs(DisconnectCause.WrongGenesis), Is.GreaterThan(0));
        Assert.That(a.Peers, Is.Empty);
    }

    [Test]
    public void A_hello_with_another_genesis_is_refused_even_after_a_valid_preamble()
    {
        using var net = new TestNetwork();
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        using var rogue = net.Own(new RogueClient());
        rogue.Connect(a);
        rogue.AwaitHello();
        var lying = new NetworkOptions { ChainId = TestNetwork.ChainId, GenesisHash = Keccak256.Hash([9]) };

        rogue.SendControl(RogueClient.HelloFrom(TestKeys.Node(5).Address, Handshake.NewChallenge(), lying));

        TestNetwork.Eventually(() => rogue.Disconnected, "host closes the connection");
        Assert.That(rogue.Goodbye?.Reason, Is.EqualTo(GoodbyeReason.GoodbyeWrongGenesis));
    }

    [Test]
    public void An_honest_proof_is_accepted_and_the_same_proof_replayed_on_a_new_connection_is_refused()
    {
        using var net = new TestNetwork();
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        var victim = TestKeys.Node(7);
        using var rogue = net.Own(new RogueClient());
        byte[] ownChallenge = Handshake.NewChallenge();
        using var ownEphemeral = new EphemeralKey();

        // First connection: the real key holder authenticates (this is the traffic an eavesdropper records).
        rogue.Connect(a);
        var hello = rogue.AwaitHello();
        var recordedHello = RogueClient.HelloFrom(victim.Address, ownChallenge, a.Options, ownEphemeral.PublicKey);
        var recordedProof = RogueClient.ProofBy(victim, a.Options, hello.Challenge.Span, ownChallenge, hello.EphemeralKey.Span, ownEphemeral.PublicKey);
        rogue.SendControl(recordedHello);
        rogue.SendControl(recordedProof);
        rogue.SendControl(new ControlMessage { Accepted = new AuthAccepted() });
        TestNetwork.Eventually(() => a.Peers.Count == 1 && a.Peers[0].Address == victim.Address, "the honest proof is accepted");
        rogue.Disconnect();
        TestNetwork.Eventually(() => a.Peers.Count == 0, "first connection closed");

        // Second connection: the recorded messages, byte for byte, against a fresh challenge.
        rogue.Connect(a);
        rogue.AwaitHello();
        rogue.SendControl(recordedHello);
        rogue.SendControl(recordedProof);
        rogue.SendControl(new ControlMessage { Accepted = new AuthAccepted() });

        TestNetwork.Eventually(() => rogue.Disconnected, "host closes the replaying connection");
        Assert.That(rogue.Goodbye?.Reason, Is.EqualTo(GoodbyeReason.GoodbyeBadSignature));
        Assert.That(a.Peers, Is.Empty);
    }

    [Test]
    public void A_proof_signed_by_another_key_than_the_claimed_address_is_refused()
    {
        using var net = new TestNetwork();
        var (a, rogue, hello) = RogueGreetedBy(net);
        byte[] challenge = Handshake.NewChallenge();
        using var ephemeral = new EphemeralKey();

        rogue.SendControl(RogueClient.HelloFrom(TestKeys.Node(7).Address, challenge, a.Options, ephemeral.PublicKey));
        rogue.SendControl(RogueClient.ProofBy(TestKeys.Node(8), a.Options, hello.Challenge.Span, challenge, hello.EphemeralKey.Span, ephemeral.PublicKey));

        TestNetwork.Eventually(() => rogue.Disconnected, "host closes the forging connection");
        Assert.That(rogue.Goodbye?.Reason, Is.EqualTo(GoodbyeReason.GoodbyeBadSignature));
        Assert.That(a.Metrics.DisconnectsByUs(DisconnectCause.BadSignature), Is.EqualTo(1));
    }

    [Test]
    public void A_proof_over_another_ephemeral_key_than_the_hello_carried_is_refused()
    {
        // What a relay sees when it swaps in its own ephemeral key to read the session: the key holder
        // signed the key it generated, the host received another one.
        using var net = new TestNetwork();
        var (a, rogue, hello) = RogueGreetedBy(net);
        byte[] challenge = Handshake.NewChallenge();
        using var signed = new EphemeralKey();
        using var substituted = new EphemeralKey();

        rogue.SendControl(RogueClient.HelloFrom(TestKeys.Node(7).Address, challenge, a.Options, substituted.PublicKey));
        rogue.SendControl(RogueClient.ProofBy(TestKeys.Node(7), a.Options, hello.Challenge.Span, challenge, hello.EphemeralKey.Span, signed.PublicKey));

        TestNetwork.Eventually(() => rogue.Disconnected, "host closes the connection");
        Assert.That(rogue.Goodbye?.Reason, Is.EqualTo(GoodbyeReason.GoodbyeBadSignature));
        Assert.That(a.Peers, Is.Empty);
    }

    [Test]
    public void A_hello_whose_ephemeral_key_is_not_a_curve_point_is_refused()
    {
        using var net = new TestNetwork();
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        using var rogue = net.Own(new RogueClient());
        rogue.Connect(a);
        rogue.AwaitHello();
        byte[] offCurve = new byte[KeyExchange.PublicKeySize];
        offCurve[0] = 0x04;
        offCurve[^1] = 1; // (0, 1) is not on P-256

        rogue.SendControl(RogueClient.HelloFrom(TestKeys.Node(7).Address, Handshake.NewChallenge(), a.Options, offCurve));

        TestNetwork.Eventually(() => rogue.Disconnected, "host closes the connection");
        Assert.That(rogue.Goodbye?.Reason, Is.EqualTo(GoodbyeReason.GoodbyeProtocolViolation));
        Assert.That(rogue.Goodbye?.Detail, Does.Contain("P-256"));
    }

    [Test]
    public void A_reflected_hello_and_the_hosts_own_proof_are_refused()
    {
        using var net = new TestNetwork();
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        using var rogue = net.Own(new RogueClient());

        // Echo the host's own Hello back: same challenge, same address.
        rogue.Connect(a);
        var hello = rogue.AwaitHello();
        rogue.SendControl(new ControlMessage { Hello = hello });
        TestNetwork.Eventually(() => rogue.Disconnected, "host refuses its own Hello");
        Assert.That(rogue.Goodbye?.Reason, Is.EqualTo(GoodbyeReason.GoodbyeProtocolViolation));

        // Claim the host's address with a fresh challenge, then reflect the proof the host sends us.
        rogue.Connect(a);
        hello = rogue.AwaitHello();
        byte[] challenge = Handshake.NewChallenge();
        rogue.SendControl(RogueClient.HelloFrom(a.Address, challenge, a.Options));
        ControlMessage? hostProof = null;
        TestNetwork.Eventually(() => rogue.Control.Any(m => (hostProof = m).Auth is not null), "host proof");
        rogue.SendControl(hostProof!);
        TestNetwork.Eventually(() => rogue.Disconnected, "host refuses its reflected proof");
        Assert.That(rogue.Goodbye?.Reason, Is.EqualTo(GoodbyeReason.GoodbyeBadSignature));
        Assert.That(a.Peers, Is.Empty);
    }

    [Test]
    public void A_second_connection_with_an_already_connected_identity_is_refused()
    {
        using var net = new TestNetwork();
        var (a, _) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        var (b1, _) = net.Start(TestKeys.Node(1), TestNetwork.Options(TestNetwork.SeedOf(a)));
        TestNetwork.FullyConnected([a, b1]);

        var (b2, _) = net.Start(TestKeys.Node(1), TestNetwork.Options(TestNetwork.SeedOf(a)));

        TestNetwork.Eventually(() => b2.Metrics.DisconnectsByPeer(DisconnectCause.DuplicateIdentity) > 0, "b2 told its identity is taken");
        Assert.That(a.Peers.Single().EndPoint, Is.EqualTo(b1.LocalEndPoint), "the first connection stays");
        Assert.That(b2.Peers, Is.Empty);
    }

    [Test]
    public void Application_traffic_before_authentication_is_dropped_and_closes_the_connection_without_a_ban()
    {
        using var net = new TestNetwork();
        var (a, sink) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        using var rogue = net.Own(new RogueClient());
        rogue.Connect(a);
        rogue.AwaitHello();

        for (int i = 0; i < 10; i++) rogue.SendFrame(Channel.Consensus, [P2PHost.FrameDirect, 1, 2, (byte)i]);

        TestNetwork.Eventually(() => a.Metrics.DisconnectsByUs(DisconnectCause.ProtocolViolation) == 1, "the connection closed");
        Assert.That(a.Metrics.Drops(DropReason.Unauthenticated), Is.EqualTo(1), "dropped, then nothing more arrives on the closed connection");
        Assert.That(sink.Messages, Is.Empty);
        // A restarted node's crossed connection looks exactly like this: it must be able to come straight back.
        Assert.That(a.Metrics.PenaltyPoints, Is.Zero);
        Assert.That(a.Metrics.DisconnectsByUs(DisconnectCause.Banned), Is.Zero);
        TestNetwork.Eventually(() => rogue.Disconnected, "the sender is told");
        Assert.That(rogue.Goodbye?.Reason, Is.EqualTo(GoodbyeReason.GoodbyeProtocolViolation));
        rogue.Connect(a);
        rogue.AwaitHello();
    }

    [Test]
    public void A_connection_that_never_completes_the_handshake_is_closed()
    {
        using var net = new TestNetwork();
        var options = TestNetwork.Options();
        var (a, _) = net.Start(TestKeys.Node(0), new NetworkOptions
        {
            ChainId = options.ChainId, GenesisHash = options.GenesisHash, ListenPort = 0, HandshakeTimeout = TimeSpan.FromMilliseconds(300),
        });
        using var rogue = net.Own(new RogueClient());
        rogue.Connect(a);

        TestNetwork.Eventually(() => rogue.Disconnected, "host gives up on the silent connection");
        Assert.That(rogue.Goodbye?.Reason, Is.EqualTo(GoodbyeReason.GoodbyeHandshakeTimeout));
    }

    [Test]
    public void Connections_beyond_the_peer_limit_are_refused()
    {
        using var net = new TestNetwork();
        var options = TestNetwork.Options();
        var (a, _) = net.Start(TestKeys.Node(0), new NetworkOptions
        {
            ChainId = options.ChainId, GenesisHash = options.GenesisHash, ListenPort = 0, MaxPeers = 1, ReservedValidatorSlots = 0,
        });
        var (b, _) = net.Start(TestKeys.Node(1), TestNetwork.Options(TestNetwork.SeedOf(a)));
        TestNetwork.FullyConnected([a, b]);

        var (c, _) = net.Start(TestKeys.Node(2), TestNetwork.Options(TestNetwork.SeedOf(a)));

        TestNetwork.Eventually(() => c.Metrics.DisconnectsByPeer(DisconnectCause.TooManyPeers) > 0, "c told a is full");
        Assert.That(a.Peers.Single().Address, Is.EqualTo(b.Address));
    }

    /// <summary>A host, and a rogue client connected to it that has received the host's Hello (the rogue is disposed with <paramref name="net"/>).</summary>
    private static (P2PHost Host, RogueClient Rogue, Hello Hello) RogueGreetedBy(TestNetwork net)
    {
        var (host, _) = net.Start(TestKeys.Node(0), TestNetwork.Options());
        var rogue = net.Own(new RogueClient());
        rogue.Connect(host);
        return (host, rogue, rogue.AwaitHello());
    }
}
