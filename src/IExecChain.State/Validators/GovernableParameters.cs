using IExecChain.Core.Specs;

namespace IExecChain.State.Validators;

/// <summary>How a governable value is written and read by people (CLI, RPC, docs).</summary>
public enum ParameterUnit
{
    /// <summary>An amount in nRLC (10⁻⁹ RLC).</summary>
    NanoRlc,
}

/// <summary>
/// One chain parameter that governance may change: its bounds, how to read it from
/// <see cref="ChainParameters"/> (the chain spec gives the value until governance overrides it) and
/// how to write an override into them.
/// </summary>
public sealed record GovernableParameter(
    string Name,
    ParameterUnit Unit,
    ulong Min,
    ulong Max,
    Func<ChainParameters, ulong> Read,
    Func<ChainParameters, ulong, ChainParameters> Write,
    string Doc)
{
    public bool Allows(ulong value) => value >= Min && value <= Max;
}

/// <summary>
/// The one table of governable parameters. Governance validation, the executor's overrides, the
/// CLI and RPC read it, and a test holds docs/consensus.md to it, so adding a parameter is adding a row.
/// </summary>
/// <remarks>
/// The table is consensus data, so change it only as a coordinated upgrade: the rows and bounds decide
/// which proposals pass. Never remove a row, since state may hold an override of it and a node that
/// cannot apply a committed override must stop rather than run other rules than its peers.
/// fees.anchorReceipt is deliberately not here: making it governable is such an upgrade (proposals
/// naming it are refused today).
/// </remarks>
public static class GovernableParameters
{
    private const ulong MaxFee = 1_000_000_000_000; // 1,000 RLC

    public static readonly IReadOnlyList<GovernableParameter> All =
    [
        new("fees.transfer", ParameterUnit.NanoRlc, 0, MaxFee,
            p => p.Fees.Transfer, (p, v) => p with { Fees = p.Fees with { Transfer = v } },
            "Fee of a Transfer."),
        new("fees.stake", ParameterUnit.NanoRlc, 0, MaxFee,
            p => p.Fees.Stake, (p, v) => p with { Fees = p.Fees with { Stake = v } },
            "Fee of a Stake."),
        new("fees.unstake", ParameterUnit.NanoRlc, 0, MaxFee,
            p => p.Fees.Unstake, (p, v) => p with { Fees = p.Fees with { Unstake = v } },
            "Fee of an Unstake."),
        new("fees.governance", ParameterUnit.NanoRlc, 0, MaxFee,
            p => p.Fees.Governance, (p, v) => p with { Fees = p.Fees with { Governance = v } },
            "Fee of a governance Propose or Vote."),
        new("minValidatorStake", ParameterUnit.NanoRlc, 0, ulong.MaxValue,
            p => p.MinValidatorStake, (p, v) => p with { MinValidatorStake = v },
            "Least validator stake one may hold (other than none); an admitted validator with less is left out of the set at the next epoch boundary."),
        new("minWorkerStake", ParameterUnit.NanoRlc, 0, ulong.MaxValue,
            p => p.MinWorkerStake, (p, v) => p with { MinWorkerStake = v },
            "Least worker stake one may hold (other than none); a workerpool member keeps at least this much."),
        new("fees.registry", ParameterUnit.NanoRlc, 0, MaxFee,
            p => p.Fees.Registry, (p, v) => p with { Fees = p.Fees with { Registry = v } },
            "Fee of RegisterApp, RegisterDataset, RegisterWorkerpool, JoinPool and LeavePool."),
        new("fees.order", ParameterUnit.NanoRlc, 0, MaxFee,
            p => p.Fees.Order, (p, v) => p with { Fees = p.Fees with { Order = v } },
            "Fee of PlaceOrder, CancelOrder and Challenge."),
        new("fees.contribution", ParameterUnit.NanoRlc, 0, MaxFee,
            p => p.Fees.Contribution, (p, v) => p with { Fees = p.Fees with { Contribution = v } },
            "Fee of Contribute, Reveal and ReportFailure."),
    ];

    /// <summary>The names in table order, as receipts list them.</summary>
    public static string NameList { get; } = string.Join(", ", All.Select(p => p.Name));

    public static GovernableParameter? Find(string name)
    {
        foreach (var parameter in All)
            if (string.Equals(parameter.Name, name, StringComparison.Ordinal)) return parameter;
        return null;
    }
}
