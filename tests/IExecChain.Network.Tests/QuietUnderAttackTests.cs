using NUnit.Framework;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace IExecChain.Network.Tests;

/// <summary>
/// Unauthenticated garbage must not flood the log: 200,000 random datagrams once wrote 82,425 lines
/// (LiteNetLib's "DataReceived: bad!" on the console). Now each kind of complaint is written once per
/// period and then counted, and the host keeps working.
/// </summary>
[TestFixture]
public sealed class QuietUnderAttackTests
{
    [Test]
    public void Random_and_malformed_datagrams_write_a_few_lines_and_the_host_still_authenticates_and_delivers()
    {
        using var net = new TestNetwork();
        var provider = new CapturingLoggerProvider();
        using var factory = new LoggerFactory([provider]);
        var sink = new RecordingSink();
        var host = net.Own(new P2PHost(TestKeys.Node(0), TestNetwork.Options(), sink, factory.CreateLogger<P2PHost>()));
        host.Start();
        var random = new Random(13);
        byte[] datagram = new byte[1200];

        using (var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            attacker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            for (int i = 0; i < 200_000; i++)
            {
                int length = random.Next(1, datagram.Length);
                random.NextBytes(datagram.AsSpan(0, length));
                attacker.SendTo(datagram.AsSpan(0, length), SocketFlags.None, host.LocalEndPoint);
            }
            // LiteNetLib-shaped: every header byte (packet type, connection number, fragment bit) with short bodies.
            SendShaped(attacker, host.LocalEndPoint, random);
        }
        // The same from inside a connection: a raw socket on the port of a client the host accepted.
        using (var rogue = new RogueClient())
        {
            rogue.Connect(host);
            using var inside = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            inside.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            inside.Bind(new IPEndPoint(IPAddress.Loopback, rogue.Port));
            SendShaped(inside, host.LocalEndPoint, random);
        }

        var (peer, peerSink) = net.Start(TestKeys.Node(1), TestNetwork.Options(TestNetwork.SeedOf(host)));
        TestNetwork.FullyConnected([host, peer]);
        Assert.That(peer.Send(peer.Peers[0], Channel.Transactions, "after the storm"u8), Is.True);
        Assert.That(host.Send(host.Peers[0], Channel.Consensus, "still here"u8), Is.True);
        TestNetwork.Eventually(() => sink.Messages.Count == 1 && peerSink.Messages.Count == 1, "messages flow both ways");

        var lines = provider.Lines.ToArray();
        var fromLiteNetLib = lines.Where(l => l.Text.StartsWith("LiteNetLib:", StringComparison.Ordinal)).ToArray();
        TestContext.Out.WriteLine($"{lines.Length} lines:\n" + string.Join('\n', lines.Select(l => $"{l.Level}: {l.Text}")));
        Assert.That(fromLiteNetLib.Select(l => LiteNetLibLog.KindOf(l.Text["LiteNetLib: ".Length..])), Is.Unique, "one line per kind per period");
        Assert.That(fromLiteNetLib, Has.Length.GreaterThan(0), "LiteNetLib's complaints are routed into the host's logger");
        Assert.That(lines, Has.Length.LessThanOrEqualTo(12));
    }

    private static void SendShaped(Socket socket, EndPoint target, Random random)
    {
        byte[] packet = new byte[64];
        for (int header = 0; header < 256; header++)
            for (int length = 1; length < packet.Length; length++)
            {
                packet[0] = (byte)header;
                // Small values make plausible sizes, counts and channel ids; random ones do not.
                for (int i = 1; i < length; i++) packet[i] = (byte)random.Next(0, 5);
                socket.SendTo(packet.AsSpan(0, length), SocketFlags.None, target);
            }
    }
}
