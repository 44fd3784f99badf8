using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Market;
using IExecChain.Storage;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.Rpc.Chain;

/// <summary>
/// The market's records as committed: iex_getApp, iex_getDataset, iex_getPool, iex_getWorker,
/// iex_getOrder, iex_getDeal, iex_getTask, iex_getOrderBook, iex_getCategories. Unknown ids answer null.
/// </summary>
public sealed class MarketRpcMethods(BlockProcessor processor, IKeyValueStore store)
{
    public const int MaxBookEntries = 1000;


    public void RegisterAll(RpcMethodRegistry registry)
    {
        registry.Register("iex_getApp", (p, _) => Done(App(AddressParam(p, "app"))));
        registry.Register("iex_getDataset", (p, _) => Done(Dataset(AddressParam(p, "dataset"))));
        registry.Register("iex_getPool", (p, _) => Done(Pool(AddressParam(p, "workerpool"))));
        registry.Register("iex_getWorker", (p, _) => Done(Worker(AddressParam(p, "worker"))));
        registry.Register("iex_getOrder", (p, _) => Done(Order(HashParam(p, 0, "orderHash"))));
        registry.Register("iex_getDeal", (p, _) => Done(Deal(HashParam(p, 0, "dealId"))));
        registry.Register("iex_getTask", (p, _) => Done(Task(HashParam(p, 0, "taskId"))));
        registry.Register("iex_getOrderBook", (p, _) => Done(OrderBook(p)));
        registry.Register("iex_getCategories", (_, _) => Done(Categories()));
    }

    /// <summary>The task categories in force (chain spec, as governance may have changed it), with their deadlines in blocks and, at the target block interval, seconds.</summary>
    private CategoryResult[] Categories()
    {
        var parameters = processor.Executor.Parameters;
        double Seconds(ulong blocks) => Math.Round(blocks * (double)parameters.BlockIntervalMs / 1000, 3);
        return parameters.Market.Categories.Select(c => new CategoryResult(
            new Quantity(c.Id),
            c.Name,
            new Quantity(c.TimeRefBlocks),
            Seconds(c.TimeRefBlocks),
            new Quantity(c.MaxFuel),
            new Quantity(c.MaxMemoryMb),
            new Quantity(c.ReplicaDeadlineBlocks),
            new Quantity(c.ContributionDeadlineBlocks),
            new Quantity(c.RevealDeadlineBlocks),
            new Quantity(c.FinalDeadlineBlocks),
            Seconds(c.ReplicaDeadlineBlocks),
            Seconds(c.FinalDeadlineBlocks))).ToArray();
    }

    private static ValueTask<object?> Done(object? result) => ValueTask.FromResult(result);

    private object? App(Address id) => MarketReader.App(processor.Tree, id) is not { } a ? null : new
    {
        id = id.ToString(),
        owner = Addr(a.Owner),
        name = a.Registration.Name,
        runtime = a.Registration.Runtime == AppRuntime.Wasm ? "wasm" : "native",
        contentRoot = Hex.Encode(a.Registration.ContentRoot.Span),
        contentSize = RpcFormat.Quantity(a.Registration.ContentSize),
        endpoint = a.Registration.Endpoint,
        manifest = a.Registration.Manifest,
        registeredAt = RpcFormat.Quantity(a.RegisteredAt),
        status = a.Status switch { AppStatus.Active => "active", AppStatus.PendingApproval => "pending-approval", _ => "revoked" },
    };

    private object? Dataset(Address id) => MarketReader.Dataset(processor.Tree, id) is not { } d ? null : new
    {
        id = id.ToString(),
        owner = Addr(d.Owner),
        name = d.Registration.Name,
        contentRoot = Hex.Encode(d.Registration.ContentRoot.Span),
        size = RpcFormat.Quantity(d.Registration.Size),
        endpoint = d.Registration.Endpoint,
        registeredAt = RpcFormat.Quantity(d.RegisteredAt),
    };

