using System.Text.Json;
using System.Text.Json.Serialization;

namespace IExecChain.Rpc;

/// <summary>
/// Writes response objects (one, or a batch array) into a pooled buffer, within a byte budget:
/// no result larger than <see cref="MaxResponseBytes"/> and, for a batch, nothing past
/// <see cref="MaxTotalBytes"/> (errors refusing entries excepted, each a few hundred bytes).
/// </summary>
internal sealed class RpcResponseWriter : IDisposable
{
    internal static readonly JsonSerializerOptions SerializerOptions = CreateSerializerOptions();

    private readonly ClientErrorLog? _errors;
    private readonly PooledBufferWriter _output = new(4096);
    private readonly Utf8JsonWriter _writer;

    // Results are serialized here first: one that throws half-way (a cycle, an unsupported type)
    // or grows past its budget leaves the response intact and becomes an error instead.
    private PooledBufferWriter? _scratch;
    private Utf8JsonWriter? _scratchWriter;

    public RpcResponseWriter(ClientErrorLog? errors, long maxResponseBytes = RpcServerOptions.DefaultMaxResponseBytes, long maxTotalBytes = RpcServerOptions.DefaultMaxResponseBytes)
    {
        _errors = errors;
        MaxResponseBytes = maxResponseBytes;
        MaxTotalBytes = maxTotalBytes;
        _writer = new Utf8JsonWriter(_output, new JsonWriterOptions { SkipValidation = true });
    }

    public long MaxResponseBytes { get; }

    public long MaxTotalBytes { get; }

    /// <summary>Bytes written so far (flushed and pending).</summary>
    public long Written => _output.WrittenCount + _writer.BytesPending;

    /// <summary>Whether another result may still be written; once false, a batch's remaining entries are refused without running.</summary>
    public bool HasBudget => Written < MaxTotalBytes;

    /// <summary>The most bytes the next result may take: the smaller of the per-response limit and what is left of the total.</summary>
    public long NextResultLimit => Math.Min(MaxResponseBytes, MaxTotalBytes - Written);

    public void StartBatch() => _writer.WriteStartArray();

    public void EndBatch() => _writer.WriteEndArray();

    /// <summary>
    /// Writes the result, or nothing and false when it does not fit <see cref="NextResultLimit"/>
    /// (<paramref name="size"/> is then at least the result's size). A result that cannot be
    /// serialized at all is written as an internal error.
    /// </summary>
    public bool TryWriteResult(JsonElement id, JsonElement method, object? result, out long size)
    {
        long limit = NextResultLimit;
        switch (result)
        {
            case null:
                size = 4;
                WriteHeader(id, "result"u8);
                _writer.WriteNullValue();
                break;
            case RawJson raw:
                size = raw.Utf8.Length;
                if (size > limit) return false;
                WriteHeader(id, "result"u8);
                _writer.WriteRawValue(raw.Utf8, skipInputValidation: true);
                break;
            case bool flag:
                size = 5;
                WriteHeader(id, "result"u8);
                _writer.WriteBooleanValue(flag);
                break;
            case ulong number:
                size = 20;
                WriteHeader(id, "result"u8);
                _writer.WriteNumberValue(number);
                break;
            case long number:
                size = 20;
                WriteHeader(id, "result"u8);
                _writer.WriteNumberValue(number);
                break;
            case int number:
                size = 11;
                WriteHeader(id, "result"u8);
                _writer.WriteNumberValue(number);
                break;
            default:
                switch (TrySerialize(result, limit, out ReadOnlySpan<byte> json, out Exception? error))
                {
                    case SerializeOutcome.TooLarge:
                        size = Math.Max(json.Length, limit + 1);
                        return false;
                    case SerializeOutcome.Failed:
                        size = 0;
                        if (_errors is not null) _errors.ReportHandlerFailure(JsonRpcDispatcher.MethodName(method) + " (result not serializable)", error!);
                        WriteError(id, RpcErrorCodes.InternalError, "internal error", null);
                        return true;
                }
                size = json.Length;
                WriteHeader(id, "result"u8);
                _writer.WriteRawValue(json, skipInputValidation: true);
                break;
        }
        _writer.WriteEndObject();
        return true;
    }

    /// <param name="id">The request id; <c>default</c> (undefined) writes a null id.</param>
    public void WriteError(JsonElement id, int code, string message, object? data)
    {
        ReadOnlySpan<byte> dataJson = default;
        bool hasData = data is not null && TrySerialize(data, MaxResponseBytes, out dataJson, out _) == SerializeOutcome.Done;

        WriteHeader(id, "error"u8);
        _writer.WriteStartObject();
        _writer.WriteNumber("code"u8, code);
        _writer.WriteString("message"u8, message);
        if (hasData)
        {
            _writer.WritePropertyName("data"u8);
            _writer.WriteRawValue(dataJson, skipInputValidation: true);
        }
        _writer.WriteEndObject();
        _writer.WriteEndObject();
    }

    public byte[] ToArray()
    {
        _writer.Flush();
        return _output.WrittenSpan.ToArray();
    }

    private void WriteHeader(JsonElement id, ReadOnlySpan<byte> member)
    {
        _writer.WriteStartObject();
        _writer.WriteString("jsonrpc"u8, "2.0"u8);
        _writer.WritePropertyName("id"u8);
        if (id.ValueKind == JsonValueKind.Undefined) _writer.WriteNullValue();
        else id.WriteTo(_writer);
        _writer.WritePropertyName(member);
    }

    private enum SerializeOutcome { Done, TooLarge, Failed }

    private SerializeOutcome TrySerialize(object value, long limit, out ReadOnlySpan<byte> json, out Exception? error)
    {
        _scratch?.Dispose();
        _scratch = new PooledBufferWriter(1024, limit);
        if (_scratchWriter is null) _scratchWriter = new Utf8JsonWriter(_scratch);
        else _scratchWriter.Reset(_scratch);
        json = default;
        error = null;
        try
        {
            if (value is string text) _scratchWriter.WriteStringValue(text);
            else if (value is JsonElement element) element.WriteTo(_scratchWriter);
            else JsonSerializer.Serialize(_scratchWriter, value, value.GetType(), SerializerOptions);
            _scratchWriter.Flush();
        }
        catch (BufferLimitExceededException)
        {
            _scratchWriter.Reset(_scratch);
            return SerializeOutcome.TooLarge;
        }
        catch (Exception ex)
        {
            _scratchWriter.Reset(_scratch);
            error = ex;
            return SerializeOutcome.Failed;
        }
        json = _scratch.WrittenSpan;
        return json.Length > limit ? SerializeOutcome.TooLarge : SerializeOutcome.Done;
    }

    private static JsonSerializerOptions CreateSerializerOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            // Web defaults would accept "123" for numbers; results are written, never read, but
            // keep numbers as numbers.
            NumberHandling = JsonNumberHandling.Strict,
            Converters = { new Hash256JsonConverter(), new AddressJsonConverter() },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _output.Dispose();
        _scratchWriter?.Dispose();
        _scratch?.Dispose();
    }
}
