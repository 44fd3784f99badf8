using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using IExecChain.Core.Primitives;
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

    // Repeated member names are ambiguous (which "id", which "method"?), and parsers disagree on
    // which one wins; a request with any is refused rather than read one way here and another
    // way by a proxy in front of the node.
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };
    private static readonly JsonDocumentOptions LenientOptions = new() { MaxDepth = 64 };

    private readonly RpcMethodRegistry _registry;
    private readonly int _maxBatchSize;

    public JsonRpcDispatcher(RpcMethodRegistry registry, ILogger? logger = null, int maxBatchSize = RpcServerOptions.DefaultMaxBatchSize)
        : this(registry, logger, new RpcServerOptions { MaxBatchSize = maxBatchSize })
    {
    }

    /// <summary>Takes the batch and response limits from <paramref name="options"/>; the server checks they are its own.</summary>
    public JsonRpcDispatcher(RpcMethodRegistry registry, ILogger? logger, RpcServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxResponseBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchResponseBytes, 1024);
        _registry = registry;
        ClientErrors = new ClientErrorLog(logger ?? NullLogger.Instance);
        _maxBatchSize = options.MaxBatchSize;
        MaxResponseBytes = options.MaxResponseBytes;
        MaxBatchResponseBytes = options.MaxBatchResponseBytes;
    }

    public int MaxBatchSize => _maxBatchSize;

    public long MaxResponseBytes { get; }

    public long MaxBatchResponseBytes { get; }

    /// <summary>Where this dispatcher and the transports built on it log clients' mistakes.</summary>
    public ClientErrorLog ClientErrors { get; }

    public ValueTask<byte[]?> HandleAsync(ReadOnlyMemory<byte> utf8Request, CancellationToken ct) =>
        HandleAsync(utf8Request, null, ct);

    /// <param name="connection">The WebSocket connection the request came on; null for HTTP.</param>
    public async ValueTask<byte[]?> HandleAsync(ReadOnlyMemory<byte> utf8Request, RpcConnection? connection, CancellationToken ct)
    {
        if (!TryParse(utf8Request, out JsonDocument? document, out byte[]? refusal)) return refusal;

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                using var single = new RpcResponseWriter(ClientErrors, MaxResponseBytes, MaxResponseBytes);
                return await HandleRequestAsync(root, single, connection, ct) ? single.ToArray() : null;
            }

            int count = root.GetArrayLength();
            if (count == 0) return Refuse(ClientErrorKind.InvalidRequest, RpcErrorCodes.InvalidRequest, "invalid request: empty batch");
            if (count > _maxBatchSize)
                return Refuse(ClientErrorKind.BatchTooLarge, RpcErrorCodes.InvalidRequest, $"invalid request: batch of {count} exceeds the limit of {_maxBatchSize} requests");

            using var batch = new RpcResponseWriter(ClientErrors, MaxResponseBytes, MaxBatchResponseBytes);
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

    private bool TryParse(ReadOnlyMemory<byte> utf8Request, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out JsonDocument? document, out byte[]? refusal)
    {
        refusal = null;
        try
        {
            document = JsonDocument.Parse(utf8Request, DocumentOptions);
            return true;
        }
        catch (JsonException ex)
        {
            document = null;
            // Tell a repeated member from broken JSON by parsing again without the check: the
            // second parse only happens for a request that is refused anyway.
            try
            {
                JsonDocument.Parse(utf8Request, LenientOptions).Dispose();
                refusal = Refuse(ClientErrorKind.InvalidRequest, RpcErrorCodes.InvalidRequest,
                    "invalid request: an object repeats a member name; each name may appear once");
            }
            catch (JsonException)
            {
                refusal = Refuse(ClientErrorKind.ParseError, RpcErrorCodes.ParseError, "parse error: " + ex.Message);
            }
            return false;
        }
        catch (InvalidOperationException)
        {
            // The duplicate check reads every member name and throws on one that escapes a lone
            // surrogate (System.Text.Json 10): which members repeat cannot be known, so nothing
            // in the document is run.
            document = null;
            refusal = Refuse(ClientErrorKind.InvalidRequest, RpcErrorCodes.InvalidRequest,
                "invalid request: a member name is not valid Unicode text (a lone surrogate escape such as \\ud800)");
            return false;
        }
    }

    private byte[] Refuse(ClientErrorKind kind, int code, string message)
    {
        ClientErrors.Report(kind, message);
        return ErrorResponse(code, message);
    }

    /// <summary>A complete response holding one error and a null id.</summary>
    internal static byte[] ErrorResponse(int code, string message)
    {
        using var writer = new RpcResponseWriter(null);
        writer.WriteError(default, code, message, null);
        return writer.ToArray();
    }

    /// <returns>Whether a response was written (false for notifications).</returns>
    private async ValueTask<bool> HandleRequestAsync(JsonElement request, RpcResponseWriter response, RpcConnection? connection, CancellationToken ct)
    {
        // Everything that could stop the answer from being written is checked here, before the
        // method runs: a transaction submitted under an id that cannot be echoed was accepted
        // with nobody told.
        if (!TryReadEnvelope(request, out JsonElement id, out JsonElement method, out JsonElement parameters, out string? problem))
        {
            ClientErrors.Report(ClientErrorKind.InvalidRequest, problem);
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

        if (!response.HasBudget)
        {
            ClientErrors.Report(ClientErrorKind.ResponseTooLarge, $"batch answer reached {response.MaxTotalBytes} bytes");
            if (isNotification) return false;
            response.WriteError(id, RpcErrorCodes.ResourceLimit,
                $"not run: the batch's answers reached the limit of {response.MaxTotalBytes} bytes (RpcServerOptions.MaxBatchResponseBytes); send this request again in another batch", null);
            return true;
        }

        if (JsonText.FindUnreadable(parameters, "params") is { } unreadable)
        {
            ClientErrors.Report(ClientErrorKind.InvalidRequest, $"{unreadable} is not valid Unicode");
            if (isNotification) return false;
            response.WriteError(id, RpcErrorCodes.InvalidParams,
                $"invalid params: {unreadable} is not valid Unicode text (a lone surrogate escape such as \\ud800, or ill-formed UTF-8)", null);
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
            ClientErrors.ReportHandlerFailure(MethodName(method), ex);
            if (isNotification) return false;
            response.WriteError(id, RpcErrorCodes.InternalError, "internal error", null);
            return true;
        }

        if (isNotification) return false;
        long limit = response.NextResultLimit;
        if (!response.TryWriteResult(id, method, result, out long size))
        {
            bool batchLimit = limit < response.MaxResponseBytes;
            string message = batchLimit
                ? $"answer too large: {MethodName(method)} returned at least {size} bytes, more than the {limit} bytes left of the batch's limit of {response.MaxTotalBytes} (RpcServerOptions.MaxBatchResponseBytes); ask for it alone or in a smaller batch"
                : $"answer too large: {MethodName(method)} returned at least {size} bytes, over the limit of {response.MaxResponseBytes} bytes per answer (RpcServerOptions.MaxResponseBytes); ask for less";
            ClientErrors.Report(ClientErrorKind.ResponseTooLarge, message);
            response.WriteError(id, RpcErrorCodes.ResourceLimit, message, null);
        }
        return true;
    }

    private static bool TryReadEnvelope(JsonElement request, out JsonElement id, out JsonElement method, out JsonElement parameters, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
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
                // ValueEquals unescapes, and throws on a lone surrogate (found by fuzzing).
                versionOk = property.Value.ValueKind == JsonValueKind.String && JsonText.IsReadable(property.Value) && property.Value.ValueEquals("2.0"u8);
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
        if (id.ValueKind == JsonValueKind.String && !JsonText.IsReadable(id))
        {
            id = default;
            problem = "id is not valid Unicode text (a lone surrogate escape such as \\ud800, or ill-formed UTF-8), so it could not be echoed; the request was not run";
            return false;
        }
        if (!versionOk)
        {
            problem = "jsonrpc must be \"2.0\"";
            return false;
        }
        if (method.ValueKind != JsonValueKind.String || !JsonText.IsReadable(method))
        {
            problem = "method must be a string of valid Unicode text";
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
