using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// Four validator processes over real UDP on 127.0.0.1, each started with `iexchain run --config`
/// as an operator would on four machines. The devnet command prepares keys, spec and data.
/// </summary>
[NonParallelizable]
public class MultiValidatorTests
{
    private static ulong Q(JsonElement e) => JsonRpcClient.Quantity(e);
    private static string Hex0x(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    [Test]
    public async Task Four_validators_keep_committing_without_a_killed_one_which_then_catches_up_to_identical_blocks()
    {
        using var net = new FourValidators();
        for (int i = 0; i < FourValidators.Count; i++) await net.StartAsync(i);
        using var stopLoad = new CancellationTokenSource();
        var load = Task.Run(() => SendLoad(net, stopLoad.Token));
        try
        {
            for (int i = 0; i < FourValidators.Count; i++) await net.WaitForHeightAsync(i, 5, TimeSpan.FromSeconds(60));
            // iex_nodeInfo's peers are the connected ones (the explorer's dashboard shows them).
            await WaitForPeersAsync(net, 3);

            net.Kill(3);   // SIGKILL: no goodbye, no flush
            ulong atKill = await net.HeightAsync(0);
            for (int i = 0; i < 3; i++) await net.WaitForHeightAsync(i, atKill + 10, TimeSpan.FromSeconds(60));
            await WaitForPeersAsync(net, 2);

            await net.StartAsync(3);
            ulong target = await net.HeightAsync(0);
            await net.WaitForHeightAsync(3, target, TimeSpan.FromSeconds(60));
            await net.WaitForHeightAsync(3, target + 5, TimeSpan.FromSeconds(60));   // and it takes part again
        }
        finally
        {
            await stopLoad.CancelAsync();
            await load;
        }

        ulong common = ulong.MaxValue;
        for (int i = 0; i < FourValidators.Count; i++) common = Math.Min(common, await net.HeightAsync(i));
        var clients = Enumerable.Range(0, FourValidators.Count).Select(i => new JsonRpcClient(net.Rpc(i))).ToArray();
        long txs = 0;
        try
        {
            for (ulong h = 1; h <= common; h++)
            {
                var blocks = await Task.WhenAll(clients.Select(c => c.CallAsync("iex_getBlockByNumber", Hex0x(h), false)));
                var hashes = blocks.Select(b => b.GetProperty("hash").GetString()).Distinct().ToArray();
                Assert.That(hashes, Has.Length.EqualTo(1), $"nodes disagree at height {h}");
                txs += blocks[0].GetProperty("transactions").GetArrayLength();
            }
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
        Assert.That(txs, Is.GreaterThan(100), "the load should have been committed");
    }

    private static async Task WaitForPeersAsync(FourValidators net, int expected)
    {
        using var client = new JsonRpcClient(net.Rpc(0));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        int peers;
        while ((peers = (await client.CallAsync("iex_nodeInfo")).GetProperty("peers").GetInt32()) != expected)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"node 0 reports {peers} peers, expected {expected} connected");
            await Task.Delay(200);
        }
    }

    [Test]
    public async Task An_equivocating_validator_is_slashed_jailed_and_loses_its_reputation()
    {
        using var net = new FourValidators();
        for (int i = 0; i < 3; i++) await net.StartAsync(i);
        await net.StartAsync(3, "--equivocate-for-testing");
        var offender = FourValidators.Validator(3).ToString();
        using var client = new JsonRpcClient(net.Rpc(0));
        JsonElement standing = default;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var set = await client.CallAsync("iex_getValidators");
            standing = set.GetProperty("validators").EnumerateArray().First(v => v.GetProperty("address").GetString() == offender);
            if (Q(standing.GetProperty("slashed")) > 0) break;
            await Task.Delay(200);
        }
        Assert.That(Q(standing.GetProperty("slashed")), Is.EqualTo(5_000_000_000_000UL), "5% of the 1e14 nRLC stake");
        Assert.That(Q(standing.GetProperty("reputation")), Is.EqualTo(0));
        Assert.That(Q(standing.GetProperty("jailedUntil")), Is.GreaterThan(1000));
        Assert.That(Q(standing.GetProperty("stake")), Is.EqualTo(95_000_000_000_000UL));
        // Honest validators were not touched, and the chain goes on.
        var honest = (await client.CallAsync("iex_getValidators")).GetProperty("validators").EnumerateArray().Where(v => v.GetProperty("address").GetString() != offender);
        Assert.That(honest.All(v => Q(v.GetProperty("slashed")) == 0), Is.True);
        ulong now = await net.HeightAsync(0);
        await net.WaitForHeightAsync(0, now + 5, TimeSpan.FromSeconds(30));
    }

    private static async Task SendLoad(FourValidators net, CancellationToken ct)
    {
        var senders = Enumerable.Range(1, 3).Select(i => DevChain.DevKey("account", i)).ToArray();
        var nonces = new ulong[senders.Length];
        bool refresh = true;
        int n = 0;
        while (!ct.IsCancellationRequested)
        {
            // Nodes 0-2 stay up in these tests; node 3 is the one killed.
            using var client = new JsonRpcClient(net.Rpc(n / 30 % 3), TimeSpan.FromSeconds(5));
            try
            {
                if (refresh)
                    for (int i = 0; i < senders.Length; i++)
                        nonces[i] = Q((await client.CallAsync("iex_getAccount", senders[i].Address.ToString())).GetProperty("nonce"));
                refresh = false;
                var batch = new List<object?[]>();
                for (int k = 0; k < 30; k++, n++)
                {
                    int s = k % senders.Length;
                    var body = new TransactionBody
                    {
                        ChainId = 1337,
                        Nonce = nonces[s]++,
                        Fee = 1000,
                        Transfer = new Transfer { To = ByteString.CopyFrom(senders[(s + 1) % senders.Length].Address.ToArray()), Amount = 1 },
                    };
                    batch.Add([Hex.Encode(TransactionCodec.Sign(body, senders[s]))]);
                }
                await client.CallBatchAsync("iex_sendRawTransaction", batch, ct);
                await Task.Delay(300, ct);
            }
            catch (Exception e) when (e is OperationCanceledException or JsonRpcClientException or HttpRequestException or TaskCanceledException)
            {
                if (ct.IsCancellationRequested) return;
                refresh = true;
            }
        }
    }
}
