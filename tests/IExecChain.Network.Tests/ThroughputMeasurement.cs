using System.Diagnostics;
using NUnit.Framework;

namespace IExecChain.Network.Tests;

/// <summary>
/// Messages per second between two hosts on loopback. A measurement, not a test: it asserts only
/// that everything arrived, and prints the figures recorded in benchmarks/RESULTS.md. Run with
/// <c>dotnet test tests/IExecChain.Network.Tests -c Release --filter "FullyQualifiedName~ThroughputMeasurement" --logger "console;verbosity=detailed"</c>.
/// </summary>
[TestFixture, Explicit("measurement; prints figures, takes ~20 s"), Category("Measurement")]
public sealed class ThroughputMeasurement
{
    [TestCase(Channel.Transactions, 200, 400_000)]
    [TestCase(Channel.Transactions, 1000, 200_000)]
    [TestCase(Channel.Sync, 1000, 200_000)]
    [TestCase(Channel.Consensus, 1 << 20, 100)]
    public void Messages_per_second_between_two_hosts(Channel channel, int size, int count)
    {
        var sink = new CountingSink();
        var generous = new ChannelLimits(8 << 20, 10_000_000, 1e12);
        NetworkOptions Options(params SeedPeer[] seeds)
        {
            var o = TestNetwork.Options(seeds);
            return new NetworkOptions
            {
                ChainId = o.ChainId, GenesisHash = o.GenesisHash, ListenPort = 0, Seeds = seeds,
                Consensus = generous with { MaxMessageBytes = 1 << 20 }, Transactions = generous with { MaxMessageBytes = 64 << 10 }, Sync = generous,
            };
        }
        using var net = new TestNetwork();
        var receiver = net.Own(new P2PHost(TestKeys.Node(0), Options(), sink));
        receiver.Start();
        var (sender, _) = net.Start(TestKeys.Node(1), Options(TestNetwork.SeedOf(receiver)));
        TestNetwork.FullyConnected([receiver, sender]);
        var peer = sender.Peers[0];
        byte[] payload = new byte[size];
        Random.Shared.NextBytes(payload);

        var clock = Stopwatch.StartNew();
        long refusals = 0;
        for (int i = 0; i < count; i++)
        {
            while (!sender.Send(peer, channel, payload))
            {
                refusals++;
                Thread.Sleep(0);
            }
        }
        TestNetwork.Eventually(() => Volatile.Read(ref sink.Count) == count, $"{count} messages arrive", timeoutMs: 120_000);
        double seconds = clock.Elapsed.TotalSeconds;

        TestContext.Out.WriteLine($"{channel,-12} {size,8} B x {count,7}: {count / seconds,10:N0} msg/s, {count * (double)size / seconds / (1 << 20),8:N1} MiB/s " +
                                  $"({seconds:F2} s, sender refused by a full queue {refusals:N0} times, drops {receiver.Metrics.Drops(DropReason.RateLimited)})");
        Assert.That(sink.Bytes, Is.EqualTo((long)count * size));
    }

    private sealed class CountingSink : IMessageSink
    {
        public int Count;
        public long Bytes;

        public void OnMessage(Peer peer, Channel channel, ReadOnlyMemory<byte> payload)
        {
            Interlocked.Add(ref Bytes, payload.Length);
            Interlocked.Increment(ref Count);
        }
    }
}