    private object? Pool(Address id)
    {
        var pool = MarketReader.Workerpool(processor.Tree, id);
        if (pool is null) return null;
        var stats = processor.Market.Statistics.Get(id);
        return new
        {
            id = id.ToString(),
            owner = Addr(pool.Owner),
            description = pool.Registration.Description,
            workerStakeRatio = pool.Registration.WorkerStakeRatio,
            schedulerRewardRatio = pool.Registration.SchedulerRewardRatio,
            allowNative = pool.Registration.AllowNative,
            workerAllow = pool.Registration.WorkerAllow.Select(Addr).ToArray(),
            workers = pool.Workers.Select(w => new { address = Addr(w), score = RpcFormat.Quantity(MarketReader.Worker(processor.Tree, new Address(w.Span))?.Score ?? 0) }).ToArray(),
            tasksCompleted = RpcFormat.Quantity(pool.TasksCompleted),
            tasksFailed = RpcFormat.Quantity(pool.TasksFailed),
            tasksReversed = RpcFormat.Quantity(pool.TasksReversed),
            meanWorkerScore = RpcFormat.Quantity(stats.MeanWorkerScore),
            reliability = stats.Reliability,
            trust = stats.Trust,
            registeredAt = RpcFormat.Quantity(pool.RegisteredAt),
        };
    }

    private object? Worker(Address id) => MarketReader.Worker(processor.Tree, id) is not { } w ? null : new
    {
        address = id.ToString(),
        workerpool = w.Workerpool.IsEmpty ? null : Addr(w.Workerpool),
        endpoint = w.Endpoint,
        score = RpcFormat.Quantity(w.Score),
        assignments = w.Assignments.Select(Hash).ToArray(),
        contributions = RpcFormat.Quantity(w.Contributions),
        wins = RpcFormat.Quantity(w.Wins),
        losses = RpcFormat.Quantity(w.Losses),
    };

    internal object? Order(Hash256 hash) => MarketReader.Order(processor.Tree, hash) is not { } o ? null : FormatOrder(hash, o);

    private static object FormatOrder(Hash256 hash, OrderRecord o)
    {
        IMessage wire = o.Kind switch
        {
            OrderKind.App => AppOrder.Parser.ParseFrom(o.Order),
            OrderKind.Dataset => DatasetOrder.Parser.ParseFrom(o.Order),
            OrderKind.Workerpool => WorkerpoolOrder.Parser.ParseFrom(o.Order),
            _ => RequestOrder.Parser.ParseFrom(o.Order),
        };
        return new
        {
            hash = hash.ToString(),
            kind = KindName(o.Kind),
            owner = Addr(o.Owner),
            status = o.Status switch { OrderStatus.Open => "open", OrderStatus.Filled => "filled", _ => "cancelled" },
            remaining = RpcFormat.Quantity(o.Remaining),
            sequence = RpcFormat.Quantity(o.Sequence),
            placedAt = RpcFormat.Quantity(o.PlacedAt),
            lockPerUnit = RpcFormat.Quantity(o.LockPerUnit),
            dealCount = RpcFormat.Quantity(o.DealCount),
            deals = o.Kind == OrderKind.Request ? o.Deals.Select(Hash).ToArray() : null,
            order = Fields(wire),
        };
    }

