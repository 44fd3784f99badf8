using System.Globalization;
using System.Text.Json;

namespace IExecChain.Rpc.Contracts.Client;

/// <summary>
/// The node's iex_* methods as typed calls over <see cref="JsonRpcClient"/>: each returns the contract
/// record of its result (docs/rpc.md), so a consumer reads members, not JSON. Methods that answer null
/// when there is nothing return null. Errors are <see cref="JsonRpcClientException"/>, as from the
/// untyped client, which stays reachable as <see cref="Json"/> for calls this class does not cover.
/// </summary>
public sealed class NodeRpcClient : IDisposable
{
    private readonly bool _ownsJson;

    public NodeRpcClient(Uri endpoint, TimeSpan? timeout = null) : this(new JsonRpcClient(endpoint, timeout), ownsJson: true)
    {
    }

    /// <param name="ownsJson">Whether disposing this client disposes <paramref name="json"/>.</param>
    public NodeRpcClient(JsonRpcClient json, bool ownsJson = false)
    {
        Json = json;
        _ownsJson = ownsJson;
    }

    public JsonRpcClient Json { get; }

    public Uri Endpoint => Json.Endpoint;

    public async Task<ulong> ChainIdAsync() => JsonRpcClient.Quantity(await Json.CallAsync("iex_chainId").ConfigureAwait(false));

    public async Task<ulong> BlockNumberAsync() => JsonRpcClient.Quantity(await Json.CallAsync("iex_blockNumber").ConfigureAwait(false));

    public Task<NodeInfoResult> NodeInfoAsync() => CallAsync<NodeInfoResult>("iex_nodeInfo");

    /// <summary>The chain spec file the node runs, as text, or null when it does not serve one.</summary>
    public async Task<string?> ChainSpecAsync()
    {
        var result = await Json.CallAsync("iex_chainSpec").ConfigureAwait(false);
        return result.ValueKind == JsonValueKind.Null ? null : RpcJson.Read<string>(result, "iex_chainSpec");
    }

    public Task<AccountResult> GetAccountAsync(string address) => CallAsync<AccountResult>("iex_getAccount", address);

    /// <summary>The block at <paramref name="height"/> with its transaction hashes, or null above the head.</summary>
    public Task<BlockResult<string>?> GetBlockByNumberAsync(ulong height) =>
        CallOrNullAsync<BlockResult<string>>("iex_getBlockByNumber", RpcQuantity.Format(height), false);

    /// <summary>The block at <paramref name="height"/> with its transactions in full, or null above the head.</summary>
    public Task<BlockResult<TransactionResult>?> GetBlockWithTransactionsAsync(ulong height) =>
        CallOrNullAsync<BlockResult<TransactionResult>>("iex_getBlockByNumber", RpcQuantity.Format(height), true);

    public Task<BlockResult<string>?> GetBlockByHashAsync(string hash) => CallOrNullAsync<BlockResult<string>>("iex_getBlockByHash", hash, false);

    public Task<TransactionResult?> GetTransactionAsync(string hash) => CallOrNullAsync<TransactionResult>("iex_getTransaction", hash);

    /// <summary>The receipt of a transaction in a block, or null while it is not in one.</summary>
    public Task<ReceiptResult?> GetReceiptAsync(string hash) => CallOrNullAsync<ReceiptResult>("iex_getReceipt", hash);

    /// <param name="record">"account" or "stake".</param>
    public Task<ProofResult> GetProofAsync(string address, string record = "account") => CallAsync<ProofResult>("iex_getProof", address, record);

    /// <summary>Submits a signed transaction (0x-hex); returns its hash.</summary>
    public Task<string> SendRawTransactionAsync(string signedHex) => CallAsync<string>("iex_sendRawTransaction", signedHex);

    /// <summary>Submits many signed transactions in one batch; each entry is the hash or the node's refusal, in order.</summary>
    public async Task<List<(string? Hash, JsonRpcClientException? Error)>> SendRawTransactionsAsync(IReadOnlyList<string> signedHex, CancellationToken ct = default)
    {
        var parameters = new List<object?[]>(signedHex.Count);
        foreach (string hex in signedHex) parameters.Add([hex]);
        var answers = await Json.CallBatchAsync("iex_sendRawTransaction", parameters, ct).ConfigureAwait(false);
        var results = new List<(string?, JsonRpcClientException?)>(answers.Count);
        foreach (var (result, error) in answers)
            results.Add(result is { } r ? (RpcJson.Read<string>(r, "iex_sendRawTransaction"), null) : (null, error ?? MissingAnswer("iex_sendRawTransaction")));
        return results;
    }

    /// <summary>Checkpoint <paramref name="number"/>, or null when the chain has none with that number.</summary>
    public Task<CheckpointResult?> GetCheckpointAsync(ulong number) =>
        CallOrNullAsync<CheckpointResult>("iex_getCheckpoint", number.ToString(CultureInfo.InvariantCulture));

