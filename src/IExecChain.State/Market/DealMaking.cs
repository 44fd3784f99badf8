using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

using static IExecChain.State.Market.MarketBlock;

namespace IExecChain.State.Market;

/// <summary>
/// Deals: the block's matching turns open orders into deals (the orders' volume consumed, the
/// requester's excess lock returned), and a deal whose tasks never start in time expires.
/// </summary>
internal sealed class DealMaking
{
    private readonly MarketBlock _block;
    private readonly MarketLedger _ledger;

    internal DealMaking(MarketBlock block, MarketLedger ledger)
    {
        _block = block;
        _ledger = ledger;
    }

    private ulong Height => _block.Height;

    public void Match()
    {
        if (_block.Book.RequestCount == 0) return;
        var result = Matchmaker.MatchBlock(_block.Book, _ledger.Budget, _block.Totals.RequestCursor);
        _block.Totals.RequestCursor = result.NextRequestSequence;
        _block.TotalsChanged();
        foreach (var d in result.Deals) CreateDeal(d);
    }

    private void CreateDeal(MatchedDeal d)
    {
        var request = Consume(d.RequestHash, d.Volume, d.DealId);
        Consume(d.AppOrderHash, d.Volume, d.DealId);
        if (!d.DatasetOrderHash.IsZero) Consume(d.DatasetOrderHash, d.Volume, d.DealId);
        Consume(d.WorkerpoolOrderHash, d.Volume, d.DealId);

        var r = (TaskOrder)MarketLedger.Decode(request, out _)!;
        var app = _block.App(r.App)!;
        var pool = _block.Pool(d.Workerpool)!;
        var dataset = r.HasDataset ? _block.Dataset(r.Dataset) : null;
        var requester = r.Requester;
        // The request locked its maximum prices; the difference to the matched prices goes back now.
        ulong cost = checked(d.AppPrice + d.DatasetPrice + d.WorkerpoolPrice);
        _block.Escrow.Unfreeze(requester, checked((request.LockPerUnit - cost) * d.Volume));
        var deal = new DealRecord
        {
            Id = Bytes(d.DealId),
            RequestHash = Bytes(d.RequestHash),
            AppOrderHash = Bytes(d.AppOrderHash),
            DatasetOrderHash = d.DatasetOrderHash.IsZero ? Google.Protobuf.ByteString.Empty : Bytes(d.DatasetOrderHash),
            WorkerpoolOrderHash = Bytes(d.WorkerpoolOrderHash),
            App = Bytes(r.App),
            Dataset = r.HasDataset ? Bytes(r.Dataset) : Google.Protobuf.ByteString.Empty,
            Workerpool = Bytes(d.Workerpool),
            Requester = Bytes(requester),
            Beneficiary = Bytes(r.Beneficiary),
            AppOwner = app.Owner,
            DatasetOwner = dataset?.Owner ?? Google.Protobuf.ByteString.Empty,
            PoolOwner = pool.Owner,
            AppPrice = d.AppPrice,
            DatasetPrice = d.DatasetPrice,
            PoolPrice = d.WorkerpoolPrice,
            PoolStake = DealTerms.PoolStakeFor(d.WorkerpoolPrice),
            WorkerStake = TaskSettlement.MulDiv(d.WorkerpoolPrice, pool.Registration.WorkerStakeRatio, 100),
            SchedulerRatio = pool.Registration.SchedulerRewardRatio,
            Trust = d.Trust,
            Category = r.Category,
            Tag = d.Tag,
            Params = r.Params,
            FirstTaskIndex = d.FirstTaskIndex,
            Volume = d.Volume,
            CreatedAt = Height,
        };
        _block.Save(deal);
        _block.AddTimer(Height + _block.Market.Category(r.Category)!.FinalDeadlineBlocks, d.DealId);
        _block.Totals.Deals++;
        _block.Totals.DealsToStart.Add(deal.Id);
        _block.TotalsChanged();
    }

    /// <summary>Takes a deal's volume from a stored order (the book was already updated by the matchmaker).</summary>
    private OrderRecord Consume(Hash256 hash, ulong volume, Hash256 dealId)
    {
        var record = _block.Order(hash)!;
        record.Remaining = checked(record.Remaining - volume);
        // A request's deals are few (at most its volume); a sell order may feed thousands, so it only counts them.
        if (record.Kind == OrderKind.Request) record.Deals.Add(Bytes(dealId));
        record.DealCount++;
        if (record.Remaining == 0)
        {
            record.Status = OrderStatus.Filled;
            _block.SetIndexChange(hash, false);
        }
        _block.Save(hash, record);
        return record;
    }

    /// <summary>
    /// A deal's tasks must start within 10T of the match: tasks its pool never had a worker for are
    /// then given up like failed tasks (requester refunded, the pool owner's stake for them seized).
    /// </summary>
    public void ExpireUnstarted(DealRecord deal)
    {
        ulong left = deal.Volume - deal.Initialized;
        if (left == 0) return;
        var terms = TaskLifecycle.Terms(deal);
        _block.Escrow.ReturnUnstarted(terms.Requester, checked(terms.RequesterLock * left), terms.PoolOwner, checked(terms.PoolStake * left));
        _block.Totals.TasksFailed += left;
        _block.Totals.DealsToStart.Remove(deal.Id);
        _block.TotalsChanged();
        var pool = _block.Pool(Addr(deal.Workerpool))!;
        pool.TasksFailed += left;
        _block.Save(pool);
        _block.TouchPool(Addr(deal.Workerpool));
        deal.Failed += left;
        deal.Expired = left;
        deal.Initialized = deal.Volume;
        _block.Save(deal);
    }
}
