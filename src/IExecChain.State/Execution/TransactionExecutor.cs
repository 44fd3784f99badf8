using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Market;
using IExecChain.State.Validators;

namespace IExecChain.State.Execution;

/// <summary>
/// Applies transactions to a <see cref="WorldState"/>. A transaction is either invalid (wrong
/// nonce, cannot pay its fee: it must not be in a block at all) or included; an included one pays
/// its fee and consumes its nonce even when its payload fails, and its receipt says why (a
/// <see cref="Reason"/>: a code and arguments, never text, because receipts are hashed into headers).
/// </summary>
public sealed class TransactionExecutor
{
    private readonly ChainParameters _spec;
    private volatile ChainParameters _parameters;

    public TransactionExecutor(ChainParameters parameters)
    {
        _spec = parameters;
        _parameters = parameters;
    }

    /// <summary>The chain spec's parameters with governance changes applied.</summary>
    public ChainParameters Parameters => _parameters;

    /// <summary>Applies the committed governance overrides; called between blocks, never during one.</summary>
    public void ApplyOverrides(ParameterOverrides? overrides)
    {
        var p = _spec;
        if (overrides is not null)
        {
            foreach (var o in overrides.Values)
            {
                // Governance admits only names of the same table, so this means the table lost a row
                // that state still uses: running on without it would be other rules than the peers'.
                var parameter = GovernableParameters.Find(o.Name)
                    ?? throw new InvalidDataException($"state overrides parameter '{o.Name}', which this version cannot govern (governable: {GovernableParameters.NameList})");
                p = parameter.Write(p, o.Value);
            }
        }
        _parameters = p;
    }

    public ulong RequiredFee(TransactionBody.PayloadOneofCase kind) => kind switch
    {
        TransactionBody.PayloadOneofCase.Transfer => _parameters.Fees.Transfer,
        TransactionBody.PayloadOneofCase.Stake => _parameters.Fees.Stake,
        TransactionBody.PayloadOneofCase.Unstake => _parameters.Fees.Unstake,
        TransactionBody.PayloadOneofCase.Propose or TransactionBody.PayloadOneofCase.Vote => _parameters.Fees.Governance,
        TransactionBody.PayloadOneofCase.AnchorReceipt => _parameters.Fees.AnchorReceipt,
        TransactionBody.PayloadOneofCase.Withdraw or TransactionBody.PayloadOneofCase.AttestDeposits => _parameters.Fees.Bridge,
        TransactionBody.PayloadOneofCase.RegisterApp or TransactionBody.PayloadOneofCase.RegisterDataset or TransactionBody.PayloadOneofCase.RegisterWorkerpool
            or TransactionBody.PayloadOneofCase.JoinPool or TransactionBody.PayloadOneofCase.LeavePool => _parameters.Fees.Registry,
        TransactionBody.PayloadOneofCase.PlaceOrder or TransactionBody.PayloadOneofCase.CancelOrder or TransactionBody.PayloadOneofCase.Challenge => _parameters.Fees.Order,
        TransactionBody.PayloadOneofCase.Contribute or TransactionBody.PayloadOneofCase.Reveal or TransactionBody.PayloadOneofCase.ReportFailure => _parameters.Fees.Contribution,
        _ => ulong.MaxValue,
    };

    /// <summary>Checks that can be made against an account without executing: the mempool uses them too.</summary>
    public string? CheckIncludable(Transaction tx, AccountRecord sender)
    {
        ulong required = RequiredFee(tx.Kind);
        if (tx.Fee < required) return $"fee {tx.Fee} is below the required {required} nRLC for {tx.Kind}";
        if (tx.Nonce < sender.Nonce) return $"nonce {tx.Nonce} already used (account nonce is {sender.Nonce})";
        if (tx.Nonce > sender.Nonce) return $"nonce {tx.Nonce} is ahead of account nonce {sender.Nonce}";
        if (sender.Balance < tx.Fee) return $"balance {sender.Balance} cannot pay fee {tx.Fee}";
        return null;
    }

