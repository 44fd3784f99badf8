using System.Collections.Concurrent;
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

[NonParallelizable]
public class CrashRecoveryTests
{
    private static ulong Q(JsonElement e) => JsonRpcClient.Quantity(e);

    [Test]
    public async Task Node_killed_under_load_restarts_with_consistent_head_state_and_balances()
    {
        using var chain = new DevChain();
        var senders = Enumerable.Range(0, 3).Select(i => DevChain.DevKey("account", i)).ToArray();
        var recipients = Enumerable.Range(1, 5).Select(i => new Address([.. new byte[19], (byte)i])).ToArray();
        var watched = senders.Select(s => s.Address).Concat(recipients).Append(DevChain.DevAddress("validator", 0)).ToArray();
        const ulong GenesisBalance = 1_000_000_000_000_000;
        ulong expectedSupply = GenesisBalance * (ulong)senders.Length;

        var observed = new ConcurrentDictionary<ulong, string>();
        var random = new Random(7);
        var node = chain.StartValidator();
        try
        {
            for (int round = 0; round < 4; round++)
            {
                await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
                using var stopLoad = new CancellationTokenSource();
                var load = Task.Run(() => SendLoad(chain.Rpc, senders, recipients, stopLoad.Token));
                var watch = Task.Run(() => Observe(chain.Rpc, observed, stopLoad.Token));
                await Task.Delay(TimeSpan.FromMilliseconds(700 + random.Next(2000)));
                node.Kill(); // SIGKILL while transactions stream in and blocks commit
                await stopLoad.CancelAsync();
                await Task.WhenAll(load, watch);

                node = chain.StartValidator();
                await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
                using var client = new JsonRpcClient(chain.Rpc);
                ulong head = Q(await client.CallAsync("iex_blockNumber"));
                Assert.That(observed.Keys.DefaultIfEmpty(0UL).Max(), Is.LessThanOrEqualTo(head), $"round {round}: a block seen as committed was lost");
                foreach (var (height, hash) in observed)
                {
                    var block = await client.CallAsync("iex_getBlockByNumber", Q2(height), false);
                    Assert.That(block.GetProperty("hash").GetString(), Is.EqualTo(hash), $"round {round}: block {height} changed");
                }
                // Blocks keep coming: compare the proof with the block it says it belongs to.
                var proof = await client.CallAsync("iex_getProof", senders[0].Address.ToString());
                var provenBlock = await client.CallAsync("iex_getBlockByNumber", proof.GetProperty("blockNumber").GetString()!, false);
                Assert.That(proof.GetProperty("stateRoot").GetString(), Is.EqualTo(provenBlock.GetProperty("stateRoot").GetString()), $"round {round}: state does not match head");

                ulong supply = 0;
                foreach (var address in watched)
                {
                    var account = await client.CallAsync("iex_getAccount", address.ToString());
                    supply += Q(account.GetProperty("balance"));
                }
                Assert.That(supply, Is.EqualTo(expectedSupply), $"round {round}: balances do not add up");
            }
            Assert.That(observed.Count, Is.GreaterThan(5), "the test observed too few blocks to mean anything");
        }
        finally
        {
            node.Dispose();
        }
    }

    private static string Q2(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    private static async Task SendLoad(Uri rpc, PrivateKey[] senders, Address[] recipients, CancellationToken ct)
    {
        using var client = new JsonRpcClient(rpc, TimeSpan.FromSeconds(5));
        var nonces = new ulong[senders.Length];
        try
        {
            for (int i = 0; i < senders.Length; i++)
                nonces[i] = Q((await client.CallAsync("iex_getAccount", senders[i].Address.ToString())).GetProperty("nonce"));
            int n = 0;
            while (!ct.IsCancellationRequested)
            {
                var batch = new List<object?[]>();
                for (int k = 0; k < 30; k++, n++)
                {
                    int s = n % senders.Length;
                    var body = new TransactionBody
                    {
                        ChainId = 1337,
                        Nonce = nonces[s]++,
                        Fee = 1000,
                        Transfer = new Transfer { To = ByteString.CopyFrom(recipients[n % recipients.Length].ToArray()), Amount = (ulong)(1 + n % 977) },
                    };
                    batch.Add([Hex.Encode(TransactionCodec.Sign(body, senders[s]))]);
                }
                await client.CallBatchAsync("iex_sendRawTransaction", batch, ct);
                await Task.Delay(20, ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or JsonRpcClientException or HttpRequestException)
        {
            // The node was killed under us: that is the point of the test.
        }
    }

    private static async Task Observe(Uri rpc, ConcurrentDictionary<ulong, string> observed, CancellationToken ct)
    {
        using var client = new JsonRpcClient(rpc, TimeSpan.FromSeconds(5));
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var block = await client.CallAsync("iex_getBlockByNumber", "latest", false);
                observed[Q(block.GetProperty("number"))] = block.GetProperty("hash").GetString()!;
                await Task.Delay(50, ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or JsonRpcClientException or HttpRequestException)
        {
        }
    }
}
