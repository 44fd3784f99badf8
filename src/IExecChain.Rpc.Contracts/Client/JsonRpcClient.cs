using System.Net.Http.Headers;
using System.Text.Json;

namespace IExecChain.Rpc.Contracts.Client;

/// <summary>An error the server answered with, or a transport failure described for a person.</summary>
public sealed class JsonRpcClientException(int code, string message, JsonElement? errorData = null) : Exception(message)
{
    public int Code { get; } = code;

    /// <summary>The error's "data" member, when the node sent one.</summary>
    public JsonElement? ErrorData { get; } = errorData;

    /// <summary>The wait a node asked for when it refused for load (-32005 with data.retryAfterMs), else null.</summary>
    public int? RetryAfterMs =>
        ErrorData is { ValueKind: JsonValueKind.Object } data && data.TryGetProperty("retryAfterMs", out var ms) && ms.TryGetInt32(out int value) ? value : null;
}

/// <summary>A JSON-RPC 2.0 client over HTTP for the CLI and the load generator.</summary>
public sealed class JsonRpcClient : IDisposable
{
    /// <summary>HTTP connections this client opens to its node at most; concurrent calls beyond it queue.</summary>
    public const int MaxConnectionsPerServer = 64;

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private long _nextId;

    public JsonRpcClient(Uri endpoint, TimeSpan? timeout = null)
    {
        _endpoint = endpoint;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = MaxConnectionsPerServer, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
    }

    public Uri Endpoint => _endpoint;

    /// <summary>Reads a 0x-hex quantity from an answer; a malformed one is a protocol error, not a user error.</summary>
    public static ulong Quantity(JsonElement value)
    {
        string? problem = null;
        if (value.ValueKind == JsonValueKind.String && RpcQuantity.TryParse(value.GetString(), out ulong quantity, out problem)) return quantity;
        throw new JsonRpcClientException(-1, $"the node answered {value.GetRawText()} where a 0x-hex quantity was expected{(problem is null ? "" : ": " + problem)}");
    }

    /// <summary>Parses "host:port" or a full URL; defaults to http.</summary>
    public static Uri ParseEndpoint(string text)
    {
        if (!text.Contains("://", StringComparison.Ordinal)) text = "http://" + text;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new ArgumentException($"'{text}' is not an http(s) RPC address such as http://{RpcProtocol.DefaultHost}:{RpcProtocol.DefaultPort}");
        return uri;
    }

    public async Task<JsonElement> CallAsync(string method, params object?[] parameters)
    {
        var request = new { jsonrpc = "2.0", id = Interlocked.Increment(ref _nextId), method, @params = parameters };
        using var doc = await PostAsync(JsonSerializer.SerializeToUtf8Bytes(request), CancellationToken.None).ConfigureAwait(false);
        return Unwrap(doc.RootElement).Clone();
    }

    /// <summary>Sends many calls in one batch; each entry is the result or the error of its call, in order.</summary>
    public async Task<List<(JsonElement? Result, JsonRpcClientException? Error)>> CallBatchAsync(string method, IReadOnlyList<object?[]> parameterLists, CancellationToken ct = default)
    {
        long first = Interlocked.Add(ref _nextId, parameterLists.Count) - parameterLists.Count + 1;
        var batch = new object[parameterLists.Count];
        for (int i = 0; i < batch.Length; i++) batch[i] = new { jsonrpc = "2.0", id = first + i, method, @params = parameterLists[i] };
        using var doc = await PostAsync(JsonSerializer.SerializeToUtf8Bytes(batch), ct).ConfigureAwait(false);
        var results = new (JsonElement?, JsonRpcClientException?)[parameterLists.Count];
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            var error = ToException(doc.RootElement);
            for (int i = 0; i < results.Length; i++) results[i] = (null, error);
            return [.. results];
        }
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            if (!item.TryGetProperty("id", out var idElement) || !idElement.TryGetInt64(out var id)) continue;
            long index = id - first;
            if (index < 0 || index >= results.Length) continue;
            results[index] = item.TryGetProperty("error", out _) ? (null, ToException(item)) : (item.GetProperty("result").Clone(), null);
        }
        return [.. results];
    }

    private async Task<JsonDocument> PostAsync(byte[] body, CancellationToken ct)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        HttpResponseMessage response;
        try
        {
            response = await _http.PostAsync(_endpoint, content, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new JsonRpcClientException(-1, $"cannot reach the node at {_endpoint}: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new JsonRpcClientException(-1, $"the node at {_endpoint} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }
        using (response)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            try
            {
                return JsonDocument.Parse(bytes);
            }
            catch (JsonException)
            {
                throw new JsonRpcClientException(-1, $"the node at {_endpoint} answered HTTP {(int)response.StatusCode} without JSON-RPC content");
            }
        }
    }

    private static JsonElement Unwrap(JsonElement response) =>
        response.TryGetProperty("error", out _) ? throw ToException(response) : response.GetProperty("result");

    private static JsonRpcClientException ToException(JsonElement response)
    {
        if (response.TryGetProperty("error", out var error))
            return new JsonRpcClientException(error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString() ?? "error",
                error.TryGetProperty("data", out var data) ? data.Clone() : null);
        return new JsonRpcClientException(-1, "malformed JSON-RPC response");
    }

    public void Dispose() => _http.Dispose();
}
