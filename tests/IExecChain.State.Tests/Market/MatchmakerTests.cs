using IExecChain.Core.Primitives;
using IExecChain.State.Market;
using IExecChain.State.Market.Requirements;
using NUnit.Framework;
using static IExecChain.State.Tests.Market.MarketBuild;

namespace IExecChain.State.Tests.Market;

public class MatchmakerTests
{
    private static readonly MatchBudget Budget = new();

    private static MatchResult Match(OrderBook book) => Matchmaker.MatchBlock(book, Budget, 0);

    [Test]
    public void Cheapest_compatible_offer_wins_and_the_deal_carries_iexec_terms()
    {
        var book = Book();
        var cheap = Offer(price: 50);
        book.TryAdd(Offer(price: 80));
        book.TryAdd(cheap);
        book.TryAdd(Offer(price: 20, category: 2));
        var request = Request(maxPrice: 100, trust: 0, withDataset: true);
        book.TryAdd(request);

        var deal = Match(book).Deals.Single();
        Assert.That(deal.WorkerpoolOrderHash, Is.EqualTo(cheap.Hash));
        Assert.That((deal.AppPrice, deal.DatasetPrice, deal.WorkerpoolPrice, deal.Volume, deal.Trust), Is.EqualTo((10UL, 5UL, 50UL, 1UL, 1UL)));
        Assert.That(deal.DealId, Is.EqualTo(Matchmaker.DealId(request.Hash, 0)));
        Assert.That(book.Remaining(cheap.Hash), Is.EqualTo(9));
        Assert.That(book.Contains(request.Hash), Is.False, "a filled request leaves the book");
    }

    private static IEnumerable<TestCaseData> Incompatible()
    {
        yield return new TestCaseData(Offer(category: 2), Request()).SetName("Different_category_does_not_match");
        yield return new TestCaseData(Offer(maxTrust: 5), Request(trust: 6)).SetName("Trust_above_the_pool_max_trust_does_not_match");
        yield return new TestCaseData(Offer(price: 101), Request(maxPrice: 100)).SetName("Price_above_the_request_max_price_does_not_match");
        yield return new TestCaseData(Offer() with { Tag = 0b01 }, Request() with { Tag = 0b10 }).SetName("Tag_bits_the_pool_lacks_do_not_match");
        yield return new TestCaseData(Offer() with { RequesterRestrict = new AllowList([Addr("someone")]) }, Request()).SetName("Requester_restriction_is_enforced");
        yield return new TestCaseData(Offer() with { AppRestrict = new AllowList([Addr("other-app")]) }, Request()).SetName("App_restriction_is_enforced");
        yield return new TestCaseData(Offer(), Request() with { Workerpool = Addr("other-pool") }).SetName("Request_workerpool_restriction_is_enforced");
        yield return new TestCaseData(Offer(capabilities: Caps(4, 1024)), Request(requirements: "other.memory.mb >= 2048")).SetName("Request_requirements_are_enforced");
        yield return new TestCaseData(Offer(requirements: "other.input.mb <= 10"), Request(attributes: AttributeSet.Create(("input.mb", AttributeValue.Of(11))))).SetName("Pool_requirements_are_enforced");
        yield return new TestCaseData(Offer(requirements: "other.input.mb <= 10"), Request()).SetName("Pool_requirements_on_a_missing_attribute_are_undefined_and_do_not_match");
        yield return new TestCaseData(Offer(), Request() with { AppMaxPrice = 9 }).SetName("App_price_above_the_max_does_not_match");
        yield return new TestCaseData(Offer(), Request(withDataset: true) with { DatasetMaxPrice = 4 }).SetName("Dataset_price_above_the_max_does_not_match");
        yield return new TestCaseData(Offer(), Request() with { App = Addr("unknown-app") }).SetName("Request_without_an_app_order_does_not_match");
    }

    [TestCaseSource(nameof(Incompatible))]
    public void Incompatible_orders_do_not_match(ResourceOffer offer, TaskOrder request)
    {
        var book = Book();
        book.TryAdd(offer);
        book.TryAdd(request);
        Assert.That(Match(book).Deals, Is.Empty);
        // The same pair matches once the single difference is undone: the test can fail for the right reason only.
        var fair = Book();
        fair.TryAdd(Offer());
        fair.TryAdd(Request());
        Assert.That(Match(fair).Deals, Has.Count.EqualTo(1));
    }

