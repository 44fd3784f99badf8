using IExecChain.Core.Blocks;
using IExecChain.Core.Bridge;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Validators;

namespace IExecChain.State.Bridge;

/// <summary>
/// The sidechain half of the RLC bridge (docs/bridge.md). Withdrawals burn bridged RLC and are
/// gathered per checkpoint period into a tree whose root the checkpoint signs, so the bridge
/// contract can release each one against a Merkle proof once the checkpoint is anchored. Deposits
/// are credited in the contract's order once validators holding more than 2/3 of the current power
/// attested the same content. <c>BridgeTotals.bridged_supply</c> is the RLC on the sidechain that is
/// locked on Ethereum: no withdrawal may exceed it, so the bridge never owes more than it holds.
/// </summary>
public static class BridgeLedger
{
    /// <summary>Distinct contents attested for one deposit at most (an honest chain has one).</summary>
    public const int MaxCandidatesPerDeposit = 8;

    public static BridgeTotals Totals(WorldState state) => state.GetRecord(StateKeys.BridgeTotals, BridgeTotals.Parser) ?? new BridgeTotals();

    /// <summary>The committed totals (readers outside block execution: RPC, metrics, the follower).</summary>
    public static BridgeTotals Totals(Merkle.StateTree tree) =>
        tree.Get(StateKeys.BridgeTotals) is { } bytes ? BridgeTotals.Parser.ParseFrom(bytes) : new BridgeTotals();

    /// <summary>The checkpoint whose period holds <paramref name="height"/>: heights (n-1)·C+1 .. n·C belong to n.</summary>
    public static ulong PeriodOf(ulong height, ulong interval) => (height + interval - 1) / interval;

    public static Reason? Withdraw(WorldState state, Address sender, Core.Wire.Withdraw withdraw, ulong height, ulong interval)
    {
        var totals = Totals(state);
        if (withdraw.Amount > totals.BridgedSupply)
            return Reasons.Of(ReasonCode.ReasonWithdrawalExceedsBridgedSupply).Number(totals.BridgedSupply).Number(withdraw.Amount);
        var account = state.GetAccount(sender);
        if (account.Balance < withdraw.Amount) return Reasons.Of(ReasonCode.ReasonInsufficientBalance).Number(account.Balance).Number(withdraw.Amount);
        account.Balance -= withdraw.Amount;
        state.MarkAccountDirty(sender);

        ulong id = totals.NextWithdrawalId;
        ulong checkpoint = PeriodOf(height, interval);
        totals.NextWithdrawalId = checked(id + 1);
        totals.BridgedSupply -= withdraw.Amount;
        totals.WithdrawnTotal = checked(totals.WithdrawnTotal + withdraw.Amount);
        state.SetRecord(StateKeys.BridgeTotals, totals);

        var periodKey = StateKeys.WithdrawalPeriod(checkpoint);
        var period = state.GetRecord(periodKey, WithdrawalPeriod.Parser) ?? new WithdrawalPeriod { FirstId = id };
        period.Count++;
        state.SetRecord(periodKey, period);
        state.SetRecord(StateKeys.Withdrawal(id), new WithdrawalRecord
        {
            Id = id,
            Sender = Google.Protobuf.ByteString.CopyFrom(sender.ToArray()),
            Recipient = withdraw.Recipient,
            Amount = withdraw.Amount,
            Height = height,
            Checkpoint = checkpoint,
        });
        return null;
    }

    /// <summary>
    /// End of the last block of checkpoint <paramref name="checkpoint"/>'s period: the root of its
    /// withdrawals, also written into the period's record (Zero, and nothing written, when there were none).
    /// </summary>
    public static Hash256 ClosePeriod(WorldState state, ulong checkpoint)
    {
        var key = StateKeys.WithdrawalPeriod(checkpoint);
        var period = state.GetRecord(key, WithdrawalPeriod.Parser);
        if (period is null) return Hash256.Zero;
        var root = MerkleRoot.Compute(Leaves(k => state.GetRecord(k, WithdrawalRecord.Parser), period));
        period.Root = Google.Protobuf.ByteString.CopyFrom(root.ToArray());
        state.SetRecord(key, period);
        return root;
    }

    /// <summary>The root a closed period recorded; Zero when the period had no withdrawal.</summary>
    public static Hash256 PeriodRoot(Func<Hash256, byte[]?> read, ulong checkpoint) =>
        read(StateKeys.WithdrawalPeriod(checkpoint)) is { } bytes && WithdrawalPeriod.Parser.ParseFrom(bytes) is { Root.Length: Hash256.Size } period
            ? new Hash256(period.Root.Span)
            : Hash256.Zero;

