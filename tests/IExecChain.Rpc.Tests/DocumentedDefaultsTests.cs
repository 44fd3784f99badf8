using System.Globalization;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>The documents quote the defaults of <see cref="RpcServerOptions"/>; these tests keep the two equal.</summary>
[TestFixture]
public sealed class DocumentedDefaultsTests
{
    private static readonly RpcServerOptions Defaults = new();

    private static string Endpoint => $"{RpcServerOptions.DefaultHost}:{RpcServerOptions.DefaultPort}";

    private static string Size(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB" : throw new AssertionException($"{bytes} bytes is not a whole number of MiB; quote it differently");

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";

    [Test]
    public void The_rpc_document_quotes_the_address_and_the_request_limits()
    {
        Docs.AssertQuotes("docs/rpc.md", $"HTTP/1.1 on `{Endpoint}` by default");
        Docs.AssertQuotes("docs/rpc.md", $"address {Endpoint} is already in use");
        Docs.AssertQuotes("docs/rpc.md", $"It holds at most `MaxBatchSize` requests (default {RpcServerOptions.DefaultMaxBatchSize});");
        Docs.AssertQuotes("docs/rpc.md", $"`MaxRequestBytes` (default {Size(RpcServerOptions.DefaultMaxRequestBytes)} = {RpcServerOptions.DefaultMaxRequestBytes} bytes)");
        Docs.AssertQuotes("docs/rpc.md", $"\"message\":\"request too large (limit {RpcServerOptions.DefaultMaxRequestBytes} bytes)\"");
        Docs.AssertQuotes("docs/rpc.md", $"(`MaxRequestBytes`, {Size(RpcServerOptions.DefaultMaxRequestBytes)} by default)");
    }

    [Test]
    public void The_rpc_document_lists_the_websocket_defaults()
    {
        string Row(string option, string value) => $"| `{option}` | {value} |";
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.MaxWebSocketConnections), Defaults.MaxWebSocketConnections.ToString(CultureInfo.InvariantCulture)));
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.MaxSubscriptionsPerConnection), Defaults.MaxSubscriptionsPerConnection.ToString(CultureInfo.InvariantCulture)));
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.MaxRequestBytes), Size(Defaults.MaxRequestBytes)));
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.MaxBatchSize), Defaults.MaxBatchSize.ToString(CultureInfo.InvariantCulture)));
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.MaxQueuedMessagesPerConnection), Defaults.MaxQueuedMessagesPerConnection.ToString(CultureInfo.InvariantCulture)));
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.MaxQueuedBytesPerConnection), Size(Defaults.MaxQueuedBytesPerConnection)));
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.WebSocketKeepAliveInterval), Seconds(Defaults.WebSocketKeepAliveInterval)));
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.WebSocketKeepAliveTimeout), Seconds(Defaults.WebSocketKeepAliveTimeout)));
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.WebSocketCloseTimeout), Seconds(Defaults.WebSocketCloseTimeout)));
        Assert.That(Defaults.WebSocketAllowedOrigins, Is.Empty);
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.WebSocketAllowedOrigins), "none"));
    }

    [Test]
    public void The_rpc_document_lists_the_answer_budgets_and_concurrency_limits()
    {
        string Row(string option, string value) => $"| `{option}` | {value} |";
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.MaxResponseBytes), Size(Defaults.MaxResponseBytes)));
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.MaxBatchResponseBytes), Size(Defaults.MaxBatchResponseBytes)));
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.MaxConcurrentRequests), Defaults.MaxConcurrentRequests.ToString(CultureInfo.InvariantCulture)));
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.MaxConnections), Defaults.MaxConnections.ToString(CultureInfo.InvariantCulture)));
        Docs.AssertQuotes("docs/rpc.md", Row(nameof(RpcServerOptions.WebSocketSendStallTimeout), Seconds(Defaults.WebSocketSendStallTimeout)));
        Assert.That(Defaults.AllowedHosts, Is.Empty, "empty means the documented local defaults");
    }

    [Test]
    public void The_readme_and_the_node_config_document_quote_the_rpc_address()
    {
        Docs.AssertQuotes("README.md", $"[--rpc {Endpoint}]");
        Docs.AssertQuotes("docs/node-config.md", $"Without `rpc` the node listens on `{Endpoint}`");
    }

    [Test]
    public void The_initializers_are_the_constants()
    {
        Assert.That((Defaults.Host, Defaults.Port, Defaults.MaxRequestBytes, Defaults.MaxBatchSize),
            Is.EqualTo((RpcServerOptions.DefaultHost, RpcServerOptions.DefaultPort, RpcServerOptions.DefaultMaxRequestBytes, RpcServerOptions.DefaultMaxBatchSize)));
        Assert.That(new JsonRpcDispatcher(new RpcMethodRegistry()).MaxBatchSize, Is.EqualTo(RpcServerOptions.DefaultMaxBatchSize),
            "a dispatcher built without a limit must fit a server built without one");
    }

    [Test]
    public void The_rpc_document_quotes_the_admission_defaults()
    {
        var d = new State.TxPool.AdmissionOptions();
        var c = CultureInfo.InvariantCulture;
        Docs.AssertQuotes("docs/rpc.md", string.Create(c, $"the last {d.RateWindowMs / 1000} s of blocks, times a target wait of `targetQueueMs` ({d.TargetQueueMs} ms by default)"));
        Docs.AssertQuotes("docs/rpc.md", string.Create(c, $"`minBudget` ({d.MinBudget:N0} by default)"));
        Docs.AssertQuotes("docs/rpc.md", string.Create(c, $"(half-life {d.CapacityHalfLifeMs / 1000} s)"));
        Docs.AssertQuotes("docs/rpc.md", string.Create(c, $"at most 1/{d.SenderShareDivisor} of it pending (at least {d.MinSenderLimit})"));
        Docs.AssertQuotes("docs/rpc.md", string.Create(c, $"may go {d.DutyReservePercent}% above the budget"));
        Docs.AssertQuotes("docs/rpc.md", string.Create(c, $"at least `minRetryAfterMs` ({d.MinRetryAfterMs} ms, one devnet block), at most {State.TxPool.AdmissionOptions.MaxRetryAfterMs / 1000} s"));
    }
}