    [Test]
    public void Restrictions_that_list_the_party_match()
    {
        var book = Book();
        var offer = Offer(capabilities: Caps(8, 4096)) with { RequesterRestrict = new AllowList([Addr("x"), Requester]), AppRestrict = new AllowList([App]) };
        book.TryAdd(offer);
        book.TryAdd(Request(requirements: "other.memory.mb >= 2048") with { Workerpool = Pool, Tag = 1 });
        Assert.That(Match(book).Deals, Is.Empty, "tag bit 1 is not offered");
        book.Remove(offer.Hash);
        book.TryAdd(offer with { Hash = NewHash(), Tag = 3 });
        Assert.That(Match(book).Deals, Has.Count.EqualTo(1));
    }

    [Test]
    public void App_order_restricted_to_another_pool_rules_out_this_pool()
    {
        var book = new OrderBook(new InMemoryWorkerpoolStatistics());
        book.TryAdd(AppOrder() with { WorkerpoolRestrict = new AllowList([Addr("other-pool")]) });
        book.TryAdd(Offer());
        book.TryAdd(Request());
        Assert.That(Match(book).Deals, Is.Empty);
        var other = Offer(pool: Addr("other-pool"));
        book.TryAdd(other);
        Assert.That(Match(book).Deals.Single().WorkerpoolOrderHash, Is.EqualTo(other.Hash));
    }

    [Test]
    public void Weights_decide_between_a_cheap_pool_and_a_fast_reliable_one()
    {
        var stats = new InMemoryWorkerpoolStatistics();
        var fastPool = Addr("fast-pool");
        stats.Set(fastPool, new WorkerpoolStats(1000, 0, 600));
        var book = Book(stats);
        var cheap = Offer(price: 10, performance: 100_000);
        var fast = Offer(price: 60, performance: 900_000, pool: fastPool);
        book.TryAdd(cheap);
        book.TryAdd(fast);

        Assert.That(Best(book, Request(maxPrice: 100)), Is.EqualTo(cheap.Hash));
        Assert.That(Best(book, Request(maxPrice: 100, weights: new RankingWeights(1, 1, 0, 0, 0))), Is.EqualTo(fast.Hash),
            "cost 900,000 + perf 100,000 < cost 400,000 + perf 900,000");
        Assert.That(Best(book, Request(maxPrice: 100, weights: new RankingWeights(2, 0, 1, 0, 0))), Is.EqualTo(cheap.Hash),
            "2 × 900,000 + 500,000 (new pool) > 2 × 400,000 + 999,001");
        Assert.That(Best(book, Request(maxPrice: 100, weights: new RankingWeights(1, 0, 2, 0, 0))), Is.EqualTo(fast.Hash),
            "900,000 + 2 × 500,000 < 400,000 + 2 × 999,001");

        stats.Set(fastPool, new WorkerpoolStats(0, 1000, 0));
        book.RefreshWorkerpool(fastPool);
        Assert.That(Best(book, Request(maxPrice: 100, weights: new RankingWeights(1, 0, 2, 0, 0))), Is.EqualTo(cheap.Hash), "failures count");
    }

    private static Hash256 Best(OrderBook book, TaskOrder request)
    {
        int work = 0;
        Assert.That(Matchmaker.TryFindMatch(book, request, request.Volume, 10_000, ref work, out var m), Is.True);
        return m.Offer.Hash;
    }

    [Test]
    public void Equal_scores_are_broken_by_the_smaller_order_hash()
    {
        var book = Book();
        var offers = Enumerable.Range(0, 50).Select(_ => Offer(price: 42)).ToList();
        foreach (var o in offers) book.TryAdd(o);
        Assert.That(Best(book, Request()), Is.EqualTo(offers.Min(o => o.Hash)));
    }