    internal object? Deal(Hash256 id) => MarketReader.Deal(processor.Tree, id) is not { } d ? null : new
    {
        id = id.ToString(),
        app = Addr(d.App),
        dataset = d.Dataset.IsEmpty ? null : Addr(d.Dataset),
        workerpool = Addr(d.Workerpool),
        requester = Addr(d.Requester),
        beneficiary = Addr(d.Beneficiary),
        requestHash = Hash(d.RequestHash),
        appOrderHash = Hash(d.AppOrderHash),
        datasetOrderHash = d.DatasetOrderHash.IsEmpty ? null : Hash(d.DatasetOrderHash),
        workerpoolOrderHash = Hash(d.WorkerpoolOrderHash),
        appPrice = RpcFormat.Quantity(d.AppPrice),
        datasetPrice = RpcFormat.Quantity(d.DatasetPrice),
        workerpoolPrice = RpcFormat.Quantity(d.PoolPrice),
        poolStake = RpcFormat.Quantity(d.PoolStake),
        workerStake = RpcFormat.Quantity(d.WorkerStake),
        schedulerRewardRatio = d.SchedulerRatio,
        trust = RpcFormat.Quantity(d.Trust),
        category = RpcFormat.Quantity(d.Category),
        tag = "0x" + d.Tag.ToString("x16"),
        @params = d.Params,
        firstTaskIndex = RpcFormat.Quantity(d.FirstTaskIndex),
        volume = RpcFormat.Quantity(d.Volume),
        createdAt = RpcFormat.Quantity(d.CreatedAt),
        started = RpcFormat.Quantity(d.Initialized - d.Expired),
        completed = RpcFormat.Quantity(d.Completed),
        failed = RpcFormat.Quantity(d.Failed),
        tasks = Enumerable.Range(0, (int)Math.Min(d.Volume, 1000)).Select(i => MarketBlock.TaskId(id, d.FirstTaskIndex + (ulong)i).ToString()).ToArray(),
    };

    internal object? Task(Hash256 id)
    {
        var t = MarketReader.Task(processor.Tree, id);
        if (t is null) return null;
        return new
        {
            id = id.ToString(),
            dealId = Hash(t.DealId),
            index = RpcFormat.Quantity(t.Index),
            status = MarketBlock.StatusName(t.Status),
            startHeight = RpcFormat.Quantity(t.StartHeight),
            contributionDeadline = RpcFormat.Quantity(t.ContributionDeadline),
            revealDeadline = t.RevealDeadline == 0 ? null : RpcFormat.Quantity(t.RevealDeadline),
            finalDeadline = RpcFormat.Quantity(t.FinalDeadline),
            consensusHash = t.ConsensusHash.IsEmpty ? null : Hash(t.ConsensusHash),
            resultDigest = t.ResultDigest.IsEmpty ? null : Hash(t.ResultDigest),
            finishedAt = t.Status is TaskStatus.Completed or TaskStatus.Failed ? RpcFormat.Quantity(t.FinishedAt) : null,
            outcome = t.Outcome is null ? null : ReasonText.Default.Describe(t.Outcome),
            outcomeReason = t.Outcome is null ? null : RpcFormat.Reason(t.Outcome),
            awaitingWorkers = t.AwaitingWorkers,
            replicas = t.Replicas.Select(FormatReplica).ToArray(),
            windowEnd = t.WindowEnd == 0 ? null : RpcFormat.Quantity(t.WindowEnd),
            pending = t.Pending.Select(p => new
            {
                worker = Addr(p.Worker),
                stake = RpcFormat.Quantity(p.Stake),
                reward = RpcFormat.Quantity(p.Reward),
                scoreGain = p.ScoreGain,
            }).ToArray(),
            originalDigest = t.OriginalDigest.IsEmpty ? null : Hash(t.OriginalDigest),
            verification = t.Verification is not { } v ? null : new
            {
                kind = v.Challenger.IsEmpty ? "spot-check" : "challenge",
                challenger = v.Challenger.IsEmpty ? null : Addr(v.Challenger),
                bond = v.Challenger.IsEmpty ? null : RpcFormat.Quantity(v.Bond),
                phase = MarketBlock.PhaseName(v.Phase),
                startedAt = RpcFormat.Quantity(v.StartedAt),
                revealDeadline = v.RevealDeadline == 0 ? null : RpcFormat.Quantity(v.RevealDeadline),
                finalDeadline = RpcFormat.Quantity(v.FinalDeadline),
                resultDigest = v.ResultDigest.IsEmpty ? null : Hash(v.ResultDigest),
                concludedAt = v.ConcludedAt == 0 ? null : RpcFormat.Quantity(v.ConcludedAt),
                outcome = v.Outcome is null ? null : ReasonText.Default.Describe(v.Outcome),
                outcomeReason = v.Outcome is null ? null : RpcFormat.Reason(v.Outcome),
                verifiers = v.Replicas.Select(FormatReplica).ToArray(),
            },
        };
    }

