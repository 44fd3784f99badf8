using System.Net;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Bridge;

namespace IExecChain.IntegrationTests;

/// <summary>
/// An Ethereum JSON-RPC endpoint in front of a real node: it forwards every request and lets a
/// subclass rewrite the answers to eth_getLogs, as a faulty or hostile endpoint would.
/// </summary>
internal abstract class EthereumProxy : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _http = new();
    private readonly Uri _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    protected EthereumProxy(Uri upstream)
    {
        _upstream = upstream;
        int port = NodeProcess.FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri Endpoint { get; }

    /// <summary>What the endpoint answers to an eth_getLogs whose true answer is <paramref name="answer"/>.</summary>
    protected abstract string RewriteLogs(string answer);

    /// <summary>The Deposit logs of an eth_getLogs answer (none when it is an error).</summary>
    protected static IEnumerable<JsonNode> DepositLogs(JsonNode root) =>
        root["result"] is JsonArray logs
            ? logs.Where(log => log!["topics"]!.AsArray() is { Count: 4 } topics && Hash256.Parse(topics[0]!.GetValue<string>()) == BridgeContract.DepositTopic).Select(log => log!)
            : [];

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            string request = await new StreamReader(context.Request.InputStream).ReadToEndAsync();
            using var upstream = await _http.PostAsync(_upstream, new StringContent(request, Encoding.UTF8, "application/json"));
            string answer = await upstream.Content.ReadAsStringAsync();
            if (JsonNode.Parse(request)?["method"]?.GetValue<string>() == "eth_getLogs") answer = RewriteLogs(answer);
            var bytes = Encoding.UTF8.GetBytes(answer);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (HttpListenerException)
        {
        }
    }

    protected static string Word(BigInteger value) => "0x" + value.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)[^64..];

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _http.Dispose();
        _stop.Dispose();
    }
}

/// <summary>
/// An endpoint that lies about the bridge: in every eth_getLogs answer holding Deposit logs it pays
/// each deposit to <see cref="Thief"/> for <see cref="InflatedAmount"/> and invents one more deposit
/// after the last. A validator following it attests those; the test checks that nothing it alone
/// attests is ever credited.
/// </summary>
internal sealed class LyingEthereumProxy(Uri upstream, Address thief) : EthereumProxy(upstream)
{
    public const ulong InflatedAmount = 1_000_000 * 1_000_000_000UL;
    private int _lies;

    public Address Thief { get; } = thief;

    /// <summary>Deposit logs altered or invented so far.</summary>
    public int Lies => Volatile.Read(ref _lies);

    protected override string RewriteLogs(string answer)
    {
        var root = JsonNode.Parse(answer)!;
        JsonNode? last = null;
        foreach (var log in DepositLogs(root).ToList())
        {
            log["topics"]![3] = Word(new BigInteger(Thief.ToArray(), isUnsigned: true, isBigEndian: true));
            log["data"] = Word(InflatedAmount);
            Interlocked.Increment(ref _lies);
            last = log;
        }
        if (last is null) return answer;
        var invented = last.DeepClone();
        ulong id = (ulong)new BigInteger(Hex.Decode(last["topics"]![1]!.GetValue<string>()), isUnsigned: true, isBigEndian: true) + 1;
        invented["topics"]![1] = Word(id);
        invented["transactionHash"] = "0x" + new string('e', 64);
        root["result"]!.AsArray().Add(invented);
        Interlocked.Increment(ref _lies);
        return root.ToJsonString();
    }
}

/// <summary>
/// An endpoint that loses logs, as a backend still syncing behind a load balancer does: the first
/// eth_getLogs answer that holds a Deposit log is answered with no logs, every later one truly.
/// The blocks it covered look read; only the follower's re-read finds the deposit.
/// </summary>
internal sealed class ForgetfulEthereumProxy(Uri upstream) : EthereumProxy(upstream)
{
    private int _withheld;

    /// <summary>eth_getLogs answers emptied so far (at most one).</summary>
    public int Withheld => Volatile.Read(ref _withheld);

    protected override string RewriteLogs(string answer)
    {
        var root = JsonNode.Parse(answer)!;
        if (!DepositLogs(root).Any() || Interlocked.CompareExchange(ref _withheld, 1, 0) != 0) return answer;
        root["result"] = new JsonArray();
        return root.ToJsonString();
    }
}
