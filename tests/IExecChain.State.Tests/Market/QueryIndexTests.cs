using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Market;
using IExecChain.Storage;
using NUnit.Framework;
using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Tests.Market;

/// <summary>
/// The query index against a brute-force scan of the blocks and the state after a long market run
/// (timeouts, reports, reopenings, spot-checks, challenges and reversals), every list read in small
/// pages; and the index a node writes block by block against the one rebuilt from scratch.
/// </summary>
public sealed class QueryIndexTests
{
    private const int PageSize = 7;

    /// <param name="background">Whether the transaction entries are written by a <see cref="QueryIndexWriter"/> (as a node does) or in the commit batch.</param>
    [Test]
    public void Every_query_answers_what_a_scan_finds_every_item_once_across_pages_and_a_rebuild_writes_the_same_index([Values] bool background)
    {
        QueryIndexWriter? writer = null;
        MarketChainTests.RandomRun(4, MarketChainTests.WindowMarket, maxTrust: 3, before: m =>
        {
            if (background) writer = m.Chain.Processor.IndexInBackground();
        }, after: m =>
        {
            AddTransfers(m);
            var chain = m.Chain;
            var index = chain.Processor.Index;
            ulong head = chain.Processor.Head.Height;
            Assert.That(index.IndexedHeight, Is.EqualTo(head), "each commit records the indexed height");
            Assert.That(index.WaitForTransactions(head, TimeSpan.FromMinutes(1)), Is.True, "the transaction entries reach the head");
            writer?.Dispose();
            var scan = Scan.Of(chain);
            Assert.That(scan.Tasks, Has.Count.GreaterThan(50), "the run gives the index something to list");

            AssertQueriesMatch(index, scan, m);

            var written = Dump(index);
            index.Rebuild(chain.Processor.Blocks, chain.Tree, head, blocksPerBatch: 37);
            var rebuilt = Dump(index);
            Assert.That(rebuilt, Has.Count.EqualTo(written.Count), "the rebuilt index has as many entries");
            Assert.That(rebuilt, Is.EqualTo(written), "the rebuilt index is entry for entry the one written block by block");
            AssertQueriesMatch(index, scan, m);
        });
    }

    [Test]
    public void A_store_without_the_index_is_rebuilt_to_the_head_and_keeps_indexing_after()
    {
        var chain = new TestChain(accounts: 4);
        var a = TestChain.Account(0);
        var b = TestChain.Account(1);
        for (ulong n = 0; n < 5; n++) chain.Produce(chain.Transfer(a, b.Address, 10, n));
        var expected = Dump(chain.Processor.Index);

        using (var batch = chain.Store.NewBatch())
        {
            foreach (var (key, _) in chain.Store.Iterate(DbColumn.QueryIndex)) batch.Delete(DbColumn.QueryIndex, key);
            chain.Store.Write(batch);
        }
        Assert.That(chain.Processor.Index.IndexedHeight, Is.Zero);
        Assert.That(chain.Processor.RebuildIndexIfBehind(), Is.EqualTo(5UL), "five blocks read");
        Assert.That(Dump(chain.Processor.Index), Is.EqualTo(expected));
        Assert.That(chain.Processor.RebuildIndexIfBehind(), Is.Zero, "a complete index is left alone");

        chain.Produce(chain.Transfer(b, a.Address, 1, 0));
        var received = chain.Processor.Index.Transactions(a.Address, TransactionDirection.Received, 10, null);
        Assert.That(received.Items.Select(i => i.Tx.Height), Is.EqualTo(new[] { 6UL }));
        var all = chain.Processor.Index.Transactions(b.Address, null, 10, null);
        Assert.That(all.Items.Select(i => (i.Tx.Height, i.Direction)), Is.EqualTo(new[]
        {
            (6UL, TransactionDirection.Sent), (5UL, TransactionDirection.Received), (4UL, TransactionDirection.Received),
            (3UL, TransactionDirection.Received), (2UL, TransactionDirection.Received), (1UL, TransactionDirection.Received),
        }));
        Assert.That(all.Next, Is.Null);
    }

