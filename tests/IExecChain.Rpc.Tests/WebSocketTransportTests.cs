using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>JSON-RPC over WebSocket on a real Kestrel server: the same dispatcher as HTTP, and the transport's limits.</summary>
[TestFixture]
public sealed class WebSocketTransportTests
{
    [Test]
    public async Task Call_over_websocket_returns_the_result()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);

        JsonElement response = await socket.CallAsync("""{"jsonrpc":"2.0","id":7,"method":"test_echo","params":["hello"]}""");

        Assert.That(response.GetProperty("id").GetInt32(), Is.EqualTo(7));
        Assert.That(response.GetProperty("result").GetString(), Is.EqualTo("hello"));
    }

    [Test]
    public async Task Batch_over_websocket_is_answered_in_one_message_in_request_order()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);
        string batch = "[" + string.Join(",", Enumerable.Range(0, 5).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"test_echo","params":["v{{i}}"]}""")) +
            """,{"jsonrpc":"2.0","method":"test_echo","params":["notification"]},{"jsonrpc":"2.0","id":9,"method":"nope"}]""";

        JsonElement response = await socket.CallAsync(batch);

        Assert.That(response.ValueKind, Is.EqualTo(JsonValueKind.Array));
        Assert.That(response.EnumerateArray().Select(r => r.GetProperty("id").GetInt32()), Is.EqualTo(new[] { 0, 1, 2, 3, 4, 9 }));
        Assert.That(response[4].GetProperty("result").GetString(), Is.EqualTo("v4"));
        Assert.That(response[5].GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.MethodNotFound));
    }

    [Test]
    public async Task Upgrade_on_the_root_path_is_accepted_too()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var socket = await RawSocket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Server.Endpoint.Port}/"));

        JsonElement response = await socket.CallAsync("""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["root"]}""");

        Assert.That(response.GetProperty("result").GetString(), Is.EqualTo("root"));
    }

    [Test]
    public async Task Client_helper_calls_methods_and_reports_errors_with_their_code()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var client = await JsonRpcWebSocketClient.ConnectAsync(server.Server.Endpoint);

        Task<JsonElement>[] calls = [.. Enumerable.Range(0, 10).Select(i => client.CallAsync("test_echo", [$"c{i}"]))];
        JsonElement[] results = await Eventually.Within(Task.WhenAll(calls));

        Assert.That(results.Select(r => r.GetString()), Is.EqualTo(Enumerable.Range(0, 10).Select(i => $"c{i}")));
        var error = await Assert.ThrowsAsync<JsonRpcClientException>(() => client.CallAsync("nope"));
        Assert.That(error!.Code, Is.EqualTo(RpcErrorCodes.MethodNotFound));
    }

    [Test]
    public async Task Malformed_json_gets_a_parse_error_and_the_connection_stays_open()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);

        JsonElement error = await socket.CallAsync("{\"jsonrpc\":\"2.0\",\"id\":1,");
        JsonElement next = await socket.CallAsync("""{"jsonrpc":"2.0","id":2,"method":"test_echo","params":["still here"]}""");

        Assert.That(error.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.ParseError));
        Assert.That(error.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(next.GetProperty("result").GetString(), Is.EqualTo("still here"));
        Assert.That(socket.Socket.State, Is.EqualTo(WebSocketState.Open));
    }

    [Test]
    public async Task Message_over_the_size_limit_closes_the_connection_as_message_too_big()
    {
        await using var server = await WebSocketTestServer.StartAsync(o => o.MaxRequestBytes = 1024);
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);
        const string prefix = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_echo\",\"params\":[\"";
        const string suffix = "\"]}";
        int payload = 1024 - prefix.Length - suffix.Length;
        string atLimit = prefix + new string('x', payload) + suffix;

        JsonElement accepted = await socket.CallAsync(atLimit);
        await socket.SendAsync(atLimit.Replace("\"x", "\"xx", StringComparison.Ordinal));
        string? afterOversized = await socket.ReceiveAsync();

        Assert.That(accepted.GetProperty("result").GetString()!.Length, Is.EqualTo(payload));
        Assert.That(afterOversized, Is.Null, "the server answers an oversized message with a close frame");
        Assert.That(socket.Socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.MessageTooBig));
        Assert.That(socket.Socket.CloseStatusDescription, Is.EqualTo("message too big (limit 1024 bytes)"));
    }

    [Test]
    public async Task Connections_beyond_the_limit_are_refused_with_503()
    {
        await using var server = await WebSocketTestServer.StartAsync(o => o.MaxWebSocketConnections = 2);
        await using var first = await RawSocket.ConnectAsync(server.WebSocketUri);
        await using var second = await RawSocket.ConnectAsync(server.WebSocketUri);

        using var third = new ClientWebSocket();
        third.Options.CollectHttpResponseDetails = true;
        Assert.That(async () => await third.ConnectAsync(server.WebSocketUri, CancellationToken.None), Throws.InstanceOf<WebSocketException>());

        Assert.That(third.HttpStatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(server.Server.WebSockets.RejectedConnections, Is.EqualTo(1));
        Assert.That(server.Server.WebSockets.OpenConnections, Is.EqualTo(2));
        JsonElement stillServed = await second.CallAsync("""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["ok"]}""");
        Assert.That(stillServed.GetProperty("result").GetString(), Is.EqualTo("ok"));
    }

    [Test]
    public async Task Closed_connection_frees_its_place_under_the_limit()
    {
        await using var server = await WebSocketTestServer.StartAsync(o => o.MaxWebSocketConnections = 1);
        var first = await RawSocket.ConnectAsync(server.WebSocketUri);
        await first.DisposeAsync();
        await Eventually.Until(() => server.Server.WebSockets.OpenConnections == 0, "the first connection is gone");

        await using var second = await RawSocket.ConnectAsync(server.WebSocketUri);
        JsonElement response = await second.CallAsync("""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["again"]}""");

        Assert.That(response.GetProperty("result").GetString(), Is.EqualTo("again"));
    }

    [Test]
    public async Task Browser_origin_is_refused_unless_allowed()
    {
        await using var server = await WebSocketTestServer.StartAsync(o => o.WebSocketAllowedOrigins = ["https://explorer.example"]);

        Assert.That(async () => await RawSocket.ConnectAsync(server.WebSocketUri, origin: "https://evil.example"), Throws.InstanceOf<WebSocketException>());
        await using var allowed = await RawSocket.ConnectAsync(server.WebSocketUri, origin: "https://explorer.example");

        Assert.That(allowed.Socket.State, Is.EqualTo(WebSocketState.Open));
        Assert.That(server.Server.WebSockets.RejectedConnections, Is.EqualTo(1));
    }

    [Test]
    public async Task Page_served_by_the_node_itself_connects_from_its_own_origin()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        int port = server.Server.Endpoint.Port;

        // The origin a browser sends for a page it loaded from this node: http:// + the Host it used.
        await using var own = await RawSocket.ConnectAsync(server.WebSocketUri, origin: $"http://127.0.0.1:{port}");
        Assert.That(own.Socket.State, Is.EqualTo(WebSocketState.Open));
        JsonElement response = await own.CallAsync("""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["same origin"]}""");
        Assert.That(response.GetProperty("result").GetString(), Is.EqualTo("same origin"));

        // Another port, another name for the host, or another scheme is another origin.
        foreach (string other in new[] { $"http://127.0.0.1:{port + 1}", $"http://localhost:{port}", $"https://127.0.0.1:{port}", "http://127.0.0.1" })
            Assert.That(async () => await RawSocket.ConnectAsync(server.WebSocketUri, origin: other), Throws.InstanceOf<WebSocketException>(), other);
        Assert.That(server.Server.WebSockets.RejectedConnections, Is.EqualTo(4));
    }

    [Test]
    public async Task Client_that_does_not_answer_pings_is_dropped()
    {
        await using var server = await WebSocketTestServer.StartAsync(o =>
        {
            o.WebSocketKeepAliveInterval = TimeSpan.FromMilliseconds(50);
            o.WebSocketKeepAliveTimeout = TimeSpan.FromMilliseconds(50);
        });
        // ClientWebSocket answers pings only while a receive is pending, and this one never receives.
        await using var silent = await RawSocket.ConnectAsync(server.WebSocketUri);
        await silent.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"iex_subscribe","params":["newHeads"]}""");
        await Eventually.Until(() => server.Hub.SubscriberCount == 1, "the subscription is active");

        await Eventually.Until(() => server.Server.WebSockets.OpenConnections == 0, "the server dropped the silent client");

        Assert.That(server.Hub.SubscriberCount, Is.Zero);
        Assert.That(server.Server.WebSockets.SlowConsumerDisconnects, Is.Zero, "dropped for the missing pong, not for a full queue");
    }

    [Test]
    public async Task Plain_get_on_the_websocket_path_asks_for_an_upgrade()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        using var http = new HttpClient();

        using HttpResponseMessage response = await http.GetAsync(new Uri(server.Server.Endpoint, "/ws"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UpgradeRequired));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("WebSocket"));
    }

    [Test]
    public async Task Server_shutdown_closes_sockets_with_going_away_and_ends_subscriptions()
    {
        var server = await WebSocketTestServer.StartAsync();
        await using var client = await JsonRpcWebSocketClient.ConnectAsync(server.WebSocketUri);
        RpcSubscription heads = await client.SubscribeAsync("newHeads");

        await server.DisposeAsync();

        var ended = await Assert.ThrowsAsync<JsonRpcClientException>(async () =>
        {
            await foreach (JsonElement _ in heads) { }
        });
        Assert.That(ended!.Message, Does.Contain("server shutting down"));
        Assert.That(client.CloseStatus, Is.EqualTo(WebSocketCloseStatus.EndpointUnavailable));
        Assert.That(server.Hub.SubscriberCount, Is.Zero);
        Assert.That(server.Server.WebSockets.OpenConnections, Is.Zero);
    }
}
