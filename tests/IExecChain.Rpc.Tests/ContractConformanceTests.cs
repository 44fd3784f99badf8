using System.Text;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Content;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Results;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Chain;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.Market;
using IExecChain.State.TxPool;
using IExecChain.Storage;
using IExecChain.TestSupport;
using IExecChain.Worker.Content;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Results;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>
/// The contract records (IExecChain.Rpc.Contracts) read what the real server methods write: each
/// answer is read with <see cref="RpcJson.Exact"/>, so a member the server writes and the record
/// lacks, a member the record requires and the server leaves out, or a quantity in another form
/// fails here rather than in a client. One chain in memory serves every call: a bridge deposit,
/// a stake and its unstaking, a failed transfer, withdrawals and a recorded checkpoint; or a small
/// market run (<see cref="RunMarket"/>) for the market, governance and list methods, read through
/// the dispatcher and through <see cref="NodeRpcClient"/> over HTTP.
/// </summary>
[TestFixture]
public sealed class ContractConformanceTests
{
    private static readonly PrivateKey User = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/contracts/user")));
    private static readonly Address EthUser = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/contracts/eth")).AsSpan(12));
    private static readonly PrivateKey Uploader = new(Keccak256.HashToArray("test/contracts/uploader"u8));
    private static readonly PrivateKey AppOwner = new(Keccak256.HashToArray("test/contracts/app-owner"u8));
    private static readonly PrivateKey PoolOwner = new(Keccak256.HashToArray("test/contracts/pool-owner"u8));
    private static readonly PrivateKey Requester = new(Keccak256.HashToArray("test/contracts/requester"u8));
    private static readonly PrivateKey Worker = new(Keccak256.HashToArray("test/contracts/worker"u8));
    private const ulong Interval = 4;

    private ChainSpec _spec = null!;
    private BlockProcessor _processor = null!;
    private JsonRpcDispatcher _dispatcher = null!;
    private string _dir = null!;
    private ResultStore _results = null!;
    private readonly Dictionary<Address, ulong> _nonces = [];