    [Test]
    public void Transaction_entries_a_crash_left_unwritten_are_written_from_the_stored_blocks_at_startup()
    {
        var chain = new TestChain(accounts: 4);
        var a = TestChain.Account(0);
        var b = TestChain.Account(1);
        using (chain.Processor.IndexInBackground())
            for (ulong n = 0; n < 8; n++) chain.Produce(chain.Transfer(a, b.Address, 10, n), chain.Transfer(b, a.Address, 1, n));
        var index = chain.Processor.Index;
        Assert.That(index.TransactionsIndexedHeight, Is.EqualTo(8UL), "disposing the writer writes what it had queued");
        var complete = Dump(index);

        // What a crash leaves: the market entries and the indexed height of the commit batches, and the
        // writer's entries only up to block 5. The keys of blocks 6..8 are the ones AddTransactions writes.
        var tail = new MemoryStore();
        using (var keys = tail.NewBatch())
        {
            for (ulong h = 6; h <= 8; h++) QueryIndex.AddTransactions(keys, chain.Processor.Blocks.GetBlock(h)!, Receipts(chain, h));
            tail.Write(keys);
        }
        using (var crash = chain.Store.NewBatch())
        {
            foreach (var (key, _) in tail.Iterate(DbColumn.QueryIndex)) crash.Delete(DbColumn.QueryIndex, key);
            QueryIndex.AddTransactions(crash, chain.Processor.Blocks.GetBlock(5)!, Receipts(chain, 5));
            chain.Store.Write(crash);
        }
        Assert.That(index.IndexedHeight, Is.EqualTo(8UL));
        Assert.That(index.TransactionsIndexedHeight, Is.EqualTo(5UL));
        Assert.That(index.Transactions(a.Address, null, 100, null).Items, Has.Count.EqualTo(10), "blocks 1..5 listed, 6..8 lost");

        Assert.That(chain.Processor.RebuildIndexIfBehind(), Is.EqualTo(3UL), "three blocks read, not the whole chain");
        Assert.That(Dump(index), Is.EqualTo(complete));
        Assert.That(index.Transactions(a.Address, null, 100, null).Items, Has.Count.EqualTo(16));
    }

    [Test]
    public void A_block_committed_after_the_background_writer_stopped_is_reported_loudly()
    {
        var chain = new TestChain(accounts: 2);
        chain.Processor.IndexInBackground().Dispose();
        var a = TestChain.Account(0);
        Assert.That(() => chain.Produce(chain.Transfer(a, TestChain.Account(1).Address, 1, 0)),
            Throws.TypeOf<ObjectDisposedException>().With.Message.Contains("block 1 was committed after the query index writer was stopped"));
    }

    private static Receipt[] Receipts(TestChain chain, ulong height) =>
        [.. chain.Processor.Blocks.GetBlock(height)!.Transactions.Select(tx => chain.Processor.Blocks.GetReceipt(tx.Id)!)];

    private static void AddTransfers(MarketChain m)
    {
        var people = Enumerable.Range(0, MarketChain.FirstWorker).Select(MarketChain.Key).ToList();
        for (int block = 0; block < 6; block++)
        {
            var txs = new List<Transaction>();
            foreach (var (from, i) in people.Select((p, i) => (p, i)))
            {
                var to = people[(i + block) % people.Count];   // block 0: each pays itself
                txs.Add(m.Chain.Transfer(from, to.Address, 5, m.Chain.AccountOf(from.Address).Nonce));
            }
            m.Produce([.. txs]);
        }
    }

    private static void AssertQueriesMatch(QueryIndex index, Scan scan, MarketChain m)
    {
        Assert.That(ReadAll(c => index.Transactions(PageSize, c)), Is.EqualTo(scan.Transactions.AsEnumerable().Reverse().ToList()), "all transactions, newest first");

        foreach (var account in scan.Accounts)
        {
            var sent = scan.Transactions.Where(t => t.Sender == account).Reverse().ToList();
            var received = scan.Transactions.Where(t => scan.Recipient.GetValueOrDefault((t.Height, t.Index)) == account).Reverse().ToList();
            Assert.That(ReadAll(c => index.Transactions(account, TransactionDirection.Sent, PageSize, c)).Select(i => i.Tx), Is.EqualTo(sent), $"sent by {account}");
            Assert.That(ReadAll(c => index.Transactions(account, TransactionDirection.Received, PageSize, c)).Select(i => i.Tx), Is.EqualTo(received), $"received by {account}");
            var both = ReadAll(c => index.Transactions(account, null, PageSize, c));
            var expected = sent.Union(received).OrderByDescending(t => t.Height).ThenByDescending(t => t.Index).ToList();
            Assert.That(both.Select(i => i.Tx), Is.EqualTo(expected), $"sent and received by {account}, once each");
            foreach (var (tx, direction) in both)
            {
                var want = (tx.Sender == account ? TransactionDirection.Sent : 0)
                    | (scan.Recipient.GetValueOrDefault((tx.Height, tx.Index)) == account ? TransactionDirection.Received : 0);
                Assert.That(direction, Is.EqualTo(want), $"direction of {tx.Id} for {account}");
            }
        }

        foreach (var party in Enum.GetValues<DealParty>())
        {
            foreach (var group in scan.Deals.GroupBy(d => PartyOf(d, party)).Where(g => !g.Key.IsZero))
            {
                var expected = group.OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id.ToByteArray(), ByteOrder.Instance).Select(d => new Hash256(d.Id.Span)).ToList();
                Assert.That(ReadAll(c => index.Deals(party, group.Key, PageSize, c)), Is.EqualTo(expected), $"deals of {party} {group.Key}");
            }
        }

