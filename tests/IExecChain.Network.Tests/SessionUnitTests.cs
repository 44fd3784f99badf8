using NUnit.Framework;
using System.Security.Cryptography;

namespace IExecChain.Network.Tests;

[TestFixture]
public sealed class SessionUnitTests
{
    [Test]
    public void The_replay_window_accepts_each_counter_once_in_any_order_within_its_size()
    {
        var window = new ReplayWindow();
        foreach (ulong c in new ulong[] { 2, 1, 5, 3 })
        {
            Assert.That(window.IsFresh(c), Is.True, $"first {c}");
            window.Mark(c);
        }
        foreach (ulong c in new ulong[] { 1, 2, 3, 5 }) Assert.That(window.IsFresh(c), Is.False, $"replayed {c}");
        Assert.That(window.IsFresh(4), Is.True, "a gap stays open");
        Assert.That(window.IsFresh(0), Is.False, "counters start at 1");

        window.Mark(5 + ReplayWindow.Size);
        Assert.That(window.IsFresh(5), Is.False, "too old to tell: refused");
        Assert.That(window.IsFresh(6), Is.True, "the oldest counter still inside the window");
        Assert.That(window.IsFresh(5 + ReplayWindow.Size), Is.False);
    }

    [Test]
    public void A_window_that_jumps_forgets_the_slots_of_the_counters_that_left_it()
    {
        var window = new ReplayWindow();
        window.Mark(10);
        window.Mark(10 + ReplayWindow.Size); // reuses ring slot 10
        Assert.That(window.IsFresh(10 + 2 * ReplayWindow.Size - 1), Is.True);
        window.Mark(10 + 2 * ReplayWindow.Size);
        Assert.That(window.IsFresh(11 + ReplayWindow.Size), Is.True, "a counter never seen is fresh, whatever its ring slot held");
    }

    [Test]
    public void Both_ends_derive_the_same_keys_one_per_direction()
    {
        var (a, b) = Pair();
        byte[] frame = "vote for block 12"u8.ToArray();
        byte[] sealedByA = new byte[frame.Length + SessionCipher.Overhead];
        Assert.That(a.Seal(1, frame, sealedByA), Is.True);

        byte[] opened = new byte[frame.Length];
        Assert.That(b.TryOpen(1, sealedByA, opened), Is.EqualTo(OpenResult.Authentic));
        Assert.That(opened, Is.EqualTo(frame));
        Assert.That(a.TryOpen(1, sealedByA, opened), Is.EqualTo(OpenResult.Tampered), "reflected to its sender, a message does not open");
        Assert.That(b.TryOpen(1, sealedByA, opened), Is.EqualTo(OpenResult.Replayed));
    }

    [Test]
    public void Keys_depend_on_the_chain_and_on_both_challenges()
    {
        using var x = new EphemeralKey();
        using var y = new EphemeralKey();
        byte[] secret = x.Agree(y.PublicKey)!;
        byte[] cx = Handshake.NewChallenge(), cy = Handshake.NewChallenge();
        var sender = KeyExchange.Derive(secret, 7, TestNetwork.Genesis, x.PublicKey, y.PublicKey, cx, cy);
        byte[] frame = [0, 1, 2, 3];
        byte[] sealedFrame = new byte[frame.Length + SessionCipher.Overhead];
        sender.Seal(1, frame, sealedFrame);

        foreach (var (chain, challenge) in new[] { (8UL, cy), (7UL, Handshake.NewChallenge()) })
        {
            var other = KeyExchange.Derive(secret, chain, TestNetwork.Genesis, y.PublicKey, x.PublicKey, challenge, cx);
            Assert.That(other.TryOpen(1, sealedFrame, new byte[frame.Length]), Is.EqualTo(OpenResult.Tampered));
        }
        var right = KeyExchange.Derive(secret, 7, TestNetwork.Genesis, y.PublicKey, x.PublicKey, cy, cx);
        Assert.That(right.TryOpen(1, sealedFrame, new byte[frame.Length]), Is.EqualTo(OpenResult.Authentic));
    }

    [Test]
    public void A_closed_session_refuses_to_seal()
    {
        var (a, _) = Pair();
        a.Dispose();
        Assert.That(a.Seal(1, [1], new byte[1 + SessionCipher.Overhead]), Is.False);
    }

    [Test]
    public void The_log_throttle_writes_the_first_line_of_a_kind_then_counts_until_the_period_ends()
    {
        long now = 0;
        var throttle = new LogThrottle(60_000, () => now);
        Assert.That(throttle.TryWrite("bad packet", out _), Is.True);
        for (int i = 0; i < 1000; i++) Assert.That(throttle.TryWrite("bad packet", out _), Is.False);
        Assert.That(throttle.TryWrite("refused", out _), Is.True, "kinds are throttled apart");
        Assert.That(throttle.Flush(), Is.Null, "nothing is due before the period ends");

        now = 60_000;
        Assert.That(throttle.Flush(), Is.EqualTo(new List<(string, long)> { ("bad packet", 1000) }));
        Assert.That(throttle.TryWrite("bad packet", out _), Is.False, "under a steady attack, only the summaries are written");
        now = 120_000;
        Assert.That(throttle.Flush(), Is.EqualTo(new List<(string, long)> { ("bad packet", 1) }));
        now = 180_001;
        Assert.That(throttle.Flush(), Is.Null);
        Assert.That(throttle.TryWrite("bad packet", out _), Is.True, "after a quiet period the next line is written again");
    }

    [Test]
    public void The_log_throttle_caps_the_number_of_kinds()
    {
        var throttle = new LogThrottle(60_000, () => 0);
        for (int i = 0; i < LogThrottle.MaxKinds; i++) throttle.TryWrite($"kind {i}", out _);
        Assert.That(throttle.TryWrite("one too many", out var counted), Is.True);
        Assert.That(counted, Is.EqualTo(LogThrottle.OverflowKind));
        Assert.That(throttle.TryWrite("yet another", out counted), Is.False);
        Assert.That(counted, Is.EqualTo(LogThrottle.OverflowKind));
    }

    [Test]
    public void A_litenetlib_line_is_kinded_by_its_fixed_prefix()
    {
        Assert.That(LiteNetLibLog.KindOf("[NM] DataReceived: bad!"), Is.EqualTo("[NM] DataReceived"));
        Assert.That(LiteNetLibLog.KindOf("[NM] SocketReceiveThread error: System.NullReferenceException: ..."), Is.EqualTo("[NM] SocketReceiveThread error"));
        Assert.That(LiteNetLibLog.KindOf(new string('x', 500)), Has.Length.EqualTo(48));
    }

    private static (SessionCipher A, SessionCipher B) Pair()
    {
        using var x = new EphemeralKey();
        using var y = new EphemeralKey();
        byte[] cx = RandomNumberGenerator.GetBytes(32), cy = RandomNumberGenerator.GetBytes(32);
        var a = KeyExchange.Derive(x.Agree(y.PublicKey)!, 7, TestNetwork.Genesis, x.PublicKey, y.PublicKey, cx, cy);
        var b = KeyExchange.Derive(y.Agree(x.PublicKey)!, 7, TestNetwork.Genesis, y.PublicKey, x.PublicKey, cy, cx);
        return (a, b);
    }
}