    private static object FormatReplica(Replica r) => new
    {
        worker = Addr(r.Worker),
        status = r.Status.ToString().ToLowerInvariant() switch { "timedout" => "timed-out", var s => s },
        assignedAt = RpcFormat.Quantity(r.AssignedAt),
        deadline = RpcFormat.Quantity(r.Deadline),
        resultHash = r.ResultHash.IsEmpty ? null : Hash(r.ResultHash),
        score = r.ResultHash.IsEmpty && r.Status != ReplicaStatus.Failed ? null : RpcFormat.Quantity(r.Score),
        resultDigest = r.ResultDigest.IsEmpty ? null : Hash(r.ResultDigest),
        failure = r.Status == ReplicaStatus.Failed ? MarketBlock.FailureName(r.Failure) : null,
    };

    /// <summary>Open orders (committed), by placement sequence; filters: kind, category (workerpool and request orders), limit.</summary>
    private object OrderBook(RpcParams p)
    {
        string? kindText = null;
        ulong? category = null;
        int limit = 100;
        if (p.Get(0, "filter") is { } filter)
        {
            if (filter.ValueKind != JsonValueKind.Object) throw new RpcException(RpcErrorCodes.InvalidParams, "filter must be an object {kind?, category?, limit?}");
            foreach (var property in filter.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "kind":
                        kindText = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                        if (kindText is not ("app" or "dataset" or "workerpool" or "request")) throw new RpcException(RpcErrorCodes.InvalidParams, "filter.kind must be app, dataset, workerpool or request");
                        break;
                    case "category":
                        if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetUInt64(out var c)) throw new RpcException(RpcErrorCodes.InvalidParams, "filter.category must be a non-negative integer");
                        category = c;
                        break;
                    case "limit":
                        if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out limit) || limit < 1 || limit > MaxBookEntries)
                            throw new RpcException(RpcErrorCodes.InvalidParams, $"filter.limit must be 1..{MaxBookEntries}");
                        break;
                    default:
                        throw new RpcException(RpcErrorCodes.InvalidParams, $"filter.{property.Name} is not a known filter (kind, category, limit)");
                }
            }
        }
        var entries = new List<(ulong Sequence, Hash256 Hash, OrderRecord Record)>();
        foreach (var hash in MarketReader.OpenOrders(store))
        {
            var o = MarketReader.Order(processor.Tree, hash);
            if (o is null || (kindText is not null && KindName(o.Kind) != kindText)) continue;
            if (category is { } wanted)
            {
                ulong orderCategory = o.Kind switch
                {
                    OrderKind.Workerpool => WorkerpoolOrder.Parser.ParseFrom(o.Order).Category,
                    OrderKind.Request => RequestOrder.Parser.ParseFrom(o.Order).Category,
                    _ => ulong.MaxValue,
                };
                if (orderCategory != wanted) continue;
            }
            entries.Add((o.Sequence, hash, o));
        }
        entries.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        var totals = MarketReader.Totals(processor.Tree);
        return new
        {
            height = RpcFormat.Quantity(processor.Head.Height),
            open = entries.Count,
            orders = entries.Take(limit).Select(e => FormatOrder(e.Hash, e.Record)).ToArray(),
            totals = new
            {
                deals = RpcFormat.Quantity(totals.Deals),
                tasksStarted = RpcFormat.Quantity(totals.TasksStarted),
                tasksCompleted = RpcFormat.Quantity(totals.TasksCompleted),
                tasksFailed = RpcFormat.Quantity(totals.TasksFailed),
                tasksAwaitingWorkers = totals.TasksAwaitingWorkers.Count,
                dealsWaitingToStart = totals.DealsToStart.Count,
                kitty = RpcFormat.Quantity(totals.Kitty),
                spotChecks = RpcFormat.Quantity(totals.SpotChecks),
                challenges = RpcFormat.Quantity(totals.Challenges),
                reversals = RpcFormat.Quantity(totals.Reversals),
            },
        };
    }

    /// <summary>
    /// An order's fields as JSON, named as in the .proto (camelCase): addresses and other bytes as 0x-hex,
    /// amounts as decimal strings, default values left out, attributes as {name: value}.
    /// </summary>
    private static Dictionary<string, object?> Fields(IMessage message)
    {
        var result = new Dictionary<string, object?>();
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            var value = field.Accessor.GetValue(message);
            object? json = field switch
            {
                { IsRepeated: true, FieldType: Google.Protobuf.Reflection.FieldType.Bytes } => ((IEnumerable<ByteString>)value).Select(b => Hex.Encode(b.Span)).ToArray() is { Length: > 0 } list ? list : null,
                { IsRepeated: true } when field.MessageType == Core.Wire.Attribute.Descriptor =>
                    ((IEnumerable<Core.Wire.Attribute>)value).ToDictionary(a => a.Name, a => a.ValueCase switch
                    {
                        Core.Wire.Attribute.ValueOneofCase.IntValue => (object)a.IntValue,
                        Core.Wire.Attribute.ValueOneofCase.BoolValue => a.BoolValue,
                        _ => a.StringValue,
                    }) is { Count: > 0 } attributes ? attributes : null,
                { FieldType: Google.Protobuf.Reflection.FieldType.Bytes } => ((ByteString)value).IsEmpty ? null : Hex.Encode(((ByteString)value).Span),
                { FieldType: Google.Protobuf.Reflection.FieldType.Message } => value is IMessage inner ? Fields(inner) : null,
                { FieldType: Google.Protobuf.Reflection.FieldType.String } => (string)value is { Length: > 0 } text ? text : null,
                { FieldType: Google.Protobuf.Reflection.FieldType.Fixed64 } => (ulong)value == 0 ? null : "0x" + ((ulong)value).ToString("x16", System.Globalization.CultureInfo.InvariantCulture),
                { FieldType: Google.Protobuf.Reflection.FieldType.UInt64 } => (ulong)value == 0 ? null : ((ulong)value).ToString(System.Globalization.CultureInfo.InvariantCulture),
                { FieldType: Google.Protobuf.Reflection.FieldType.UInt32 } => (uint)value == 0 ? null : (uint)value,
                _ => value.ToString(),
            };
            if (json is not null) result[field.JsonName] = json;
        }
        return result;
    }

    private static string KindName(OrderKind kind) => kind switch
    {
        OrderKind.App => "app",
        OrderKind.Dataset => "dataset",
        OrderKind.Workerpool => "workerpool",
        _ => "request",
    };

    private static string Addr(ByteString bytes) => new Address(bytes.Span).ToString();

    private static string Hash(ByteString bytes) => new Hash256(bytes.Span).ToString();

    private static Address AddressParam(RpcParams p, string name) =>
        Address.TryParse(p.GetString(0, name), out var address, out var error) ? address : throw new RpcException(RpcErrorCodes.InvalidParams, $"{name}: {error}");

    internal static Hash256 HashParam(RpcParams p, int index, string name)
    {
        var text = p.GetString(index, name);
        if (text.Length != 66 || !text.StartsWith("0x", StringComparison.Ordinal)) throw new RpcException(RpcErrorCodes.InvalidParams, $"{name} must be a 0x-prefixed 32-byte hex string");
        try
        {
            return new Hash256(Convert.FromHexString(text.AsSpan(2)));
        }
        catch (FormatException)
        {
            throw new RpcException(RpcErrorCodes.InvalidParams, $"{name} must be a 0x-prefixed 32-byte hex string");
        }
    }
}