    [Test]
    public void A_large_request_is_filled_by_several_offers_in_rank_order()
    {
        var book = Book();
        var a = Offer(price: 10, volume: 2);
        var b = Offer(price: 20, volume: 2);
        var c = Offer(price: 30, volume: 5);
        foreach (var o in new[] { c, a, b }) book.TryAdd(o);
        var request = Request(volume: 5);
        book.TryAdd(request);

        var deals = Match(book).Deals;
        Assert.That(deals.Select(d => (d.WorkerpoolOrderHash, d.Volume, d.FirstTaskIndex)), Is.EqualTo(new[] { (a.Hash, 2UL, 0UL), (b.Hash, 2UL, 2UL), (c.Hash, 1UL, 4UL) }));
        Assert.That(deals.Select(d => d.DealId).Distinct().Count(), Is.EqualTo(3));
        Assert.That(book.Remaining(c.Hash), Is.EqualTo(4));
        Assert.That(book.Contains(a.Hash) || book.Contains(b.Hash), Is.False);
    }

    [Test]
    public void App_order_volume_limits_the_deal()
    {
        var book = new OrderBook(new InMemoryWorkerpoolStatistics());
        book.TryAdd(AppOrder(volume: 3));
        book.TryAdd(Offer(volume: 10));
        var request = Request(volume: 5);
        book.TryAdd(request);
        var deals = Match(book).Deals;
        Assert.That(deals.Sum(d => (long)d.Volume), Is.EqualTo(3));
        Assert.That(book.Remaining(request.Hash), Is.EqualTo(2), "the rest waits for another app order");
    }

    [Test]
    public void Per_request_work_is_bounded_and_the_cut_is_deterministic()
    {
        var book = Book();
        for (int i = 0; i < 100; i++) book.TryAdd(Offer(price: (ulong)(10 + i), capabilities: Caps(2, 1024)));
        var wanted = Offer(price: 500, capabilities: Caps(16, 65536));
        book.TryAdd(wanted);
        var request = Request(maxPrice: 1000, requirements: "other.memory.mb >= 32768");

        int work = 0;
        Assert.That(Matchmaker.TryFindMatch(book, request, 1, 50, ref work, out _), Is.False, "the 101st offer in rank order is past 50 units");
        Assert.That(work, Is.GreaterThan(50));
        work = 0;
        Assert.That(Matchmaker.TryFindMatch(book, request, 1, 1_000, ref work, out var m), Is.True);
        Assert.That(m.Offer.Hash, Is.EqualTo(wanted.Hash));
        Assert.That(work, Is.EqualTo(1 + 101 + 101 * 3), "1 app order, 101 offers, 3 requirement nodes each");
    }

    [Test]
    public void Block_budget_stops_matching_and_the_next_block_resumes_at_the_right_request()
    {
        var book = Book();
        book.TryAdd(Offer(volume: 100));
        var requests = Enumerable.Range(0, 10).Select(_ => Request()).ToList();
        foreach (var r in requests) book.TryAdd(r);

        var first = Matchmaker.MatchBlock(book, new MatchBudget(WorkPerBlock: 100, DealsPerBlock: 4), 0);
        Assert.That(first.Deals.Select(d => d.RequestHash), Is.EqualTo(requests.Take(4).Select(r => r.Hash)));
        var second = Matchmaker.MatchBlock(book, new MatchBudget(DealsPerBlock: 4), first.NextRequestSequence);
        Assert.That(second.Deals.Select(d => d.RequestHash), Is.EqualTo(requests.Skip(4).Take(4).Select(r => r.Hash)));
        var third = Matchmaker.MatchBlock(book, Budget, second.NextRequestSequence);
        Assert.That(third.Deals, Has.Count.EqualTo(2));
        Assert.That(book.RequestCount, Is.EqualTo(0));
    }

    [Test]
    public void Unmatched_requests_wait_and_the_cursor_wraps_around()
    {
        var book = Book();
        var early = Request(category: 7);
        var late = Request();
        book.TryAdd(early);
        book.TryAdd(late);
        var result = Matchmaker.MatchBlock(book, Budget, 1);
        Assert.That(result.Deals, Is.Empty, "no offers yet");
        book.TryAdd(Offer(category: 7));
        var next = Matchmaker.MatchBlock(book, Budget, result.NextRequestSequence);
        Assert.That(next.Deals.Single().RequestHash, Is.EqualTo(early.Hash));
    }

