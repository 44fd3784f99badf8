using System.Buffers.Binary;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.State.Market;

/// <summary>
/// Consensus limits on matching work. A unit of work is one order examined (an app or dataset
/// order considered, or a resource offer taken in rank order) plus one per requirements node
/// evaluated. The counts depend only on the book's content, never on how its indexes are laid out.
/// </summary>
public sealed record MatchBudget(int WorkPerBlock = 200_000, int WorkPerRequest = 2_000, int DealsPerBlock = 1_000);

/// <summary>A deal the matchmaker made: four orders (no dataset: zero hash), a volume and the prices.</summary>
public sealed record MatchedDeal(
    Hash256 DealId,
    Hash256 RequestHash,
    Hash256 AppOrderHash,
    Hash256 DatasetOrderHash,
    Hash256 WorkerpoolOrderHash,
    Address Workerpool,
    ulong FirstTaskIndex,
    ulong Volume,
    ulong AppPrice,
    ulong DatasetPrice,
    ulong WorkerpoolPrice,
    ulong Trust,
    ulong Tag,
    long Score);

public sealed record MatchResult(IReadOnlyList<MatchedDeal> Deals, long NextRequestSequence, int WorkUsed);

/// <summary>A compatible set of orders for a request, before anything is consumed.</summary>
public readonly record struct MatchCandidate(BookEntry<AppOffer> App, BookEntry<DatasetOffer>? Dataset, ResourceOffer Offer, ulong OfferRemaining, long Score);

/// <summary>
/// Matches open task orders against the book at the end of a block, deterministically. For each
/// request (placement order, starting where the previous block stopped): the cheapest compatible app
/// order (and dataset order), then resource offers in rank order (score descending, order hash
/// ascending) until one passes iExec's matchOrders checks and both requirements expressions; a deal
/// takes the smallest remaining volume of the four; a request may take several deals (partial fills).
/// </summary>
public static class Matchmaker
{
    public static MatchResult MatchBlock(OrderBook book, MatchBudget budget, long startSequence)
    {
        var deals = new List<MatchedDeal>();
        int work = 0;
        int total = book.RequestCount;
        if (total == 0) return new MatchResult(deals, startSequence, 0);
        int start = book.RequestIndexFrom(startSequence) % total;
        long next = startSequence;
        var requests = book.Requests;
        // Snapshot the order of visits first: deals remove used-up requests from the list.
        var visit = new BookEntry<TaskOrder>[total];
        for (int i = 0; i < total; i++) visit[i] = requests[(start + i) % total];
        int visited = 0;
        foreach (var request in visit)
        {
            if (work >= budget.WorkPerBlock || deals.Count >= budget.DealsPerBlock) break;
            int requestWork = 0;
            while (request.Remaining > 0 && deals.Count < budget.DealsPerBlock)
            {
                int allowance = Math.Min(budget.WorkPerRequest - requestWork, budget.WorkPerBlock - work);
                if (allowance <= 0) break;
                int used = 0;
                bool found = TryFindMatch(book, request.Order, request.Remaining, allowance, ref used, out var match);
                requestWork += used;
                work += used;
                if (!found) break;
                deals.Add(Record(book, request, match));
            }
            // Cut short by the block's limits: this request goes first in the next block.
            if (request.Remaining > 0 && (work >= budget.WorkPerBlock || deals.Count >= budget.DealsPerBlock)) break;
            visited++;
        }
        if (visited < total) next = visit[visited].Sequence;
        else next = visit[total - 1].Sequence + 1;
        return new MatchResult(deals, next, work);
    }

