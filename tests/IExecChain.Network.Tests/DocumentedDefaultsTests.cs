using System.Globalization;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Network.Tests;

/// <summary>The documents quote the defaults of <see cref="NetworkOptions"/>; these tests keep the two equal.</summary>
[TestFixture]
public sealed class DocumentedDefaultsTests
{
    private static readonly NetworkOptions Defaults = new() { ChainId = 1, GenesisHash = TestNetwork.Genesis };

    private static string Count(double n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Size(double bytes) => bytes switch
    {
        >= 1 << 20 when bytes % (1 << 20) == 0 => $"{bytes / (1 << 20)} MiB",
        >= 1 << 10 when bytes % (1 << 10) == 0 => $"{bytes / (1 << 10)} KiB",
        _ => throw new AssertionException($"{bytes} bytes is not a whole number of KiB or MiB; quote it differently"),
    };

    private static string Duration(TimeSpan t) =>
        t.TotalMinutes >= 1 && t.Seconds == 0 ? $"{t.TotalMinutes} min" : t.TotalSeconds >= 1 ? $"{t.TotalSeconds} s" : $"{t.TotalMilliseconds} ms";

    [Test]
    public void The_readme_and_the_node_config_document_quote_the_udp_address()
    {
        string endpoint = $"{NetworkOptions.DefaultListenHost}:{NetworkOptions.DefaultListenPort}";
        Assert.That(Defaults.ListenAddress.ToString(), Is.EqualTo(NetworkOptions.DefaultListenHost));
        Assert.That(Defaults.ListenPort, Is.EqualTo(NetworkOptions.DefaultListenPort));
        Docs.AssertQuotes("README.md", $"[--p2p {endpoint}]");
        Docs.AssertQuotes("docs/node-config.md", $"without `p2p` on `{endpoint}`");
        Docs.AssertQuotes("docs/node-config.md", $"Open UDP {NetworkOptions.DefaultListenPort} between the machines");
    }

    [Test]
    public void The_network_document_lists_the_channel_limits()
    {
        string Row(string channel, string prefix, ChannelLimits limits, string note = "") =>
            $"| {channel} | {prefix} | {Size(limits.MaxMessageBytes)}{note} | {Count(limits.MessagesPerSecond)} msg/s, {Size(limits.BytesPerSecond)}/s |";
        Docs.AssertQuotes("docs/network.md", Row("control (handshake)", "0 | reliable ordered", Defaults.Control));
        Docs.AssertQuotes("docs/network.md", Row("`Consensus`", "1 | reliable unordered", Defaults.Consensus, " (a full block proposal)"));
        Docs.AssertQuotes("docs/network.md", Row("`Transactions`", "2 | reliable unordered", Defaults.Transactions));
        Docs.AssertQuotes("docs/network.md", Row("`Sync`", "3 | reliable ordered", Defaults.Sync));
        Docs.AssertQuotes("docs/network.md", Row("`Snapshots`", "4 | reliable unordered", Defaults.Snapshots, " (a 16 MiB snapshot chunk and its framing)"));
        Docs.AssertQuotes("docs/network.md", $"`BurstSeconds` ({Defaults.Consensus.BurstSeconds} s) deep");
    }

    [Test]
    public void The_network_document_quotes_the_peer_gossip_and_ban_defaults()
    {
        Docs.AssertQuotes("docs/network.md", $"`UpdateTimeMs` ({Defaults.UpdateTimeMs} ms)");
        Docs.AssertQuotes("docs/network.md", $"`MaxQueuedPacketsPerChannel` ({Count(Defaults.MaxQueuedPacketsPerChannel)} ≈");
        Docs.AssertQuotes("docs/network.md", $"`MaxPeers` ({Defaults.MaxPeers})");
        Docs.AssertQuotes("docs/network.md", $"`HandshakeTimeout` ({Duration(Defaults.HandshakeTimeout)})");
        Docs.AssertQuotes("docs/network.md", $"`DisconnectTimeoutMs` ({Duration(TimeSpan.FromMilliseconds(Defaults.DisconnectTimeoutMs))};");
        Docs.AssertQuotes("docs/network.md", $"`GossipSeenCapacity` ({Count(Defaults.GossipSeenCapacity)})");
        Docs.AssertQuotes("docs/network.md", $"`GossipSeenTtl` ({Defaults.GossipSeenTtl.TotalMinutes} minutes)");
        Docs.AssertQuotes("docs/network.md", $"`ScoreDecayPerSecond` ({Defaults.ScoreDecayPerSecond})");
        Docs.AssertQuotes("docs/network.md", $"`BanThreshold` ({Defaults.BanThreshold})");
        Docs.AssertQuotes("docs/network.md", $"`BanDuration` ({Duration(Defaults.BanDuration)})");
        Docs.AssertQuotes("docs/network.md", $"`RedialMinDelay` ({Duration(Defaults.RedialMinDelay)})");
        Docs.AssertQuotes("docs/network.md", $"`RedialMaxDelay` ({Duration(Defaults.RedialMaxDelay)})");
        var points = Defaults.Penalties;
        Docs.AssertQuotes("docs/network.md", $"| message over the channel limit | {points.Oversized} | `Oversized` |");
        Docs.AssertQuotes("docs/network.md", $"| message over the peer's rate (each one) | {points.RateLimited} | `RateLimited` |");
        Docs.AssertQuotes("docs/network.md", $"| empty frame, unknown frame kind (inside the seal) | {points.Malformed} | `Malformed` |");
        Docs.AssertQuotes("docs/network.md", $"`ReservedValidatorSlots` ({Defaults.ReservedValidatorSlots})");
        Docs.AssertQuotes("docs/network.md", $"`MaxPendingHandshakes` ({Defaults.MaxPendingHandshakes})");
        Docs.AssertQuotes("docs/network.md", $"`MaxPendingPerIp` ({Defaults.MaxPendingPerIp})");
        Docs.AssertQuotes("docs/network.md", $"`LogSummaryPeriodMs`, {Count(NetworkOptions.LogSummaryPeriodMs)})");
        Docs.AssertQuotes("docs/network.md", $"`NetworkOptions.ProtocolVersion` is {NetworkOptions.ProtocolVersion}");
    }
}
