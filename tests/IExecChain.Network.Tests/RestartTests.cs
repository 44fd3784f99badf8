using System.Net;
using System.Net.Sockets;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Network.Tests;

/// <summary>
/// A node killed and restarted on the same endpoint while its peers keep sending: it must be let
/// back in at once, never penalized or banned for traffic that crossed the restart.
/// </summary>
[TestFixture]
public sealed class RestartTests
{
    private const int Nodes = 4;

    [Test]
    public void A_node_killed_and_restarted_under_load_twenty_times_rejoins_every_peer_and_is_never_banned()
    {
        using var net = new TestNetwork();
        int[] ports = FreeUdpPorts(Nodes);
        var hosts = new P2PHost[Nodes];
        for (int i = 0; i < Nodes; i++) hosts[i] = Start(net, i, ports);
        TestNetwork.FullyConnected(hosts);

        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, Nodes).Select(i => Task.Run(() => Load(() => hosts[i], i, stop.Token))).ToArray();
        var random = new Random(12);
        // Restart delays below and above the 5 s disconnect timeout: peers that still hold the old
        // connection, and peers that already dropped it and are re-dialing.
        int[] delaysMs = [0, 300, 1_500, 4_000, 6_000];
        try
        {
            for (int cycle = 0; cycle < 20; cycle++)
            {
                int victim = random.Next(Nodes);
                int delay = delaysMs[cycle % delaysMs.Length];
                var old = hosts[victim];
                old.Crash();
                Thread.Sleep(delay);
                hosts[victim] = Start(net, victim, ports);
                TestNetwork.Eventually(() => hosts.All(h => h.Peers.Count == Nodes - 1),
                    $"cycle {cycle}: node {victim} restarted after {delay} ms is connected to every peer and every peer to it", timeoutMs: 15_000);
                foreach (var host in hosts)
                {
                    Assert.That(host.Metrics.DisconnectsByUs(DisconnectCause.Banned), Is.Zero, $"cycle {cycle}: {host.Address} banned a peer");
                    Assert.That(host.Metrics.Drops(DropReason.Unauthenticated), Is.Zero,
                        $"cycle {cycle}: {host.Address} received application traffic on a connection still in its handshake");
                }
            }
        }
        finally
        {
            stop.Cancel();
            Task.WaitAll(load);
        }
    }

    private static P2PHost Start(TestNetwork net, int i, int[] ports)
    {
        var seeds = Enumerable.Range(0, Nodes).Where(j => j != i).Select(j => new SeedPeer(new IPEndPoint(IPAddress.Loopback, ports[j]), TestKeys.Node(j).Address)).ToArray();
        // Production timings (handshake, re-dial back-off, disconnect timeout): only the endpoints are the test's.
        var options = new NetworkOptions { ChainId = TestNetwork.ChainId, GenesisHash = TestNetwork.Genesis, ListenPort = ports[i], Seeds = seeds };
        return net.Start(TestKeys.Node(i), options).Host;
    }

    // Transactions and consensus traffic to every peer, as a validator under load sends it.
    private static void Load(Func<P2PHost> host, int i, CancellationToken stop)
    {
        var tx = new byte[300];
        long n = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                BitConverter.TryWriteBytes(tx, ((long)i << 48) | n++);
                host().Gossip(Channel.Transactions, tx);
                if (n % 20 == 0) host().Broadcast(Channel.Consensus, tx.AsSpan(0, 100));
            }
            catch (ObjectDisposedException)
            {
                // Crashed between the read of the host and the send: the next turn takes its successor.
            }
            Thread.Sleep(1);
        }
    }

    private static int[] FreeUdpPorts(int count)
    {
        int first = LocalPorts.FreeUdp(count);
        return [.. Enumerable.Range(first, count)];
    }
}
