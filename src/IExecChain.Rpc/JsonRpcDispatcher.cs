using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IExecChain.Rpc;

/// <summary>
/// JSON-RPC 2.0 request handling, independent of the transport: takes the UTF-8 request body
/// and returns the UTF-8 response body, or null when there is nothing to send (notifications).
/// </summary>
public sealed class JsonRpcDispatcher
{
    private const int MaxMethodNameLength = 256;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    private readonly RpcMethodRegistry _registry;
    private readonly ILogger _logger;
    private readonly int _maxBatchSize;

    public JsonRpcDispatcher(RpcMethodRegistry registry, ILogger? logger = null, int maxBatchSize = RpcServerOptions.DefaultMaxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        _registry = registry;
        _logger = logger ?? NullLogger.Instance;
        _maxBatchSize = maxBatchSize;
    }

    public int MaxBatchSize => _maxBatchSize;

    public ValueTask<byte[]?> HandleAsync(ReadOnlyMemory<byte> utf8Request, CancellationToken ct) =>
        HandleAsync(utf8Request, null, ct);

    /// <param name="connection">The WebSocket connection the request came on; null for HTTP.</param>
    public async ValueTask<byte[]?> HandleAsync(ReadOnlyMemory<byte> utf8Request, RpcConnection? connection, CancellationToken ct)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Request, DocumentOptions);
        }
        catch (JsonException ex)
        {
            _logger.ParseFailed(ex.Message);
            return ErrorResponse(RpcErrorCodes.ParseError, "parse error: " + ex.Message);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                using var single = new RpcResponseWriter(_logger);
                return await HandleRequestAsync(root, single, connection, ct) ? single.ToArray() : null;
            }

            int count = root.GetArrayLength();
            if (count == 0) return ErrorResponse(RpcErrorCodes.InvalidRequest, "invalid request: empty batch");
            if (count > _maxBatchSize)
            {
                _logger.BatchTooLarge(count, _maxBatchSize);
                return ErrorResponse(RpcErrorCodes.InvalidRequest, $"invalid request: batch of {count} exceeds the limit of {_maxBatchSize} requests");
            }

            using var batch = new RpcResponseWriter(_logger);
            batch.StartBatch();
            int responses = 0;
            // Items run one after another, each awaited before the next starts: handlers are
            // fast, and a client batching transactions from one sender relies on them being
            // applied in order (nonce n before n + 1).
            foreach (JsonElement item in root.EnumerateArray())
            {
                if (await HandleRequestAsync(item, batch, connection, ct)) responses++;
            }
            if (responses == 0) return null;
            batch.EndBatch();
            return batch.ToArray();
        }
    }

    /// <summary>A complete response holding one error and a null id.</summary>
    internal static byte[] ErrorResponse(int code, string message)
    {
        using var writer = new RpcResponseWriter(NullLogger.Instance);
        writer.WriteError(default, code, message, null);
        return writer.ToArray();
    }

    /// <returns>Whether a response was written (false for notifications).</returns>
    private async ValueTask<bool> HandleRequestAsync(JsonElement request, RpcResponseWriter response, RpcConnection? connection, CancellationToken ct)
    {
        if (!TryReadEnvelope(request, out JsonElement id, out JsonElement method, out JsonElement parameters, out string? problem))
        {
            response.WriteError(id, RpcErrorCodes.InvalidRequest, "invalid request: " + problem, null);
            return true;
        }

        bool isNotification = id.ValueKind == JsonValueKind.Undefined;
        if (!TryFindHandler(method, out RpcConnectionHandler? handler))
        {
            if (isNotification) return false;
            response.WriteError(id, RpcErrorCodes.MethodNotFound, $"method not found: {Truncate(MethodName(method))}", null);
            return true;
        }

        object? result;
        try
        {
            result = await handler(new RpcParams(parameters), connection, ct);
        }
        catch (RpcException ex)
        {
            if (isNotification) return false;
            response.WriteError(id, ex.Code, ex.Message, ex.Data);
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            _logger.HandlerFailed(MethodName(method), ex);
            if (isNotification) return false;
            response.WriteError(id, RpcErrorCodes.InternalError, "internal error", null);
            return true;
        }

        if (isNotification) return false;
        response.WriteResult(id, method, result);
        return true;
    }

    private static bool TryReadEnvelope(JsonElement request, out JsonElement id, out JsonElement method, out JsonElement parameters, out string? problem)
    {
        id = default;
        method = default;
        parameters = default;
        if (request.ValueKind != JsonValueKind.Object)
        {
            problem = "a request must be a JSON object";
            return false;
        }

        bool versionOk = false;
        foreach (JsonProperty property in request.EnumerateObject())
        {
            if (property.NameEquals("jsonrpc"u8))
                versionOk = property.Value.ValueKind == JsonValueKind.String && property.Value.ValueEquals("2.0"u8);
            else if (property.NameEquals("id"u8))
                id = property.Value;
            else if (property.NameEquals("method"u8))
                method = property.Value;
            else if (property.NameEquals("params"u8))
                parameters = property.Value;
        }

        if (id.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
        {
            id = default;
            problem = "id must be a string, a number or null";
            return false;
        }
        if (!versionOk)
        {
            problem = "jsonrpc must be \"2.0\"";
            return false;
        }
        if (method.ValueKind != JsonValueKind.String)
        {
            problem = "method must be a string";
            return false;
        }
        // A null "params" is sent by enough clients to be treated as absent.
        if (parameters.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Array or JsonValueKind.Object))
        {
            problem = "params must be an array or an object";
            return false;
        }
        problem = null;
        return true;
    }

    private bool TryFindHandler(JsonElement method, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RpcConnectionHandler? handler)
    {
        // Look the name up without allocating a string: the raw literal is plain ASCII for every
        // real method name, and anything escaped or oversized takes the slow path.
        ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(method);
        if (raw.Length >= 2 && raw.Length - 2 <= MaxMethodNameLength && raw.IndexOf((byte)'\\') < 0)
        {
            Span<char> name = stackalloc char[MaxMethodNameLength];
            int length = Encoding.UTF8.GetChars(raw[1..^1], name);
            return _registry.TryGet(name[..length], out handler);
        }
        return _registry.TryGet(MethodName(method), out handler);
    }

    internal static string MethodName(JsonElement method)
    {
        try
        {
            return method.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            return "(ill-formed UTF-8)";
        }
    }

    private static string Truncate(string text) =>
        text.Length > 64 ? string.Concat(text.AsSpan(0, 64), "...") : text;
}