    /// <summary>The latest checkpoint, or null before the first.</summary>
    public Task<CheckpointResult?> GetLatestCheckpointAsync() => CallOrNullAsync<CheckpointResult>("iex_getCheckpoint", "latest");

    public async Task<IReadOnlyList<CategoryResult>> GetCategoriesAsync() => await CallAsync<List<CategoryResult>>("iex_getCategories").ConfigureAwait(false);

    public Task<ValidatorsResult> GetValidatorsAsync() => CallAsync<ValidatorsResult>("iex_getValidators");

    public Task<BridgeStatusResult> BridgeStatusAsync() => CallAsync<BridgeStatusResult>("iex_bridgeStatus");

    /// <summary>Deposit <paramref name="id"/>, credited or being attested, or null when validators have seen none with that id.</summary>
    public Task<DepositStatusResult?> GetDepositAsync(ulong id) => CallOrNullAsync<DepositStatusResult>("iex_getDeposit", RpcQuantity.Format(id));

    public Task<WithdrawalResult?> GetWithdrawalAsync(ulong id) => CallOrNullAsync<WithdrawalResult>("iex_getWithdrawal", RpcQuantity.Format(id));

    /// <param name="tasks">Tasks the worker has committed to, to learn which to reveal and which are closed.</param>
    public Task<WorkerDutiesResult> GetWorkerDutiesAsync(string worker, IReadOnlyList<string> tasks) =>
        CallAsync<WorkerDutiesResult>("iex_getWorkerDuties", worker, tasks);

    /// <summary>
    /// The jobs of many tasks in one batch, in order: each entry is the job, or null when the task has
    /// none (unknown or over), or the node's error for that task.
    /// </summary>
    public async Task<List<(WorkerJobResult? Job, JsonRpcClientException? Error)>> GetWorkerJobsAsync(IReadOnlyList<string> taskIds, CancellationToken ct = default)
    {
        var parameters = new List<object?[]>(taskIds.Count);
        foreach (string id in taskIds) parameters.Add([id]);
        var answers = await Json.CallBatchAsync("iex_getWorkerJob", parameters, ct).ConfigureAwait(false);
        var jobs = new List<(WorkerJobResult?, JsonRpcClientException?)>(answers.Count);
        foreach (var (result, error) in answers)
            jobs.Add(result is { } r ? (RpcJson.ReadOrNull<WorkerJobResult>(r, "iex_getWorkerJob"), null) : (null, error ?? MissingAnswer("iex_getWorkerJob")));
        return jobs;
    }

    public Task<WorkerAppsResult> GetWorkerAppsAsync(string worker) => CallAsync<WorkerAppsResult>("iex_getWorkerApps", worker);

    public Task<AppResult?> GetAppAsync(string app) => CallOrNullAsync<AppResult>("iex_getApp", app);

    public Task<DatasetResult?> GetDatasetAsync(string dataset) => CallOrNullAsync<DatasetResult>("iex_getDataset", dataset);

    public Task<PoolResult?> GetPoolAsync(string workerpool) => CallOrNullAsync<PoolResult>("iex_getPool", workerpool);

    /// <summary>The worker's record, or null when the address never staked or joined a pool.</summary>
    public Task<WorkerResult?> GetWorkerAsync(string worker) => CallOrNullAsync<WorkerResult>("iex_getWorker", worker);

    public Task<OrderResult?> GetOrderAsync(string orderHash) => CallOrNullAsync<OrderResult>("iex_getOrder", orderHash);

    public Task<DealResult?> GetDealAsync(string dealId) => CallOrNullAsync<DealResult>("iex_getDeal", dealId);

    public Task<TaskResult?> GetTaskAsync(string taskId) => CallOrNullAsync<TaskResult>("iex_getTask", taskId);

    /// <summary>Open orders in placement order, with the market's totals.</summary>
    /// <param name="kind">"app", "dataset", "workerpool" or "request"; null for all.</param>
    /// <param name="category">Only workerpool and request orders of this category.</param>
    /// <param name="limit">1 to 1,000 orders; null for the node's default (100).</param>
    public Task<OrderBookResult> GetOrderBookAsync(string? kind = null, ulong? category = null, int? limit = null)
    {
        var filter = new Dictionary<string, object>();
        if (kind is not null) filter["kind"] = kind;
        if (category is { } c) filter["category"] = c;
        if (limit is { } l) filter["limit"] = l;
        return CallAsync<OrderBookResult>("iex_getOrderBook", filter);
    }

    /// <summary>
    /// The result of a task as the worker that computed it stored it, or null when it holds none. Ask the
    /// worker's node (its <see cref="WorkerResult.Endpoint"/>), not a validator.
    /// </summary>
    public Task<TaskOutputResult?> GetResultAsync(string taskId) => CallOrNullAsync<TaskOutputResult>("iex_getResult", taskId);

