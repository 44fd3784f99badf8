using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Market;

/// <summary>
/// Market transactions. Each handler returns the reason it failed; the transaction is then included
/// with a failed receipt, having paid its fee, and whatever the handler changed is rolled back.
/// </summary>
public sealed partial class MarketBlock
{
    /// <summary>Applies a market transaction; an <see cref="OverflowException"/> is the executor's to turn into a failed receipt (it rolls the transaction back).</summary>
    public Reason? Execute(Address sender, ulong nonce, TransactionBody body) => body.PayloadCase switch
    {
        TransactionBody.PayloadOneofCase.RegisterApp => RegisterApp(sender, nonce, body.RegisterApp),
        TransactionBody.PayloadOneofCase.RegisterDataset => RegisterDataset(sender, nonce, body.RegisterDataset),
        TransactionBody.PayloadOneofCase.RegisterWorkerpool => RegisterWorkerpool(sender, nonce, body.RegisterWorkerpool),
        TransactionBody.PayloadOneofCase.JoinPool => JoinPool(sender, body.JoinPool),
        TransactionBody.PayloadOneofCase.LeavePool => LeavePool(sender),
        TransactionBody.PayloadOneofCase.PlaceOrder => PlaceOrder(sender, body.PlaceOrder),
        TransactionBody.PayloadOneofCase.CancelOrder => CancelOrder(sender, new Hash256(body.CancelOrder.OrderHash.Span)),
        TransactionBody.PayloadOneofCase.Contribute => Contribute(sender, body.Contribute),
        TransactionBody.PayloadOneofCase.Reveal => Reveal(sender, body.Reveal),
        TransactionBody.PayloadOneofCase.Challenge => Challenge(sender, new Hash256(body.Challenge.TaskId.Span)),
        _ => Reasons.Of(ReasonCode.ReasonPayloadNotExecutable).Number(body.PayloadCase),
    };

    private Reason? RegisterApp(Address sender, ulong nonce, RegisterApp registration)
    {
        var id = ResourceId(AppIdKind, sender, nonce);
        if (App(id) is not null) Reasons.Of(ReasonCode.ReasonAppExists).Id(id);
        Save(new AppRecord
        {
            Id = Bytes(id),
            Owner = Bytes(sender),
            Registration = registration,
            RegisteredAt = Height,
            Status = Market.RequireAppApproval ? AppStatus.PendingApproval : AppStatus.Active,
        });
        return null;
    }

    private Reason? RegisterDataset(Address sender, ulong nonce, RegisterDataset registration)
    {
        if (registration.Size == 0) return Reasons.Of(ReasonCode.ReasonDatasetSizeZero);
        var id = ResourceId(DatasetIdKind, sender, nonce);
        if (Dataset(id) is not null) Reasons.Of(ReasonCode.ReasonDatasetExists).Id(id);
        Save(new DatasetRecord { Id = Bytes(id), Owner = Bytes(sender), Registration = registration, RegisteredAt = Height });
        return null;
    }

    private Reason? RegisterWorkerpool(Address sender, ulong nonce, RegisterWorkerpool registration)
    {
        var id = ResourceId(WorkerpoolIdKind, sender, nonce);
        if (Pool(id) is not null) Reasons.Of(ReasonCode.ReasonWorkerpoolExists).Id(id);
        Save(new WorkerpoolRecord { Id = Bytes(id), Owner = Bytes(sender), Registration = registration, RegisteredAt = Height });
        return null;
    }

