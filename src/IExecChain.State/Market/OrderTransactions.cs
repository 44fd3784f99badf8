using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

using static IExecChain.State.Market.MarketBlock;

namespace IExecChain.State.Market;

/// <summary>
/// Order transactions: placing an order (its cost or pool stake locked for its whole volume, the order
/// stored, put in the book and the open-order index) and cancelling one (the remaining lock returned).
/// The four kinds of order differ only in how they decode, what their sender must own or reference, and
/// what they lock per unit; everything after that is one flow.
/// </summary>
internal sealed class OrderTransactions
{
    private readonly MarketBlock _block;

    internal OrderTransactions(MarketBlock block) => _block = block;

    private MarketParameters Market => _block.Market;

    /// <summary>A decoded order that passed its kind's checks: what is stored, what goes into the book, what is locked per unit.</summary>
    private readonly record struct Placement(OrderKind Kind, IMessage Wire, object Order, ulong Volume, ulong LockPerUnit);

    public Reason? PlaceOrder(Address sender, PlaceOrder place)
    {
        Reason? refused;
        Placement placement;
        switch (place.OrderCase)
        {
            case Core.Wire.PlaceOrder.OrderOneofCase.App: refused = DescribeApp(sender, place.App, out placement); break;
            case Core.Wire.PlaceOrder.OrderOneofCase.Dataset: refused = DescribeDataset(sender, place.Dataset, out placement); break;
            case Core.Wire.PlaceOrder.OrderOneofCase.Workerpool: refused = DescribeWorkerpool(sender, place.Workerpool, out placement); break;
            case Core.Wire.PlaceOrder.OrderOneofCase.Request: refused = DescribeRequest(sender, place.Request, out placement); break;
            default: return Reasons.Of(ReasonCode.ReasonNoOrder);
        }
        return refused ?? Place(sender, placement);
    }

    private Reason? DescribeApp(Address sender, Core.Wire.AppOrder wire, out Placement placement)
    {
        placement = default;
        if (!OrderCodec.TryDecode(wire, out var a, out _)) return Invalid(OrderKind.App);
        var app = _block.App(a!.App);
        if (Owned(app?.Owner, sender, a.App, ReasonCode.ReasonAppNotFound, ReasonCode.ReasonNotAppOwner) is { } refused) return refused;
        if (app!.Status != AppStatus.Active) return (app.Status == AppStatus.Revoked ? Reasons.Of(ReasonCode.ReasonAppRevoked) : Reasons.Of(ReasonCode.ReasonAppNotApproved)).Id(a.App);
        placement = new(OrderKind.App, wire, a, a.Volume, LockPerUnit: 0);
        return null;
    }

    private Reason? DescribeDataset(Address sender, Core.Wire.DatasetOrder wire, out Placement placement)
    {
        placement = default;
        if (!OrderCodec.TryDecode(wire, out var d, out _)) return Invalid(OrderKind.Dataset);
        if (Owned(_block.Dataset(d!.Dataset)?.Owner, sender, d.Dataset, ReasonCode.ReasonDatasetNotFound, ReasonCode.ReasonNotDatasetOwner) is { } refused) return refused;
        placement = new(OrderKind.Dataset, wire, d, d.Volume, LockPerUnit: 0);
        return null;
    }

    /// <summary>A pool owner's order locks the pool stake for each task it may run.</summary>
    private Reason? DescribeWorkerpool(Address sender, Core.Wire.WorkerpoolOrder wire, out Placement placement)
    {
        placement = default;
        if (!OrderCodec.TryDecode(wire, out var w, out _)) return Invalid(OrderKind.Workerpool);
        if (Owned(_block.Pool(w!.Workerpool)?.Owner, sender, w.Workerpool, ReasonCode.ReasonWorkerpoolNotFound, ReasonCode.ReasonNotWorkerpoolOwner) is { } refused) return refused;
        if (Market.Category(w.Category) is null) return Reasons.Of(ReasonCode.ReasonCategoryNotFound).Number(w.Category);
        placement = new(OrderKind.Workerpool, wire, w, w.Volume, DealTerms.PoolStakeFor(w.Price));
        return null;
    }

