using System.Text.Json;
using System.Text.Json.Serialization;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.Rpc.Contracts;

/// <summary>
/// How the contract records map to the wire: camelCase members, absent optional members omitted,
/// quantities as 0x-hex (<see cref="Quantity"/>). Reading is strict about what matters to a program:
/// a member the record requires must be there and not null, names match exactly.
/// </summary>
public static class RpcJson
{
    public static JsonSerializerOptions Options { get; } = Create(JsonUnmappedMemberHandling.Skip);

    /// <summary>
    /// <see cref="Options"/>, and a member the record does not know is an error: for tests that hold the
    /// records to what the server writes. Clients use <see cref="Options"/>, so a node newer than them
    /// may add members.
    /// </summary>
    public static JsonSerializerOptions Exact { get; } = Create(JsonUnmappedMemberHandling.Disallow);

    private static JsonSerializerOptions Create(JsonUnmappedMemberHandling unmapped)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = false,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.Strict,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            UnmappedMemberHandling = unmapped,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>
    /// Reads <paramref name="result"/> of <paramref name="method"/> as <typeparamref name="T"/>; an answer that
    /// does not fit is the node's fault (a protocol error), said as such.
    /// </summary>
    public static T Read<T>(JsonElement result, string method)
    {
        try
        {
            return result.Deserialize<T>(Options) ?? throw new JsonException("the result is null");
        }
        catch (JsonException e)
        {
            throw new JsonRpcClientException(-1, $"the node answered {method} with a result this client cannot read as {typeof(T).Name}: {e.Message}");
        }
    }

    /// <summary><see cref="Read{T}"/> for a method that answers null when there is nothing (a block, a receipt, a checkpoint).</summary>
    public static T? ReadOrNull<T>(JsonElement result, string method) where T : class =>
        result.ValueKind == JsonValueKind.Null ? null : Read<T>(result, method);
}