    private Reason? JoinPool(Address sender, JoinPool join)
    {
        var poolId = Addr(join.Workerpool);
        var pool = Pool(poolId);
        if (pool is null) return Reasons.Of(ReasonCode.ReasonWorkerpoolNotFound).Id(poolId);
        var allow = pool.Registration.WorkerAllow;
        if (allow.Count > 0 && !allow.Contains(Bytes(sender))) return Reasons.Of(ReasonCode.ReasonWorkerNotAdmitted).Id(poolId).Id(sender);
        ulong stake = _state.GetStake(sender).WorkerStake;
        if (stake < Math.Max(Parameters.MinWorkerStake, 1)) return Reasons.Of(ReasonCode.ReasonWorkerStakeBelowMinimum).Number(stake).Number(Parameters.MinWorkerStake);
        var worker = Worker(sender) ?? new WorkerRecord();
        if (!worker.Workerpool.IsEmpty)
            return Addr(worker.Workerpool) == poolId ? Reasons.Of(ReasonCode.ReasonAlreadyInThisPool).Id(poolId) : Reasons.Of(ReasonCode.ReasonAlreadyInAnotherPool).Id(worker.Workerpool);
        worker.Workerpool = join.Workerpool;
        worker.Endpoint = join.Endpoint;
        Save(sender, worker);
        InsertSorted(pool.Workers, Bytes(sender));
        pool.ScoreSum = checked(pool.ScoreSum + worker.Score);
        Save(pool);
        TouchPool(poolId);
        return null;
    }

    private Reason? LeavePool(Address sender)
    {
        var worker = Worker(sender);
        if (worker is null || worker.Workerpool.IsEmpty) return Reasons.Of(ReasonCode.ReasonNotInAPool);
        var poolId = Addr(worker.Workerpool);
        var pool = Pool(poolId)!;
        pool.Workers.Remove(Bytes(sender));
        pool.ScoreSum -= Math.Min(pool.ScoreSum, worker.Score);
        Save(pool);
        worker.Workerpool = ByteString.Empty;
        Save(sender, worker);
        TouchPool(poolId);
        return null;
    }

    /// <summary>
    /// Applies a passed governance decision on an app: approval makes a pending app active; revocation
    /// takes its open app orders out of the book (cancelled, nothing was locked for them), so requests
    /// for it no longer match and new orders for it are refused. Deals already made run to the end.
    /// </summary>
    public Reason? DecideApp(Address id, bool revoke)
    {
        var app = App(id);
        if (app is null) return Reasons.Of(ReasonCode.ReasonAppNotFound).Id(id);
        if (!revoke)
        {
            if (app.Status != AppStatus.PendingApproval) return Reasons.Of(ReasonCode.ReasonAppNotPending).Id(id);
            app.Status = AppStatus.Active;
            Save(app);
            return null;
        }
        app.Status = AppStatus.Revoked;
        Save(app);
        foreach (var entry in Book.AppOrders(id).ToList())
        {
            Cancel(entry.Order.Hash, Order(entry.Order.Hash)!);
        }
        return null;
    }

    /// <summary>True when <paramref name="worker"/> is in a pool (its worker stake must stay above the minimum).</summary>
    public bool IsPoolMember(Address worker) => Worker(worker) is { Workerpool.IsEmpty: false };

