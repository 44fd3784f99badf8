using NUnit.Framework;
using IExecChain.Core.Primitives;

namespace IExecChain.Network.Tests;

[TestFixture]
public sealed class UnitTests
{
    [Test]
    public void The_proof_digest_depends_on_the_order_of_the_challenges_the_ephemeral_keys_and_the_chain()
    {
        byte[] a = Enumerable.Repeat((byte)1, 32).ToArray(), b = Enumerable.Repeat((byte)2, 32).ToArray();
        byte[] ka = Enumerable.Repeat((byte)3, 65).ToArray(), kb = Enumerable.Repeat((byte)4, 65).ToArray();
        var genesis = TestNetwork.Genesis;
        Hash256 ab = Handshake.ProofDigest(7, genesis, a, b, ka, kb);
        Assert.That(Handshake.ProofDigest(7, genesis, b, a, ka, kb), Is.Not.EqualTo(ab));
        Assert.That(Handshake.ProofDigest(7, genesis, a, b, kb, ka), Is.Not.EqualTo(ab), "a substituted ephemeral key changes what is signed");
        Assert.That(Handshake.ProofDigest(8, genesis, a, b, ka, kb), Is.Not.EqualTo(ab));
        Assert.That(Handshake.ProofDigest(7, Hash256.Zero, a, b, ka, kb), Is.Not.EqualTo(ab));
        Assert.That(Handshake.ProofDigest(7, genesis, a, b, ka, kb), Is.EqualTo(ab));
    }

    [Test]
    public void A_token_bucket_allows_its_burst_then_its_rate()
    {
        var bucket = new TokenBucket(ratePerSecond: 10, capacity: 5, nowMs: 0);
        for (int i = 0; i < 5; i++) Assert.That(bucket.TryTake(1, 0), Is.True);
        Assert.That(bucket.TryTake(1, 0), Is.False);
        Assert.That(bucket.TryTake(1, 99), Is.False, "99 ms refill 0.99 tokens");
        Assert.That(bucket.TryTake(1, 100), Is.True, "100 ms refill one token");
        Assert.That(bucket.TryTake(5, 10_000), Is.True, "10 s refill 100 tokens, capped at 5");
        Assert.That(bucket.TryTake(1, 10_000), Is.False);
    }

    [Test]
    public void The_seen_set_forgets_after_its_ttl_and_beyond_its_capacity()
    {
        var seen = new GossipSeenSet(capacity: 3, ttlMs: 1000);
        Hash256 h(int i) => Hash256.Parse($"0x{i:x64}");
        Assert.That(seen.TryAdd(Channel.Consensus, h(1), 0), Is.True);
        Assert.That(seen.TryAdd(Channel.Consensus, h(1), 10), Is.False);
        Assert.That(seen.TryAdd(Channel.Sync, h(1), 10), Is.True, "channels are separate");
        Assert.That(seen.TryAdd(Channel.Consensus, h(1), 1000), Is.True, "expired");
        seen.TryAdd(Channel.Consensus, h(2), 1001);
        seen.TryAdd(Channel.Consensus, h(3), 1002);
        seen.TryAdd(Channel.Consensus, h(4), 1003);
        Assert.That(seen.Count, Is.EqualTo(3));
        Assert.That(seen.TryAdd(Channel.Consensus, h(4), 1004), Is.False);
        Assert.That(seen.TryAdd(Channel.Consensus, h(1), 1004), Is.True, "the oldest entry was evicted");
    }

    [Test]
    public void Options_reject_what_the_transport_cannot_carry()
    {
        var good = TestNetwork.Options();
        Assert.DoesNotThrow(good.Validate);
        Assert.That(good.MaxFragments, Is.EqualTo(((17 << 20) + 25 + 1013) / 1014), "the largest channel, Snapshots (17 MiB), and the 25 bytes of framing and seal, in 1014-byte fragments");
        Assert.Throws<ArgumentException>(() => new NetworkOptions { ChainId = 0, GenesisHash = TestNetwork.Genesis }.Validate());
        Assert.Throws<ArgumentException>(() => new NetworkOptions { ChainId = 1, GenesisHash = Hash256.Zero }.Validate());
        Assert.Throws<ArgumentException>(() => new NetworkOptions
        {
            ChainId = 1, GenesisHash = TestNetwork.Genesis, Sync = new ChannelLimits(100 << 20, 1, 1),
        }.Validate());
    }
}
