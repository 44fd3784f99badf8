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

    /// <param name="parameters">As <see cref="ContentUpload.Params"/> makes them: the content, signed by its uploader.</param>
    public Task<StoredContentResult> PutContentAsync(object?[] parameters) => CallAsync<StoredContentResult>("iex_putContent", parameters);

    public Task<ChunkResult> GetChunkAsync(string root, ulong index) => CallAsync<ChunkResult>("iex_getChunk", root, RpcQuantity.Format(index));

    private async Task<T> CallAsync<T>(string method, params object?[] parameters) =>
        RpcJson.Read<T>(await Json.CallAsync(method, parameters).ConfigureAwait(false), method);

    private async Task<T?> CallOrNullAsync<T>(string method, params object?[] parameters) where T : class =>
        RpcJson.ReadOrNull<T>(await Json.CallAsync(method, parameters).ConfigureAwait(false), method);

    private static JsonRpcClientException MissingAnswer(string method) => new(-1, $"the node left a call of {method} in a batch unanswered");

    public void Dispose()
    {
        if (_ownsJson) Json.Dispose();
    }
}