    private Reason? PlaceOrder(Address sender, PlaceOrder place)
    {
        OrderKind kind;
        object? order;
        string? error;
        IMessage wire;
        ulong lockPerUnit = 0, volume;
        switch (place.OrderCase)
        {
            case Core.Wire.PlaceOrder.OrderOneofCase.App:
            {
                kind = OrderKind.App;
                wire = place.App;
                if (!OrderCodec.TryDecode(place.App, out var a, out error)) return Reasons.Of(ReasonCode.ReasonInvalidOrder).Number(OrderKind.App);
                var app = App(a!.App);
                if (app is null) return Reasons.Of(ReasonCode.ReasonAppNotFound).Id(a.App);
                if (Addr(app.Owner) != sender) return Reasons.Of(ReasonCode.ReasonNotAppOwner).Id(a.App);
                if (app.Status != AppStatus.Active) return (app.Status == AppStatus.Revoked ? Reasons.Of(ReasonCode.ReasonAppRevoked) : Reasons.Of(ReasonCode.ReasonAppNotApproved)).Id(a.App);
                order = a; volume = a.Volume;
                break;
            }
            case Core.Wire.PlaceOrder.OrderOneofCase.Dataset:
            {
                kind = OrderKind.Dataset;
                wire = place.Dataset;
                if (!OrderCodec.TryDecode(place.Dataset, out var d, out error)) return Reasons.Of(ReasonCode.ReasonInvalidOrder).Number(OrderKind.Dataset);
                var dataset = Dataset(d!.Dataset);
                if (dataset is null) return Reasons.Of(ReasonCode.ReasonDatasetNotFound).Id(d.Dataset);
                if (Addr(dataset.Owner) != sender) return Reasons.Of(ReasonCode.ReasonNotDatasetOwner).Id(d.Dataset);
                order = d; volume = d.Volume;
                break;
            }
            case Core.Wire.PlaceOrder.OrderOneofCase.Workerpool:
            {
                kind = OrderKind.Workerpool;
                wire = place.Workerpool;
                if (!OrderCodec.TryDecode(place.Workerpool, out var w, out error)) return Reasons.Of(ReasonCode.ReasonInvalidOrder).Number(OrderKind.Workerpool);
                var pool = Pool(w!.Workerpool);
                if (pool is null) return Reasons.Of(ReasonCode.ReasonWorkerpoolNotFound).Id(w.Workerpool);
                if (Addr(pool.Owner) != sender) return Reasons.Of(ReasonCode.ReasonNotWorkerpoolOwner).Id(w.Workerpool);
                if (Market.Category(w.Category) is null) return Reasons.Of(ReasonCode.ReasonCategoryNotFound).Number(w.Category);
                lockPerUnit = DealTerms.PoolStakeFor(w.Price);
                order = w; volume = w.Volume;
                break;
            }
            case Core.Wire.PlaceOrder.OrderOneofCase.Request:
            {
                kind = OrderKind.Request;
                wire = place.Request;
                if (!OrderCodec.TryDecode(place.Request, out var r, out error)) return Reasons.Of(ReasonCode.ReasonInvalidOrder).Number(OrderKind.Request);
                if (r!.Requester != sender) return Reasons.Of(ReasonCode.ReasonRequesterNotSender).Id(r.Requester).Id(sender);
                var app = App(r.App);
                if (app is null) return Reasons.Of(ReasonCode.ReasonAppNotFound).Id(r.App);
                if (app.Status == AppStatus.Revoked) return Reasons.Of(ReasonCode.ReasonAppRevoked).Id(r.App);
                if (r.HasDataset && Dataset(r.Dataset) is null) return Reasons.Of(ReasonCode.ReasonDatasetNotFound).Id(r.Dataset);
                if (!r.Workerpool.IsZero && Pool(r.Workerpool) is null) return Reasons.Of(ReasonCode.ReasonWorkerpoolNotFound).Id(r.Workerpool);
                if (Market.Category(r.Category) is null) return Reasons.Of(ReasonCode.ReasonCategoryNotFound).Number(r.Category);
                lockPerUnit = checked(r.AppMaxPrice + r.DatasetMaxPrice + r.WorkerpoolMaxPrice);
                order = r; volume = r.Volume;
                break;
            }
            default:
                return Reasons.Of(ReasonCode.ReasonNoOrder);
        }
        var hash = OrderCodec.HashOf((OrderCodec.Kind)kind, wire);
        if (Order(hash) is not null) return Reasons.Of(ReasonCode.ReasonOrderExists).Id(hash);
        ulong total = checked(lockPerUnit * volume);
        var account = _state.GetAccount(sender);
        if (account.Balance < total)
            return Reasons.Of(kind == OrderKind.Request ? ReasonCode.ReasonCannotLockOrderCost : ReasonCode.ReasonCannotLockPoolStake)
                .Number(account.Balance).Number(total).Number(lockPerUnit).Number(volume);
        Freeze(sender, total);
        ulong sequence = Totals.NextOrderSequence++;
        TotalsChanged();
        Save(hash, new OrderRecord
        {
            Kind = kind,
            Order = wire.ToByteString(),
            Owner = Bytes(sender),
            Remaining = volume,
            Sequence = sequence,
            PlacedAt = Height,
            LockPerUnit = lockPerUnit,
            Status = OrderStatus.Open,
        });
        Book.AddOrder(order!, volume, (long)sequence);
        SetIndexChange(hash, true);
        return null;
    }

    private Reason? CancelOrder(Address sender, Hash256 hash)
    {
        var record = Order(hash);
        if (record is null) return Reasons.Of(ReasonCode.ReasonOrderNotFound).Id(hash);
        if (Addr(record.Owner) != sender) return Reasons.Of(ReasonCode.ReasonOrderNotOwned).Id(hash).Id(record.Owner);
        if (record.Status != OrderStatus.Open) return (record.Status == OrderStatus.Filled ? Reasons.Of(ReasonCode.ReasonOrderFilled) : Reasons.Of(ReasonCode.ReasonOrderCancelled)).Id(hash);
        Unfreeze(sender, checked(record.Remaining * record.LockPerUnit));
        Cancel(hash, record);
        return null;
    }

