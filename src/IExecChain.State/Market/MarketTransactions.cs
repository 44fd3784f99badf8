using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

using TaskStatus = IExecChain.Core.Wire.TaskStatus;

namespace IExecChain.State.Market;

/// <summary>
/// Market transactions. Each handler returns the reason it failed; the transaction is then included
/// with a failed receipt, having paid its fee, and whatever the handler changed is rolled back.
/// </summary>
public sealed partial class MarketBlock
{
    /// <summary>Applies a market transaction; an <see cref="OverflowException"/> is the executor's to turn into a failed receipt (it rolls the transaction back).</summary>
    public string? Execute(Address sender, ulong nonce, TransactionBody body) => body.PayloadCase switch
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
        _ => $"payload {body.PayloadCase} is not a market transaction",
    };

    private string? RegisterApp(Address sender, ulong nonce, RegisterApp registration)
    {
        var id = ResourceId(AppIdKind, sender, nonce);
        if (App(id) is not null) return $"app {id} already exists";
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

    private string? RegisterDataset(Address sender, ulong nonce, RegisterDataset registration)
    {
        if (registration.Size == 0) return "register_dataset.size must be positive";
        var id = ResourceId(DatasetIdKind, sender, nonce);
        if (Dataset(id) is not null) return $"dataset {id} already exists";
        Save(new DatasetRecord { Id = Bytes(id), Owner = Bytes(sender), Registration = registration, RegisteredAt = Height });
        return null;
    }

    private string? RegisterWorkerpool(Address sender, ulong nonce, RegisterWorkerpool registration)
    {
        var id = ResourceId(WorkerpoolIdKind, sender, nonce);
        if (Pool(id) is not null) return $"workerpool {id} already exists";
        Save(new WorkerpoolRecord { Id = Bytes(id), Owner = Bytes(sender), Registration = registration, RegisteredAt = Height });
        return null;
    }

    private string? JoinPool(Address sender, JoinPool join)
    {
        var poolId = Addr(join.Workerpool);
        var pool = Pool(poolId);
        if (pool is null) return $"workerpool {poolId} does not exist";
        var allow = pool.Registration.WorkerAllow;
        if (allow.Count > 0 && !allow.Contains(Bytes(sender))) return $"workerpool {poolId} does not admit worker {sender}";
        ulong stake = _state.GetStake(sender).WorkerStake;
        if (stake < Math.Max(Parameters.MinWorkerStake, 1)) return $"worker stake {stake} is below the minimum {Parameters.MinWorkerStake} nRLC";
        var worker = Worker(sender) ?? new WorkerRecord();
        if (!worker.Workerpool.IsEmpty)
            return Addr(worker.Workerpool) == poolId ? $"already a member of workerpool {poolId}" : $"already a member of workerpool {Addr(worker.Workerpool)}; leave it first";
        worker.Workerpool = join.Workerpool;
        worker.Endpoint = join.Endpoint;
        Save(sender, worker);
        InsertSorted(pool.Workers, Bytes(sender));
        pool.ScoreSum = checked(pool.ScoreSum + worker.Score);
        Save(pool);
        TouchPool(poolId);
        return null;
    }

    private string? LeavePool(Address sender)
    {
        var worker = Worker(sender);
        if (worker is null || worker.Workerpool.IsEmpty) return "not a member of any workerpool";
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
    public string? DecideApp(Address id, bool revoke)
    {
        var app = App(id);
        if (app is null) return $"app {id} does not exist";
        if (!revoke)
        {
            if (app.Status != AppStatus.PendingApproval) return $"app {id} is not pending approval";
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

    private string? PlaceOrder(Address sender, PlaceOrder place)
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
                if (!OrderCodec.TryDecode(place.App, out var a, out error)) return $"app order: {error}";
                var app = App(a!.App);
                if (app is null) return $"app {a.App} does not exist";
                if (Addr(app.Owner) != sender) return $"only the owner of app {a.App} may sell it";
                if (app.Status != AppStatus.Active) return $"app {a.App} is {(app.Status == AppStatus.Revoked ? "revoked" : "not approved yet")}";
                order = a; volume = a.Volume;
                break;
            }
            case Core.Wire.PlaceOrder.OrderOneofCase.Dataset:
            {
                kind = OrderKind.Dataset;
                wire = place.Dataset;
                if (!OrderCodec.TryDecode(place.Dataset, out var d, out error)) return $"dataset order: {error}";
                var dataset = Dataset(d!.Dataset);
                if (dataset is null) return $"dataset {d.Dataset} does not exist";
                if (Addr(dataset.Owner) != sender) return $"only the owner of dataset {d.Dataset} may sell it";
                order = d; volume = d.Volume;
                break;
            }
            case Core.Wire.PlaceOrder.OrderOneofCase.Workerpool:
            {
                kind = OrderKind.Workerpool;
                wire = place.Workerpool;
                if (!OrderCodec.TryDecode(place.Workerpool, out var w, out error)) return $"workerpool order: {error}";
                var pool = Pool(w!.Workerpool);
                if (pool is null) return $"workerpool {w.Workerpool} does not exist";
                if (Addr(pool.Owner) != sender) return $"only the owner of workerpool {w.Workerpool} may offer it";
                if (Market.Category(w.Category) is null) return $"category {w.Category} does not exist";
                lockPerUnit = DealTerms.PoolStakeFor(w.Price);
                order = w; volume = w.Volume;
                break;
            }
            case Core.Wire.PlaceOrder.OrderOneofCase.Request:
            {
                kind = OrderKind.Request;
                wire = place.Request;
                if (!OrderCodec.TryDecode(place.Request, out var r, out error)) return $"request order: {error}";
                if (r!.Requester != sender) return $"requester {r.Requester} is not the sender {sender}";
                var app = App(r.App);
                if (app is null) return $"app {r.App} does not exist";
                if (app.Status == AppStatus.Revoked) return $"app {r.App} is revoked";
                if (r.HasDataset && Dataset(r.Dataset) is null) return $"dataset {r.Dataset} does not exist";
                if (!r.Workerpool.IsZero && Pool(r.Workerpool) is null) return $"workerpool {r.Workerpool} does not exist";
                if (Market.Category(r.Category) is null) return $"category {r.Category} does not exist";
                lockPerUnit = checked(r.AppMaxPrice + r.DatasetMaxPrice + r.WorkerpoolMaxPrice);
                order = r; volume = r.Volume;
                break;
            }
            default:
                return "place_order carries no order";
        }
        var hash = OrderCodec.HashOf((OrderCodec.Kind)kind, wire);
        if (Order(hash) is not null) return $"order {hash} was already placed (change its salt to place the same terms again)";
        ulong total = checked(lockPerUnit * volume);
        var account = _state.GetAccount(sender);
        if (account.Balance < total)
            return kind == OrderKind.Request
                ? $"balance {account.Balance} cannot lock the order's maximum cost {total} ({lockPerUnit} per task x {volume})"
                : $"balance {account.Balance} cannot lock the pool stake {total} ({lockPerUnit} per task x {volume})";
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

    private string? CancelOrder(Address sender, Hash256 hash)
    {
        var record = Order(hash);
        if (record is null) return $"order {hash} does not exist";
        if (Addr(record.Owner) != sender) return $"order {hash} belongs to {Addr(record.Owner)}";
        if (record.Status != OrderStatus.Open) return $"order {hash} is already {(record.Status == OrderStatus.Filled ? "filled" : "cancelled")}";
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

    private string? Contribute(Address sender, Contribute contribution)
    {
        var taskId = H(contribution.TaskId);
        var task = Task(taskId);
        if (task is null) return $"task {taskId} does not exist";
        if (task.Status == TaskStatus.Completed && task.Verification is { Phase: VerificationPhase.Committing }) return VerifierContribute(sender, task, contribution);
        if (task.Status != TaskStatus.Active) return $"task {taskId} is {StatusName(task.Status)}: contributions are closed";
        if (Height > task.ContributionDeadline) return $"task {taskId}: the contribution deadline (block {task.ContributionDeadline}) has passed";
        var replica = FindReplica(task, sender);
        if (replica is null) return $"worker {sender} is not assigned to task {taskId}";
        var deal = Deal(H(task.DealId))!;
        if (Commit(sender, task, deal, replica, contribution, "worker", "contribute to") is { } refused) return refused;
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
    private string? Commit(Address sender, TaskRecord task, DealRecord deal, Replica replica, Contribute contribution, string role, string verb)
    {
        var taskId = H(task.Id);
        if (replica.Status != ReplicaStatus.Assigned) return $"{role} {sender} cannot {verb} task {taskId}: its replica is {replica.Status}";
        if (Height > replica.Deadline) return $"{role} {sender}'s replica of task {taskId} timed out at block {replica.Deadline}";
        var account = _state.GetAccount(sender);
        if (account.Balance < deal.WorkerStake) return $"balance {account.Balance} cannot lock the worker stake {deal.WorkerStake}";
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

    private string? Reveal(Address sender, Reveal reveal)
    {
        var taskId = H(reveal.TaskId);
        var task = Task(taskId);
        if (task is null) return $"task {taskId} does not exist";
        if (task.Status == TaskStatus.Completed && task.Verification is { Phase: VerificationPhase.Revealing }) return VerifierReveal(sender, task, reveal);
        if (task.Status != TaskStatus.Revealing) return $"task {taskId} is {StatusName(task.Status)}: nothing to reveal";
        if (Height > task.RevealDeadline) return $"task {taskId}: the reveal deadline (block {task.RevealDeadline}) has passed";
        var replica = FindReplica(task, sender);
        if (replica is null) return $"worker {sender} has no replica of task {taskId}";
        if (replica.Status == ReplicaStatus.Revealed) return $"worker {sender} already revealed task {taskId}";
        if (replica.Status != ReplicaStatus.Contributed || replica.ResultHash != task.ConsensusHash)
            return $"worker {sender} did not contribute the consensus result of task {taskId}";
        var digest = H(reveal.ResultDigest);
        if (!Opens(replica, sender, taskId, digest)) return $"the digest does not open worker {sender}'s commit on task {taskId}";
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
