using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>Real Kestrel on 127.0.0.1 with a port picked by the OS, driven by HttpClient.</summary>
[TestFixture]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Created in SetUp and disposed in TearDown, per test")]
public sealed class RpcServerTests
{
    private const long MaxRequestBytes = 4096;

    private RpcServer _server = null!;
    private HttpClient _http = null!;

    [SetUp]
    public async Task SetUp()
    {
        var registry = new RpcMethodRegistry();
        registry.Register("test_echo", (p, _) => ValueTask.FromResult<object?>(p.GetString(0, "value")));
        var options = new RpcServerOptions { Port = 0, MaxRequestBytes = MaxRequestBytes, MaxBatchSize = 500 };
        _server = new RpcServer(options, new JsonRpcDispatcher(registry, maxBatchSize: options.MaxBatchSize), NullLoggerFactory.Instance);
        _server.MapGet("/health", context => context.Response.WriteAsync("ok"));
        await _server.StartAsync();
        _http = new HttpClient { BaseAddress = _server.Endpoint };
    }

    [TearDown]
    public async Task TearDown()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(HttpContent content)
    {
        using HttpResponseMessage response = await _http.PostAsync("/", content);
        string text = await response.Content.ReadAsStringAsync();
        using JsonDocument document = JsonDocument.Parse(text);
        return (response.StatusCode, document.RootElement.Clone());
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Test]
    public void Endpoint_reports_the_port_actually_bound()
    {
        Assert.That(_server.Endpoint.Host, Is.EqualTo("127.0.0.1"));
        Assert.That(_server.Endpoint.Port, Is.GreaterThan(0));
    }

    [Test]
    public async Task Call_over_http_returns_the_result()
    {
        (HttpStatusCode status, JsonElement body) = await Post(Json("""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["hello"]}"""));

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.GetProperty("result").GetString(), Is.EqualTo("hello"));
    }

    [Test]
    public async Task Batch_over_http_returns_every_response()
    {
        string batch = "[" + string.Join(",", Enumerable.Range(0, 20).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"test_echo","params":["v{{i}}"]}""")) + "]";

        (HttpStatusCode status, JsonElement body) = await Post(Json(batch));

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.GetArrayLength(), Is.EqualTo(20));
        Assert.That(body[19].GetProperty("result").GetString(), Is.EqualTo("v19"));
    }

    [Test]
    public async Task Invalid_json_over_http_returns_parse_error()
    {
        (HttpStatusCode status, JsonElement body) = await Post(Json("{\"jsonrpc\":"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.ParseError));
        Assert.That(body.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Oversized_body_returns_413_with_a_json_rpc_error()
    {
        string big = $$"""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["{{new string('x', (int)MaxRequestBytes)}}"]}""";

        (HttpStatusCode status, JsonElement body) = await Post(Json(big));

        Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(body.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.InvalidRequest));
        Assert.That(body.GetProperty("error").GetProperty("message").GetString(), Is.EqualTo($"request too large (limit {MaxRequestBytes} bytes)"));
    }

    [Test]
    public async Task Oversized_chunked_body_without_length_also_returns_413()
    {
        byte[] big = Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["{{new string('x', 3 * (int)MaxRequestBytes)}}"]}""");
        using var content = new StreamContent(new MemoryStream(big));
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using HttpResponseMessage response = await _http.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
    }

    [Test]
    public async Task Body_exactly_at_the_limit_is_accepted()
    {
        string prefix = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_echo\",\"params\":[\"";
        string suffix = "\"]}";
        string exact = prefix + new string('x', (int)MaxRequestBytes - prefix.Length - suffix.Length) + suffix;

        (HttpStatusCode status, JsonElement body) = await Post(Json(exact));

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.GetProperty("result").GetString()!.Length, Is.GreaterThan(4000));
    }

    [Test]
    public async Task Wrong_content_type_returns_415_with_a_json_rpc_error()
    {
        (HttpStatusCode status, JsonElement body) = await Post(new StringContent("""{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["a"]}""", Encoding.UTF8, "text/plain"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        Assert.That(body.GetProperty("error").GetProperty("message").GetString(), Does.Contain("application/json"));
    }

    [Test]
    public async Task Unsupported_http_method_returns_405()
    {
        using HttpResponseMessage response = await _http.PutAsync("/", Json("{}"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("use POST"));
    }

    [Test]
    public async Task Notification_only_batch_returns_an_empty_body()
    {
        using HttpResponseMessage response = await _http.PostAsync("/", Json("""[{"jsonrpc":"2.0","method":"test_echo","params":["a"]}]"""));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.Empty);
    }

    [Test]
    public async Task Get_root_describes_the_endpoint()
    {
        string text = await _http.GetStringAsync("/");

        Assert.That(text, Does.Contain("JSON-RPC"));
    }

    [Test]
    public async Task Browser_page_answers_get_root_only_for_clients_that_accept_html()
    {
        var options = new RpcServerOptions { Port = 0 };
        await using var server = new RpcServer(options, new JsonRpcDispatcher(new RpcMethodRegistry(), maxBatchSize: options.MaxBatchSize), NullLoggerFactory.Instance);
        server.MapBrowserPage(context =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            return context.Response.WriteAsync("<!doctype html><title>page</title>");
        });
        await server.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Endpoint };

        using var browser = new HttpRequestMessage(HttpMethod.Get, "/");
        browser.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,*/*;q=0.8");
        using HttpResponseMessage page = await http.SendAsync(browser);
        using HttpResponseMessage other = await http.GetAsync("/");

        Assert.That(page.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("<title>page</title>"));
        Assert.That(other.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
        Assert.That(await other.Content.ReadAsStringAsync(), Does.StartWith("iExecChain JSON-RPC 2.0 endpoint"));
        Assert.That(() => server.MapBrowserPage(_ => Task.CompletedTask), Throws.InvalidOperationException, "set after start");
    }

    [Test]
    public async Task Path_registered_with_MapGet_is_served()
    {
        string text = await _http.GetStringAsync("/health");

        Assert.That(text, Is.EqualTo("ok"));
    }

    [Test]
    public async Task Taken_port_fails_start_with_a_clear_message()
    {
        int port = _server.Endpoint.Port;
        var options = new RpcServerOptions { Port = port };
        await using var second = new RpcServer(options, new JsonRpcDispatcher(new RpcMethodRegistry()), NullLoggerFactory.Instance);

        Assert.That(async () => await second.StartAsync(),
            Throws.InvalidOperationException.With.Message.EqualTo($"address 127.0.0.1:{port} is already in use"));
    }

    [Test]
    public void Mismatched_batch_limits_are_refused()
    {
        Assert.That(() => new RpcServer(new RpcServerOptions { MaxBatchSize = 10 }, new JsonRpcDispatcher(new RpcMethodRegistry(), maxBatchSize: 20), NullLoggerFactory.Instance),
            Throws.ArgumentException);
    }
}
