using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

using static IExecChain.State.Market.MarketBlock;

namespace IExecChain.State.Market;

/// <summary>
/// Registry transactions: apps, datasets and workerpools registered under ids derived from their owner
/// and nonce, workers joining and leaving pools, and governance decisions on apps.
/// </summary>
internal sealed class RegistryTransactions
{
    private readonly MarketBlock _block;
    private readonly WorldState _state;

    internal RegistryTransactions(MarketBlock block, WorldState state)
    {
        _block = block;
        _state = state;
    }

    public Reason? RegisterApp(Address sender, ulong nonce, RegisterApp registration)
    {
        var id = ResourceId(AppIdKind, sender, nonce);
        if (_block.App(id) is not null) return Reasons.Of(ReasonCode.ReasonAppExists).Id(id);
        _block.Save(new AppRecord
        {
            Id = Bytes(id),
            Owner = Bytes(sender),
            Registration = registration,
            RegisteredAt = _block.Height,
            Status = _block.Market.RequireAppApproval ? AppStatus.PendingApproval : AppStatus.Active,
        });
        return null;
    }

    public Reason? RegisterDataset(Address sender, ulong nonce, RegisterDataset registration)
    {
        if (registration.Size == 0) return Reasons.Of(ReasonCode.ReasonDatasetSizeZero);
        var id = ResourceId(DatasetIdKind, sender, nonce);
        if (_block.Dataset(id) is not null) return Reasons.Of(ReasonCode.ReasonDatasetExists).Id(id);
        _block.Save(new DatasetRecord { Id = Bytes(id), Owner = Bytes(sender), Registration = registration, RegisteredAt = _block.Height });
        return null;
    }

    public Reason? RegisterWorkerpool(Address sender, ulong nonce, RegisterWorkerpool registration)
    {
        var id = ResourceId(WorkerpoolIdKind, sender, nonce);
        if (_block.Pool(id) is not null) return Reasons.Of(ReasonCode.ReasonWorkerpoolExists).Id(id);
        _block.Save(new WorkerpoolRecord { Id = Bytes(id), Owner = Bytes(sender), Registration = registration, RegisteredAt = _block.Height });
        return null;
    }

    public Reason? JoinPool(Address sender, JoinPool join)
    {
        var poolId = Addr(join.Workerpool);
        var pool = _block.Pool(poolId);
        if (pool is null) return Reasons.Of(ReasonCode.ReasonWorkerpoolNotFound).Id(poolId);
        var allow = pool.Registration.WorkerAllow;
        if (allow.Count > 0 && !allow.Contains(Bytes(sender))) return Reasons.Of(ReasonCode.ReasonWorkerNotAdmitted).Id(poolId).Id(sender);
        ulong stake = _state.GetStake(sender).WorkerStake;
        if (stake < Math.Max(_block.Parameters.MinWorkerStake, 1)) return Reasons.Of(ReasonCode.ReasonWorkerStakeBelowMinimum).Number(stake).Number(_block.Parameters.MinWorkerStake);
        var worker = _block.Worker(sender) ?? new WorkerRecord();
        if (!worker.Workerpool.IsEmpty)
            return Addr(worker.Workerpool) == poolId ? Reasons.Of(ReasonCode.ReasonAlreadyInThisPool).Id(poolId) : Reasons.Of(ReasonCode.ReasonAlreadyInAnotherPool).Id(worker.Workerpool);
        worker.Workerpool = join.Workerpool;
        worker.Endpoint = join.Endpoint;
        _block.Save(sender, worker);
        InsertSorted(pool.Workers, Bytes(sender));
        pool.ScoreSum = checked(pool.ScoreSum + worker.Score);
        _block.Save(pool);
        _block.TouchPool(poolId);
        return null;
    }

    public Reason? LeavePool(Address sender)
    {
        var worker = _block.Worker(sender);
        if (worker is null || worker.Workerpool.IsEmpty) return Reasons.Of(ReasonCode.ReasonNotInAPool);
        var poolId = Addr(worker.Workerpool);
        var pool = _block.Pool(poolId)!;
        pool.Workers.Remove(Bytes(sender));
        pool.ScoreSum -= Math.Min(pool.ScoreSum, worker.Score);
        _block.Save(pool);
        worker.Workerpool = ByteString.Empty;
        _block.Save(sender, worker);
        _block.TouchPool(poolId);
        return null;
    }

    /// <summary>
    /// Applies a passed governance decision on an app: approval makes a pending app active; revocation
    /// takes its open app orders out of the book (cancelled, nothing was locked for them), so requests
    /// for it no longer match and new orders for it are refused. Deals already made run to the end.
    /// </summary>
    public Reason? DecideApp(Address id, bool revoke)
    {
        var app = _block.App(id);
        if (app is null) return Reasons.Of(ReasonCode.ReasonAppNotFound).Id(id);
        if (!revoke)
        {
            if (app.Status != AppStatus.PendingApproval) return Reasons.Of(ReasonCode.ReasonAppNotPending).Id(id);
            app.Status = AppStatus.Active;
            _block.Save(app);
            return null;
        }
        app.Status = AppStatus.Revoked;
        _block.Save(app);
        foreach (var entry in _block.Book.AppOrders(id).ToList())
        {
            _block.Orders.Cancel(entry.Order.Hash, _block.Order(entry.Order.Hash)!);
        }
        return null;
    }

    private static void InsertSorted(Google.Protobuf.Collections.RepeatedField<ByteString> list, ByteString item)
    {
        int at = 0;
        while (at < list.Count && list[at].Span.SequenceCompareTo(item.Span) < 0) at++;
        list.Insert(at, item);
    }
}
