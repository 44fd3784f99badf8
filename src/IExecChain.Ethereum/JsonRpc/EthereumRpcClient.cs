using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IExecChain.Core.Primitives;

namespace IExecChain.Ethereum.JsonRpc;

/// <summary>Timeouts and retries of <see cref="EthereumRpcClient"/>; defaults suit a public endpoint.</summary>
public sealed record EthereumRpcOptions
{
    /// <summary>Per-request time limit; a slower answer counts as a transport failure.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Retries after the first attempt for transport failures (refused, timeout, HTTP 5xx/429).</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First back-off delay; doubles on each retry.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// Ethereum JSON-RPC over HTTP. Transport failures are retried with exponential back-off and end
/// in <see cref="EthereumUnavailableException"/>; answers with an error are never retried (they
/// are the node's verdict) and surface as <see cref="EthereumRpcException"/>, carrying revert
/// data when there is some. Thread-safe.
/// </summary>
public sealed class EthereumRpcClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly EthereumRpcOptions _options;
    private long _nextId;

    public EthereumRpcClient(Uri endpoint, EthereumRpcOptions? options = null, HttpClient? http = null)
    {
        Endpoint = endpoint;
        _options = options ?? new EthereumRpcOptions();
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
    }

    public Uri Endpoint { get; }

    public async Task<ulong> ChainIdAsync(CancellationToken ct = default) => ToUInt64(await RequestAsync("eth_chainId", [], ct));

    public async Task<ulong> BlockNumberAsync(CancellationToken ct = default) => ToUInt64(await RequestAsync("eth_blockNumber", [], ct));

    /// <summary>Nonce of <paramref name="address"/> at <paramref name="block"/> ("latest" or "pending").</summary>
    public async Task<ulong> GetTransactionCountAsync(Address address, string block = "latest", CancellationToken ct = default) =>
        ToUInt64(await RequestAsync("eth_getTransactionCount", [address.ToString(), block], ct));

    public async Task<BigInteger> GasPriceAsync(CancellationToken ct = default) => ToBig(await RequestAsync("eth_gasPrice", [], ct));

    public async Task<BigInteger> MaxPriorityFeePerGasAsync(CancellationToken ct = default) =>
        ToBig(await RequestAsync("eth_maxPriorityFeePerGas", [], ct));

    /// <summary>Base fee of the next block and the priority fees paid at <paramref name="percentile"/> in recent blocks.</summary>
    public async Task<FeeHistory> FeeHistoryAsync(int blocks, double percentile, CancellationToken ct = default)
    {
        var result = await RequestAsync("eth_feeHistory", [Quantity(blocks), "latest", new JsonArray(percentile)], ct);
        var baseFees = result?["baseFeePerGas"]?.AsArray().Select(ToBig).ToList() ?? [];
        var rewards = new List<BigInteger>();
        foreach (var block in result?["reward"]?.AsArray() ?? [])
            if (block?.AsArray() is { Count: > 0 } r) rewards.Add(ToBig(r[0]));
        if (baseFees.Count == 0) throw new EthereumRpcException("eth_feeHistory", 0, "answer has no baseFeePerGas");
        return new FeeHistory(baseFees[^1], rewards);
    }

    public async Task<byte[]> GetCodeAsync(Address address, CancellationToken ct = default) =>
        Hex.Decode(ToText(await RequestAsync("eth_getCode", [address.ToString(), "latest"], ct)));

    /// <summary>Executes a call without a transaction; a revert throws <see cref="EthereumRpcException"/> with its data.</summary>
    public async Task<byte[]> CallAsync(Address to, byte[] data, Address? from = null, string block = "latest", CancellationToken ct = default) =>
        Hex.Decode(ToText(await RequestAsync("eth_call", [CallObject(to, data, from), block], ct)));

    public async Task<ulong> EstimateGasAsync(Address? to, byte[] data, Address? from = null, CancellationToken ct = default) =>
        ToUInt64(await RequestAsync("eth_estimateGas", [CallObject(to, data, from)], ct));

    /// <summary>Submits a signed transaction; returns its hash as the node computed it.</summary>
    public async Task<Hash256> SendRawTransactionAsync(byte[] raw, CancellationToken ct = default) =>
        Hash256.Parse(ToText(await RequestAsync("eth_sendRawTransaction", [Hex.Encode(raw)], ct)));

    /// <summary>The receipt, or null while the transaction is not mined.</summary>
    public async Task<TransactionReceipt?> GetTransactionReceiptAsync(Hash256 hash, CancellationToken ct = default)
    {
        var result = await RequestAsync("eth_getTransactionReceipt", [hash.ToString()], ct);
        return result is null ? null : TransactionReceipt.FromJson(result);
    }