    /// <summary>Takes an open order out of the book, the index and the market (its lock is the caller's business).</summary>
    private void Cancel(Hash256 hash, OrderRecord record)
    {
        record.Status = OrderStatus.Cancelled;
        record.Remaining = 0;
        Save(hash, record);
        Book.Remove(hash);
        SetIndexChange(hash, false);
    }

    private Reason? Contribute(Address sender, Contribute contribution)
    {
        var taskId = H(contribution.TaskId);
        var task = Task(taskId);
        if (task is null) return Reasons.Of(ReasonCode.ReasonTaskNotFound).Id(taskId);
        if (task.Status == TaskStatus.Completed && task.Verification is { Phase: VerificationPhase.Committing }) return VerifierContribute(sender, task, contribution);
        if (task.Status != TaskStatus.Active) return Reasons.Of(ReasonCode.ReasonContributionsClosed).Number(task.Status).Id(taskId);
        if (Height > task.ContributionDeadline) return Reasons.Of(ReasonCode.ReasonContributionDeadlinePassed).Number(task.ContributionDeadline).Id(taskId);
        var replica = FindReplica(task, sender);
        if (replica is null) return Reasons.Of(ReasonCode.ReasonNotAssigned).Id(sender).Id(taskId);
        var deal = Deal(H(task.DealId))!;
        if (Commit(sender, task, deal, replica, contribution, verifier: false) is { } refused) return refused;
        var worker = Worker(sender)!;
        worker.Contributions++;
        Save(sender, worker);

        var resultHash = H(contribution.ResultHash);
        var tally = Tally(task, deal);
        if (tally.HasConsensus(resultHash))
        {
            var category = Market.Category(deal.Category)!;
            task.Status = TaskStatus.Revealing;
            task.ConsensusHash = contribution.ResultHash;
            task.RevealDeadline = Height + 2 * category.TimeRefBlocks;
            AddTimer(task.RevealDeadline, taskId);
            CancelOpenReplicas(task);
            Emit("consensus", task, deal, sender);
        }
        else
        {
            Emit("contributed", task, deal, sender);
            if (!HasOpenReplica(task)) AssignReplicas(task, deal);
        }
        Save(task);
        return null;
    }

    /// <summary>
    /// Records a commit on an open replica (the task's or its verification's): checks its state, deadline
    /// and the worker's balance, locks the worker stake and takes the task out of the worker's assignments.
    /// </summary>
    private Reason? Commit(Address sender, TaskRecord task, DealRecord deal, Replica replica, Contribute contribution, bool verifier)
    {
        var taskId = H(task.Id);
        if (replica.Status != ReplicaStatus.Assigned)
            return Reasons.Of(verifier ? ReasonCode.ReasonVerifierReplicaNotOpen : ReasonCode.ReasonReplicaNotOpen).Number(replica.Status).Id(sender).Id(taskId);
        if (Height > replica.Deadline)
            return Reasons.Of(verifier ? ReasonCode.ReasonVerifierReplicaTimedOut : ReasonCode.ReasonReplicaTimedOut).Number(replica.Deadline).Id(sender).Id(taskId);
        var account = _state.GetAccount(sender);
        if (account.Balance < deal.WorkerStake) return Reasons.Of(ReasonCode.ReasonCannotLockWorkerStake).Number(account.Balance).Number(deal.WorkerStake);
        var worker = Worker(sender)!;
        Freeze(sender, deal.WorkerStake);
        replica.Status = ReplicaStatus.Contributed;
        replica.ResultHash = contribution.ResultHash;
        replica.ResultSeal = contribution.ResultSeal;
        replica.Score = worker.Score;
        replica.ContributedAt = Height;
        worker.Assignments.Remove(task.Id);
        Save(sender, worker);
        return null;
    }

