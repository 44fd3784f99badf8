using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace IExecChain.Rpc;

/// <summary>Writes response objects (one, or a batch array) into a pooled buffer.</summary>
internal sealed class RpcResponseWriter : IDisposable
{
    internal static readonly JsonSerializerOptions SerializerOptions = CreateSerializerOptions();

    private readonly ILogger _logger;
    private readonly PooledBufferWriter _output = new(4096);
    private readonly Utf8JsonWriter _writer;

    // Arbitrary objects are serialized here first, so one that throws half-way (a cycle, an
    // unsupported type) leaves the response intact and becomes an internal error instead.
    private PooledBufferWriter? _scratch;
    private Utf8JsonWriter? _scratchWriter;

    public RpcResponseWriter(ILogger logger)
    {
        _logger = logger;
        _writer = new Utf8JsonWriter(_output, new JsonWriterOptions { SkipValidation = true });
    }

    public void StartBatch() => _writer.WriteStartArray();

    public void EndBatch() => _writer.WriteEndArray();

    public void WriteResult(JsonElement id, JsonElement method, object? result)
    {
        switch (result)
        {
            case null:
                WriteHeader(id, "result"u8);
                _writer.WriteNullValue();
                break;
            case string text:
                WriteHeader(id, "result"u8);
                _writer.WriteStringValue(text);
                break;
            case RawJson raw:
                WriteHeader(id, "result"u8);
                _writer.WriteRawValue(raw.Utf8, skipInputValidation: true);
                break;
            case bool flag:
                WriteHeader(id, "result"u8);
                _writer.WriteBooleanValue(flag);
                break;
            case ulong number:
                WriteHeader(id, "result"u8);
                _writer.WriteNumberValue(number);
                break;
            case long number:
                WriteHeader(id, "result"u8);
                _writer.WriteNumberValue(number);
                break;
            case int number:
                WriteHeader(id, "result"u8);
                _writer.WriteNumberValue(number);
                break;
            case JsonElement element:
                WriteHeader(id, "result"u8);
                element.WriteTo(_writer);
                break;
            default:
                if (!TrySerialize(result, out ReadOnlySpan<byte> json, out Exception? error))
                {
                    _logger.ResultNotSerializable(JsonRpcDispatcher.MethodName(method), error);
                    WriteError(id, RpcErrorCodes.InternalError, "internal error", null);
                    return;
                }
                WriteHeader(id, "result"u8);
                _writer.WriteRawValue(json, skipInputValidation: true);
                break;
        }
        _writer.WriteEndObject();
    }

    /// <param name="id">The request id; <c>default</c> (undefined) writes a null id.</param>
    public void WriteError(JsonElement id, int code, string message, object? data)
    {
        ReadOnlySpan<byte> dataJson = default;
        bool hasData = data is not null && TrySerialize(data, out dataJson, out _);

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

    private bool TrySerialize(object value, out ReadOnlySpan<byte> json, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out Exception? error)
    {
        _scratch ??= new PooledBufferWriter(1024);
        _scratch.Clear();
        if (_scratchWriter is null) _scratchWriter = new Utf8JsonWriter(_scratch);
        else _scratchWriter.Reset(_scratch);
        try
        {
            JsonSerializer.Serialize(_scratchWriter, value, value.GetType(), SerializerOptions);
            _scratchWriter.Flush();
        }
        catch (Exception ex)
        {
            json = default;
            error = ex;
            return false;
        }
        json = _scratch.WrittenSpan;
        error = null;
        return true;
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
