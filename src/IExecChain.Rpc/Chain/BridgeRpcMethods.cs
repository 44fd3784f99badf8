using IExecChain.Core.Blocks;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Bridge;
using IExecChain.State.Chain;
using IExecChain.State.Checkpoints;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.Validators;
using IExecChain.Rpc.Contracts;

namespace IExecChain.Rpc.Chain;

/// <summary>
/// iex_bridgeStatus, iex_getDeposit and iex_getWithdrawal: the sidechain half of the RLC bridge
/// (docs/bridge.md). A withdrawal comes with the Merkle proof the bridge contract checks against the
/// withdrawals root of its checkpoint, once that checkpoint is recorded.
/// </summary>
public sealed class BridgeRpcMethods(ChainSpec spec, BlockProcessor processor)
{
    /// <summary>Deposits awaiting attestation listed by iex_bridgeStatus at most.</summary>
    public const int MaxPendingListed = 16;

    public void RegisterAll(RpcMethodRegistry registry)
    {
        registry.Register("iex_bridgeStatus", (_, _) => ValueTask.FromResult<object?>(processor.ReadAtHead(Status)));
        registry.Register("iex_getDeposit", (p, _) =>
        {
            ulong id = p.GetUInt64(0, "id");
            return ValueTask.FromResult<object?>(processor.ReadAtHead((head, tree) => Deposit(tree, id)));
        });
        registry.Register("iex_getWithdrawal", (p, _) =>
        {
            ulong id = p.GetUInt64(0, "id");
            return ValueTask.FromResult<object?>(processor.ReadAtHead((head, tree) => Withdrawal(head, tree, id)));
        });
    }

    private BridgeStatusResult Status(ChainHead head, StateTree tree)
    {
        var totals = BridgeLedger.Totals(tree);
        var set = StateReader.ValidatorSet(tree);
        var pending = new List<DepositStatusResult>();
        for (ulong id = totals.NextDepositId; pending.Count < MaxPendingListed; id++)
        {
            if (tree.Get(StateKeys.DepositAttestations(id)) is not { } bytes) break;
            pending.Add(Pending(id, DepositAttestations.Parser.ParseFrom(bytes), set));
        }
        var bridge = spec.Parameters.Bridge;
        return new BridgeStatusResult
        {
            BlockNumber = Q(head.Height),
            Bridge = bridge is null ? null : new BridgeSettingsResult(Q(bridge.EthChainId), bridge.Contract.ToString(), Q(bridge.Confirmations), Q(bridge.StartBlock)),
            BridgedSupply = Q(totals.BridgedSupply),
            DepositedTotal = Q(totals.DepositedTotal),
            WithdrawnTotal = Q(totals.WithdrawnTotal),
            NextDepositId = Q(totals.NextDepositId),
            NextWithdrawalId = Q(totals.NextWithdrawalId),
            PendingDeposits = pending,
        };
    }

    private static DepositStatusResult Pending(ulong id, DepositAttestations record, ValidatorSet set) => new(
        Q(id),
        "attesting",
        TotalPower: Q(ValidatorLedger.TotalPower(set)),
        Candidates: record.Candidates.Select(c => new DepositCandidateResult(
            RpcFormat.Deposit(c.Deposit),
            c.Attesters.Select(a => new Address(a.Span).ToString()).ToArray(),
            Q(c.Attesters.Aggregate(0UL, (sum, a) => sum + ValidatorLedger.PowerIn(set, new Address(a.Span)))))).ToArray());

    private static DepositStatusResult? Deposit(StateTree tree, ulong id)
    {
        if (tree.Get(StateKeys.Deposit(id)) is { } credited)
        {
            var record = CreditedDeposit.Parser.ParseFrom(credited);
            return new DepositStatusResult(
                Q(id),
                "credited",
                RpcFormat.Deposit(record.Deposit),
                Q(record.CreditedAt),
                record.Attesters.Select(a => new Address(a.Span).ToString()).ToArray());
        }
        if (tree.Get(StateKeys.DepositAttestations(id)) is { } pending)
            return Pending(id, DepositAttestations.Parser.ParseFrom(pending), StateReader.ValidatorSet(tree));
        return null;
    }

    private WithdrawalResult? Withdrawal(ChainHead head, StateTree tree, ulong id)
    {
        if (tree.Get(StateKeys.Withdrawal(id)) is not { } bytes) return null;
        var record = WithdrawalRecord.Parser.ParseFrom(bytes);
        var withdrawal = BridgeLedger.ToWithdrawal(record);
        ulong interval = spec.Parameters.CheckpointInterval;
        ulong periodEnd = record.Checkpoint * interval;
        var checkpointBytes = tree.Get(StateKeys.Checkpoint(record.Checkpoint));
        string status = checkpointBytes is not null ? "checkpointed" : head.Height >= periodEnd ? "signing" : "in-period";
        WithdrawalProofResult? proof = null;
        CheckpointHeaderResult? checkpoint = null;
        if (head.Height >= periodEnd)
        {
            var period = WithdrawalPeriod.Parser.ParseFrom(tree.Get(StateKeys.WithdrawalPeriod(record.Checkpoint))
                ?? throw new InvalidDataException($"withdrawal period {record.Checkpoint} is missing from state: the database is corrupt"));
            var leaves = BridgeLedger.Leaves(k => tree.Get(k) is { } b ? WithdrawalRecord.Parser.ParseFrom(b) : null, period);
            int index = (int)(record.Id - period.FirstId);
            proof = new WithdrawalProofResult(
                Q((ulong)index),
                Q(period.Count),
                MerkleRoot.Prove(leaves, index).Select(h => h.ToString()).ToArray(),
                new Hash256(period.Root.Span).ToString());
        }
        if (checkpointBytes is not null)
        {
            var c = CheckpointLedger.ToSigned(spec.ChainId, CheckpointRecord.Parser.ParseFrom(checkpointBytes)).Checkpoint;
            checkpoint = new CheckpointHeaderResult(
                Q(c.ChainId),
                Q(c.Number),
                Q(c.FirstHeight),
                Q(c.LastHeight),
                c.BlocksRoot.ToString(),
                c.StateRoot.ToString(),
                c.NextValidatorSetHash.ToString(),
                c.WithdrawalsRoot.ToString(),
                c.Digest().ToString());
        }
        return new WithdrawalResult(
            Q(record.Id),
            new Address(record.Sender.Span).ToString(),
            withdrawal.Recipient.ToString(),
            Q(record.Amount),
            Q(record.Height),
            Q(record.Checkpoint),
            withdrawal.LeafHash().ToString(),
            status,
            proof,
            checkpoint);
    }

    private static Quantity Q(ulong value) => new(value);
}
