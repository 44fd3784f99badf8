using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests.Hostile;

/// <summary>The transports under the same hostile input: real Kestrel on 127.0.0.1.</summary>
[TestFixture]
public sealed class HostileTransportTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [TestCase("evil.example")]
    [TestCase("evil.example:8645")]
    [TestCase("127.0.0.1.nip.io")]
    public async Task A_request_naming_another_host_is_refused_with_403(string host)
    {
        await using WebSocketTestServer server = await WebSocketTestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Server.Endpoint };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = Json("""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["x"]}""") };
        request.Headers.Host = host;

        using HttpResponseMessage response = await http.SendAsync(request);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(body.RootElement.GetProperty("error").GetProperty("message").GetString(), Does.Contain("is not one this node answers to"));
    }

    [TestCase("localhost")]
    [TestCase("127.0.0.1")]
    [TestCase("[::1]")]
    [TestCase("LOCALHOST.")]
    public async Task Local_names_are_answered_by_default(string host)
    {
        await using WebSocketTestServer server = await WebSocketTestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Server.Endpoint };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = Json("""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["x"]}""") };
        request.Headers.Host = $"{host}:{server.Server.Endpoint.Port}";

        using HttpResponseMessage response = await http.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_configured_name_is_answered_and_the_defaults_are_then_replaced()
    {
        await using WebSocketTestServer server = await WebSocketTestServer.StartAsync(o => o.AllowedHosts = ["node.example"]);
        using var http = new HttpClient { BaseAddress = server.Server.Endpoint };

        async Task<HttpStatusCode> Send(string host)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = Json("""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["x"]}""") };
            request.Headers.Host = host;
            using HttpResponseMessage response = await http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.That(await Send("node.example:443"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Send("localhost"), Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task A_lone_surrogate_id_over_http_gets_200_and_32600_never_a_500()
    {
        await using WebSocketTestServer server = await WebSocketTestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Server.Endpoint };

        using HttpResponseMessage response = await http.PostAsync("/", Json("""[{"jsonrpc":"2.0","id":"\ud800","method":"test_echo","params":["x"]},{"jsonrpc":"2.0","id":2,"method":"test_echo","params":["kept"]}]"""));
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.RootElement[0].GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.InvalidRequest));
        Assert.That(body.RootElement[1].GetProperty("result").GetString(), Is.EqualTo("kept"));
    }

    [Test]
    public async Task A_lone_surrogate_id_over_a_websocket_is_answered_and_the_connection_stays_open()
    {
        await using WebSocketTestServer server = await WebSocketTestServer.StartAsync();
        await using RawSocket socket = await RawSocket.ConnectAsync(server.WebSocketUri);

        JsonElement refused = await socket.CallAsync("""{"jsonrpc":"2.0","id":"\ud800","method":"test_echo","params":["x"]}""");
        JsonElement after = await socket.CallAsync("""{"jsonrpc":"2.0","id":2,"method":"test_echo","params":["still here"]}""");

        Assert.That(refused.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.InvalidRequest));
        Assert.That(after.GetProperty("result").GetString(), Is.EqualTo("still here"));
        Assert.That(socket.Socket.State, Is.EqualTo(WebSocketState.Open));
    }

    [Test]
    public async Task A_websocket_client_that_stops_reading_its_responses_is_disconnected_and_others_are_still_served()
    {
        await using WebSocketTestServer server = await WebSocketTestServer.StartAsync(o =>
        {
            o.MaxQueuedBytesPerConnection = 64 * 1024;
            o.WebSocketSendStallTimeout = TimeSpan.FromMilliseconds(300);
            o.WebSocketCloseTimeout = TimeSpan.FromMilliseconds(300);
        });
        await using RawSocket socket = await RawSocket.ConnectAsync(server.WebSocketUri, receiveBufferBytes: 4096);
        string batch = "[" + string.Join(",", Enumerable.Range(0, 50).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"test_echo","params":["{{new string('p', 1000)}}"]}""")) + "]";

        // Sends without reading until the server stops taking requests or closes.
        using var sending = new CancellationTokenSource(RawSocket.Patience);
        Task flood = Task.Run(async () =>
        {
            try
            {
                while (!sending.IsCancellationRequested)
                    await socket.Socket.SendAsync(Encoding.UTF8.GetBytes(batch), WebSocketMessageType.Text, true, sending.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                // The server dropped the connection: what this test waits for.
            }
        });

        await Eventually.Until(() => server.Server.WebSockets.SlowConsumerDisconnects == 1, "the server closed the slow client");
        await Eventually.Until(() => server.Server.WebSockets.OpenConnections == 0, "the connection ended");
        await sending.CancelAsync();
        await flood;

        // The server keeps answering others.
        await using RawSocket other = await RawSocket.ConnectAsync(server.WebSocketUri);
        JsonElement answer = await other.CallAsync("""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["ok"]}""");
        Assert.That(answer.GetProperty("result").GetString(), Is.EqualTo("ok"));
    }
}
