using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Chain;
using IExecChain.Rpc.Contracts;

namespace IExecChain.Rpc.OpenRpc;

/// <summary>
/// What <c>rpc.discover</c> says of every method a node, light worker or content server registers: its
/// parameters, result type, own errors and, for a few, an example. docs/rpc.md is the prose around it; a test
/// holds the two to the same methods. Results are the contract records the server writes; only the chain
/// spec and the light worker's iex_nodeInfo are typed <see cref="JsonElement"/> (their schema says "any JSON
/// value"): the first is the spec file as it was loaded, the second has no record.
/// </summary>
public static class RpcCatalog
{
    public const string FullNodeTitle = "iExecChain node";
    public const string FullNodeDescription = "The JSON-RPC API of an iExecChain full node (docs/rpc.md).";

    private static readonly RpcErrorDescription BadParams = new(RpcErrorCodes.InvalidParams, "a parameter is missing or malformed; the message names it");
    private static readonly RpcErrorDescription NotFound = new(RpcErrorCodes.NotFound, "the thing asked for is not on this node");
    private static readonly RpcErrorDescription OverBudget = new(RpcErrorCodes.ResourceLimit, "over a size limit or quota of this node");

    private static RpcParam P(string name, Type type, string description) => new(name, type, description);
    private static RpcParam Opt(string name, Type type, string description) => new(name, type, description, Required: false);

    private static RpcMethodDescription M(string name, string summary, string resultName, Type resultType, params RpcParam[] parameters) =>
        new(name, summary, parameters, resultName, resultType) { Errors = [BadParams] };

    /// <summary>The uploader's signed statement of iex_putContent and iex_beginUpload (docs/content.md).</summary>
    private static readonly RpcParam[] Statement =
    [
        P("chunkSize", typeof(JsonElement), "the chunk size, a quantity from 4,096 to 1,048,576, or null for 65,536"),
        P("uploader", typeof(Address), "the account that signs the statement and is charged the quota"),
        P("expiresAt", typeof(Quantity), "when the statement expires, Unix seconds, at most one hour ahead"),
        P("signature", typeof(string), "the uploader's 65-byte signature of the statement, 0x-hex"),
        Opt("kind", typeof(string), "\"wasm-app\" to have the content checked as a WebAssembly app"),
    ];

    private static readonly RpcParam[] Page =
    [
        Opt("limit", typeof(int), "items per page, 1 to 100 (default 20)"),
        Opt("cursor", typeof(string), "where the page starts: the nextCursor of the previous page"),
    ];

    private static RpcMethodDescription List<TItem>(string name, string summary, params RpcParam[] filters) =>
        new(name, summary, [.. filters, .. Page], "page", typeof(PageResult<TItem>))
        {
            ByName = true,
            Errors = [new(RpcErrorCodes.InvalidParams, "an unknown cursor, a limit out of range or a filter of the wrong type; the message names the field")],
        };

