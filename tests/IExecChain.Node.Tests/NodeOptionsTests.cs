using System.Net;
using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Node.Tests;

/// <summary>The node's own parsers: peers (--peer, "peers"), listen addresses (--rpc, --p2p) and <see cref="NodeOptions.Validate"/>.</summary>
public class NodeOptionsTests
{
    private const string PeerAddress = "0x1111111111111111111111111111111111111111";

    [TestCase("127.0.0.1:30303", "127.0.0.1", 30303)]
    [TestCase("10.0.0.7:1", "10.0.0.7", 1)]
    [TestCase("10.0.0.7:65535", "10.0.0.7", 65535)]
    [TestCase("localhost:30303", "127.0.0.1", 30303)]
    [TestCase("LOCALHOST:30303", "127.0.0.1", 30303)]
    [TestCase("  192.168.1.20:4000 ", "192.168.1.20", 4000)]
    public void A_peer_is_an_ipv4_address_and_a_port(string text, string ip, int port)
    {
        Assert.That(NodeOptions.TryParsePeer(text, out var peer, out var error), Is.True, error);
        Assert.That(peer!.EndPoint, Is.EqualTo(new IPEndPoint(IPAddress.Parse(ip), port)));
        Assert.That(peer.ExpectedAddress, Is.Null, "without 0xADDRESS@ any validator key is accepted");
    }

    [TestCase(PeerAddress + "@127.0.0.1:30303")]
    [TestCase("1111111111111111111111111111111111111111@127.0.0.1:30303")]
    public void A_peer_may_name_the_address_it_must_prove(string text)
    {
        Assert.That(NodeOptions.TryParsePeer(text, out var peer, out var error), Is.True, error);
        Assert.That(peer!.ExpectedAddress, Is.EqualTo(Address.Parse(PeerAddress)));
        Assert.That(peer.EndPoint.Port, Is.EqualTo(30303));
    }

    [TestCase("127.0.0.1", "'127.0.0.1' is not host:port (optionally prefixed by 0xADDRESS@): the port is missing")]
    [TestCase(":30303", "':30303' is not host:port (optionally prefixed by 0xADDRESS@): the host is missing")]
    [TestCase("127.0.0.1:", "'127.0.0.1:': the port is missing")]
    [TestCase("127.0.0.1:0", "'127.0.0.1:0': port '0' is not a number from 1 to 65535")]
    [TestCase("127.0.0.1:65536", "'127.0.0.1:65536': port '65536' is not a number from 1 to 65535")]
    [TestCase("127.0.0.1:-1", "port '-1' is not a number from 1 to 65535")]
    [TestCase("127.0.0.1:+80", "port '+80' is not a number from 1 to 65535")]
    [TestCase("127.0.0.1: 80", "port ' 80' is not a number from 1 to 65535")]
    [TestCase("127.0.0.1:99999999999", "port '99999999999' is not a number from 1 to 65535")]
    [TestCase("127.0.0.1:http", "port 'http' is not a number from 1 to 65535")]
    [TestCase("example.com:30303", "'example.com:30303': host 'example.com' is not an IPv4 address such as 10.0.0.7 or localhost (names are not resolved)")]
    [TestCase("127.1:30303", "host '127.1' is not an IPv4 address")]
    [TestCase("1:30303", "host '1' is not an IPv4 address")]
    [TestCase("0x7f.0.0.1:30303", "host '0x7f.0.0.1' is not an IPv4 address")]
    [TestCase("256.0.0.1:30303", "host '256.0.0.1' is not an IPv4 address")]
    [TestCase("0.0.0.0:30303", "'0.0.0.0:30303': 0.0.0.0 is not an address a peer can be reached at")]
    [TestCase("255.255.255.255:30303", "255.255.255.255 is not an address a peer can be reached at")]
    [TestCase("[::1]:30303", "'[::1]:30303': IPv6 peers are not supported (the P2P transport is IPv4 only); give the peer's IPv4 address")]
    [TestCase("::1:30303", "IPv6 peers are not supported")]
    [TestCase("fe80::1%eth0:30303", "IPv6 peers are not supported")]
    [TestCase(PeerAddress + "@[::1]:30303", "IPv6 peers are not supported")]
    [TestCase("0x12@127.0.0.1:30303", "'0x12@127.0.0.1:30303': '0x12' is not a 20-byte hex address (an address is 20 bytes, got 1)")]
    [TestCase("0xZZ11111111111111111111111111111111111111@127.0.0.1:30303", "'0xZZ11111111111111111111111111111111111111' is not a 20-byte hex address")]
    [TestCase("@127.0.0.1:30303", "'' is not a 20-byte hex address")]
    [TestCase(PeerAddress + "@", "is not host:port (optionally prefixed by 0xADDRESS@): the port is missing")]
    [TestCase(PeerAddress + "@" + PeerAddress + "@127.0.0.1:30303", "is not an IPv4 address")]
    [TestCase("", "'' is not host:port (optionally prefixed by 0xADDRESS@): the port is missing")]
    public void A_wrong_peer_is_refused_saying_what_is_wrong(string text, string message)
    {
        Assert.That(NodeOptions.TryParsePeer(text, out var peer, out var error), Is.False);
        Assert.That(peer, Is.Null);
        Assert.That(error, Does.Contain(message));
    }