    /// <summary>
    /// Finds the best match for a request without changing the book. <paramref name="work"/> grows
    /// by the work done; the search stops when it would pass <paramref name="allowance"/>.
    /// </summary>
    public static bool TryFindMatch(OrderBook book, TaskOrder request, ulong requestRemaining, int allowance, ref int work, out MatchCandidate match)
    {
        match = default;
        int limit = work + allowance;
        BookEntry<AppOffer>? app = null;
        foreach (var a in book.AppOrders(request.App))
        {
            if (++work > limit) return false;
            var o = a.Order;
            if (o.Price > request.AppMaxPrice) break;  // sorted by price: nothing cheaper follows
            if (o.RequesterRestrict.Permits(request.Requester) && o.DatasetRestrict.Permits(request.Dataset)) { app = a; break; }
        }
        if (app is null) return false;

        BookEntry<DatasetOffer>? dataset = null;
        if (request.HasDataset)
        {
            foreach (var d in book.DatasetOrders(request.Dataset))
            {
                if (++work > limit) return false;
                var o = d.Order;
                if (o.Price > request.DatasetMaxPrice) break;
                if (o.RequesterRestrict.Permits(request.Requester) && o.AppRestrict.Permits(request.App)) { dataset = d; break; }
            }
            if (dataset is null) return false;
        }

        var offers = book.Offers(request.Category);
        if (offers is null) return false;
        ulong tag = request.Tag | app.Order.Tag | (dataset?.Order.Tag ?? 0);
        offers.Begin(request.WorkerpoolMaxPrice, request.Weights);
        while (offers.TryNext(out var entry, out long score))
        {
            if (++work > limit) return false;
            var offer = entry.Offer;
            if (request.Trust > offer.MaxTrust || (tag & ~offer.Tag) != 0) continue;
            if (!request.Workerpool.IsZero && request.Workerpool != offer.Workerpool) continue;
            if (!app.Order.WorkerpoolRestrict.Permits(offer.Workerpool)) continue;
            if (dataset is not null && !dataset.Order.WorkerpoolRestrict.Permits(offer.Workerpool)) continue;
            if (!offer.AppRestrict.Permits(request.App) || !offer.DatasetRestrict.Permits(request.Dataset) || !offer.RequesterRestrict.Permits(request.Requester)) continue;
            if (request.Requirements.Evaluate(request.Attributes, offer.Capabilities, ref work) != Requirements.Truth.True) continue;
            if (offer.Requirements.Evaluate(offer.Capabilities, request.Attributes, ref work) != Requirements.Truth.True) continue;
            if (work > limit) return false;
            match = new MatchCandidate(app, dataset, offer, entry.Remaining, score);
            return true;
        }
        return false;
    }

    /// <summary>iExec's deal id: keccak256(request hash ‖ index of the deal's first task, 32-byte big-endian).</summary>
    public static Hash256 DealId(Hash256 requestHash, ulong firstTaskIndex)
    {
        Span<byte> buffer = stackalloc byte[64];
        requestHash.CopyTo(buffer);
        buffer[32..56].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(buffer[56..], firstTaskIndex);
        return Keccak256.Hash(buffer);
    }

    private static MatchedDeal Record(OrderBook book, BookEntry<TaskOrder> request, MatchCandidate m)
    {
        var r = request.Order;
        ulong volume = Math.Min(Math.Min(request.Remaining, m.App.Remaining), m.OfferRemaining);
        if (m.Dataset is not null) volume = Math.Min(volume, m.Dataset.Remaining);
        ulong first = r.Volume - request.Remaining;
        var deal = new MatchedDeal(
            DealId(r.Hash, first), r.Hash, m.App.Order.Hash, m.Dataset?.Order.Hash ?? default, m.Offer.Hash, m.Offer.Workerpool,
            first, volume, m.App.Order.Price, m.Dataset?.Order.Price ?? 0, m.Offer.Price,
            Credibility.EffectiveTrust(r.Trust), r.Tag | m.App.Order.Tag | (m.Dataset?.Order.Tag ?? 0), m.Score);
        book.Consume(r.Hash, volume);
        book.Consume(m.App.Order.Hash, volume);
        if (m.Dataset is not null) book.Consume(m.Dataset.Order.Hash, volume);
        book.Consume(m.Offer.Hash, volume);
        return deal;
    }
}