        for (int w = 0; w < m.Workers; w++)
        {
            var worker = m.WorkerKey(w).Address;
            var expected = scan.Tasks.SelectMany(t => t.Replicas.Where(r => new Address(r.Worker.Span) == worker).Select(r => (r.AssignedAt, Id: t.Id.ToByteArray())))
                .Distinct(new AssignmentComparer())
                .OrderByDescending(x => x.AssignedAt).ThenByDescending(x => x.Id, ByteOrder.Instance).Select(x => new Hash256(x.Id)).ToList();
            Assert.That(expected, Is.Not.Empty);
            Assert.That(ReadAll(c => index.TasksOfWorker(worker, PageSize, c)), Is.EqualTo(expected), $"tasks of worker {w}");
        }

        foreach (var status in Enum.GetValues<TaskStatus>())
        {
            var expected = scan.Tasks.Where(t => t.Status == status)
                .OrderByDescending(t => t.StartHeight).ThenByDescending(t => t.Id.ToByteArray(), ByteOrder.Instance).Select(t => new Hash256(t.Id.Span)).ToList();
            Assert.That(ReadAll(c => index.TasksByStatus(status, PageSize, c)), Is.EqualTo(expected), $"tasks {status}");
        }
        Assert.That(scan.Tasks.Count(t => t.Status == TaskStatus.Completed), Is.GreaterThan(0));
        Assert.That(scan.Tasks.Count(t => t.Status == TaskStatus.Failed), Is.GreaterThan(0));

        foreach (var owner in scan.Orders.Select(o => new Address(o.Record.Owner.Span)).Distinct())
        {
            var expected = scan.Orders.Where(o => new Address(o.Record.Owner.Span) == owner)
                .OrderByDescending(o => o.Record.PlacedAt).ThenByDescending(o => o.Hash.ToArray(), ByteOrder.Instance).Select(o => o.Hash).ToList();
            Assert.That(ReadAll(c => index.OrdersOf(owner, PageSize, c)), Is.EqualTo(expected), $"orders of {owner}");
        }

