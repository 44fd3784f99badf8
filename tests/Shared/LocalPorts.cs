using System.Net;
using System.Net.Sockets;

namespace IExecChain.TestSupport;

/// <summary>
/// Ports for the processes a test starts (nodes, ganache, peers), picked below the kernel's ephemeral
/// range. A port probed free inside that range can be taken, between the probe and the process's bind,
/// by any process's outgoing connection (the kernel hands those their local ports from that range), and
/// the process then fails to start with "address in use". Best effort: a port is free when probed.
/// </summary>
internal static class LocalPorts
{
    private const int Lowest = 10_000;
    private static readonly int EphemeralLow = ReadEphemeralLow();

    /// <summary>A base port with <paramref name="count"/> consecutive free TCP ports on the loopback.</summary>
    public static int FreeTcp(int count = 1) => FreeRange(count, port =>
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        return listener;
    });

    /// <summary>A base port with <paramref name="count"/> consecutive free UDP ports on the loopback.</summary>
    public static int FreeUdp(int count = 1) => FreeRange(count, port => new UdpClient(new IPEndPoint(IPAddress.Loopback, port)));

    private static int FreeRange(int count, Func<int, IDisposable> bind)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            int start = Random.Shared.Next(Lowest, EphemeralLow - count);
            var held = new List<IDisposable>();
            try
            {
                for (int i = 0; i < count; i++) held.Add(bind(start + i));
                return start;
            }
            catch (SocketException)
            {
            }
            finally
            {
                foreach (var h in held) h.Dispose();
            }
        }
        throw new InvalidOperationException($"no {count} consecutive free ports found between {Lowest} and {EphemeralLow}");
    }

    private static int ReadEphemeralLow()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return parts.Length == 2 && int.TryParse(parts[0], out int low) && low > Lowest + 1_000 ? low : 32_768;
        }
        catch (IOException)
        {
            return 32_768;
        }
    }
}