    [Test]
    public void Rank_order_is_exact_and_does_not_depend_on_how_the_book_was_built()
    {
        var random = new Random(7);
        var stats = new InMemoryWorkerpoolStatistics();
        var pools = Enumerable.Range(0, 40).Select(i => Addr("pool" + i)).ToArray();
        foreach (var p in pools) stats.Set(p, new WorkerpoolStats((ulong)random.Next(0, 50), (ulong)random.Next(0, 50), (ulong)random.Next(0, 400)));
        var offers = Enumerable.Range(0, 1500).Select(_ => Offer(price: (ulong)random.Next(0, 40), pool: pools[random.Next(pools.Length)],
            performance: (uint)random.Next(0, 5) * 250_000, energy: (uint)random.Next(0, 1_000_001))).ToList();

        // Book A: added one by one with removals and a stats change in between (rebuilds at various points).
        var a = new OrderBook(stats);
        foreach (var o in offers) a.TryAdd(o);
        var removed = offers.Where((_, i) => i % 7 == 0).ToList();
        foreach (var o in removed) a.Remove(o.Hash);
        stats.Set(pools[3], new WorkerpoolStats(1000, 0, 3000));
        a.RefreshWorkerpool(pools[3]);
        // Book B: built from scratch from the surviving orders in reverse order.
        var survivors = offers.Except(removed).ToList();
        var b = new OrderBook(stats);
        for (int i = survivors.Count - 1; i >= 0; i--) b.TryAdd(survivors[i]);

        for (int q = 0; q < 20; q++)
        {
            var weights = new RankingWeights((uint)random.Next(0, 10), (uint)random.Next(0, 10), (uint)random.Next(0, 10), (uint)random.Next(0, 10), (uint)random.Next(0, 10));
            if (weights.IsZero) weights = RankingWeights.CostOnly;
            ulong maxPrice = (ulong)random.Next(0, 40);
            var query = new RankQuery(maxPrice, weights);
            var expected = survivors.Where(o => o.Price <= maxPrice)
                .Select(o => (o.Hash, Score: query.Score(o.Price, o.Performance, stats.Get(o.Workerpool).Reliability, stats.Get(o.Workerpool).Trust, o.EnergyEfficiency)))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Hash).Take(200).ToList();
            Assert.That(Ranked(a, maxPrice, weights, 200), Is.EqualTo(expected), $"query {q}, incremental book");
            Assert.That(Ranked(b, maxPrice, weights, 200), Is.EqualTo(expected), $"query {q}, rebuilt book");
        }
    }

    private static List<(Hash256, long)> Ranked(OrderBook book, ulong maxPrice, RankingWeights weights, int take)
    {
        var index = book.Offers(1)!;
        index.Begin(maxPrice, weights);
        var list = new List<(Hash256, long)>();
        while (list.Count < take && index.TryNext(out var e, out long score)) list.Add((e.Offer.Hash, score));
        return list;
    }

    [Test]
    public void Ranking_criteria_scale_from_zero_to_a_million()
    {
        var q = new RankQuery(1000, RankingWeights.CostOnly);
        Assert.That((q.Cost(0), q.Cost(500), q.Cost(999), q.Cost(1000)), Is.EqualTo((1_000_000L, 500_000L, 1_000L, 0L)));
        Assert.That(new RankQuery(ulong.MaxValue, RankingWeights.CostOnly).Cost(ulong.MaxValue / 2), Is.EqualTo(500_000));
        Assert.That(new RankQuery(0, RankingWeights.CostOnly).Cost(0), Is.EqualTo(1_000_000));
        Assert.That(new WorkerpoolStats(0, 0, 0).Reliability, Is.EqualTo(500_000));
        Assert.That(new WorkerpoolStats(98, 0, 0).Reliability, Is.EqualTo(990_000));
        Assert.That(new WorkerpoolStats(0, 0, 0).Trust, Is.EqualTo(500_000));
        Assert.That(new WorkerpoolStats(0, 0, 300).Trust, Is.EqualTo(1_000_000 - 1_000_000 / 99));
    }
}