    [SetUp]
    public void SetUp()
    {
        _nonces.Clear();   // NUnit runs every test on one instance of the fixture
        var spec = OneValidatorChain.Spec() with
        {
            Accounts =
            [
                new GenesisAccount(OneValidatorChain.Validator.Address, 1_000_000), new GenesisAccount(User.Address, 1_000_000),
                .. new[] { AppOwner, PoolOwner, Requester, Worker }.Select(k => new GenesisAccount(k.Address, 1_000_000_000)),
            ],
        };
        _spec = spec with
        {
            Parameters = spec.Parameters.WithCheckpointInterval(Interval) with
            {
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
        var governance = new GovernanceRpcMethods(_spec, _processor);
        governance.RegisterAll(registry);
        var checkpoints = new CheckpointRpcMethods(_spec.ChainId, _processor);
        var market = new MarketRpcMethods(_processor, store);
        market.RegisterAll(registry);
        new QueryRpcMethods(_processor, market, governance, checkpoints).RegisterAll(registry);
        _results = new ResultStore(Path.Combine(_dir, "results"));
        new ResultRpcMethods(_results).RegisterAll(registry);
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
    public async Task The_market_governance_and_query_records_read_what_those_methods_write()
    {
        var run = RunMarket();
        var requestOrder = await Read<OrderResult>("iex_getOrder", run.Request.ToString());
        Assert.That((requestOrder.Kind, requestOrder.Status, requestOrder.Deals!.Count), Is.EqualTo(("request", "filled", 1)));
        Assert.That(requestOrder.Order.GetProperty("params").GetString(), Is.EqualTo("hello"), "the order's own fields stay JSON");
        var deal = await Read<DealResult>("iex_getDeal", requestOrder.Deals[0]);
        Assert.That((deal.Dataset, deal.DatasetPrice.Value, deal.Tasks.Count), Is.EqualTo((run.Dataset.ToString(), 500UL, 1)));
        string taskId = deal.Tasks[0];
        Assert.That(taskId, Is.EqualTo(run.Task.ToString()));
        var completed = await Read<TaskResult>("iex_getTask", taskId);
        Assert.That((completed.Status, completed.ResultDigest, completed.FinishedAt.HasValue, completed.Outcome is not null), Is.EqualTo(("completed", run.Digest.ToString(), true, true)));
        Assert.That(completed.Replicas.Single().Status, Is.EqualTo("revealed"));
        var output = await Read<TaskOutputResult>("iex_getResult", taskId);
        Assert.That((output.Digest, output.ExitCode, output.Files.Single().Name), Is.EqualTo((run.Digest.ToString(), 0, "wc.txt")));

        var appRecord = await Read<AppResult>("iex_getApp", run.App.ToString());
        Assert.That((appRecord.Runtime, appRecord.Status, appRecord.ContentSize.Value), Is.EqualTo(("wasm", "active", 100UL)));
        Assert.That((await Read<DatasetResult>("iex_getDataset", run.Dataset.ToString())).Size.Value, Is.EqualTo(29UL));
        var poolRecord = await Read<PoolResult>("iex_getPool", run.Pool.ToString());
        Assert.That((poolRecord.Workers.Single().Address, poolRecord.TasksCompleted.Value), Is.EqualTo((Worker.Address.ToString(), 1UL)));
        var idle = await Read<WorkerResult>("iex_getWorker", Worker.Address.ToString());
        Assert.That((idle.Assignments.Count, idle.Contributions.Value), Is.EqualTo((0, 1UL)));

        var book = await Read<OrderBookResult>("iex_getOrderBook");
        Assert.That(book.Orders.Select(o => o.Kind), Is.EqualTo(new[] { "app", "dataset", "workerpool" }));
        Assert.That((book.Open, book.Totals.Deals.Value, book.Totals.TasksCompleted.Value), Is.EqualTo((3, 1UL, 1UL)));
        Assert.That(book.Orders.All(o => o.Deals is null), "only request orders list their deals");
        var terms = book.Orders.Append(requestOrder).Select(o => o.Order.Deserialize<OrderTerms>(RpcJson.Exact)!).ToList();
        Assert.That(terms.Select(t => t.App ?? t.Dataset ?? t.Workerpool), Is.EqualTo(new[] { run.App.ToString(), run.Dataset.ToString(), run.Pool.ToString(), run.App.ToString() }));
        Assert.That((terms[2].Price, terms[2].Trust, terms[3].Params, terms[3].WorkerpoolMaxPrice), Is.EqualTo(((ulong?)10_000, (ulong?)1000, "hello", (ulong?)20_000)));

        var proposal = await Read<ProposalResult>("iex_getProposal", "1");
        Assert.That((proposal.Action, proposal.Detail.Name, proposal.Detail.Value?.Value, proposal.Detail.Address), Is.EqualTo(("ChangeParameter", "fees.order", 5UL, (string?)null)));
        var parameters = await Read<GovernableParametersResult>("iex_getGovernableParameters");
        Assert.That(parameters.Parameters.Select(p => p.Name), Does.Contain("fees.order"));

        var deals = await Read<PageResult<DealResult>>("iex_listDeals", new { requester = Requester.Address.ToString() });
        Assert.That((deals.Items.Single().Id, deals.Next), Is.EqualTo((deal.Id, (string?)null)));
        Assert.That((await Read<PageResult<TaskResult>>("iex_listTasks", new { deal = deal.Id })).Items.Single().Status, Is.EqualTo("completed"));
        Assert.That((await Read<PageResult<TaskResult>>("iex_listTasks", new { worker = Worker.Address.ToString() })).Items.Single().Id, Is.EqualTo(taskId));
        var orders = await Read<PageResult<OrderResult>>("iex_listOrders", new { owner = AppOwner.Address.ToString(), limit = 1 });
        Assert.That(orders.Next, Is.Not.Null, "a page cut short carries the cursor of the next");
        var rest = await Read<PageResult<OrderResult>>("iex_listOrders", new { owner = AppOwner.Address.ToString(), limit = 1, cursor = orders.Next });
        Assert.That(new[] { orders.Items.Single().Kind, rest.Items.Single().Kind }, Is.EquivalentTo(new[] { "app", "dataset" }));
        Assert.That((await Read<PageResult<ProposalResult>>("iex_listProposals")).Items.Single().Id.Value, Is.EqualTo(1UL));
        Assert.That((await Read<PageResult<CheckpointResult>>("iex_listCheckpoints")).Items.Single().Number.Value, Is.EqualTo(1UL));
        var blocks = await Read<PageResult<NewHeadEvent>>("iex_listBlocks", new { limit = 2 });
        Assert.That(blocks.Items.Select(b => b.Number.Value), Is.EqualTo(new[] { 5UL, 4UL }));
        var sent = await Read<PageResult<TransactionEntryResult>>("iex_listTransactions", new { account = Worker.Address.ToString() });
        Assert.That(sent.Items.Select(t => (t.Type, t.Direction)), Is.EqualTo(new[] { ("reveal", "sent"), ("contribute", "sent"), ("join-pool", "sent"), ("stake", "sent") }));
        var all = await Read<PageResult<TransactionEntryResult>>("iex_listTransactions", new { limit = 1 });
        Assert.That(all.Items.Single().Direction, Is.Null, "without an account there is no direction");
        var stats = await Read<ChainStatsResult>("iex_chainStats");
        Assert.That((stats.Blocks.Value, stats.TasksCompleted.Value, stats.BlockIntervalMs!.Median), Is.EqualTo((5UL, 1UL, 100UL)));
    }

    /// <summary>
    /// The records these methods return are the server's too, so a member renamed in a record changes the
    /// wire and still reads back: what holds the wire is this list of the members (and their order) the
    /// methods wrote as anonymous objects, before they returned records.
    /// </summary>
    [Test]
    public async Task The_market_governance_and_query_answers_keep_the_member_names_and_order_they_always_had()
    {
        var run = RunMarket();
        static string Names(JsonElement e) => string.Join(",", e.EnumerateObject().Select(p => p.Name));
        var app = await Result("iex_getApp", run.App.ToString());
        Assert.That(Names(app), Is.EqualTo("id,owner,name,runtime,contentRoot,contentSize,endpoint,manifest,registeredAt,status"));
        Assert.That(Names(await Result("iex_getDataset", run.Dataset.ToString())), Is.EqualTo("id,owner,name,contentRoot,size,endpoint,registeredAt"));
        var pool = await Result("iex_getPool", run.Pool.ToString());
        Assert.That(Names(pool), Is.EqualTo("id,owner,description,workerStakeRatio,schedulerRewardRatio,allowNative,workerAllow,workers,tasksCompleted,tasksFailed,tasksReversed,meanWorkerScore,reliability,trust,registeredAt"));
        Assert.That(Names(pool.GetProperty("workers")[0]), Is.EqualTo("address,score"));
        Assert.That(Names(await Result("iex_getWorker", Worker.Address.ToString())), Is.EqualTo("address,workerpool,endpoint,score,assignments,contributions,wins,losses"));
        Assert.That(Names(await Result("iex_getOrder", run.Request.ToString())), Is.EqualTo("hash,kind,owner,status,remaining,sequence,placedAt,lockPerUnit,dealCount,deals,order"));
        Assert.That(Names(await Result("iex_getDeal", run.Deal.ToString())), Is.EqualTo(
            "id,app,dataset,workerpool,requester,beneficiary,requestHash,appOrderHash,datasetOrderHash,workerpoolOrderHash,appPrice,datasetPrice,workerpoolPrice,"
            + "poolStake,workerStake,schedulerRewardRatio,trust,category,tag,params,firstTaskIndex,volume,createdAt,started,completed,failed,tasks"));
        var task = await Result("iex_getTask", run.Task.ToString());
        Assert.That(Names(task), Is.EqualTo(
            "id,dealId,index,status,startHeight,contributionDeadline,revealDeadline,finalDeadline,consensusHash,resultDigest,finishedAt,outcome,outcomeReason,awaitingWorkers,replicas,pending"));
        Assert.That(Names(task.GetProperty("replicas")[0]), Is.EqualTo("worker,status,assignedAt,deadline,resultHash,score,resultDigest"));
        Assert.That(Names(task.GetProperty("outcomeReason")), Is.EqualTo("code,name,numbers,ids"));
        var book = await Result("iex_getOrderBook");
        Assert.That(Names(book), Is.EqualTo("height,open,orders,totals"));
        Assert.That(Names(book.GetProperty("orders")[0]), Is.EqualTo("hash,kind,owner,status,remaining,sequence,placedAt,lockPerUnit,dealCount,order"));
        Assert.That(Names(book.GetProperty("totals")), Is.EqualTo("deals,tasksStarted,tasksCompleted,tasksFailed,tasksAwaitingWorkers,dealsWaitingToStart,kitty,spotChecks,challenges,reversals"));
        var result = await Result("iex_getResult", run.Task.ToString());
        Assert.That(Names(result), Is.EqualTo("taskId,digest,exitCode,stdout,files"));
        Assert.That(Names(result.GetProperty("files")[0]), Is.EqualTo("name,data"));
        var proposal = await Result("iex_getProposal", "1");
        Assert.That(Names(proposal), Is.EqualTo("id,proposer,action,detail,descriptionHash,createdHeight,deadlineHeight,yes,no,status,outcome,outcomeReason"));
        Assert.That(Names(proposal.GetProperty("detail")), Is.EqualTo("name,value"));
        Assert.That(Names(await Result("iex_getGovernableParameters")), Is.EqualTo("blockNumber,parameters"));
        var stats = await Result("iex_chainStats");
        Assert.That(Names(stats), Is.EqualTo("fromBlock,toBlock,blocks,transactions,seconds,transactionsPerSecond,blockIntervalMs,tasksCompleted,tasksFailed"));
        Assert.That(Names(stats.GetProperty("blockIntervalMs")), Is.EqualTo("mean,median,p99,max"));
        var transactions = await Result("iex_listTransactions", new { account = Worker.Address.ToString(), limit = 1 });
        Assert.That(Names(transactions), Is.EqualTo("items,next"));
        Assert.That(Names(transactions.GetProperty("items")[0]), Is.EqualTo("hash,blockNumber,index,from,type,status,direction"));
        Assert.That(Names(await Result("iex_listProposals")), Is.EqualTo("items"), "no next on the last page");
        Assert.That(Names((await Result("iex_listBlocks", new { limit = 1 })).GetProperty("items")[0]),
            Is.EqualTo("number,hash,parentHash,timestamp,stateRoot,transactionsRoot,transactionCount,proposer"));
    }

    /// <summary>
    /// The same for the chain's own answers (blocks, commits, transactions, receipts, checkpoints): the member
    /// names and order they were written with as anonymous objects, before they returned records.
    /// </summary>
    [Test]
    public async Task The_block_transaction_receipt_and_checkpoint_answers_keep_the_member_names_and_order_they_always_had()
    {
        var transfer = Sign(OneValidatorChain.Validator, _spec.Parameters.Fees.Transfer,
            b => b.Transfer = new Transfer { To = ByteString.CopyFrom(User.Address.ToArray()), Amount = 1_000 });
        var overdraft = Sign(OneValidatorChain.Validator, _spec.Parameters.Fees.Transfer,
            b => b.Transfer = new Transfer { To = ByteString.CopyFrom(User.Address.ToArray()), Amount = 1_000_000_000 });
        OneValidatorChain.Produce(_processor, [transfer, overdraft]);
        for (ulong i = 0; i < Interval; i++) Produce();     // ends checkpoint 1 and records it

        static string Names(JsonElement e) => string.Join(",", e.EnumerateObject().Select(p => p.Name));
        const string header = "number,hash,parentHash,timestamp,chainId,stateRoot,transactionsRoot,receiptsRoot,proposer,"
            + "validatorSetHash,nextValidatorSetHash,lastCommitHash,evidenceHash,transactionCount,transactions";
        ulong height = RpcQuantity.Parse((await Result("iex_getReceipt", transfer.Id.ToString())).GetProperty("blockNumber").GetString()!);
        var block = await Result("iex_getBlockByNumber", RpcQuantity.Format(height), true);
        Assert.That(Names(await Result("iex_getBlockByNumber", "0x1", false)), Is.EqualTo(header + ",commit"), "block 1's parent is genesis, which no commit finalized");
        Assert.That(Names(await Result("iex_getBlockByNumber", RpcQuantity.Format(height + 1), false)), Is.EqualTo(header + ",commit,lastCommit"));
        Assert.That(Names(block.GetProperty("commit")), Is.EqualTo("height,round,blockHash,signatures"));
        Assert.That(Names(block.GetProperty("commit").GetProperty("signatures")[0]), Is.EqualTo("validator,signature,timestamp"));
        Assert.That(Names(block.GetProperty("transactions")[0]), Is.EqualTo("hash,type,from,chainId,nonce,fee,payload,blockNumber,transactionIndex,raw"));
        Assert.That(Names(block.GetProperty("transactions")[0].GetProperty("payload")), Is.EqualTo("to,amount"));
        Assert.That(Names(await Result("iex_getBlockByNumber", "earliest", false)), Is.EqualTo(header + ",commit"));
        Assert.That(Names(await Result("iex_getTransaction", transfer.Id.ToString())),
            Is.EqualTo("hash,type,from,chainId,nonce,fee,payload,blockNumber,transactionIndex,raw"));
        Assert.That(Names(await Result("iex_getReceipt", transfer.Id.ToString())), Is.EqualTo("transactionHash,blockNumber,transactionIndex,from,status,feePaid"));
        Assert.That(Names(await Result("iex_getReceipt", overdraft.Id.ToString())), Is.EqualTo("transactionHash,blockNumber,transactionIndex,from,status,error,failure,feePaid"));
        var checkpoint = await Result("iex_getCheckpoint", "1");
        Assert.That(Names(checkpoint), Is.EqualTo("number,chainId,firstHeight,lastHeight,blocksRoot,stateRoot,nextValidatorSetHash,withdrawalsRoot,digest,"
            + "nextValidators,signatures,recordedAtHeight,anchors,latest"));
        Assert.That(Names(checkpoint.GetProperty("nextValidators")[0]), Is.EqualTo("address,power"));
        Assert.That(Names(checkpoint.GetProperty("signatures")[0]), Is.EqualTo("validator,signature"));
        Assert.That(Names((await Result("iex_listCheckpoints")).GetProperty("items")[0]), Is.EqualTo(Names(checkpoint)));
        Assert.That(Names(await Result("iex_getProof", User.Address.ToString())),
            Is.EqualTo("address,record,key,blockNumber,stateRoot,value,siblings"), "a proof of presence");
        var validators = await Result("iex_getValidators");
        Assert.That(Names(validators), Is.EqualTo("blockNumber,nextHeight,validatorSetHash,validators"));
        Assert.That(Names(validators.GetProperty("validators")[0]),
            Is.EqualTo("address,votingPower,proposerPriority,stake,reputation,admitted,jailedUntil,slashed,blocksSigned,blocksMissed"));

        // The bridge: a deposit credited, a withdrawal checkpointed.
        Produce(Sign(OneValidatorChain.Validator, _spec.Parameters.Fees.Bridge, b => b.AttestDeposits = new AttestDeposits { Deposits = { Deposit(0, 500_000) } }));
        Produce(Sign(User, _spec.Parameters.Fees.Bridge, b => b.Withdraw = new Withdraw { Recipient = ByteString.CopyFrom(EthUser.ToArray()), Amount = 100 }));
        for (ulong i = 0; i < Interval; i++) Produce();
        var status = await Result("iex_bridgeStatus");
        Assert.That(Names(status), Is.EqualTo("blockNumber,bridge,bridgedSupply,depositedTotal,withdrawnTotal,nextDepositId,nextWithdrawalId,pendingDeposits"));
        Assert.That(Names(status.GetProperty("bridge")), Is.EqualTo("ethChainId,contract,confirmations,startBlock"));
        var deposit = await Result("iex_getDeposit", "0");
        Assert.That(Names(deposit), Is.EqualTo("id,status,deposit,creditedAt,attesters"));
        Assert.That(Names(deposit.GetProperty("deposit")), Is.EqualTo("id,depositor,recipient,amount,ethTxHash,ethBlockNumber"));
        var withdrawal = await Result("iex_getWithdrawal", "0");
        Assert.That(Names(withdrawal), Is.EqualTo("id,sender,recipient,amount,height,checkpointNumber,leafHash,status,proof,checkpoint"));
        Assert.That(Names(withdrawal.GetProperty("proof")), Is.EqualTo("index,count,siblings,withdrawalsRoot"));
        Assert.That(Names(withdrawal.GetProperty("checkpoint")),
            Is.EqualTo("chainId,number,firstHeight,lastHeight,blocksRoot,stateRoot,nextValidatorSetHash,withdrawalsRoot,digest"));
    }

    /// <summary>
    /// A market run on the fixture's chain: an app, a dataset and a pool registered (and a governance proposal),
    /// their orders, a request matched into a one-task deal, the task contributed, revealed and its result
    /// stored for iex_getResult. Blocks 1 to 5.
    /// </summary>
    private MarketRun RunMarket()
    {
        var fees = _spec.Parameters.Fees;
        var app = MarketBlock.ResourceId(MarketBlock.AppIdKind, AppOwner.Address, 0);
        var dataset = MarketBlock.ResourceId(MarketBlock.DatasetIdKind, AppOwner.Address, 1);
        var pool = MarketBlock.ResourceId(MarketBlock.WorkerpoolIdKind, PoolOwner.Address, 0);
        Produce(
            Sign(AppOwner, fees.Registry, b => b.RegisterApp = new RegisterApp { Name = "echo", Runtime = AppRuntime.Wasm, ContentRoot = Bytes(new byte[32]), ContentSize = 100, Endpoint = "http://127.0.0.1:8645" }),
            Sign(AppOwner, fees.Registry, b => b.RegisterDataset = new RegisterDataset { Name = "words", ContentRoot = Bytes(new byte[32]), Size = 29, Endpoint = "http://127.0.0.1:8645" }),
            Sign(PoolOwner, fees.Registry, b => b.RegisterWorkerpool = new RegisterWorkerpool { Description = "pool", WorkerStakeRatio = 10, SchedulerRewardRatio = 10 }),
            Sign(Worker, fees.Stake, b => b.Stake = new Stake { Role = StakeRole.Worker, Amount = 100 }),
            Sign(OneValidatorChain.Validator, fees.Governance, b => b.Propose = new GovernancePropose
            {
                ChangeParameter = new ChangeParameter { Name = "fees.order", Value = 5 },
                DescriptionHash = Bytes(Keccak256.HashToArray("lower the order fee"u8)),
            }));
        Produce(
            Sign(Worker, fees.Registry, b => b.JoinPool = new JoinPool { Workerpool = Bytes(pool), Endpoint = "http://127.0.0.1:9000" }),
            Sign(AppOwner, fees.Order, b => b.PlaceOrder = new PlaceOrder { App = new AppOrder { App = Bytes(app), Price = 1_000, Volume = 10, Salt = Bytes([1]) } }),
            Sign(AppOwner, fees.Order, b => b.PlaceOrder = new PlaceOrder { Dataset = new DatasetOrder { Dataset = Bytes(dataset), Price = 500, Volume = 10, Salt = Bytes([2]) } }),
            Sign(PoolOwner, fees.Order, b => b.PlaceOrder = new PlaceOrder { Workerpool = new WorkerpoolOrder { Workerpool = Bytes(pool), Price = 10_000, Volume = 10, Trust = 1000, Salt = Bytes([3]) } }));
        var request = new PlaceOrder
        {
            Request = new RequestOrder
            {
                App = Bytes(app), AppMaxPrice = 2_000, Dataset = Bytes(dataset), DatasetMaxPrice = 1_000, WorkerpoolMaxPrice = 20_000,
                Requester = Bytes(Requester.Address), Volume = 1, Trust = 1, Params = "hello", Salt = Bytes([4]),
            },
        };
        Produce(Sign(Requester, fees.Order, b => b.PlaceOrder = request));

        var requestHash = OrderCodec.HashOf(request);
        var dealId = new Hash256(MarketReader.Order(_processor.Tree, requestHash)!.Deals.Single().Span);
        var task = MarketBlock.TaskId(dealId, MarketReader.Deal(_processor.Tree, dealId)!.FirstTaskIndex);
        Assert.That(MarketReader.Task(_processor.Tree, task)!.Replicas.Single().Worker, Is.EqualTo(Bytes(Worker.Address)));
        byte[] stdout = "3 6 29\n"u8.ToArray();
        var files = new List<OutputFile> { new("wc.txt", stdout) };
        var digest = ResultDigest.Compute(0, stdout, files);
        _results.Save(task, new ExecutionResult { Status = ExecutionStatus.Success, ExitCode = 0, Stdout = stdout, OutputFiles = files, Digest = digest });
        Produce(Sign(Worker, fees.Contribution, b => b.Contribute = new Contribute
        {
            TaskId = Bytes(task),
            ResultHash = Bytes(MarketBlock.ResultHash(task, digest)),
            ResultSeal = Bytes(MarketBlock.ResultSeal(Worker.Address, task, digest)),
        }));
        Produce(Sign(Worker, fees.Contribution, b => b.Reveal = new Reveal { TaskId = Bytes(task), ResultDigest = Bytes(digest) }));
        return new MarketRun(app, dataset, pool, requestHash, dealId, task, digest);
    }

    private sealed record MarketRun(Address App, Address Dataset, Address Pool, Hash256 Request, Hash256 Deal, Hash256 Task, Hash256 Digest);

    [Test]
    public async Task The_typed_client_asks_the_market_governance_and_query_methods_as_the_server_expects()
    {
        var run = RunMarket();
        await using var server = new RpcServer(new RpcServerOptions { Port = 0 }, _dispatcher, NullLoggerFactory.Instance);
        await server.StartAsync();
        using var client = new NodeRpcClient(server.Endpoint);

        Assert.That((await client.GetAppAsync(run.App.ToString()))!.Name, Is.EqualTo("echo"));
        Assert.That((await client.GetDatasetAsync(run.Dataset.ToString()))!.Name, Is.EqualTo("words"));
        Assert.That((await client.GetPoolAsync(run.Pool.ToString()))!.Workers.Single().Address, Is.EqualTo(Worker.Address.ToString()));
        Assert.That((await client.GetWorkerAsync(Worker.Address.ToString()))!.Workerpool, Is.EqualTo(run.Pool.ToString()));
        Assert.That(await client.GetWorkerAsync(User.Address.ToString()), Is.Null, "an address that never worked has no record");
        Assert.That((await client.GetOrderAsync(run.Request.ToString()))!.Deals, Is.EqualTo(new[] { run.Deal.ToString() }));
        Assert.That((await client.GetDealAsync(run.Deal.ToString()))!.Tasks, Is.EqualTo(new[] { run.Task.ToString() }));
        Assert.That((await client.GetTaskAsync(run.Task.ToString()))!.ResultDigest, Is.EqualTo(run.Digest.ToString()));
        Assert.That((await client.GetResultAsync(run.Task.ToString()))!.Digest, Is.EqualTo(run.Digest.ToString()));
        Assert.That(await client.GetTaskAsync(run.Deal.ToString()), Is.Null, "no task has this id");
        var pools = await client.GetOrderBookAsync(kind: "workerpool", category: 0, limit: 5);
        Assert.That((pools.Open, pools.Orders.Single().Kind), Is.EqualTo((1, "workerpool")));
        Assert.That((await client.GetProposalAsync(1))!.Detail.Name, Is.EqualTo("fees.order"));
        Assert.That(await client.GetProposalAsync(2), Is.Null);
        Assert.That((await client.GetGovernableParametersAsync()).BlockNumber.Value, Is.EqualTo(5UL));

        Assert.That((await client.ListBlocksAsync(limit: 1)).Items.Single().Number.Value, Is.EqualTo(5UL));
        var sent = await client.ListTransactionsAsync(Worker.Address.ToString(), "sent", limit: 3);
        var older = await client.ListTransactionsAsync(Worker.Address.ToString(), "sent", limit: 3, cursor: sent.Next);
        Assert.That(sent.Items.Concat(older.Items).Select(t => t.Type), Is.EqualTo(new[] { "reveal", "contribute", "join-pool", "stake" }));
        Assert.That(older.Next, Is.Null);
        Assert.That((await client.ListDealsAsync("workerpool", run.Pool.ToString())).Items.Single().Id, Is.EqualTo(run.Deal.ToString()));
        Assert.That((await client.ListTasksAsync("status", "completed")).Items.Single().Id, Is.EqualTo(run.Task.ToString()));
        Assert.That((await client.ListOrdersAsync(PoolOwner.Address.ToString())).Items.Single().Kind, Is.EqualTo("workerpool"));
        Assert.That((await client.ListProposalsAsync()).Items.Single().Id.Value, Is.EqualTo(1UL));
        Assert.That((await client.ListCheckpointsAsync()).Items.Single().Number.Value, Is.EqualTo(1UL));
        var stats = await client.ChainStatsAsync(fromBlock: 2, toBlock: 3);
        Assert.That((stats.FromBlock.Value, stats.Blocks.Value, stats.Transactions.Value), Is.EqualTo((2UL, 2UL, 5UL)));
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
        var names = new List<string>();
        await foreach (var e in tasks.ReadAllAsync<JsonElement>())
        {
            events.Add(e.Deserialize<TaskEvent>(RpcJson.Exact)!);
            names.Add(string.Join(",", e.EnumerateObject().Select(p => p.Name)));
            if (events.Count == 2) break;
        }
        Assert.That(names, Is.EqualTo(new[] { "event,taskId,dealId,requester,worker,status,blockNumber", "event,taskId,dealId,requester,status,blockNumber" }),
            "the members and their order as the events were always written");
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
        Assert.That(executed.Excluded.Select(e => e.Reason), Is.Empty, $"block {executed.Block.Height}");
        Assert.That(executed.Receipts.Select(r => r.Status), Is.All.EqualTo(ReceiptStatus.Success), $"block {executed.Block.Height}");
    }

    private static ByteString Bytes(Address address) => ByteString.CopyFrom(address.ToArray());

    private static ByteString Bytes(Hash256 hash) => ByteString.CopyFrom(hash.ToArray());

    private static ByteString Bytes(byte[] bytes) => ByteString.CopyFrom(bytes);

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