    /// <summary>A request locks its maximum prices for each task; what the match does not use goes back when the deal is made.</summary>
    private Reason? DescribeRequest(Address sender, Core.Wire.RequestOrder wire, out Placement placement)
    {
        placement = default;
        if (!OrderCodec.TryDecode(wire, out var r, out _)) return Invalid(OrderKind.Request);
        if (r!.Requester != sender) return Reasons.Of(ReasonCode.ReasonRequesterNotSender).Id(r.Requester).Id(sender);
        var app = _block.App(r.App);
        if (app is null) return Reasons.Of(ReasonCode.ReasonAppNotFound).Id(r.App);
        if (app.Status == AppStatus.Revoked) return Reasons.Of(ReasonCode.ReasonAppRevoked).Id(r.App);
        if (r.HasDataset && _block.Dataset(r.Dataset) is null) return Reasons.Of(ReasonCode.ReasonDatasetNotFound).Id(r.Dataset);
        if (!r.Workerpool.IsZero && _block.Pool(r.Workerpool) is null) return Reasons.Of(ReasonCode.ReasonWorkerpoolNotFound).Id(r.Workerpool);
        if (Market.Category(r.Category) is null) return Reasons.Of(ReasonCode.ReasonCategoryNotFound).Number(r.Category);
        placement = new(OrderKind.Request, wire, r, r.Volume, checked(r.AppMaxPrice + r.DatasetMaxPrice + r.WorkerpoolMaxPrice));
        return null;
    }

    private static Reason Invalid(OrderKind kind) => Reasons.Of(ReasonCode.ReasonInvalidOrder).Number(kind);

    /// <summary>Null when the resource exists (<paramref name="owner"/> not null) and is the sender's.</summary>
    private static Reason? Owned(ByteString? owner, Address sender, Address id, ReasonCode notFound, ReasonCode notOwner)
    {
        if (owner is null) return Reasons.Of(notFound).Id(id);
        if (Addr(owner) != sender) return Reasons.Of(notOwner).Id(id);
        return null;
    }

    private Reason? Place(Address sender, Placement p)
    {
        var hash = OrderCodec.HashOf((OrderCodec.Kind)p.Kind, p.Wire);
        if (_block.Order(hash) is not null) return Reasons.Of(ReasonCode.ReasonOrderExists).Id(hash);
        ulong total = checked(p.LockPerUnit * p.Volume);
        ulong balance = _block.Escrow.Balance(sender);
        if (balance < total)
            return Reasons.Of(p.Kind == OrderKind.Request ? ReasonCode.ReasonCannotLockOrderCost : ReasonCode.ReasonCannotLockPoolStake)
                .Number(balance).Number(total).Number(p.LockPerUnit).Number(p.Volume);
        _block.Escrow.Freeze(sender, total);
        ulong sequence = _block.Totals.NextOrderSequence++;
        _block.TotalsChanged();
        _block.Save(hash, new OrderRecord
        {
            Kind = p.Kind,
            Order = p.Wire.ToByteString(),
            Owner = Bytes(sender),
            Remaining = p.Volume,
            Sequence = sequence,
            PlacedAt = _block.Height,
            LockPerUnit = p.LockPerUnit,
            Status = OrderStatus.Open,
        });
        _block.Book.AddOrder(p.Order, p.Volume, (long)sequence);
        _block.SetIndexChange(hash, true);
        return null;
    }

    public Reason? CancelOrder(Address sender, Hash256 hash)
    {
        var record = _block.Order(hash);
        if (record is null) return Reasons.Of(ReasonCode.ReasonOrderNotFound).Id(hash);
        if (Addr(record.Owner) != sender) return Reasons.Of(ReasonCode.ReasonOrderNotOwned).Id(hash).Id(record.Owner);
        if (record.Status != OrderStatus.Open) return (record.Status == OrderStatus.Filled ? Reasons.Of(ReasonCode.ReasonOrderFilled) : Reasons.Of(ReasonCode.ReasonOrderCancelled)).Id(hash);
        _block.Escrow.Unfreeze(sender, checked(record.Remaining * record.LockPerUnit));
        Cancel(hash, record);
        return null;
    }

    /// <summary>Takes an open order out of the book, the index and the market (its lock is the caller's business).</summary>
    public void Cancel(Hash256 hash, OrderRecord record)
    {
        record.Status = OrderStatus.Cancelled;
        record.Remaining = 0;
        _block.Save(hash, record);
        _block.Book.Remove(hash);
        _block.SetIndexChange(hash, false);
    }
}
