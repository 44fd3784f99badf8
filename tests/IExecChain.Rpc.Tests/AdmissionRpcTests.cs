using System.Text;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Chain;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.TxPool;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>iex_sendRawTransaction under admission control, on a one-validator chain in memory committing real blocks.</summary>
[TestFixture]
public sealed class AdmissionRpcTests
{
    private static PrivateKey Account(int i) => new(Keccak256.HashToArray(Encoding.ASCII.GetBytes($"test/admission/{i}")));

    private sealed class Node
    {
        public required ChainSpec Spec { get; init; }
        public required BlockProcessor Processor { get; init; }
        public required Mempool Mempool { get; init; }
        public required AdmissionControl Admission { get; init; }
        public required JsonRpcDispatcher Dispatcher { get; init; }
        public void CommitBlock()
        {
            var executed = OneValidatorChain.Produce(Processor, Mempool.SelectForBlock(1000, 1 << 20));
            Mempool.OnBlockCommitted(executed.Block.Transactions, executed.Excluded.Select(e => e.Tx));
        }

        public string Transfer(int from, ulong nonce) => Hex.Encode(TransactionCodec.Sign(new TransactionBody
        {
            ChainId = Spec.ChainId,
            Nonce = nonce,
            Fee = Spec.Parameters.Fees.Transfer,
            Transfer = new Transfer { To = ByteString.CopyFrom(Account(99).Address.ToArray()), Amount = 1 },
        }, Account(from)));

        public async Task<JsonElement> Send(string hex)
        {
            byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = 1, method = "iex_sendRawTransaction", @params = new[] { hex } });
            using var response = JsonDocument.Parse((await Dispatcher.HandleAsync(request, CancellationToken.None))!);
            return response.RootElement.Clone();
        }
    }

    private static Node Start(AdmissionOptions options)
    {
        var spec = OneValidatorChain.Spec() with { Accounts = [.. Enumerable.Range(0, 10).Select(i => new GenesisAccount(Account(i).Address, 1_000_000_000))] };
        var processor = OneValidatorChain.Processor(spec);
        var mempool = new Mempool(new MempoolOptions(), processor.Executor, new TransactionVerifier(), a => StateReader.Account(processor.Tree, a));
        var admission = new AdmissionControl(options, () => mempool.Count);
        processor.BlockCommitted += (executed, _) => admission.OnBlockCommitted(executed.Block.Transactions.Count);
        var registry = new RpcMethodRegistry();
        new ChainRpcMethods(spec, processor, mempool, () => new { }, admission: admission).RegisterAll(registry);
        return new Node { Spec = spec, Processor = processor, Mempool = mempool, Admission = admission, Dispatcher = new JsonRpcDispatcher(registry) };
    }

    [Test]
    public async Task Submissions_past_the_budget_are_refused_with_a_wait_and_admitted_again_once_a_block_commits()
    {
        var node = Start(new AdmissionOptions { MinBudget = 3, MinRetryAfterMs = 150 });
        var first = node.Transfer(0, 0);
        for (int i = 0; i < 3; i++)
            Assert.That((await node.Send(i == 0 ? first : node.Transfer(i, 0))).TryGetProperty("result", out _), Is.True, $"transfer {i} within the budget");

        var refusedTx = node.Transfer(3, 0);
        var refused = await node.Send(refusedTx);
        var error = refused.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.ResourceLimit));
        Assert.That(error.GetProperty("message").GetString(), Is.EqualTo("transaction refused: node is busy: 3 transactions pending, over its admission budget of 3 (0 tx/s committed × 1000 ms); retry in 1000 ms"));
        Assert.That(error.GetProperty("data").GetProperty("retryAfterMs").GetInt32(), Is.EqualTo(1000));
        Assert.That(error.GetProperty("data").GetProperty("hash").GetString(), Is.EqualTo(Keccak256.Hash(Hex.Decode(refusedTx)).ToString()));
        Assert.That(node.Mempool.Count, Is.EqualTo(3), "the refused transaction did not enter");
        Assert.That(node.Admission.RefusedBusy, Is.EqualTo(1));

        Assert.That((await node.Send(first)).GetProperty("result").GetString(), Is.EqualTo(Keccak256.Hash(Hex.Decode(first)).ToString()),
            "a transaction sent again while pending is answered as before, busy or not");

        node.CommitBlock();
        Assert.That(node.Processor.Blocks.GetBlock(1)!.Transactions, Has.Count.EqualTo(3));
        Assert.That(node.Mempool.Count, Is.Zero);
        Assert.That((await node.Send(refusedTx)).TryGetProperty("result", out _), Is.True, "sent again after the block, as told");
    }

    [Test]
    public async Task A_sender_holding_its_share_of_a_busy_pool_is_refused_while_others_still_get_in()
    {
        // Budget 200: past 100 pending a sender may hold max(2, 200 / 16 = 12) transactions.
        var node = Start(new AdmissionOptions { MinBudget = 200, MinSenderLimit = 2 });
        for (ulong n = 0; n < 100; n++)
            Assert.That((await node.Send(node.Transfer(0, n))).TryGetProperty("result", out _), Is.True, $"nonce {n}: the pool is not busy yet");
        var refused = (await node.Send(node.Transfer(0, 100))).GetProperty("error");
        Assert.That(refused.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.ResourceLimit));
        Assert.That(refused.GetProperty("message").GetString(), Does.StartWith($"transaction refused: sender {Account(0).Address} already has 100 transactions pending, the most one sender may queue while the node is busy; retry in "));
        Assert.That(refused.GetProperty("data").GetProperty("retryAfterMs").GetInt32(), Is.GreaterThan(0));
        Assert.That(node.Admission.RefusedSender, Is.EqualTo(1));
        for (ulong n = 0; n < 12; n++)
            Assert.That((await node.Send(node.Transfer(1, n))).TryGetProperty("result", out _), Is.True, $"another sender's nonce {n}");
        Assert.That((await node.Send(node.Transfer(1, 12))).GetProperty("error").GetProperty("message").GetString(), Does.Contain("already has 12 transactions pending"));
    }
}
