using System.Text;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Chain;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.TxPool;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>State reads through the dispatcher while a one-validator chain in memory commits blocks: each answer is one block's.</summary>
[TestFixture]
public sealed class ValidatorsRpcTests
{
    private static (BlockProcessor Processor, JsonRpcDispatcher Dispatcher) Chain()
    {
        var spec = OneValidatorChain.Spec();
        var processor = OneValidatorChain.Processor(spec);
        var registry = new RpcMethodRegistry();
        new GovernanceRpcMethods(spec, processor).RegisterAll(registry);
        new ChainRpcMethods(spec, processor, new Mempool(new MempoolOptions(), processor.Executor, new TransactionVerifier(), a => StateReader.Account(processor.Tree, a)), () => new { }).RegisterAll(registry);
        return (processor, new JsonRpcDispatcher(registry));
    }

    private static Task Produce(BlockProcessor processor, ulong blocks) => Task.Run(() =>
    {
        for (ulong h = 1; h <= blocks; h++) OneValidatorChain.Produce(processor, []);
    });

    // Calls the method until the producer is done; returns the mismatches `check` finds in the results.
    private static async Task<(List<string> Mismatches, int Readings)> ReadWhileCommitting(JsonRpcDispatcher dispatcher, Task producer, string method, object[] parameters, Func<JsonElement, string?> check)
    {
        byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = 1, method, @params = parameters });
        var mismatches = new List<string>();
        int readings = 0;
        while (!producer.IsCompleted || readings == 0)
        {
            using var response = JsonDocument.Parse((await dispatcher.HandleAsync(request, CancellationToken.None))!);
            if (check(response.RootElement.GetProperty("result")) is { } mismatch) mismatches.Add(mismatch);
            readings++;
        }
        await producer;
        return (mismatches, readings);
    }

    [Test]
    public async Task The_validators_served_are_those_of_the_block_number_served_while_blocks_commit()
    {
        var (processor, dispatcher) = Chain();
        var (mismatches, readings) = await ReadWhileCommitting(dispatcher, Produce(processor, 400), "iex_getValidators", [], result =>
        {
            ulong height = JsonRpcClient.Quantity(result.GetProperty("blockNumber"));
            ulong reputation = JsonRpcClient.Quantity(result.GetProperty("validators")[0].GetProperty("reputation"));
            // Block 1 carries no commit; every later block carries the only validator's precommit: +1 each.
            ulong expected = 1000 + Math.Max(height, 1) - 1;
            return reputation == expected ? null : $"block {height}: reputation {reputation}, expected {expected}";
        });
        Assert.That(mismatches, Is.Empty, $"{mismatches.Count} of {readings} readings mixed two blocks");
    }

    [Test]
    public async Task A_proof_served_is_against_the_state_root_of_the_block_number_served_while_blocks_commit()
    {
        var (processor, dispatcher) = Chain();
        var (mismatches, readings) = await ReadWhileCommitting(dispatcher, Produce(processor, 400), "iex_getProof", [OneValidatorChain.Validator.Address.ToString(), "stake"], result =>
        {
            ulong height = JsonRpcClient.Quantity(result.GetProperty("blockNumber"));
            string root = result.GetProperty("stateRoot").GetString()!;
            string expected = processor.Blocks.GetBlock(height)!.StateRoot.ToString();
            return root == expected ? null : $"block {height}: proof against {root}, the block's root is {expected}";
        });
        Assert.That(mismatches, Is.Empty, $"{mismatches.Count} of {readings} proofs named another block");
    }
}