    /// <summary>Any method, for what has no typed wrapper (tests use it for evm_mine, miner_stop…).</summary>
    public async Task<JsonNode?> RequestAsync(string method, JsonNode?[] parameters, CancellationToken ct = default)
    {
        var request = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = Interlocked.Increment(ref _nextId),
            ["method"] = method,
            ["params"] = new JsonArray(parameters.Select(p => p?.DeepClone()).ToArray()),
        };
        string body = request.ToJsonString();
        Exception? last = null;
        for (int attempt = 0; attempt <= _options.MaxRetries; attempt++)
        {
            if (attempt > 0)
                await Task.Delay(_options.RetryDelay * Math.Pow(2, attempt - 1), ct);
            try
            {
                return await SendOnceAsync(method, body, ct);
            }
            catch (TransientException e)
            {
                last = e.InnerException ?? e;
            }
        }
        throw new EthereumUnavailableException(
            $"Ethereum node at {Endpoint} did not answer {method} after {_options.MaxRetries + 1} attempts: {last?.Message}", last);
    }

    private async Task<JsonNode?> SendOnceAsync(string method, string body, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.RequestTimeout);
        string text;
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await _http.PostAsync(Endpoint, content, timeout.Token);
            if (response.StatusCode is HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
                throw new TransientException(new HttpRequestException($"HTTP {(int)response.StatusCode}"));
            text = await response.Content.ReadAsStringAsync(timeout.Token);
            if (!response.IsSuccessStatusCode && !text.TrimStart().StartsWith('{'))
                throw new EthereumRpcException(method, (int)response.StatusCode, $"HTTP {(int)response.StatusCode}: {text}");
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new TransientException(new TimeoutException($"no answer within {_options.RequestTimeout.TotalSeconds:0.###} s", e));
        }
        catch (HttpRequestException e)
        {
            throw new TransientException(e);
        }
        JsonNode? answer;
        try
        {
            answer = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new EthereumRpcException(method, 0, $"answer is not JSON: {e.Message}");
        }
        if (answer?["error"] is JsonObject error)
        {
            long code = error["code"]?.GetValue<long>() ?? 0;
            string message = error["message"]?.ToString() ?? "unknown error";
            throw new EthereumRpcException(method, code, message, RevertData(error["data"]));
        }
        return answer?["result"];
    }

    /// <summary>Revert data comes as a hex string (geth, ganache) or an object holding one.</summary>
    private static byte[]? RevertData(JsonNode? data)
    {
        if (data is JsonValue value && value.TryGetValue(out string? hex) && Hex.TryDecode(hex, out var bytes, out _)) return bytes;
        if (data is JsonObject o)
            foreach (var key in new[] { "data", "result", "returnData" })
                if (RevertData(o[key]) is { } nested) return nested;
        return null;
    }

    private static JsonObject CallObject(Address? to, byte[] data, Address? from)
    {
        var call = new JsonObject { ["data"] = Hex.Encode(data) };
        if (to is { } t) call["to"] = t.ToString();
        if (from is { } f) call["from"] = f.ToString();
        return call;
    }

    public static string Quantity(BigInteger value) => "0x" + (value.IsZero ? "0" : value.ToString("x", CultureInfo.InvariantCulture).TrimStart('0'));

    internal static string ToText(JsonNode? node) => node?.GetValue<string>() ?? throw new EthereumRpcException("?", 0, "missing result");

    internal static BigInteger ToBig(JsonNode? node)
    {
        string text = ToText(node);
        if (!text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || text.Length < 3)
            throw new EthereumRpcException("?", 0, $"'{text}' is not a 0x quantity");
        return BigInteger.Parse("0" + text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }

    internal static ulong ToUInt64(JsonNode? node)
    {
        var value = ToBig(node);
        return value <= ulong.MaxValue ? (ulong)value : throw new EthereumRpcException("?", 0, $"{value} does not fit 64 bits");
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private sealed class TransientException(Exception inner) : Exception(inner.Message, inner);
}

public sealed record FeeHistory(BigInteger NextBaseFee, IReadOnlyList<BigInteger> PriorityFees);

/// <summary>What the relayer needs from a receipt.</summary>
public sealed record TransactionReceipt(Hash256 TransactionHash, ulong BlockNumber, bool Succeeded, ulong GasUsed, Address? ContractAddress, IReadOnlyList<LogEntry> Logs)
{
    internal static TransactionReceipt FromJson(JsonNode node)
    {
        var logs = new List<LogEntry>();
        foreach (var log in node["logs"]?.AsArray() ?? [])
        {
            var topics = log!["topics"]!.AsArray().Select(t => Hash256.Parse(ToText(t))).ToList();
            logs.Add(new LogEntry(Address.Parse(ToText(log["address"])), topics, Hex.Decode(ToText(log["data"]))));
        }
        string? contract = node["contractAddress"]?.GetValue<string>();
        return new TransactionReceipt(
            Hash256.Parse(ToText(node["transactionHash"])),
            EthereumRpcClient.ToUInt64(node["blockNumber"]),
            EthereumRpcClient.ToBig(node["status"]) == 1,
            EthereumRpcClient.ToUInt64(node["gasUsed"]),
            contract is null ? null : Address.Parse(contract),
            logs);
    }

    private static string ToText(JsonNode? node) => EthereumRpcClient.ToText(node);
}

public sealed record LogEntry(Address Address, IReadOnlyList<Hash256> Topics, byte[] Data);
