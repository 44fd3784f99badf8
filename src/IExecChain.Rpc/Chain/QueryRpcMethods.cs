using System.Buffers.Binary;
using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Market;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.Rpc.Chain;

/// <summary>
/// Lists for explorers, wallets and dashboards (docs/rpc.md "Queries"): recent blocks and
/// transactions, an account's transactions, deals by party, tasks by deal, worker or status, orders
/// by owner, governance proposals, checkpoints, and chain statistics over a window. Every list is
/// newest first (a deal's tasks: by index), takes <c>limit</c> (1 to <see cref="MaxLimit"/>, default
/// <see cref="DefaultLimit"/>) and the opaque <c>cursor</c> of the previous page, and answers
/// <c>{ items, next }</c> with <c>next</c> absent on the last page. A call reads at most one page.
/// </summary>
public sealed class QueryRpcMethods(BlockProcessor processor, MarketRpcMethods market, GovernanceRpcMethods governance, CheckpointRpcMethods checkpoints)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;
    public const ulong DefaultStatsWindow = 100;
    public const ulong MaxStatsWindow = 10_000;

    /// <summary>How long a transaction list or statistics call waits for the index to reach the head it saw.</summary>
    public static readonly TimeSpan IndexWait = TimeSpan.FromSeconds(5);

    private QueryIndex Index => processor.Index;

    /// <summary>
    /// Waits for the transaction entries (written after each commit) to reach <paramref name="height"/>,
    /// so that a caller who has seen a block finds its transactions listed. A failed writer is an error;
    /// a slow one gives the lists as far as they reach.
    /// </summary>
    private void TransactionsIndexedTo(ulong height)
    {
        if (Index.WaitForTransactions(height, IndexWait) || Index.WriterFailure is not { } failure) return;
        throw new RpcException(RpcErrorCodes.InternalError,
            $"the transaction index stopped at block {Index.TransactionsIndexedHeight} ({failure.Message}); it is brought up to date when the node restarts");
    }

    public void RegisterAll(RpcMethodRegistry registry)
    {
        registry.Register("iex_listBlocks", (p, _) => Done(ListBlocks(Query.Of(p, "iex_listBlocks"))));
        registry.Register("iex_listTransactions", (p, _) => Done(ListTransactions(Query.Of(p, "iex_listTransactions", "account", "direction"))));
        registry.Register("iex_listDeals", (p, _) => Done(ListDeals(Query.Of(p, "iex_listDeals", "requester", "app", "dataset", "workerpool"))));
        registry.Register("iex_listTasks", (p, _) => Done(ListTasks(Query.Of(p, "iex_listTasks", "deal", "worker", "status"))));
        registry.Register("iex_listOrders", (p, _) => Done(ListOrders(Query.Of(p, "iex_listOrders", "owner"))));
        registry.Register("iex_listProposals", (p, _) => Done(ListProposals(Query.Of(p, "iex_listProposals"))));
        registry.Register("iex_listCheckpoints", (p, _) => Done(ListCheckpoints(Query.Of(p, "iex_listCheckpoints"))));
        registry.Register("iex_chainStats", (p, _) => Done(ChainStats(Query.Of(p, "iex_chainStats", "fromBlock", "toBlock"))));
    }

    private static ValueTask<object?> Done(object? result) => ValueTask.FromResult(result);

    private PageResult<NewHeadEvent> ListBlocks(Query q)
    {
        int limit = q.Limit;
        ulong head = processor.Head.Height;
        ulong start = q.NumberCursor() is { } below ? Math.Min(below, head + 1) : head + 1;
        var items = new List<NewHeadEvent>(limit);
        ulong height = start;
        while (height > 0 && items.Count < limit)
        {
            height--;
            if (processor.Blocks.GetHeader(height) is { } block) items.Add(ChainEvents.NewHead(block.Header, block.Hash));
        }
        return Page(items, height > 0 ? NumberCursor(height) : null);
    }

    private PageResult<TransactionEntryResult> ListTransactions(Query q)
    {
        if (q.Address("account") is not { } account)
        {
            if (q.Has("direction")) throw Invalid("direction", "applies only with account");
            TransactionsIndexedTo(processor.Head.Height);
            var all = Index.Transactions(q.Limit, q.KeyCursor(12));
            return Page(all.Items.Select(t => Row(t, null)), all.Next);
        }
        TransactionDirection? direction = q.String("direction") switch
        {
            null or "all" => null,
            "sent" => TransactionDirection.Sent,
            "received" => TransactionDirection.Received,
            var other => throw Invalid("direction", $"'{other}' is not one of sent, received, all"),
        };
        TransactionsIndexedTo(processor.Head.Height);
        var page = Index.Transactions(account, direction, q.Limit, q.KeyCursor(12));
        return Page(page.Items.Select(i => Row(i.Tx, i.Direction)), page.Next);
    }

    private static TransactionEntryResult Row(IndexedTransaction t, TransactionDirection? direction) => new(
        t.Id.ToString(),
        new Quantity(t.Height),
        new Quantity(t.Index),
        t.Sender.ToString().ToLowerInvariant(),
        RpcFormat.TypeName(t.Kind),
        t.Status == Core.Wire.ReceiptStatus.Success ? "success" : "failed",
        direction switch
        {
            null => null,
            TransactionDirection.Sent => "sent",
            TransactionDirection.Received => "received",
            _ => "self",
        });

    // Items are null only should the index name a record the state no longer has; the page shows that as it is.
    private PageResult<DealResult?> ListDeals(Query q)
    {
        var (name, party) = q.ExactlyOne(("requester", DealParty.Requester), ("app", DealParty.App), ("dataset", DealParty.Dataset), ("workerpool", DealParty.Workerpool));
        var page = Index.Deals(party, q.Address(name)!.Value, q.Limit, q.KeyCursor(40));
        return Page(page.Items.Select(market.Deal), page.Next);
    }

    private PageResult<TaskResult?> ListTasks(Query q)
    {
        var (name, _) = q.ExactlyOne(("deal", 0), ("worker", 1), ("status", 2));
        Page<Hash256> page;
        switch (name)
        {
            case "deal":
                return TasksOfDeal(q);
            case "worker":
                page = Index.TasksOfWorker(q.Address("worker")!.Value, q.Limit, q.KeyCursor(40));
                break;
            default:
                var text = q.String("status")!;
                var status = Enum.GetValues<TaskStatus>().Where(s => MarketBlock.StatusName(s) == text).Cast<TaskStatus?>().FirstOrDefault()
                    ?? throw Invalid("status", $"'{text}' is not one of {string.Join(", ", Enum.GetValues<TaskStatus>().Select(MarketBlock.StatusName))}");
                page = Index.TasksByStatus(status, q.Limit, q.KeyCursor(40));
                break;
        }
        return Page(page.Items.Select(market.Task), page.Next);
    }

    /// <summary>A deal's started tasks by index (tasks start in index order, so they are the first <c>initialized</c>).</summary>
    private PageResult<TaskResult?> TasksOfDeal(Query q)
    {
        var dealId = q.Hash("deal");
        if (MarketReader.Deal(processor.Tree, dealId) is not { } deal) throw Invalid("deal", $"no deal {dealId}");
        ulong end = deal.FirstTaskIndex + deal.Initialized;
        ulong from = q.NumberCursor() ?? deal.FirstTaskIndex;
        if (from < deal.FirstTaskIndex) throw Invalid("cursor", "is not a cursor of this deal");
        var items = new List<TaskResult?>();
        ulong index = from;
        for (; index < end && items.Count < q.Limit; index++) items.Add(market.Task(MarketBlock.TaskId(dealId, index)));
        return Page(items, index < end ? NumberCursor(index) : null);
    }

    private PageResult<OrderResult?> ListOrders(Query q)
    {
        var owner = q.Address("owner") ?? throw Invalid("owner", "is required");
        var page = Index.OrdersOf(owner, q.Limit, q.KeyCursor(40));
        return Page(page.Items.Select(market.Order), page.Next);
    }

    private PageResult<ProposalResult?> ListProposals(Query q)
    {
        ulong next = StateReader.Totals(processor.Tree).NextProposalId;   // ids start at 1
        ulong below = Math.Min(q.NumberCursor() ?? next, next);
        var items = new List<ProposalResult?>();
        ulong id = below;
        while (id > 1 && items.Count < q.Limit) items.Add(governance.Proposal(--id));
        return Page(items, id > 1 ? NumberCursor(id) : null);
    }

    private PageResult<CheckpointResult?> ListCheckpoints(Query q)
    {
        ulong latest = StateReader.Totals(processor.Tree).LatestCheckpoint;   // numbers start at 1
        ulong below = Math.Min(q.NumberCursor() ?? latest + 1, latest + 1);
        var items = new List<CheckpointResult?>();
        ulong number = below;
        while (number > 1 && items.Count < q.Limit) items.Add(checkpoints.Checkpoint(--number, latest));
        return Page(items, number > 1 ? NumberCursor(number) : null);
    }

    private ChainStatsResult ChainStats(Query q)
    {
        ulong head = processor.Head.Height;
        ulong to = q.Number("toBlock") ?? head;
        if (to > head) throw Invalid("toBlock", $"is beyond the head ({head})");
        if (to == 0) throw Invalid("toBlock", "must be at least 1 (the genesis block has no figures)");
        ulong from = q.Number("fromBlock") ?? (to > DefaultStatsWindow ? to - DefaultStatsWindow + 1 : 1);
        if (from == 0) throw Invalid("fromBlock", "must be at least 1 (the genesis block has no figures)");
        if (from > to) throw Invalid("fromBlock", $"is after toBlock ({to})");
        if (to - from + 1 > MaxStatsWindow) throw Invalid("toBlock", $"the window is {to - from + 1} blocks, at most {MaxStatsWindow}");

        TransactionsIndexedTo(to);
        var figures = Index.Figures(from, to);
        var previous = from > 1 ? Index.Figures(from - 1, from - 1) : [];
        ulong transactions = 0, completed = 0, failed = 0;
        foreach (var f in figures) { transactions += f.Transactions; completed += f.TasksCompleted; failed += f.TasksFailed; }
        // Intervals between consecutive blocks of the window (the first against its parent when there is one).
        var times = previous.Concat(figures).Select(f => f.TimeUnixMs).ToList();
        var intervals = times.Zip(times.Skip(1), (a, b) => b >= a ? b - a : 0).OrderBy(x => x).ToList();
        double seconds = intervals.Count == 0 ? 0 : intervals.Sum(x => (double)x) / 1000;
        return new ChainStatsResult
        {
            FromBlock = new Quantity(from),
            ToBlock = new Quantity(to),
            Blocks = new Quantity((ulong)figures.Count),
            Transactions = new Quantity(transactions),
            Seconds = Math.Round(seconds, 3),
            TransactionsPerSecond = seconds > 0 ? Math.Round(transactions / seconds, 3) : null,
            BlockIntervalMs = intervals.Count == 0 ? null : new BlockIntervalsResult(
                Math.Round(intervals.Average(x => (double)x), 1),
                intervals[intervals.Count / 2],
                intervals[Math.Min(intervals.Count - 1, (int)Math.Ceiling(intervals.Count * 0.99) - 1)],
                intervals[^1]),
            TasksCompleted = new Quantity(completed),
            TasksFailed = new Quantity(failed),
        };
    }

    private static PageResult<T> Page<T>(IEnumerable<T> items, byte[]? next) => new(items.ToArray(), next is null ? null : Hex.Encode(next));

    private static byte[] NumberCursor(ulong number)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, number);
        return bytes;
    }

    private static RpcException Invalid(string field, string problem) => new(RpcErrorCodes.InvalidParams, $"invalid params: {field} {problem}");

    /// <summary>
    /// The parameters of a list call: one object of named fields (given as "params" itself or as its
    /// only element). Unknown fields are refused by name, so a misspelt filter never silently lists everything.
    /// </summary>
    private sealed class Query
    {
        private readonly RpcParams _fields;

        private Query(RpcParams fields) => _fields = fields;

        public static Query Of(RpcParams p, string method, params string[] filters)
        {
            JsonElement fields;
            if (p.Count == 0) return new Query(default);
            if (p.Raw.ValueKind == JsonValueKind.Object) fields = p.Raw;
            else if (p.Count == 1 && p.Raw[0].ValueKind == JsonValueKind.Object) fields = p.Raw[0];   // [ { ... } ]
            else throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: {method} takes one object of named fields");
            foreach (var property in fields.EnumerateObject())
            {
                bool paged = method != "iex_chainStats";
                if (filters.Contains(property.Name) || (paged && property.Name is "limit" or "cursor")) continue;
                throw Invalid(property.Name, $"is not a field of {method} (fields: {string.Join(", ", paged ? [.. filters, "limit", "cursor"] : filters)})");
            }
            return new Query(new RpcParams(fields));
        }

        public bool Has(string name) => _fields.Get(-1, name) is not null;

        public string? String(string name) => _fields.GetOptionalString(-1, name);

        public ulong? Number(string name) => _fields.GetOptionalUInt64(-1, name);

        public int Limit
        {
            get
            {
                var limit = _fields.GetOptionalUInt64(-1, "limit") ?? DefaultLimit;
                return limit is >= 1 and <= MaxLimit ? (int)limit : throw Invalid("limit", $"must be from 1 to {MaxLimit}, got {limit}");
            }
        }

        public Address? Address(string name)
        {
            if (String(name) is not { } text) return null;
            return Core.Primitives.Address.TryParse(text, out var address, out var error) ? address : throw Invalid(name, $"is not an address: {error}");
        }

        public Hash256 Hash(string name)
        {
            var text = String(name)!;
            if (text.Length != 66 || !text.StartsWith("0x", StringComparison.Ordinal) || !Hex.TryDecode(text, out var bytes, out _))
                throw Invalid(name, "must be a 0x-prefixed 32-byte hex string");
            return new Hash256(bytes);
        }

        /// <summary>The cursor as index key bytes of the expected length, or null on the first page.</summary>
        public byte[]? KeyCursor(int length)
        {
            if (String("cursor") is not { } text) return null;
            if (!text.StartsWith("0x", StringComparison.Ordinal) || !Hex.TryDecode(text, out var bytes, out _) || bytes.Length != length)
                throw Invalid("cursor", $"'{Shorten(text)}' is not a cursor of this query: pass back the 'next' of the previous page");
            return bytes;
        }

        /// <summary>A cursor that is a number (a height, a task index, an id).</summary>
        public ulong? NumberCursor() => KeyCursor(8) is { } bytes ? BinaryPrimitives.ReadUInt64BigEndian(bytes) : null;

        /// <summary>The one filter given among <paramref name="choices"/>; refuses none or several.</summary>
        public (string Name, T Value) ExactlyOne<T>(params (string Name, T Value)[] choices)
        {
            var given = choices.Where(c => Has(c.Name)).ToList();
            if (given.Count == 1) return given[0];
            var names = string.Join(", ", choices.Select(c => c.Name));
            throw Invalid(given.Count == 0 ? "filter" : string.Join("+", given.Select(g => g.Name)), $"{(given.Count == 0 ? "is missing" : "are exclusive")}: give exactly one of {names}");
        }

        private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
    }
}
