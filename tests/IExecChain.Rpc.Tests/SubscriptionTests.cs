using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Chain;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Rpc.Subscriptions;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>iex_subscribe, the event hub and notification delivery, over real WebSockets.</summary>
[TestFixture]
public sealed class SubscriptionTests
{
    private const string Worker = "0x00000000000000000000000000000000000000aa";

    private static object TaskEvent(int n, string worker = Worker, string status = "REVEALING") =>
        new { taskId = $"0x{n:x64}", dealId = "0x" + new string('d', 64), requester = "0x" + new string('1', 40), worker, status, sequence = n };

    [Test]
    public async Task NewHeads_subscriber_receives_published_events_in_order()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var client = await JsonRpcWebSocketClient.ConnectAsync(server.WebSocketUri);
        RpcSubscription heads = await client.SubscribeAsync("newHeads");

        for (int height = 1; height <= 50; height++)
            Assert.That(server.Hub.PublishNewHead(Block(height)), Is.EqualTo(1));

        var numbers = new List<string>();
        await foreach (JsonElement head in heads)
        {
            numbers.Add(head.GetProperty("number").GetString()!);
            if (numbers.Count == 50) break;
        }
        Assert.That(numbers, Is.EqualTo(Enumerable.Range(1, 50).Select(h => RpcFormat.Quantity((ulong)h))));
    }

    [Test]
    public async Task NewHeads_event_carries_the_header_fields_of_the_committed_block()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);
        string id = await socket.SubscribeAsync("newHeads");
        ChainBlock block = Block(12);

        server.Hub.PublishNewHead(block);
        JsonElement notification = await socket.ReceiveJsonAsync();

        Assert.That(notification.GetProperty("jsonrpc").GetString(), Is.EqualTo("2.0"));
        Assert.That(notification.GetProperty("method").GetString(), Is.EqualTo("iex_subscription"));
        Assert.That(notification.TryGetProperty("id", out _), Is.False, "a notification has no id");
        JsonElement parameters = notification.GetProperty("params");
        Assert.That(parameters.GetProperty("subscription").GetString(), Is.EqualTo(id));
        JsonElement head = parameters.GetProperty("result");
        Assert.That(head.GetProperty("number").GetString(), Is.EqualTo("0xc"));
        Assert.That(head.GetProperty("hash").GetString(), Is.EqualTo(block.Hash.ToString()));
        Assert.That(head.GetProperty("stateRoot").GetString(), Is.EqualTo("0x" + new string('5', 64)));
        Assert.That(head.GetProperty("timestamp").GetString(), Is.EqualTo(RpcFormat.Quantity(1_700_000_012_000)));
        Assert.That(head.GetProperty("transactionCount").GetString(), Is.EqualTo("0x3"));
    }

    [Test]
    public async Task Subscription_id_is_16_random_bytes_in_hex()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);

        string first = await socket.SubscribeAsync("newHeads");
        string second = await socket.SubscribeAsync("newHeads");

        Assert.That(first, Does.Match("^0x[0-9a-f]{32}$"));
        Assert.That(second, Is.Not.EqualTo(first));
        Assert.That(server.Hub.CountSubscribers("newHeads"), Is.EqualTo(2));
    }

    [Test]
    public async Task Tasks_filter_delivers_only_matching_events()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var client = await JsonRpcWebSocketClient.ConnectAsync(server.WebSocketUri);
        // Checksummed-looking case on purpose: values compare ignoring ASCII case.
        RpcSubscription mine = await client.SubscribeAsync("tasks", new Dictionary<string, string> { ["worker"] = Worker.ToUpperInvariant().Replace("0X", "0x", StringComparison.Ordinal), ["status"] = "completed" });
        RpcSubscription all = await client.SubscribeAsync("tasks");

        int[] queued =
        [
            server.Hub.Publish("tasks", TaskEvent(1, worker: "0x" + new string('b', 40), status: "COMPLETED")),
            server.Hub.Publish("tasks", TaskEvent(2, status: "REVEALING")),
            server.Hub.Publish("tasks", TaskEvent(3, status: "COMPLETED")),
            server.Hub.Publish("tasks", new { taskId = "0x4", status = "COMPLETED", sequence = 4 }),
        ];

        Assert.That(queued, Is.EqualTo(new[] { 1, 1, 2, 1 }), "only event 3 matches both fields; an event without the field never matches");
        JsonElement matched = await Eventually.Within(mine.Events.ReadAsync().AsTask());
        Assert.That(matched.GetProperty("sequence").GetInt32(), Is.EqualTo(3));
        var everything = new List<int>();
        while (everything.Count < 4) everything.Add((await Eventually.Within(all.Events.ReadAsync().AsTask())).GetProperty("sequence").GetInt32());
        Assert.That(everything, Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(mine.Events.TryRead(out _), Is.False);
    }

    [Test]
    public async Task Subscription_starts_after_its_id_is_answered_so_no_notification_precedes_the_response()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);

        // Event 1 is published while the batch holding the subscribe is still being answered.
        JsonElement batch = await socket.CallAsync("""[{"jsonrpc":"2.0","id":1,"method":"iex_subscribe","params":["tasks"]},{"jsonrpc":"2.0","id":2,"method":"test_publish","params":[1]}]""");
        int queuedAfter = server.Hub.Publish("tasks", new { sequence = 2 });
        JsonElement first = await socket.ReceiveJsonAsync();

        Assert.That(batch.ValueKind, Is.EqualTo(JsonValueKind.Array), "the first message is the batch response");
        Assert.That(batch[1].GetProperty("result").GetInt32(), Is.Zero, "not subscribed yet while its response is pending");
        Assert.That(queuedAfter, Is.EqualTo(1));
        Assert.That(first.GetProperty("params").GetProperty("subscription").GetString(), Is.EqualTo(batch[0].GetProperty("result").GetString()));
        Assert.That(first.GetProperty("params").GetProperty("result").GetProperty("sequence").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public async Task Unsubscribe_stops_delivery()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);
        string id = await socket.SubscribeAsync("tasks");
        server.Hub.Publish("tasks", TaskEvent(1));
        JsonElement before = await socket.ReceiveJsonAsync();

        JsonElement unsubscribed = await socket.CallAsync($$"""{"jsonrpc":"2.0","id":2,"method":"iex_unsubscribe","params":["{{id}}"]}""");
        int queuedAfter = server.Hub.Publish("tasks", TaskEvent(2));
        // Anything queued by that publish would reach the socket before this response.
        JsonElement next = await socket.CallAsync("""{"jsonrpc":"2.0","id":3,"method":"test_echo","params":["after"]}""");

        Assert.That(before.GetProperty("params").GetProperty("result").GetProperty("sequence").GetInt32(), Is.EqualTo(1));
        Assert.That(unsubscribed.GetProperty("result").GetBoolean(), Is.True);
        Assert.That(queuedAfter, Is.Zero);
        Assert.That(next.GetProperty("id").GetInt32(), Is.EqualTo(3));
        Assert.That(server.Hub.SubscriberCount, Is.Zero);
    }

    [Test]
    public async Task Unsubscribe_with_the_client_helper_ends_the_event_stream()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var client = await JsonRpcWebSocketClient.ConnectAsync(server.WebSocketUri);
        RpcSubscription tasks = await client.SubscribeAsync("tasks");
        server.Hub.Publish("tasks", TaskEvent(1));

        bool existed = await Eventually.Within(tasks.UnsubscribeAsync());
        var received = new List<JsonElement>();
        await foreach (JsonElement e in tasks) received.Add(e);

        Assert.That(existed, Is.True);
        Assert.That(received.Select(e => e.GetProperty("sequence").GetInt32()), Is.EqualTo(new[] { 1 }));
        Assert.That(await Eventually.Within(tasks.UnsubscribeAsync()), Is.False, "a second unsubscribe finds nothing");
    }

    [Test]
    public async Task Unsubscribe_of_another_connections_id_returns_false_and_keeps_it()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var owner = await RawSocket.ConnectAsync(server.WebSocketUri);
        await using var other = await RawSocket.ConnectAsync(server.WebSocketUri);
        string id = await owner.SubscribeAsync("newHeads");

        JsonElement response = await other.CallAsync($$"""{"jsonrpc":"2.0","id":1,"method":"iex_unsubscribe","params":["{{id}}"]}""");

        Assert.That(response.GetProperty("result").GetBoolean(), Is.False);
        Assert.That(server.Hub.SubscriberCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Subscribe_over_http_is_rejected_as_not_supported()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        using var http = new HttpClient();
        using var content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"iex_subscribe","params":["newHeads"]}""", Encoding.UTF8, "application/json");

        using HttpResponseMessage response = await http.PostAsync(server.Server.Endpoint, content);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        JsonElement error = body.RootElement.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.NotSupported));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("WebSocket"));
        Assert.That(server.Hub.SubscriberCount, Is.Zero);
    }

    [Test]
    public async Task Unknown_topic_is_rejected_with_the_list_of_known_topics()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);

        JsonElement response = await socket.CallAsync("""{"jsonrpc":"2.0","id":1,"method":"iex_subscribe","params":["newBlocks"]}""");

        JsonElement error = response.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(error.GetProperty("message").GetString(), Is.EqualTo("invalid params: unknown topic 'newBlocks'; known topics: newHeads, tasks"));
    }

    [TestCase("""["tasks",{"taskID":"0x1"}]""", "cannot be filtered on 'taskID'; filter fields are taskId, dealId, requester, worker, status")]
    [TestCase("""["tasks",{"taskId":1}]""", "filter.taskId must be a string")]
    [TestCase("""["tasks","0x1"]""", "filter must be an object")]
    [TestCase("""["newHeads",{"hash":"0x1"}]""", "topic 'newHeads' takes no filter")]
    public async Task Invalid_filter_is_rejected_with_invalid_params(string parameters, string expected)
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);

        JsonElement response = await socket.CallAsync($$"""{"jsonrpc":"2.0","id":1,"method":"iex_subscribe","params":{{parameters}}}""");

        Assert.That(response.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.InvalidParams));
        Assert.That(response.GetProperty("error").GetProperty("message").GetString(), Does.Contain(expected));
        Assert.That(server.Hub.SubscriberCount, Is.Zero);
    }

    [Test]
    public async Task Named_params_subscribe_with_a_filter()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);

        JsonElement response = await socket.CallAsync("""{"jsonrpc":"2.0","id":1,"method":"iex_subscribe","params":{"topic":"tasks","filter":{"dealId":"0xdd"}}}""");
        int queued = server.Hub.Publish("tasks", new { dealId = "0xDD" });

        Assert.That(response.GetProperty("result").GetString(), Does.StartWith("0x"));
        Assert.That(queued, Is.EqualTo(1));
    }

    [Test]
    public async Task Subscriptions_beyond_the_per_connection_limit_are_refused()
    {
        await using var server = await WebSocketTestServer.StartAsync(o => o.MaxSubscriptionsPerConnection = 2);
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);
        string batch = string.Join(",", Enumerable.Range(0, 3).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"iex_subscribe","params":["tasks"]}"""));

        JsonElement responses = await socket.CallAsync($"[{batch}]");

        Assert.That(responses[0].GetProperty("result").GetString(), Does.StartWith("0x"));
        Assert.That(responses[1].GetProperty("result").GetString(), Does.StartWith("0x"));
        Assert.That(responses[2].GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.ResourceLimit));
        Assert.That(responses[2].GetProperty("error").GetProperty("message").GetString(), Does.Contain("limit 2"));
        Assert.That(server.Hub.SubscriberCount, Is.EqualTo(2));
    }

    [Test]
    public async Task Closing_the_socket_removes_its_subscriptions()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        var socket = await RawSocket.ConnectAsync(server.WebSocketUri);
        await socket.SubscribeAsync("newHeads");
        await socket.SubscribeAsync("tasks", """{"worker":"0xaa"}""");
        Assert.That(server.Hub.SubscriberCount, Is.EqualTo(2));

        await socket.DisposeAsync();

        await Eventually.Until(() => server.Hub.SubscriberCount == 0, "the hub has no subscriber left");
        Assert.That(server.Hub.Publish("newHeads", new { number = "0x1" }), Is.Zero);
        await Eventually.Until(() => server.Server.WebSockets.OpenConnections == 0, "the connection is gone");
    }

    [Test]
    public async Task Dropped_tcp_connection_removes_its_subscriptions()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        var socket = await RawSocket.ConnectAsync(server.WebSocketUri);
        await socket.SubscribeAsync("newHeads");

        socket.Socket.Abort();
        socket.Socket.Dispose();

        await Eventually.Until(() => server.Hub.SubscriberCount == 0, "the hub has no subscriber left");
    }

    [Test]
    public async Task Slow_consumer_is_disconnected_with_a_reason_while_publisher_and_other_subscribers_carry_on()
    {
        // The close handshake waits for the slow client to read, so the reason can be checked.
        await using var server = await WebSocketTestServer.StartAsync(o =>
        {
            o.MaxQueuedMessagesPerConnection = 8;
            o.WebSocketCloseTimeout = TimeSpan.FromMinutes(2);
        });
        await using var slow = await RawSocket.ConnectAsync(server.WebSocketUri, receiveBufferBytes: 4096);
        await slow.SubscribeAsync("tasks");
        await using var client = await JsonRpcWebSocketClient.ConnectAsync(server.WebSocketUri);
        RpcSubscription healthy = await client.SubscribeAsync("tasks");
        string padding = new('p', 16 * 1024);

        // In lock step with the healthy subscriber, so only the slow one can fall behind.
        int published = 0;
        while (server.Server.WebSockets.SlowConsumerDisconnects == 0)
        {
            Assert.That(published, Is.LessThan(20_000), "the slow consumer was never disconnected");
            server.Hub.Publish("tasks", new { sequence = published, padding });
            JsonElement received = await Eventually.Within(healthy.Events.ReadAsync().AsTask());
            Assert.That(received.GetProperty("sequence").GetInt32(), Is.EqualTo(published));
            published++;
        }

        Assert.That(server.Hub.SubscriberCount, Is.EqualTo(1), "the slow consumer's subscription is gone at once");
        for (int i = 0; i < 3; i++)
        {
            Assert.That(server.Hub.Publish("tasks", new { sequence = published + i, padding }), Is.EqualTo(1));
            JsonElement received = await Eventually.Within(healthy.Events.ReadAsync().AsTask());
            Assert.That(received.GetProperty("sequence").GetInt32(), Is.EqualTo(published + i));
        }

        // Now the slow client reads: what was already on the wire, in order and without gaps,
        // then the close frame with the reason.
        var sequences = new List<int>();
        while (await slow.ReceiveAsync() is { } text)
        {
            using JsonDocument notification = JsonDocument.Parse(text);
            sequences.Add(notification.RootElement.GetProperty("params").GetProperty("result").GetProperty("sequence").GetInt32());
        }
        Assert.That(sequences, Is.EqualTo(Enumerable.Range(0, sequences.Count)));
        Assert.That(sequences.Count, Is.LessThan(published));
        Assert.That(slow.Socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        Assert.That(slow.Socket.CloseStatusDescription, Does.StartWith("send queue full"));
        Assert.That(server.Server.WebSockets.SlowConsumerDisconnects, Is.EqualTo(1));
    }

    [Test]
    public async Task Consumer_that_never_reads_is_dropped_after_the_close_timeout()
    {
        await using var server = await WebSocketTestServer.StartAsync(o =>
        {
            o.MaxQueuedMessagesPerConnection = 4;
            o.WebSocketCloseTimeout = TimeSpan.FromMilliseconds(100);
        });
        await using var stuck = await RawSocket.ConnectAsync(server.WebSocketUri, receiveBufferBytes: 4096);
        await stuck.SubscribeAsync("tasks");
        string padding = new('p', 16 * 1024);

        int published = 0;
        while (server.Server.WebSockets.SlowConsumerDisconnects == 0)
        {
            Assert.That(published, Is.LessThan(20_000), "the consumer was never disconnected");
            server.Hub.Publish("tasks", new { sequence = published++, padding });
        }

        Assert.That(server.Hub.SubscriberCount, Is.Zero);
        await Eventually.Until(() => server.Server.WebSockets.OpenConnections == 0, "the server dropped the connection");
        Assert.That(server.Hub.Publish("tasks", new { sequence = published }), Is.Zero);
    }

    [Test]
    public void Publish_without_subscribers_queues_nothing_and_never_serializes()
    {
        var hub = new RpcEventHub();

        // A payload that cannot be serialized proves the hub did not try.
        int queued = hub.Publish("tasks", new Unserializable());

        Assert.That(queued, Is.Zero);
        Assert.That(hub.HasSubscribers("tasks"), Is.False);
        Assert.That(hub.NotificationsQueued, Is.Zero);
    }

    [Test]
    public void Publish_on_an_unknown_topic_throws_naming_the_known_ones()
    {
        var hub = new RpcEventHub();

        Assert.That(() => hub.Publish("blocks", new { }), Throws.ArgumentException.With.Message.Contains("known topics: newHeads, tasks"));
    }

    [Test]
    public async Task Event_that_is_not_a_json_object_is_refused_to_the_publisher()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var socket = await RawSocket.ConnectAsync(server.WebSocketUri);
        await socket.SubscribeAsync("tasks");

        Assert.That(() => server.Hub.PublishJson("tasks", "[1,2]"u8), Throws.ArgumentException);
        Assert.That(() => server.Hub.PublishJson("tasks", "{\"a\":"u8), Throws.ArgumentException);
        Assert.That(server.Hub.PublishJson("tasks", """{"taskId":"0x1","sequence":1}"""u8), Is.EqualTo(1));
        JsonElement notification = await socket.ReceiveJsonAsync();
        Assert.That(notification.GetProperty("params").GetProperty("result").GetProperty("sequence").GetInt32(), Is.EqualTo(1));
    }

    private static ChainBlock Block(int height) => new(new BlockHeader
    {
        ChainId = 1337,
        Height = (ulong)height,
        TimeUnixMs = 1_700_000_000_000 + (ulong)height * 1000,
        ParentHash = ByteString.CopyFrom(new byte[32]),
        StateRoot = ByteString.CopyFrom(Enumerable.Repeat((byte)0x55, 32).ToArray()),
        Proposer = ByteString.CopyFrom(new byte[20]),
        TxCount = 3,
    }, [], null);

    private sealed class Unserializable
    {
        public int Value => throw new InvalidOperationException("serialized");
    }
}
