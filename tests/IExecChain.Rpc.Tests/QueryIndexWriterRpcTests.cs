using System.Text;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Chain;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>
/// Transaction lists when a <see cref="QueryIndexWriter"/> writes their entries after each commit, as a
/// node does: a block a caller has seen is listed even when the writer is slow, and a failed writer is
/// an error that says where the index stopped.
/// </summary>
[TestFixture]
public sealed class QueryIndexWriterRpcTests
{
    private static readonly PrivateKey Alice = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/query-writer/alice")));

    [Test]
    public async Task A_list_waits_for_a_slow_writer_to_reach_the_head_the_call_saw()
    {
        var store = new WriterStore { Delay = TimeSpan.FromMilliseconds(400) };
        var (processor, dispatcher) = Chain(store);
        using var writer = processor.IndexInBackground();
        for (ulong nonce = 0; nonce < 3; nonce++) OneValidatorChain.Produce(processor, [Transfer(processor, nonce)]);

        // Each of the writer's batches takes 400 ms: without the wait the head block would not be listed yet.
        var result = (await Call(dispatcher, "iex_listTransactions", new { account = Alice.Address.ToString(), limit = 1 })).GetProperty("result");
        Assert.That(result.GetProperty("items")[0].GetProperty("blockNumber").GetString(), Is.EqualTo("0x3"), "the head block is listed");
        var stats = (await Call(dispatcher, "iex_chainStats", new { })).GetProperty("result");
        Assert.That(stats.GetProperty("transactions").GetString(), Is.EqualTo("0x3"));
    }

    [Test]
    public async Task A_failed_writer_is_an_internal_error_saying_where_the_index_stopped_and_the_chain_goes_on()
    {
        var store = new WriterStore();
        var (processor, dispatcher) = Chain(store);
        Exception? reported = null;
        using var writer = processor.IndexInBackground(e => reported = e);
        OneValidatorChain.Produce(processor, [Transfer(processor, 0)]);
        Assert.That(processor.Index.WaitForTransactions(1, TimeSpan.FromSeconds(30)), Is.True);

        store.Fail = true;
        OneValidatorChain.Produce(processor, [Transfer(processor, 1)]);
        OneValidatorChain.Produce(processor, [Transfer(processor, 2)]);
        Assert.That(processor.Head.Height, Is.EqualTo(3UL), "commits go on without the index");

        var error = (await Call(dispatcher, "iex_listTransactions", new { })).GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCodes.InternalError));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("the transaction index stopped at block 1 (disk on fire)"));
        Assert.That(reported, Is.TypeOf<IOException>(), "the node is told, to log it");

        var deals = (await Call(dispatcher, "iex_listDeals", new { requester = Alice.Address.ToString() })).GetProperty("result");
        Assert.That(deals.GetProperty("items").GetArrayLength(), Is.Zero, "the lists written in the commit batch still answer");
    }

    private static (BlockProcessor, JsonRpcDispatcher) Chain(IKeyValueStore store)
    {
        var spec = OneValidatorChain.Spec() with { Accounts = [new GenesisAccount(Alice.Address, 1_000_000_000)] };
        var processor = new BlockProcessor(spec, store, new StateTree(store), new BlockStore(store, spec.ChainId, spec.Parameters.MaxTransactionBytes), new TransactionVerifier());
        var registry = new RpcMethodRegistry();
        var governance = new GovernanceRpcMethods(spec, processor);
        var checkpoints = new CheckpointRpcMethods(spec.ChainId, processor);
        new QueryRpcMethods(processor, new MarketRpcMethods(processor, new MemoryStore()), governance, checkpoints).RegisterAll(registry);
        return (processor, new JsonRpcDispatcher(registry));
    }

    private static Transaction Transfer(BlockProcessor processor, ulong nonce)
    {
        var body = new TransactionBody
        {
            ChainId = OneValidatorChain.ChainId, Nonce = nonce, Fee = processor.Executor.Parameters.Fees.Transfer,
            Transfer = new Transfer { To = ByteString.CopyFrom(OneValidatorChain.Validator.Address.ToArray()), Amount = 1 },
        };
        Assert.That(TransactionCodec.TryDecode(TransactionCodec.Sign(body, Alice), OneValidatorChain.ChainId, 4096, out var tx, out var error), Is.True, error);
        return tx!;
    }

    private static async Task<JsonElement> Call(JsonRpcDispatcher dispatcher, string method, object parameters)
    {
        byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = 1, method, @params = parameters });
        using var response = JsonDocument.Parse((await dispatcher.HandleAsync(request, CancellationToken.None))!);
        return response.RootElement.Clone();
    }

    /// <summary>A memory store whose unlogged writes from the index writer's thread are slow, or fail.</summary>
    private sealed class WriterStore : IKeyValueStore
    {
        private readonly MemoryStore _inner = new();

        public TimeSpan Delay { get; init; }
        public volatile bool Fail;

        public void Write(IWriteBatch batch, bool sync = true) => _inner.Write(batch, sync);

        public void WriteUnlogged(IWriteBatch batch)
        {
            if (Thread.CurrentThread.Name == "query-index")
            {
                if (Fail) throw new IOException("disk on fire");
                Thread.Sleep(Delay);
            }
            _inner.WriteUnlogged(batch);
        }

        public byte[]? Get(DbColumn column, ReadOnlySpan<byte> key) => _inner.Get(column, key);
        public bool TryGet(DbColumn column, ReadOnlySpan<byte> key, Span<byte> destination, out int length) => _inner.TryGet(column, key, destination, out length);
        public IWriteBatch NewBatch() => _inner.NewBatch();
        public void Put(DbColumn column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync = false) => _inner.Put(column, key, value, sync);
        public IEnumerable<(byte[] Key, byte[] Value)> Iterate(DbColumn column, byte[]? prefix = null) => _inner.Iterate(column, prefix);
        public IEnumerable<(byte[] Key, byte[] Value)> IterateBackward(DbColumn column, byte[] prefix, byte[]? before = null) => _inner.IterateBackward(column, prefix, before);
        public void Dispose() => _inner.Dispose();
    }
}