        ulong head = m.Chain.Processor.Head.Height;
        var figures = index.Figures(1, head);
        Assert.That(figures.Select(f => f.Height), Is.EqualTo(Enumerable.Range(1, (int)head).Select(h => (ulong)h)));
        foreach (var f in figures)
        {
            var block = m.Chain.Processor.Blocks.GetBlock(f.Height)!;
            Assert.That((f.TimeUnixMs, (int)f.Transactions), Is.EqualTo((block.Header.TimeUnixMs, block.Transactions.Count)), $"figures of block {f.Height}");
            Assert.That(f.TasksCompleted, Is.EqualTo((uint)scan.Tasks.Count(t => t.Status == TaskStatus.Completed && t.FinishedAt == f.Height)), $"completed at {f.Height}");
            Assert.That(f.TasksFailed, Is.EqualTo((uint)scan.Tasks.Count(t => t.Status == TaskStatus.Failed && t.FinishedAt == f.Height)), $"failed at {f.Height}");
        }
        Assert.That(index.Figures(head - 9, head).Select(f => f.Height), Is.EqualTo(Enumerable.Range((int)head - 9, 10).Select(h => (ulong)h)), "a window");
    }

    private static Address PartyOf(DealRecord deal, DealParty party) => party switch
    {
        DealParty.Requester => new Address(deal.Requester.Span),
        DealParty.App => new Address(deal.App.Span),
        DealParty.Dataset => deal.Dataset.IsEmpty ? default : new Address(deal.Dataset.Span),
        _ => new Address(deal.Workerpool.Span),
    };

    /// <summary>Reads every page, checking each is full but the last and that no item repeats.</summary>
    private static List<T> ReadAll<T>(Func<byte[]?, Page<T>> read)
    {
        var all = new List<T>();
        byte[]? cursor = null;
        for (int pages = 0; ; pages++)
        {
            Assert.That(pages, Is.LessThan(100_000), "pagination ends");
            var page = read(cursor);
            Assert.That(page.Items, Has.Count.LessThanOrEqualTo(PageSize));
            all.AddRange(page.Items);
            if (page.Next is null) break;
            Assert.That(page.Items, Has.Count.EqualTo(PageSize), "only the last page is short");
            cursor = page.Next;
        }
        return all;
    }

    private static List<(string, string)> Dump(QueryIndex index) =>
        index.Entries().Select(e => (Convert.ToHexString(e.Key), Convert.ToHexString(e.Value))).ToList();

    /// <summary>What the index should say, found the slow way: every block, every order placed, every deal and task.</summary>
    private sealed class Scan
    {
        public List<IndexedTransaction> Transactions { get; } = [];
        public Dictionary<(ulong, uint), Address> Recipient { get; } = [];
        public HashSet<Address> Accounts { get; } = [];
        public List<(Hash256 Hash, OrderRecord Record)> Orders { get; } = [];
        public List<DealRecord> Deals { get; } = [];
        public List<TaskRecord> Tasks { get; } = [];

        public static Scan Of(TestChain chain)
        {
            var scan = new Scan();
            for (ulong h = 1; h <= chain.Processor.Head.Height; h++)
            {
                var block = chain.Processor.Blocks.GetBlock(h)!;
                for (int i = 0; i < block.Transactions.Count; i++)
                {
                    var tx = block.Transactions[i];
                    var receipt = chain.Processor.Blocks.GetReceipt(tx.Id)!;
                    var sender = new Address(receipt.Sender.Span);   // a stored block has not recovered its signers
                    scan.Transactions.Add(new IndexedTransaction(h, (uint)i, tx.Id, sender, tx.Kind, receipt.Status));
                    scan.Accounts.Add(sender);
                    if (tx.Body.Transfer is { } transfer)
                    {
                        scan.Recipient[(h, (uint)i)] = new Address(transfer.To.Span);
                        scan.Accounts.Add(new Address(transfer.To.Span));
                    }
                    if (receipt.Status != ReceiptStatus.Success || tx.Body.PlaceOrder is not { } place) continue;
                    var hash = place.OrderCase switch
                    {
                        PlaceOrder.OrderOneofCase.App => OrderCodec.HashOf(OrderCodec.Kind.App, place.App),
                        PlaceOrder.OrderOneofCase.Dataset => OrderCodec.HashOf(OrderCodec.Kind.Dataset, place.Dataset),
                        PlaceOrder.OrderOneofCase.Workerpool => OrderCodec.HashOf(OrderCodec.Kind.Workerpool, place.Workerpool),
                        _ => OrderCodec.HashOf(OrderCodec.Kind.Request, place.Request),
                    };
                    var order = MarketReader.Order(chain.Tree, hash)!;
                    scan.Orders.Add((hash, order));
                    foreach (var dealId in order.Deals)
                    {
                        var deal = MarketReader.Deal(chain.Tree, new Hash256(dealId.Span))!;
                        scan.Deals.Add(deal);
                        for (ulong t = deal.FirstTaskIndex; t < deal.FirstTaskIndex + deal.Volume; t++)
                            if (MarketReader.Task(chain.Tree, MarketBlock.TaskId(new Hash256(deal.Id.Span), t)) is { } task) scan.Tasks.Add(task);
                    }
                }
            }
            return scan;
        }
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    private sealed class AssignmentComparer : IEqualityComparer<(ulong AssignedAt, byte[] Id)>
    {
        public bool Equals((ulong AssignedAt, byte[] Id) x, (ulong AssignedAt, byte[] Id) y) => x.AssignedAt == y.AssignedAt && x.Id.AsSpan().SequenceEqual(y.Id);
        public int GetHashCode((ulong AssignedAt, byte[] Id) x) => HashCode.Combine(x.AssignedAt, x.Id[0], x.Id[1]);
    }
}