    /// <summary>Whether <paramref name="digest"/> opens the replica's commit: keccak(task ‖ digest) and the worker's seal.</summary>
    private static bool Opens(Replica replica, Address sender, Hash256 taskId, Hash256 digest) =>
        ResultHash(taskId, digest) == H(replica.ResultHash) && ResultSeal(sender, taskId, digest) == H(replica.ResultSeal);

    private Reason? Reveal(Address sender, Reveal reveal)
    {
        var taskId = H(reveal.TaskId);
        var task = Task(taskId);
        if (task is null) return Reasons.Of(ReasonCode.ReasonTaskNotFound).Id(taskId);
        if (task.Status == TaskStatus.Completed && task.Verification is { Phase: VerificationPhase.Revealing }) return VerifierReveal(sender, task, reveal);
        if (task.Status != TaskStatus.Revealing) return Reasons.Of(ReasonCode.ReasonNothingToReveal).Number(task.Status).Id(taskId);
        if (Height > task.RevealDeadline) return Reasons.Of(ReasonCode.ReasonRevealDeadlinePassed).Number(task.RevealDeadline).Id(taskId);
        var replica = FindReplica(task, sender);
        if (replica is null) return Reasons.Of(ReasonCode.ReasonNoReplica).Id(sender).Id(taskId);
        if (replica.Status == ReplicaStatus.Revealed) return Reasons.Of(ReasonCode.ReasonAlreadyRevealed).Id(sender).Id(taskId);
        if (replica.Status != ReplicaStatus.Contributed || replica.ResultHash != task.ConsensusHash)
            return Reasons.Of(ReasonCode.ReasonNotConsensusContributor).Id(sender).Id(taskId);
        var digest = H(reveal.ResultDigest);
        if (!Opens(replica, sender, taskId, digest)) return Reasons.Of(ReasonCode.ReasonDigestDoesNotOpen).Id(sender).Id(taskId);
        replica.Status = ReplicaStatus.Revealed;
        replica.ResultDigest = reveal.ResultDigest;
        if (task.ResultDigest.IsEmpty) task.ResultDigest = reveal.ResultDigest;
        var deal = Deal(H(task.DealId))!;
        Emit("revealed", task, deal, sender);
        bool allRevealed = true;
        foreach (var r in task.Replicas)
            if (r.Status == ReplicaStatus.Contributed && r.ResultHash == task.ConsensusHash) allRevealed = false;
        if (allRevealed) Finalize(task, deal);
        Save(task);
        return null;
    }

    private static Replica? FindReplica(TaskRecord task, Address worker)
    {
        var raw = worker.ToArray();
        foreach (var r in task.Replicas) if (r.Worker.Span.SequenceEqual(raw)) return r;
        return null;
    }

    private static bool HasOpenReplica(TaskRecord task)
    {
        foreach (var r in task.Replicas) if (r.Status == ReplicaStatus.Assigned) return true;
        return false;
    }

    /// <summary>The task's vote so far, replayed from its contributions in order (rejected groups excluded).</summary>
    private static ConsensusTally Tally(TaskRecord task, DealRecord deal)
    {
        var tally = new ConsensusTally(deal.Trust);
        foreach (var r in task.Replicas)
            if (r.Status is ReplicaStatus.Contributed or ReplicaStatus.Revealed) tally.Contribute(H(r.ResultHash), r.Score);
        return tally;
    }

    /// <summary>Replicas still waiting to contribute are no longer needed (consensus reached, or the task settled).</summary>
    private void CancelOpenReplicas(TaskRecord task)
    {
        foreach (var r in task.Replicas)
        {
            if (r.Status != ReplicaStatus.Assigned) continue;
            r.Status = ReplicaStatus.Cancelled;
            Unassign(Addr(r.Worker), task.Id);
        }
    }

    private void Unassign(Address worker, ByteString taskId)
    {
        var record = Worker(worker);
        if (record is null) return;
        record.Assignments.Remove(taskId);
        Save(worker, record);
    }

    private static void InsertSorted(Google.Protobuf.Collections.RepeatedField<ByteString> list, ByteString item)
    {
        int at = 0;
        while (at < list.Count && list[at].Span.SequenceCompareTo(item.Span) < 0) at++;
        list.Insert(at, item);
    }
}
