using System.Text;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Content;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Chain;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.TxPool;
using IExecChain.Storage;
using IExecChain.Worker.Content;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>
/// The contract records (IExecChain.Rpc.Contracts) read what the real server methods write: each
/// answer is read with <see cref="RpcJson.Exact"/>, so a member the server writes and the record
/// lacks, a member the record requires and the server leaves out, or a quantity in another form
/// fails here rather than in a client. One chain in memory serves every call: a bridge deposit,
/// a stake and its unstaking, a failed transfer, withdrawals and a recorded checkpoint.
/// </summary>
[TestFixture]
public sealed class ContractConformanceTests
{
    private static readonly PrivateKey User = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/contracts/user")));
    private static readonly Address EthUser = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/contracts/eth")).AsSpan(12));
    private static readonly PrivateKey Uploader = new(Keccak256.HashToArray("test/contracts/uploader"u8));
    private const ulong Interval = 4;

    private ChainSpec _spec = null!;
    private BlockProcessor _processor = null!;
    private JsonRpcDispatcher _dispatcher = null!;
    private string _dir = null!;
    private readonly Dictionary<Address, ulong> _nonces = [];

    [SetUp]
    public void SetUp()
    {
        var spec = OneValidatorChain.Spec() with
        {
            Accounts = [new GenesisAccount(OneValidatorChain.Validator.Address, 1_000_000), new GenesisAccount(User.Address, 1_000_000)],
        };
        _spec = spec with
        {
            Parameters = spec.Parameters with
            {
                CheckpointInterval = Interval,
                Bridge = new BridgeParameters { EthChainId = 1337, Contract = new Address(Enumerable.Repeat((byte)0xB1, 20).ToArray()), Confirmations = 3 },
            },
        };
        var store = new MemoryStore();
        _processor = new BlockProcessor(_spec, store, new StateTree(store), new BlockStore(store, _spec.ChainId, _spec.Parameters.MaxTransactionBytes), new TransactionVerifier());
        _dir = Directory.CreateTempSubdirectory("iexec-rpc-contracts-").FullName;
        var registry = new RpcMethodRegistry();
        var mempool = new Mempool(new MempoolOptions(), _processor.Executor, new TransactionVerifier(), a => StateReader.Account(_processor.Tree, a));
        new ChainRpcMethods(_spec, _processor, mempool, () => new { }, specJson: "{}").RegisterAll(registry);
        new CheckpointRpcMethods(_spec.ChainId, _processor).RegisterAll(registry);
        new BridgeRpcMethods(_spec, _processor).RegisterAll(registry);
        new GovernanceRpcMethods(_spec, _processor).RegisterAll(registry);
        new WorkerRpcMethods(_processor, store).RegisterAll(registry);
        new ContentRpcMethods(new ContentStore(Path.Combine(_dir, "content"))).RegisterAll(registry);
        _dispatcher = new JsonRpcDispatcher(registry);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Every_record_reads_the_answer_the_server_writes_with_no_member_missing_or_unknown()
    {
        Produce(Sign(OneValidatorChain.Validator, _spec.Parameters.Fees.Bridge, b => b.AttestDeposits = new AttestDeposits { Deposits = { Deposit(0, 500_000) } }),
            Sign(User, _spec.Parameters.Fees.Stake, b => b.Stake = new Stake { Role = StakeRole.Worker, Amount = 50 }));
        var unstake = Sign(User, _spec.Parameters.Fees.Unstake, b => b.Unstake = new Unstake { Role = StakeRole.Worker, Amount = 20 });
        var overdraft = Sign(OneValidatorChain.Validator, _spec.Parameters.Fees.Transfer,
            b => b.Transfer = new Transfer { To = ByteString.CopyFrom(User.Address.ToArray()), Amount = 1_000_000_000 });
        var withdraw = Sign(User, _spec.Parameters.Fees.Bridge, b => b.Withdraw = new Withdraw { Recipient = ByteString.CopyFrom(EthUser.ToArray()), Amount = 70_000 });
        var second = OneValidatorChain.Produce(_processor, [unstake, overdraft, withdraw]);
        Assert.That(second.Receipts.Select(r => r.Status), Is.EqualTo(new[] { ReceiptStatus.Success, ReceiptStatus.Failed, ReceiptStatus.Success }));

        // Read before the unstaked amount is released (3 blocks), so the record carries an unbonding entry.
        var account = await Read<AccountResult>("iex_getAccount", User.Address.ToString());
        Assert.That((account.WorkerStake.Value, account.Nonce.Value, account.Unbonding.Count), Is.EqualTo((30UL, 3UL, 1)));
        Assert.That(account.Unbonding[0].Role, Is.EqualTo("worker"));

        var failed = await Read<ReceiptResult>("iex_getReceipt", overdraft.Id.ToString());
        Assert.That(failed.Succeeded, Is.False);
        Assert.That(failed.Error, Is.Not.Null.And.Not.Empty);
        Assert.That(failed.Failure!.Name, Is.Not.Empty);
        var succeeded = await Read<ReceiptResult>("iex_getReceipt", withdraw.Id.ToString());
        Assert.That((succeeded.Succeeded, succeeded.Error, succeeded.Failure), Is.EqualTo((true, (string?)null, (FailureReason?)null)), "a success omits error and failure");

        var transaction = await Read<TransactionResult>("iex_getTransaction", unstake.Id.ToString());
        Assert.That((transaction.Type, transaction.From, transaction.BlockNumber?.Value), Is.EqualTo(("unstake", User.Address.ToString(), 2UL)));

        Produce();
        Produce();      // height 4 ends checkpoint 1
        Produce();      // height 5 records it

        Assert.That(await ReadQuantity("iex_blockNumber"), Is.EqualTo(5UL));
        Assert.That(await ReadQuantity("iex_chainId"), Is.EqualTo(OneValidatorChain.ChainId));

        var hashes = await Read<BlockResult<string>>("iex_getBlockByNumber", "0x2", false);
        Assert.That(hashes.Transactions, Is.EqualTo(new[] { unstake.Id.ToString(), overdraft.Id.ToString(), withdraw.Id.ToString() }));
        Assert.That(hashes.Commit, Is.Not.Null);
        Assert.That(hashes.LastCommit!.Signatures, Has.Count.EqualTo(1));
        var full = await Read<BlockResult<TransactionResult>>("iex_getBlockByNumber", "0x2", true);
        Assert.That(full.Transactions.Select(t => t.Type), Is.EqualTo(new[] { "unstake", "transfer", "withdraw" }));
        var genesis = await Read<BlockResult<string>>("iex_getBlockByHash", (await Read<BlockResult<string>>("iex_getBlockByNumber", "earliest", false)).Hash, false);
        Assert.That(genesis.Number.Value, Is.EqualTo(0UL));

        var proof = await Read<ProofResult>("iex_getProof", User.Address.ToString(), "stake");
        Assert.That(proof.Value, Is.Not.Null);
        var absent = await Read<ProofResult>("iex_getProof", EthUser.ToString(), "account");
        Assert.That(absent.Value, Is.Null, "no account at this address: a proof of absence");

        var checkpoint = await Read<CheckpointResult>("iex_getCheckpoint", "latest");
        Assert.That((checkpoint.Number.Value, checkpoint.LastHeight.Value, checkpoint.Signatures.Count, checkpoint.NextValidators.Count), Is.EqualTo((1UL, Interval, 1, 1)));

        var withdrawal = await Read<WithdrawalResult>("iex_getWithdrawal", "0");
        Assert.That(withdrawal.Status, Is.EqualTo("checkpointed"));
        Assert.That(withdrawal.Checkpoint!.Digest, Is.EqualTo(checkpoint.Digest), "the header of iex_getWithdrawal and the checkpoint of iex_getCheckpoint agree");
        Assert.That(withdrawal.Proof!.Count.Value, Is.EqualTo(1UL));

        var deposit = await Read<DepositStatusResult>("iex_getDeposit", "0");
        Assert.That((deposit.Status, deposit.Deposit!.Amount.Value, deposit.Attesters!.Count), Is.EqualTo(("credited", 500_000UL, 1)));
        Produce(Sign(OneValidatorChain.Validator, _spec.Parameters.Fees.Bridge, b => b.AttestDeposits = new AttestDeposits { Deposits = { Deposit(1, 7) } }));
        var status = await Read<BridgeStatusResult>("iex_bridgeStatus");
        Assert.That((status.BridgedSupply.Value, status.Bridge!.EthChainId.Value), Is.EqualTo((500_000UL - 70_000 + 7, 1337UL)));

        var validators = await Read<ValidatorsResult>("iex_getValidators");
        Assert.That(validators.Validators.Single().Address, Is.EqualTo(OneValidatorChain.Validator.Address.ToString()));

        var duties = await Read<WorkerDutiesResult>("iex_getWorkerDuties", User.Address.ToString(), Array.Empty<string>());
        Assert.That((duties.Assigned.Count, duties.Reveal.Count, duties.Closed.Count), Is.EqualTo((0, 0, 0)));
        Assert.That((await Read<WorkerAppsResult>("iex_getWorkerApps", User.Address.ToString())).Apps, Is.Empty);
    }

    [Test]
    public async Task The_content_records_read_what_the_content_methods_write()
    {
        byte[] data = Encoding.ASCII.GetBytes(new string('c', 5000));
        var stored = await Read<StoredContentResult>("iex_putContent", ContentUpload.Params(Uploader, data, 4096));
        Assert.That((stored.Size.Value, stored.ChunkSize.Value, stored.Uploader), Is.EqualTo((5000UL, 4096UL, Uploader.Address.ToString())));

        var chunk = await Read<ChunkResult>("iex_getChunk", stored.Root, "0x1");
        Assert.That((chunk.Index.Value, Hex.Decode(chunk.Data).Length, chunk.Proof.Count), Is.EqualTo((1UL, 5000 - 4096, 1)));

        var tree = ContentTree.Build(new byte[10_000], 4096);
        ulong expiresAt = (ulong)DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        byte[] signature = ContentUploadStatement.Sign(Uploader, tree.Root, tree.Size, expiresAt);
        var progress = await Read<UploadProgressResult>("iex_beginUpload", tree.Root.ToString(), RpcQuantity.Format((ulong)tree.Size), 4096,
            Uploader.Address.ToString(), RpcQuantity.Format(expiresAt), Hex.Encode(signature));
        Assert.That((progress.Complete, progress.ChunkCount.Value, progress.Received.Value), Is.EqualTo((false, 3UL, 0UL)));
        Assert.That(progress.Missing.Single().Select(q => q.Value), Is.EqualTo(new[] { 0UL, 3UL }));
    }

    [Test]
    public async Task A_method_that_returns_a_record_writes_the_members_in_the_order_and_form_it_always_did()
    {
        byte[] data = new byte[5000];
        var stored = await Result("iex_putContent", ContentUpload.Params(Uploader, data, 4096));
        Assert.That(stored.GetRawText(), Is.EqualTo(
            $$"""{"root":"{{ContentMerkle.ComputeRoot(data, 4096)}}","size":"0x1388","chunkSize":"0x1000","uploader":"{{Uploader.Address}}"}"""));
        var account = await Result("iex_getAccount", User.Address.ToString());
        Assert.That(account.GetRawText(), Is.EqualTo(
            $$"""{"address":"{{User.Address}}","blockNumber":"0x0","balance":"0xf4240","frozen":"0x0","nonce":"0x0","pendingNonce":"0x0","validatorStake":"0x0","workerStake":"0x0","unbonding":[]}"""));
    }

    [Test]
    public async Task The_event_records_read_what_the_subscriptions_deliver()
    {
        await using var server = await WebSocketTestServer.StartAsync();
        await using var client = await JsonRpcWebSocketClient.ConnectAsync(server.WebSocketUri);
        var heads = await client.SubscribeAsync("newHeads");
        var tasks = await client.SubscribeAsync("tasks");
        Produce();
        server.Hub.PublishNewHead(_processor.Blocks.GetBlock(1)!);
        var taskId = new Hash256(Keccak256.HashToArray("test/contracts/task"u8));
        var dealId = new Hash256(Keccak256.HashToArray("test/contracts/deal"u8));
        server.Hub.PublishTaskEvents([
            new State.Market.MarketEvent("assigned", taskId, dealId, User.Address, EthUser, "active", 7),
            new State.Market.MarketEvent("started", taskId, dealId, User.Address, Address.Zero, "active", 6),
        ]);

        await foreach (var head in heads.ReadAllAsync<JsonElement>())
        {
            var read = head.Deserialize<NewHeadEvent>(RpcJson.Exact)!;
            Assert.That((read.Number.Value, read.Hash), Is.EqualTo((1UL, _processor.Blocks.GetBlock(1)!.Hash.ToString())));
            break;
        }
        var events = new List<TaskEvent>();
        await foreach (var e in tasks.ReadAllAsync<JsonElement>())
        {
            events.Add(e.Deserialize<TaskEvent>(RpcJson.Exact)!);
            if (events.Count == 2) break;
        }
        Assert.That(events.Select(e => (e.Event, e.Worker, e.BlockNumber.Value)), Is.EqualTo(new[] { ("assigned", (string?)EthUser.ToString(), 7UL), ("started", null, 6UL) }));
    }

    [Test]
    public void A_member_the_record_does_not_know_or_a_required_member_left_out_is_refused()
    {
        const string Served = """{"role":"worker","amount":"0x14","releaseHeight":"0x5"}""";
        Assert.That(JsonSerializer.Deserialize<UnbondingResult>(Served, RpcJson.Exact)!.Amount.Value, Is.EqualTo(20UL));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<UnbondingResult>("""{"role":"worker","amount":"0x14","releaseHeight":"0x5","extra":1}""", RpcJson.Exact));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<UnbondingResult>("""{"role":"worker","amount":"0x14"}""", RpcJson.Exact));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<UnbondingResult>("""{"role":null,"amount":"0x14","releaseHeight":"0x5"}""", RpcJson.Exact));
        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<UnbondingResult>("""{"role":"worker","amount":"0x014","releaseHeight":"0x5"}""", RpcJson.Exact))!;
        Assert.That(e.Message, Does.Contain("leading zero"));
        // Clients (RpcJson.Options) let a newer node add members.
        Assert.That(JsonSerializer.Deserialize<UnbondingResult>("""{"role":"worker","amount":"0x14","releaseHeight":"0x5","extra":1}""", RpcJson.Options), Is.Not.Null);
    }

    private async Task<T> Read<T>(string method, params object?[] parameters)
    {
        var result = await Result(method, parameters);
        Assert.That(result.ValueKind, Is.EqualTo(JsonValueKind.Object), $"{method} answered {result}");
        try
        {
            return result.Deserialize<T>(RpcJson.Exact)!;
        }
        catch (JsonException e)
        {
            Assert.Fail($"{typeof(T).Name} does not read what {method} writes: {e.Message}\n{result}");
            throw;
        }
    }

    private async Task<ulong> ReadQuantity(string method) => (await Result(method)).Deserialize<Quantity>(RpcJson.Exact).Value;

    private async Task<JsonElement> Result(string method, params object?[] parameters)
    {
        byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = 1, method, @params = parameters });
        using var response = JsonDocument.Parse((await _dispatcher.HandleAsync(request, CancellationToken.None))!);
        var root = response.RootElement;
        Assert.That(root.TryGetProperty("error", out var error), Is.False, $"{method}: {error}");
        return root.GetProperty("result").Clone();
    }

    private Transaction Sign(PrivateKey key, ulong fee, Action<TransactionBody> payload)
    {
        ulong nonce = _nonces.GetValueOrDefault(key.Address);
        _nonces[key.Address] = nonce + 1;
        var body = new TransactionBody { ChainId = _spec.ChainId, Nonce = nonce, Fee = fee };
        payload(body);
        Assert.That(TransactionCodec.TryDecode(TransactionCodec.Sign(body, key), _spec.ChainId, 4096, out var tx, out var error), Is.True, error);
        return tx!;
    }

    private void Produce(params Transaction[] txs)
    {
        var executed = OneValidatorChain.Produce(_processor, txs);
        Assert.That(executed.Receipts.Select(r => r.Status), Is.All.EqualTo(ReceiptStatus.Success), $"block {executed.Block.Height}");
    }

    private static BridgeDeposit Deposit(ulong id, ulong amount) => new()
    {
        Id = id,
        Depositor = ByteString.CopyFrom(EthUser.ToArray()),
        Recipient = ByteString.CopyFrom(User.Address.ToArray()),
        Amount = amount,
        EthTxHash = ByteString.CopyFrom(Keccak256.HashToArray([(byte)id])),
        EthBlockNumber = 40 + id,
    };
}
