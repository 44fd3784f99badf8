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
            return ValueTask.FromResult(processor.ReadAtHead((head, tree) => Deposit(tree, id)));
        });
        registry.Register("iex_getWithdrawal", (p, _) =>
        {
            ulong id = p.GetUInt64(0, "id");
            return ValueTask.FromResult(processor.ReadAtHead((head, tree) => Withdrawal(head, tree, id)));
        });
    }

    private object Status(ChainHead head, StateTree tree)
    {
        var totals = BridgeLedger.Totals(tree);
        var set = StateReader.ValidatorSet(tree);
        var pending = new List<object>();
        for (ulong id = totals.NextDepositId; pending.Count < MaxPendingListed; id++)
        {
            if (tree.Get(StateKeys.DepositAttestations(id)) is not { } bytes) break;
            pending.Add(Pending(id, DepositAttestations.Parser.ParseFrom(bytes), set));
        }
        var bridge = spec.Parameters.Bridge;
        return new
        {
            blockNumber = RpcFormat.Quantity(head.Height),
            bridge = bridge is null ? null : new
            {
                ethChainId = RpcFormat.Quantity(bridge.EthChainId),
                contract = bridge.Contract.ToString(),
                confirmations = RpcFormat.Quantity(bridge.Confirmations),
                startBlock = RpcFormat.Quantity(bridge.StartBlock),
            },
            bridgedSupply = RpcFormat.Quantity(totals.BridgedSupply),
            depositedTotal = RpcFormat.Quantity(totals.DepositedTotal),
            withdrawnTotal = RpcFormat.Quantity(totals.WithdrawnTotal),
            nextDepositId = RpcFormat.Quantity(totals.NextDepositId),
            nextWithdrawalId = RpcFormat.Quantity(totals.NextWithdrawalId),
            pendingDeposits = pending,
        };
    }

    private static object Pending(ulong id, DepositAttestations record, ValidatorSet set)
    {
        ulong total = ValidatorLedger.TotalPower(set);
        return new
        {
            id = RpcFormat.Quantity(id),
            status = "attesting",
            totalPower = RpcFormat.Quantity(total),
            candidates = record.Candidates.Select(c => new
            {
                deposit = RpcFormat.Deposit(c.Deposit),
                attesters = c.Attesters.Select(a => new Address(a.Span).ToString()).ToArray(),
                power = RpcFormat.Quantity(c.Attesters.Aggregate(0UL, (sum, a) => sum + ValidatorLedger.PowerIn(set, new Address(a.Span)))),
            }).ToArray(),
        };
    }

    private static object? Deposit(StateTree tree, ulong id)
    {
        if (tree.Get(StateKeys.Deposit(id)) is { } credited)
        {
            var record = CreditedDeposit.Parser.ParseFrom(credited);
            return new
            {
                id = RpcFormat.Quantity(id),
                status = "credited",
                deposit = RpcFormat.Deposit(record.Deposit),
                creditedAt = RpcFormat.Quantity(record.CreditedAt),
                attesters = record.Attesters.Select(a => new Address(a.Span).ToString()).ToArray(),
            };
        }
        if (tree.Get(StateKeys.DepositAttestations(id)) is { } pending)
            return Pending(id, DepositAttestations.Parser.ParseFrom(pending), StateReader.ValidatorSet(tree));
        return null;
    }

    private object? Withdrawal(ChainHead head, StateTree tree, ulong id)
    {
        if (tree.Get(StateKeys.Withdrawal(id)) is not { } bytes) return null;
        var record = WithdrawalRecord.Parser.ParseFrom(bytes);
        var withdrawal = BridgeLedger.ToWithdrawal(record);
        ulong interval = spec.Parameters.CheckpointInterval;
        ulong periodEnd = record.Checkpoint * interval;
        var checkpointBytes = tree.Get(StateKeys.Checkpoint(record.Checkpoint));
        string status = checkpointBytes is not null ? "checkpointed" : head.Height >= periodEnd ? "signing" : "in-period";
        object? proof = null, checkpoint = null;
        if (head.Height >= periodEnd)
        {
            var period = WithdrawalPeriod.Parser.ParseFrom(tree.Get(StateKeys.WithdrawalPeriod(record.Checkpoint))
                ?? throw new InvalidDataException($"withdrawal period {record.Checkpoint} is missing from state: the database is corrupt"));
            var leaves = BridgeLedger.Leaves(k => tree.Get(k) is { } b ? WithdrawalRecord.Parser.ParseFrom(b) : null, period);
            int index = (int)(record.Id - period.FirstId);
            proof = new
            {
                index = RpcFormat.Quantity((ulong)index),
                count = RpcFormat.Quantity(period.Count),
                siblings = MerkleRoot.Prove(leaves, index).Select(h => h.ToString()).ToArray(),
                withdrawalsRoot = new Hash256(period.Root.Span).ToString(),
            };
        }
        if (checkpointBytes is not null)
        {
            var c = CheckpointLedger.ToSigned(spec.ChainId, CheckpointRecord.Parser.ParseFrom(checkpointBytes)).Checkpoint;
            checkpoint = new
            {
                chainId = RpcFormat.Quantity(c.ChainId),
                number = RpcFormat.Quantity(c.Number),
                firstHeight = RpcFormat.Quantity(c.FirstHeight),
                lastHeight = RpcFormat.Quantity(c.LastHeight),
                blocksRoot = c.BlocksRoot.ToString(),
                stateRoot = c.StateRoot.ToString(),
                nextValidatorSetHash = c.NextValidatorSetHash.ToString(),
                withdrawalsRoot = c.WithdrawalsRoot.ToString(),
                digest = c.Digest().ToString(),
            };
        }
        return new
        {
            id = RpcFormat.Quantity(record.Id),
            sender = new Address(record.Sender.Span).ToString(),
            recipient = withdrawal.Recipient.ToString(),
            amount = RpcFormat.Quantity(record.Amount),
            height = RpcFormat.Quantity(record.Height),
            checkpointNumber = RpcFormat.Quantity(record.Checkpoint),
            leafHash = withdrawal.LeafHash().ToString(),
            status,
            proof,
            checkpoint,
        };
    }
}