    /// <summary>The full node's methods (ChainNode registers them all).</summary>
    public static IReadOnlyList<RpcMethodDescription> FullNode { get; } =
    [
        M("iex_chainId", "The chain id.", "chainId", typeof(Quantity)) with
        {
            Errors = [],
            Examples = [new RpcExample("the devnet", [], new Quantity(1337))],
        },
        M("iex_blockNumber", "The height of the head block.", "height", typeof(Quantity)) with
        {
            Errors = [],
            Examples = [new RpcExample("a young chain", [], new Quantity(42))],
        },
        M("iex_getBlockByNumber", "A block by height, with its transactions (hashes or full objects) and the commit that finalized it.", "block", typeof(BlockResult<JsonElement>),
            P("number", typeof(string), "a height, 0x-hex or decimal, or \"latest\", \"finalized\" (both the head) or \"earliest\" (0)"),
            Opt("fullTransactions", typeof(bool), "true: full transaction objects; false (default): transaction hashes")) with
        {
            ResultNullable = true,
            Errors = [BadParams, new(RpcErrorCodes.NotFound, "a block below the lowest this node keeps (pruned, or before the snapshot it started from)")],
            Examples = [new RpcExample("above the head", [("number", "0xffffff")], null)],
        },
        M("iex_getBlockByHash", "A block by hash, as iex_getBlockByNumber.", "block", typeof(BlockResult<JsonElement>),
            P("hash", typeof(Hash256), "the block's hash"),
            Opt("fullTransactions", typeof(bool), "as for iex_getBlockByNumber")) with { ResultNullable = true },
        M("iex_sendRawTransaction", "Submits a signed transaction to the mempool and gossips it.", "transactionHash", typeof(Hash256),
            P("transaction", typeof(string), "the serialized protobuf SignedTransaction, hex with optional 0x")) with
        {
            Errors = [BadParams, new(RpcErrorCodes.TransactionRejected, "the transaction was refused: bad signature, nonce, balance, fee or a full mempool; the message says which")],
        },
        M("iex_getTransaction", "A transaction by id, with the block that includes it.", "transaction", typeof(TransactionResult),
            P("hash", typeof(Hash256), "the transaction id iex_sendRawTransaction returned")) with { ResultNullable = true },
        M("iex_getReceipt", "The receipt of an included transaction: status, fee, failure reason.", "receipt", typeof(ReceiptResult),
            P("hash", typeof(Hash256), "the transaction id")) with { ResultNullable = true },
        M("iex_getAccount", "An account's balance, frozen amount, nonce and stake.", "account", typeof(AccountResult),
            P("address", typeof(Address), "the account")),
        M("iex_getProof", "A Merkle proof of an account's or stake's state record against the head's state root.", "proof", typeof(ProofResult),
            P("address", typeof(Address), "the account"),
            Opt("record", typeof(string), "\"account\" (default) or \"stake\"")),
        M("iex_nodeInfo", "This node: chain, head, peers, mempool, consensus position and fees.", "nodeInfo", typeof(NodeInfoResult)) with { Errors = [] },
        M("iex_chainSpec", "The chain spec JSON this node runs.", "chainSpec", typeof(JsonElement)) with { Errors = [] },
        M("iex_getValidators", "The validator set of the next height, with stake, power and standing.", "validators", typeof(ValidatorsResult)) with { Errors = [] },
        M("iex_getProposal", "A governance proposal: its change, votes and state.", "proposal", typeof(ProposalResult),
            P("id", typeof(Quantity), "the proposal id")) with { ResultNullable = true },
        M("iex_getGovernableParameters", "The parameters governance may change: value in force, spec value and bounds.", "parameters", typeof(GovernableParametersResult)) with { Errors = [] },
        M("iex_getCheckpoint", "A checkpoint with the validator signatures over it.", "checkpoint", typeof(CheckpointResult),
            P("number", typeof(Quantity), "the checkpoint's number")) with { ResultNullable = true },
        M("iex_bridgeStatus", "The bridge: supply bridged in and out, totals, deposits being attested.", "bridge", typeof(BridgeStatusResult)) with
        {
            Errors = [new(RpcErrorCodes.NotSupported, "this chain has no bridge")],
        },
        M("iex_getDeposit", "A bridge deposit, credited or being attested.", "deposit", typeof(DepositResult),
            P("id", typeof(Quantity), "the deposit's id on Ethereum")) with { ResultNullable = true },
        M("iex_getWithdrawal", "A withdrawal with its Merkle proof and the checkpoint that carries it.", "withdrawal", typeof(WithdrawalResult),
            P("id", typeof(Quantity), "the withdrawal id")) with { ResultNullable = true },
        M("iex_subscribe", "Opens a subscription to a topic (WebSocket only): notifications follow as iex_subscription.", "subscriptionId", typeof(string),
            P("topic", typeof(string), "\"newHeads\" or \"tasks\""),
            Opt("filter", typeof(JsonElement), "for \"tasks\": an object of deal, worker, requester, app, workerpool or status")) with
        {
            Errors = [BadParams, new(RpcErrorCodes.NotSupported, "called over HTTP: subscriptions need a WebSocket"), OverBudget],
        },
        M("iex_unsubscribe", "Closes a subscription of this connection (WebSocket only).", "existed", typeof(bool),
            P("id", typeof(string), "the subscription id")) with
        {
            Errors = [BadParams, new(RpcErrorCodes.NotSupported, "called over HTTP: subscriptions need a WebSocket")],
        },
        M("iex_getApp", "A registered app.", "app", typeof(AppResult), P("app", typeof(Address), "the app's address")) with { ResultNullable = true },
        M("iex_getDataset", "A registered dataset.", "dataset", typeof(DatasetResult), P("dataset", typeof(Address), "the dataset's address")) with { ResultNullable = true },
        M("iex_getPool", "A workerpool with its members, scores and SLA counters.", "workerpool", typeof(PoolResult), P("workerpool", typeof(Address), "the workerpool's address")) with { ResultNullable = true },
        M("iex_getWorker", "A worker's pool, score and open replicas.", "worker", typeof(WorkerResult), P("worker", typeof(Address), "the worker's address")) with { ResultNullable = true },
        M("iex_getOrder", "An order with its remaining volume and status.", "order", typeof(OrderResult), P("orderHash", typeof(Hash256), "the order's hash")) with { ResultNullable = true },
        M("iex_getDeal", "A deal with its prices, stakes and task ids.", "deal", typeof(DealResult), P("dealId", typeof(Hash256), "the deal id")) with { ResultNullable = true },
        M("iex_getTask", "A task with its replicas, deadlines and result.", "task", typeof(TaskResult), P("taskId", typeof(Hash256), "the task id")) with { ResultNullable = true },
        M("iex_getOrderBook", "Open orders and market totals.", "orderBook", typeof(OrderBookResult),
            Opt("filter", typeof(JsonElement), "an object of kind (app, dataset, workerpool, request), category and limit (1 to 1,000, default 100)")),
        M("iex_getCategories", "The task categories in force: limits and deadlines.", "categories", typeof(CategoryResult[])) with { Errors = [] },
        M("iex_getChunk", "One chunk of stored content with its Merkle proof.", "chunk", typeof(ChunkResult),
            P("root", typeof(Hash256), "the content's Merkle root"),
            P("index", typeof(Quantity), "the chunk's index")) with { Errors = [BadParams, NotFound] },
        M("iex_putContent", "Stores content in one call, under a statement signed by its uploader.", "stored", typeof(StoredContentResult),
            [P("data", typeof(string), "the content, 0x-hex"), .. Statement]) with { Errors = [BadParams, OverBudget] },
        M("iex_beginUpload", "Opens or resumes a chunked upload; answers the chunks still missing.", "upload", typeof(UploadProgressResult),
            [P("root", typeof(Hash256), "the content's Merkle root, computed by the uploader"),
             P("size", typeof(Quantity), "the content's size in bytes"), .. Statement]) with { Errors = [BadParams, OverBudget] },
        M("iex_putChunk", "One chunk of an open upload, with its Merkle proof.", "upload", typeof(UploadProgressResult),
            P("root", typeof(Hash256), "the upload's root"),
            P("index", typeof(Quantity), "the chunk's index"),
            P("data", typeof(string), "the chunk's bytes, 0x-hex"),
            P("proof", typeof(Hash256[]), "the siblings from the leaf up, at most 64")) with { Errors = [BadParams, NotFound] },
        M("iex_getResult", "A task's result from this node's worker.", "result", typeof(TaskOutputResult),
            P("taskId", typeof(Hash256), "the task id")) with { ResultNullable = true },
        M("iex_getWorkerDuties", "A worker's assigned tasks and which of its commits to reveal.", "duties", typeof(WorkerDutiesResult),
            P("worker", typeof(Address), "the worker"),
            Opt("tasks", typeof(Hash256[]), "tasks the worker already knows of")),
        M("iex_getWorkerJob", "The records a worker needs to run a task.", "job", typeof(WorkerJobResult),
            P("taskId", typeof(Hash256), "the task id")) with { ResultNullable = true },
        M("iex_getWorkerApps", "The WebAssembly apps offered to a worker's pool, to compile ahead.", "apps", typeof(WorkerAppsResult),
            P("worker", typeof(Address), "the worker")),
        List<NewHeadEvent>("iex_listBlocks", "Recent block headers, newest first."),
        List<TransactionEntryResult>("iex_listTransactions", "Recent transactions, or those an account sent or received, newest first.",
            Opt("account", typeof(Address), "whose transactions"),
            Opt("direction", typeof(string), "with account: \"sent\" (default) or \"received\"")),
        List<DealResult>("iex_listDeals", "Deals of one party, newest first.",
            Opt("requester", typeof(Address), "deals this requester made"),
            Opt("app", typeof(Address), "deals of this app"),
            Opt("dataset", typeof(Address), "deals of this dataset"),
            Opt("workerpool", typeof(Address), "deals of this workerpool")),
        List<TaskResult>("iex_listTasks", "Tasks of a deal (by index), of a worker, or in a status.",
            Opt("deal", typeof(Hash256), "tasks of this deal"),
            Opt("worker", typeof(Address), "tasks this worker was assigned"),
            Opt("status", typeof(string), "tasks in this status")),
        List<OrderResult>("iex_listOrders", "Orders an account placed, newest first.",
            P("owner", typeof(Address), "the account")),
        List<ProposalResult>("iex_listProposals", "Governance proposals, newest first."),
        List<CheckpointResult>("iex_listCheckpoints", "Checkpoints, newest first."),
        new RpcMethodDescription("iex_chainStats", "Transactions per second, block interval and tasks completed and failed over a window of blocks.",
            [Opt("fromBlock", typeof(Quantity), "the window's first height (default: 1,000 blocks below toBlock)"), Opt("toBlock", typeof(Quantity), "the window's last height (default: the head)")],
            "stats", typeof(ChainStatsResult))
        {
            ByName = true,
            Errors = [new(RpcErrorCodes.InvalidParams, "a window out of range or a height of the wrong type; the message names the field")],
        },
    ];

    /// <summary>The light worker's own answer to iex_nodeInfo (its other methods are the full node's).</summary>
    public static RpcMethodDescription LightWorkerNodeInfo { get; } =
        M("iex_nodeInfo", "This light worker: the node it follows, its head, and its work counters.", "nodeInfo", typeof(JsonElement)) with { Errors = [] };
}