    [TestCase("127.0.0.1:8545", "127.0.0.1", 8545)]
    [TestCase("0.0.0.0:0", "0.0.0.0", 0)]
    [TestCase("0.0.0.0:1", "0.0.0.0", 1)]
    [TestCase("0.0.0.0:65535", "0.0.0.0", 65535)]
    [TestCase("localhost:9000", "localhost", 9000)]
    [TestCase("9000", NodeOptions.DefaultRpcHost, 9000)]
    [TestCase(":9000", NodeOptions.DefaultRpcHost, 9000)]
    [TestCase("http://127.0.0.1:8545", "127.0.0.1", 8545)]
    [TestCase("http://127.0.0.1:8545/", "127.0.0.1", 8545)]
    [TestCase("HTTP://127.0.0.1:8545", "127.0.0.1", 8545)]
    [TestCase("[::1]:8545", "[::1]", 8545)]
    [TestCase("[::]:8545", "[::]", 8545)]
    [TestCase("http://[::1]:8545/", "[::1]", 8545)]
    public void A_listen_address_is_host_and_port(string text, string host, int port)
    {
        Assert.That(NodeOptions.TryParseEndpoint(text, out var parsedHost, out var parsedPort, out var error), Is.True, error);
        Assert.That((parsedHost, parsedPort), Is.EqualTo((host, port)));
    }

    [TestCase("127.0.0.1:65536", "'127.0.0.1:65536' is not host:port: port '65536' is not a number from 0 to 65535")]
    [TestCase("127.0.0.1:-1", "port '-1' is not a number from 0 to 65535")]
    [TestCase("127.0.0.1: 8545", "port ' 8545' is not a number from 0 to 65535")]
    [TestCase("127.0.0.1", "port '127.0.0.1' is not a number from 0 to 65535")]
    [TestCase("127.0.0.1:", "'127.0.0.1:' is not host:port: the port is missing")]
    [TestCase("", "the port is missing")]
    [TestCase("::1", "'::1': an IPv6 address goes in brackets, as in [::1]:8545")]
    [TestCase("::1:8545", "an IPv6 address goes in brackets")]
    [TestCase("[::1]", "'[::1]' is not [IPv6]:port such as [::1]:8545")]
    [TestCase("[::1:8545", "is not [IPv6]:port such as [::1]:8545")]
    [TestCase("[10.0.0.1]:8545", "host '[10.0.0.1]' is not an IP address or localhost")]
    [TestCase("[fe80::zz]:8545", "host '[fe80::zz]' is not an IP address or localhost")]
    [TestCase("[localhost]:8545", "host '[localhost]' is not an IP address or localhost")]
    [TestCase("127.1:8545", "host '127.1' is not an IP address or localhost")]
    [TestCase("https://127.0.0.1:8545", "'https://127.0.0.1:8545': only http:// is served (the node has no TLS; put a proxy in front for https)")]
    [TestCase("ws://127.0.0.1:8545", "only http:// is served")]
    [TestCase("node.example:8545", "'node.example:8545': host 'node.example' is not an IP address or localhost")]
    [TestCase("http://127.0.0.1:8545/rpc", "port '8545/rpc' is not a number from 0 to 65535")]
    public void A_wrong_listen_address_is_refused_saying_what_is_wrong(string text, string message)
    {
        Assert.That(NodeOptions.TryParseEndpoint(text, out _, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(message));
    }

    [Test]
    public void Default_options_are_valid() =>
        Assert.That(new NodeOptions { DataDir = "/tmp/node" }.Validate(), Is.Empty);

    [Test]
    public void Validate_names_every_problem_at_once()
    {
        var options = new NodeOptions
        {
            DataDir = " ",
            RpcPort = 65536,
            P2PPort = -1,
            Peers = ["127.0.0.1:30303", "[::1]:30303", "127.0.0.1:0"],
            RpcMaxRequestBytes = 1023,
            RpcMaxBatchSize = 0,
            EthRpc = new Uri("ftp://eth.example"),
            BridgePollInterval = TimeSpan.FromMilliseconds(99),
        };
        Assert.That(options.Validate(), Is.EqualTo(new[]
        {
            "--data: a data directory is required",
            "--rpc: port 65536 is out of range 0-65535",
            "--p2p: port -1 is out of range 0-65535",
            "--peer: '[::1]:30303': IPv6 peers are not supported (the P2P transport is IPv4 only); give the peer's IPv4 address",
            "--peer: '127.0.0.1:0': port '0' is not a number from 1 to 65535",
            "rpc max request size must be at least 1024 bytes",
            "rpc max batch size must be positive",
            "--eth-rpc: 'ftp://eth.example/' is not an http(s) URL",
            "bridge poll interval must be from 0.1 s to 1 hour",
        }));
    }

    [TestCase("::1", "--p2p: '::1' is not an IPv4 address (the P2P transport is IPv4 only)")]
    [TestCase("node.example", "--p2p: 'node.example' is not an IP address")]
    public void The_p2p_listen_address_must_be_ipv4(string host, string message) =>
        Assert.That(new NodeOptions { DataDir = "/tmp/node", P2PHost = host }.Validate(), Is.EqualTo(new[] { message }));
}
