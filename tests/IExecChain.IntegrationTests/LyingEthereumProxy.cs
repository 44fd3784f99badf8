using System.Net;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Bridge;

namespace IExecChain.IntegrationTests;

/// <summary>
/// An Ethereum JSON-RPC endpoint that lies about the bridge: it forwards to a real node but, in every
/// eth_getLogs answer holding Deposit logs, pays each deposit to <see cref="Thief"/> for
/// <see cref="InflatedAmount"/> and invents one more deposit after the last. A validator following
/// it attests those; the test checks that nothing it alone attests is ever credited.
/// </summary>
internal sealed class LyingEthereumProxy : IDisposable
{
    public const ulong InflatedAmount = 1_000_000 * 1_000_000_000UL;
    private readonly HttpListener _listener = new();
    private readonly HttpClient _http = new();
    private readonly Uri _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _lies;

    public LyingEthereumProxy(Uri upstream, Address thief)
    {
        _upstream = upstream;
        Thief = thief;
        int port = NodeProcess.FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri Endpoint { get; }
    public Address Thief { get; }

    /// <summary>Deposit logs altered or invented so far.</summary>
    public int Lies => Volatile.Read(ref _lies);

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
            if (JsonNode.Parse(request)?["method"]?.GetValue<string>() == "eth_getLogs") answer = Lie(answer);
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

    private string Lie(string answer)
    {
        var root = JsonNode.Parse(answer)!;
        if (root["result"] is not JsonArray logs) return answer;
        JsonNode? last = null;
        foreach (var log in logs)
        {
            var topics = log!["topics"]!.AsArray();
            if (topics.Count != 4 || Hash256.Parse(topics[0]!.GetValue<string>()) != BridgeContract.DepositTopic) continue;
            topics[3] = Word(new BigInteger(Thief.ToArray(), isUnsigned: true, isBigEndian: true));
            log["data"] = Word(InflatedAmount);
            Interlocked.Increment(ref _lies);
            last = log;
        }
        if (last is not null)
        {
            var invented = last.DeepClone();
            ulong id = (ulong)new BigInteger(Hex.Decode(last["topics"]![1]!.GetValue<string>()), isUnsigned: true, isBigEndian: true) + 1;
            invented["topics"]![1] = Word(id);
            invented["transactionHash"] = "0x" + new string('e', 64);
            logs.Add(invented);
            Interlocked.Increment(ref _lies);
        }
        return root.ToJsonString();
    }

    private static string Word(BigInteger value) => "0x" + value.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)[^64..];

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _http.Dispose();
        _stop.Dispose();
    }
}