    /// <summary>
    /// Executes a verified transaction. Returns false, changing nothing, when the transaction is not
    /// includable; otherwise fills <paramref name="receipt"/> and adds the fee to <paramref name="feesCollected"/>.
    /// </summary>
    public bool TryExecute(WorldState state, MarketBlock market, Transaction tx, ulong height, uint index, ref ulong feesCollected, out Receipt receipt, out string? invalidReason)
    {
        receipt = null!;
        var sender = tx.Sender;
        var account = state.GetAccount(sender);
        invalidReason = CheckIncludable(tx, account);
        if (invalidReason is not null) return false;

        account.Balance -= tx.Fee;
        account.Nonce++;
        state.MarkAccountDirty(sender);
        feesCollected = checked(feesCollected + tx.Fee);

        // The fee and nonce above stay whatever happens; the payload applies whole or not at all.
        state.BeginTransaction();
        market.BeginTransaction();
        Reason? failure;
        try
        {
            failure = ExecutePayload(state, market, tx, height);
        }
        catch (OverflowException)
        {
            failure = Reasons.Of(ReasonCode.ReasonAmountOverflow);
        }
        if (failure is null)
        {
            market.CommitTransaction();
            state.CommitTransaction();
        }
        else
        {
            market.RollbackTransaction();
            state.RollbackTransaction();
        }
        receipt = new Receipt
        {
            TxId = UnsafeByteOperations.UnsafeWrap(tx.Id.ToArray()),
            Height = height,
            Index = index,
            Status = failure is null ? ReceiptStatus.Success : ReceiptStatus.Failed,
            FeePaid = tx.Fee,
            Sender = UnsafeByteOperations.UnsafeWrap(sender.ToArray()),
            Failure = failure,
        };
        return true;
    }

    private Reason? ExecutePayload(WorldState state, MarketBlock market, Transaction tx, ulong height)
    {
        var sender = tx.Sender;
        return tx.Kind switch
        {
            TransactionBody.PayloadOneofCase.Transfer => Transfer(state, sender, tx.Body.Transfer),
            TransactionBody.PayloadOneofCase.Stake => Stake(state, sender, tx.Body.Stake),
            TransactionBody.PayloadOneofCase.Unstake => Unstake(state, market, sender, tx.Body.Unstake, height),
            TransactionBody.PayloadOneofCase.Propose => Governance.Propose(state, sender, tx.Body.Propose, height, _parameters.Consensus, market),
            TransactionBody.PayloadOneofCase.Vote => Governance.Vote(state, sender, tx.Body.Vote, height, _parameters.Consensus, market),
            TransactionBody.PayloadOneofCase.AnchorReceipt => Checkpoints.CheckpointLedger.RecordAnchor(state, sender, tx.Body.AnchorReceipt, height),
            TransactionBody.PayloadOneofCase.Withdraw => Bridge.BridgeLedger.Withdraw(state, sender, tx.Body.Withdraw, height, _parameters.CheckpointInterval),
            TransactionBody.PayloadOneofCase.AttestDeposits => Bridge.BridgeLedger.Attest(state, sender, tx.Body.AttestDeposits, _parameters.Bridge, height),
            TransactionBody.PayloadOneofCase.RegisterApp or TransactionBody.PayloadOneofCase.RegisterDataset or TransactionBody.PayloadOneofCase.RegisterWorkerpool
                or TransactionBody.PayloadOneofCase.JoinPool or TransactionBody.PayloadOneofCase.LeavePool or TransactionBody.PayloadOneofCase.PlaceOrder
                or TransactionBody.PayloadOneofCase.CancelOrder or TransactionBody.PayloadOneofCase.Contribute or TransactionBody.PayloadOneofCase.Reveal
                or TransactionBody.PayloadOneofCase.Challenge or TransactionBody.PayloadOneofCase.ReportFailure
                => market.Execute(sender, tx.Nonce, tx.Body),
            _ => Reasons.Of(ReasonCode.ReasonPayloadNotExecutable).Number(tx.Kind),
        };
    }

