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

    private AppResult? App(Address id) => MarketReader.App(processor.Tree, id) is not { } a ? null : new AppResult(
        id.ToString(),
        Addr(a.Owner),
        a.Registration.Name,
        a.Registration.Runtime == AppRuntime.Wasm ? "wasm" : "native",
        Hex.Encode(a.Registration.ContentRoot.Span),
        Q(a.Registration.ContentSize),
        a.Registration.Endpoint,
        a.Registration.Manifest,
        Q(a.RegisteredAt),
        a.Status switch { AppStatus.Active => "active", AppStatus.PendingApproval => "pending-approval", _ => "revoked" });

    private DatasetResult? Dataset(Address id) => MarketReader.Dataset(processor.Tree, id) is not { } d ? null : new DatasetResult(
        id.ToString(),
        Addr(d.Owner),
        d.Registration.Name,
        Hex.Encode(d.Registration.ContentRoot.Span),
        Q(d.Registration.Size),
        d.Registration.Endpoint,
        Q(d.RegisteredAt));

    private PoolResult? Pool(Address id)
    {
        var pool = MarketReader.Workerpool(processor.Tree, id);
        if (pool is null) return null;
        var stats = processor.Market.Statistics.Get(id);
        return new PoolResult(
            id.ToString(),
            Addr(pool.Owner),
            pool.Registration.Description,
            pool.Registration.WorkerStakeRatio,
            pool.Registration.SchedulerRewardRatio,
            pool.Registration.AllowNative,
            pool.Registration.WorkerAllow.Select(Addr).ToArray(),
            pool.Workers.Select(w => new PoolWorkerResult(Addr(w), Q(MarketReader.Worker(processor.Tree, new Address(w.Span))?.Score ?? 0))).ToArray(),
            Q(pool.TasksCompleted),
            Q(pool.TasksFailed),
            Q(pool.TasksReversed),
            Q(stats.MeanWorkerScore),
            stats.Reliability,
            stats.Trust,
            Q(pool.RegisteredAt));
    }

    private WorkerResult? Worker(Address id) => MarketReader.Worker(processor.Tree, id) is not { } w ? null : new WorkerResult
    {
        Address = id.ToString(),
        Workerpool = w.Workerpool.IsEmpty ? null : Addr(w.Workerpool),
        Endpoint = w.Endpoint,
        Score = Q(w.Score),
        Assignments = w.Assignments.Select(Hash).ToArray(),
        Contributions = Q(w.Contributions),
        Wins = Q(w.Wins),
        Losses = Q(w.Losses),
    };

    internal OrderResult? Order(Hash256 hash) => MarketReader.Order(processor.Tree, hash) is not { } o ? null : FormatOrder(hash, o);

    private static OrderResult FormatOrder(Hash256 hash, OrderRecord o)
    {
        IMessage wire = o.Kind switch
        {
            OrderKind.App => AppOrder.Parser.ParseFrom(o.Order),
            OrderKind.Dataset => DatasetOrder.Parser.ParseFrom(o.Order),
            OrderKind.Workerpool => WorkerpoolOrder.Parser.ParseFrom(o.Order),
            _ => RequestOrder.Parser.ParseFrom(o.Order),
        };
        return new OrderResult
        {
            Hash = hash.ToString(),
            Kind = KindName(o.Kind),
            Owner = Addr(o.Owner),
            Status = o.Status switch { OrderStatus.Open => "open", OrderStatus.Filled => "filled", _ => "cancelled" },
            Remaining = Q(o.Remaining),
            Sequence = Q(o.Sequence),
            PlacedAt = Q(o.PlacedAt),
            LockPerUnit = Q(o.LockPerUnit),
            DealCount = Q(o.DealCount),
            Deals = o.Kind == OrderKind.Request ? o.Deals.Select(Hash).ToArray() : null,
            Order = JsonSerializer.SerializeToElement(Fields(wire), RpcResponseWriter.SerializerOptions),
        };
    }

    internal DealResult? Deal(Hash256 id) => MarketReader.Deal(processor.Tree, id) is not { } d ? null : new DealResult
    {
        Id = id.ToString(),
        App = Addr(d.App),
        Dataset = d.Dataset.IsEmpty ? null : Addr(d.Dataset),
        Workerpool = Addr(d.Workerpool),
        Requester = Addr(d.Requester),
        Beneficiary = Addr(d.Beneficiary),
        RequestHash = Hash(d.RequestHash),
        AppOrderHash = Hash(d.AppOrderHash),
        DatasetOrderHash = d.DatasetOrderHash.IsEmpty ? null : Hash(d.DatasetOrderHash),
        WorkerpoolOrderHash = Hash(d.WorkerpoolOrderHash),
        AppPrice = Q(d.AppPrice),
        DatasetPrice = Q(d.DatasetPrice),
        WorkerpoolPrice = Q(d.PoolPrice),
        PoolStake = Q(d.PoolStake),
        WorkerStake = Q(d.WorkerStake),
        SchedulerRewardRatio = d.SchedulerRatio,
        Trust = Q(d.Trust),
        Category = Q(d.Category),
        Tag = "0x" + d.Tag.ToString("x16"),
        Params = d.Params,
        FirstTaskIndex = Q(d.FirstTaskIndex),
        Volume = Q(d.Volume),
        CreatedAt = Q(d.CreatedAt),
        Started = Q(d.Initialized - d.Expired),
        Completed = Q(d.Completed),
        Failed = Q(d.Failed),
        Tasks = Enumerable.Range(0, (int)Math.Min(d.Volume, 1000)).Select(i => MarketBlock.TaskId(id, d.FirstTaskIndex + (ulong)i).ToString()).ToArray(),
    };

    internal TaskResult? Task(Hash256 id)
    {
        var t = MarketReader.Task(processor.Tree, id);
        if (t is null) return null;
        return new TaskResult
        {
            Id = id.ToString(),
            DealId = Hash(t.DealId),
            Index = Q(t.Index),
            Status = MarketBlock.StatusName(t.Status),
            StartHeight = Q(t.StartHeight),
            ContributionDeadline = Q(t.ContributionDeadline),
            RevealDeadline = t.RevealDeadline == 0 ? null : Q(t.RevealDeadline),
            FinalDeadline = Q(t.FinalDeadline),
            ConsensusHash = t.ConsensusHash.IsEmpty ? null : Hash(t.ConsensusHash),
            ResultDigest = t.ResultDigest.IsEmpty ? null : Hash(t.ResultDigest),
            FinishedAt = t.Status is TaskStatus.Completed or TaskStatus.Failed ? Q(t.FinishedAt) : null,
            Outcome = t.Outcome is null ? null : ReasonText.Default.Describe(t.Outcome),
            OutcomeReason = t.Outcome is null ? null : RpcFormat.Reason(t.Outcome),
            AwaitingWorkers = t.AwaitingWorkers,
            Replicas = t.Replicas.Select(FormatReplica).ToArray(),
            WindowEnd = t.WindowEnd == 0 ? null : Q(t.WindowEnd),
            Pending = t.Pending.Select(p => new PendingPaymentResult(Addr(p.Worker), Q(p.Stake), Q(p.Reward), p.ScoreGain)).ToArray(),
            OriginalDigest = t.OriginalDigest.IsEmpty ? null : Hash(t.OriginalDigest),
            Verification = t.Verification is not { } v ? null : new VerificationResult
            {
                Kind = v.Challenger.IsEmpty ? "spot-check" : "challenge",
                Challenger = v.Challenger.IsEmpty ? null : Addr(v.Challenger),
                Bond = v.Challenger.IsEmpty ? null : Q(v.Bond),
                Phase = MarketBlock.PhaseName(v.Phase),
                StartedAt = Q(v.StartedAt),
                RevealDeadline = v.RevealDeadline == 0 ? null : Q(v.RevealDeadline),
                FinalDeadline = Q(v.FinalDeadline),
                ResultDigest = v.ResultDigest.IsEmpty ? null : Hash(v.ResultDigest),
                ConcludedAt = v.ConcludedAt == 0 ? null : Q(v.ConcludedAt),
                Outcome = v.Outcome is null ? null : ReasonText.Default.Describe(v.Outcome),
                OutcomeReason = v.Outcome is null ? null : RpcFormat.Reason(v.Outcome),
                Verifiers = v.Replicas.Select(FormatReplica).ToArray(),
            },
        };
    }

    private static ReplicaResult FormatReplica(Replica r) => new()
    {
        Worker = Addr(r.Worker),
        Status = r.Status.ToString().ToLowerInvariant() switch { "timedout" => "timed-out", var s => s },
        AssignedAt = Q(r.AssignedAt),
        Deadline = Q(r.Deadline),
        ResultHash = r.ResultHash.IsEmpty ? null : Hash(r.ResultHash),
        Score = r.ResultHash.IsEmpty && r.Status != ReplicaStatus.Failed ? null : Q(r.Score),
        ResultDigest = r.ResultDigest.IsEmpty ? null : Hash(r.ResultDigest),
        Failure = r.Status == ReplicaStatus.Failed ? MarketBlock.FailureName(r.Failure) : null,
    };

    /// <summary>Open orders (committed), by placement sequence; filters: kind, category (workerpool and request orders), limit.</summary>
    private OrderBookResult OrderBook(RpcParams p)
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
        return new OrderBookResult(
            Q(processor.Head.Height),
            entries.Count,
            entries.Take(limit).Select(e => FormatOrder(e.Hash, e.Record)).ToArray(),
            new MarketTotalsResult(
                Q(totals.Deals),
                Q(totals.TasksStarted),
                Q(totals.TasksCompleted),
                Q(totals.TasksFailed),
                totals.TasksAwaitingWorkers.Count,
                totals.DealsToStart.Count,
                Q(totals.Kitty),
                Q(totals.SpotChecks),
                Q(totals.Challenges),
                Q(totals.Reversals)));
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

    private static Quantity Q(ulong value) => new(value);

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