    public Task<ProposalResult?> GetProposalAsync(ulong id) => CallOrNullAsync<ProposalResult>("iex_getProposal", id.ToString(CultureInfo.InvariantCulture));

    public Task<GovernableParametersResult> GetGovernableParametersAsync() => CallAsync<GovernableParametersResult>("iex_getGovernableParameters");

    /// <summary>Block headers, newest first. <paramref name="cursor"/> is the <see cref="PageResult{TItem}.Next"/> of the previous page.</summary>
    public Task<PageResult<NewHeadEvent>> ListBlocksAsync(int? limit = null, string? cursor = null) =>
        ListAsync<NewHeadEvent>("iex_listBlocks", limit, cursor);

    /// <param name="account">Only this account's transactions; null for every transaction.</param>
    /// <param name="direction">With <paramref name="account"/>: "sent", "received" or "all" (null).</param>
    public Task<PageResult<TransactionEntryResult>> ListTransactionsAsync(string? account = null, string? direction = null, int? limit = null, string? cursor = null) =>
        ListAsync<TransactionEntryResult>("iex_listTransactions", limit, cursor, ("account", account), ("direction", direction));

    /// <param name="party">"requester", "app", "dataset" or "workerpool".</param>
    public Task<PageResult<DealResult>> ListDealsAsync(string party, string address, int? limit = null, string? cursor = null) =>
        ListAsync<DealResult>("iex_listDeals", limit, cursor, (party, address));

    /// <param name="filter">"deal" (a deal id), "worker" (an address) or "status" ("active", "revealing", "completed", "failed").</param>
    public Task<PageResult<TaskResult>> ListTasksAsync(string filter, string value, int? limit = null, string? cursor = null) =>
        ListAsync<TaskResult>("iex_listTasks", limit, cursor, (filter, value));

    public Task<PageResult<OrderResult>> ListOrdersAsync(string owner, int? limit = null, string? cursor = null) =>
        ListAsync<OrderResult>("iex_listOrders", limit, cursor, ("owner", owner));

    public Task<PageResult<ProposalResult>> ListProposalsAsync(int? limit = null, string? cursor = null) =>
        ListAsync<ProposalResult>("iex_listProposals", limit, cursor);

    public Task<PageResult<CheckpointResult>> ListCheckpointsAsync(int? limit = null, string? cursor = null) =>
        ListAsync<CheckpointResult>("iex_listCheckpoints", limit, cursor);

    /// <summary>Figures over blocks <paramref name="fromBlock"/> to <paramref name="toBlock"/> (default: the last 100 up to the head).</summary>
    public Task<ChainStatsResult> ChainStatsAsync(ulong? fromBlock = null, ulong? toBlock = null)
    {
        var fields = new Dictionary<string, object>();
        if (fromBlock is { } from) fields["fromBlock"] = RpcQuantity.Format(from);
        if (toBlock is { } to) fields["toBlock"] = RpcQuantity.Format(to);
        return CallAsync<ChainStatsResult>("iex_chainStats", fields);
    }

    /// <param name="parameters">As <see cref="ContentUpload.Params"/> makes them: the content, signed by its uploader.</param>
    public Task<StoredContentResult> PutContentAsync(object?[] parameters) => CallAsync<StoredContentResult>("iex_putContent", parameters);

    public Task<ChunkResult> GetChunkAsync(string root, ulong index) => CallAsync<ChunkResult>("iex_getChunk", root, RpcQuantity.Format(index));

    private async Task<T> CallAsync<T>(string method, params object?[] parameters) =>
        RpcJson.Read<T>(await Json.CallAsync(method, parameters).ConfigureAwait(false), method);

    private async Task<T?> CallOrNullAsync<T>(string method, params object?[] parameters) where T : class =>
        RpcJson.ReadOrNull<T>(await Json.CallAsync(method, parameters).ConfigureAwait(false), method);

    /// <summary>A list query: one object of named fields, those given (not null), the limit and the cursor.</summary>
    private Task<PageResult<T>> ListAsync<T>(string method, int? limit, string? cursor, params (string Name, string? Value)[] filters)
    {
        var fields = new Dictionary<string, object>();
        foreach (var (name, value) in filters)
            if (value is not null) fields[name] = value;
        if (limit is { } l) fields["limit"] = l;
        if (cursor is not null) fields["cursor"] = cursor;
        return CallAsync<PageResult<T>>(method, fields);
    }

    private static JsonRpcClientException MissingAnswer(string method) => new(-1, $"the node left a call of {method} in a batch unanswered");

    public void Dispose()
    {
        if (_ownsJson) Json.Dispose();
    }
}