    private static Reason? Transfer(WorldState state, Address from, Core.Wire.Transfer transfer)
    {
        var sender = state.GetAccount(from);
        if (sender.Balance < transfer.Amount) return Reasons.Of(ReasonCode.ReasonInsufficientBalance).Number(sender.Balance).Number(transfer.Amount);
        var to = new Address(transfer.To.Span);
        sender.Balance -= transfer.Amount;
        var recipient = to == from ? sender : state.GetAccount(to);
        recipient.Balance = checked(recipient.Balance + transfer.Amount);
        state.MarkAccountDirty(to);
        return null;
    }

    private Reason? Stake(WorldState state, Address staker, Core.Wire.Stake stake)
    {
        var account = state.GetAccount(staker);
        if (account.Balance < stake.Amount) return Reasons.Of(ReasonCode.ReasonInsufficientBalance).Number(account.Balance).Number(stake.Amount);
        var record = state.GetStake(staker);
        ulong after = (stake.Role == StakeRole.Validator ? record.ValidatorStake : record.WorkerStake) + stake.Amount;
        ulong minimum = stake.Role == StakeRole.Validator ? _parameters.MinValidatorStake : _parameters.MinWorkerStake;
        if (after < minimum) return Reasons.Of(ReasonCode.ReasonStakeBelowMinimum).Number(stake.Role).Number(after).Number(minimum);
        account.Balance -= stake.Amount;
        if (stake.Role == StakeRole.Validator) record.ValidatorStake = after; else record.WorkerStake = after;
        state.MarkStakeDirty(staker);
        return null;
    }

    private Reason? Unstake(WorldState state, MarketBlock market, Address staker, Core.Wire.Unstake unstake, ulong height)
    {
        var record = state.GetStake(staker);
        ulong staked = unstake.Role == StakeRole.Validator ? record.ValidatorStake : record.WorkerStake;
        if (staked < unstake.Amount) return Reasons.Of(ReasonCode.ReasonUnstakeExceedsStake).Number(unstake.Role).Number(staked).Number(unstake.Amount);
        ulong minimum = unstake.Role == StakeRole.Validator ? _parameters.MinValidatorStake : _parameters.MinWorkerStake;
        ulong remaining = staked - unstake.Amount;
        if (remaining != 0 && remaining < minimum) return Reasons.Of(ReasonCode.ReasonUnstakeRemainderBelowMinimum).Number(unstake.Role).Number(remaining).Number(minimum);
        if (unstake.Role == StakeRole.Worker && remaining < Math.Max(minimum, 1) && market.IsPoolMember(staker))
            return Reasons.Of(ReasonCode.ReasonPoolMemberKeepsMinimumStake).Number(minimum);
        if (unstake.Role == StakeRole.Validator) record.ValidatorStake = remaining; else record.WorkerStake = remaining;
        ulong release = checked(height + _parameters.UnbondingPeriodBlocks);
        record.Unbonding.Add(new Unbonding { Role = unstake.Role, Amount = unstake.Amount, ReleaseHeight = release });
        state.MarkStakeDirty(staker);

        var queueKey = StateKeys.UnbondingQueue(release);
        var queue = state.GetRecord(queueKey, AddressList.Parser) ?? new AddressList();
        var raw = ByteString.CopyFrom(staker.ToArray());
        if (!queue.Addresses.Contains(raw)) queue.Addresses.Add(raw);
        state.SetRecord(queueKey, queue);
        return null;
    }

    /// <summary>End-of-block work: matured unbondings return to their owners' balances.</summary>
    public static void ReleaseUnbondings(WorldState state, ulong height)
    {
        var queueKey = StateKeys.UnbondingQueue(height);
        var queue = state.GetRecord(queueKey, AddressList.Parser);
        if (queue is null) return;
        foreach (var raw in queue.Addresses)
        {
            var owner = new Address(raw.Span);
            var stake = state.GetStake(owner);
            ulong released = 0;
            for (int i = stake.Unbonding.Count - 1; i >= 0; i--)
            {
                if (stake.Unbonding[i].ReleaseHeight > height) continue;
                released = checked(released + stake.Unbonding[i].Amount);
                stake.Unbonding.RemoveAt(i);
            }
            if (released == 0) continue;
            var account = state.GetAccount(owner);
            account.Balance = checked(account.Balance + released);
            state.MarkAccountDirty(owner);
            state.MarkStakeDirty(owner);
        }
        state.SetRecord(queueKey, null);
    }
}