    /// <summary>The leaf hashes of a period's withdrawals in id order.</summary>
    public static List<Hash256> Leaves(Func<Hash256, WithdrawalRecord?> read, WithdrawalPeriod period)
    {
        var leaves = new List<Hash256>((int)period.Count);
        for (ulong i = 0; i < period.Count; i++)
        {
            var record = read(StateKeys.Withdrawal(period.FirstId + i))
                ?? throw new InvalidDataException($"withdrawal {period.FirstId + i} is missing from state: the database is corrupt");
            leaves.Add(ToWithdrawal(record).LeafHash());
        }
        return leaves;
    }

    public static Withdrawal ToWithdrawal(WithdrawalRecord record) => new(record.Id, new Address(record.Recipient.Span), record.Amount);

    /// <summary>
    /// An AttestDeposits transaction: records the sender's view of each deposit not yet credited,
    /// then credits, in id order, every next deposit whose attesters now hold more than 2/3 of the
    /// current voting power for one content.
    /// </summary>
    public static Reason? Attest(WorldState state, Address attester, AttestDeposits attest, BridgeParameters? bridge, ulong height)
    {
        if (bridge is null) return Reasons.Of(ReasonCode.ReasonBridgeNotConfigured);
        var set = ValidatorLedger.CurrentSet(state);
        if (ValidatorLedger.PowerIn(set, attester) == 0) return Reasons.Of(ReasonCode.ReasonAttesterNotValidator).Id(attester);
        var totals = Totals(state);
        var raw = Google.Protobuf.ByteString.CopyFrom(attester.ToArray());
        foreach (var deposit in attest.Deposits)
        {
            if (deposit.Id < totals.NextDepositId) continue;   // credited already: a late attestation changes nothing
            if (deposit.Id - totals.NextDepositId >= bridge.MaxDepositsAhead)
                return Reasons.Of(ReasonCode.ReasonDepositTooFarAhead).Number(deposit.Id).Number(totals.NextDepositId).Number(bridge.MaxDepositsAhead);
            var key = StateKeys.DepositAttestations(deposit.Id);
            var record = state.GetRecord(key, DepositAttestations.Parser) ?? new DepositAttestations();
            var mine = record.Candidates.FirstOrDefault(c => c.Attesters.Contains(raw));
            if (mine is not null)
            {
                if (mine.Deposit.Equals(deposit)) continue;  // the same statement again
                return Reasons.Of(ReasonCode.ReasonDepositAlreadyAttested).Number(deposit.Id).Id(attester);
            }
            var candidate = record.Candidates.FirstOrDefault(c => c.Deposit.Equals(deposit));
            if (candidate is null)
            {
                if (record.Candidates.Count >= MaxCandidatesPerDeposit)
                    return Reasons.Of(ReasonCode.ReasonDepositCandidatesFull).Number(deposit.Id).Number((ulong)MaxCandidatesPerDeposit);
                candidate = new DepositCandidate { Deposit = deposit.Clone() };
                record.Candidates.Add(candidate);
            }
            candidate.Attesters.Add(raw);
            state.SetRecord(key, record);
        }
        CreditReady(state, set, totals, height);
        state.SetRecord(StateKeys.BridgeTotals, totals);
        return null;
    }

    private static void CreditReady(WorldState state, ValidatorSet set, BridgeTotals totals, ulong height)
    {
        UInt128 total = ValidatorLedger.TotalPower(set);
        while (state.GetRecord(StateKeys.DepositAttestations(totals.NextDepositId), DepositAttestations.Parser) is { } record)
        {
            DepositCandidate? winner = null;
            foreach (var candidate in record.Candidates)
            {
                UInt128 power = 0;
                foreach (var a in candidate.Attesters) power += ValidatorLedger.PowerIn(set, new Address(a.Span));
                if (power * 3 > total * 2) { winner = candidate; break; }
            }
            if (winner is null) return;
            var deposit = winner.Deposit;
            var recipient = new Address(deposit.Recipient.Span);
            var account = state.GetAccount(recipient);
            account.Balance = checked(account.Balance + deposit.Amount);
            state.MarkAccountDirty(recipient);
            totals.BridgedSupply = checked(totals.BridgedSupply + deposit.Amount);
            totals.DepositedTotal = checked(totals.DepositedTotal + deposit.Amount);
            var credited = new CreditedDeposit { Deposit = deposit, CreditedAt = height };
            credited.Attesters.AddRange(winner.Attesters);
            state.SetRecord(StateKeys.Deposit(deposit.Id), credited);
            state.SetRecord(StateKeys.DepositAttestations(deposit.Id), null);
            totals.NextDepositId++;
        }
    }
}
