using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.Validators;

namespace IExecChain.Rpc.Chain;

/// <summary>
/// iex_getValidators, iex_getProposal and iex_getGovernableParameters: the validator set, standing of
/// each validator, governance proposals, and the parameters governance may change.
/// </summary>
/// <param name="spec">The chain spec, whose values hold until governance overrides them.</param>
public sealed class GovernanceRpcMethods(ChainSpec spec, BlockProcessor processor)
{
    public void RegisterAll(RpcMethodRegistry registry)
    {
        registry.Register("iex_getValidators", (_, _) => ValueTask.FromResult<object?>(processor.ReadAtHead(DescribeSet)));
        registry.Register("iex_getProposal", (p, _) => ValueTask.FromResult<object?>(GetProposal(p)));
        registry.Register("iex_getGovernableParameters", (_, _) => ValueTask.FromResult<object?>(GetGovernableParameters()));
    }

    private GovernableParametersResult GetGovernableParameters()
    {
        var head = processor.Head;
        // Not read atomically with the head: while a block commits the two may be one block apart.
        var current = processor.Executor.Parameters;
        var rows = new GovernableParameterInfo[GovernableParameters.All.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            var p = GovernableParameters.All[i];
            rows[i] = new GovernableParameterInfo(p.Name, UnitName(p.Unit), new Quantity(p.Read(current)), new Quantity(p.Read(spec.Parameters)),
                new Quantity(p.Min), new Quantity(p.Max), p.Doc);
        }
        return new GovernableParametersResult(new Quantity(head.Height), rows);
    }

    private static string UnitName(ParameterUnit unit) => unit switch
    {
        ParameterUnit.NanoRlc => "nRLC",
        _ => throw new System.Diagnostics.UnreachableException($"no name for unit {unit}"),
    };

    // The set and each validator's standing are several reads: one block's, with its number.
    private static ValidatorsResult DescribeSet(ChainHead head, StateTree tree)
    {
        var set = StateReader.ValidatorSet(tree);
        return new ValidatorsResult(
            new Quantity(head.Height),
            new Quantity(head.Height + 1),
            head.ValidatorSetHash.ToString(),
            set.Validators.Select(v => Describe(new Address(v.Address.Span), v.VotingPower, v.ProposerPriority)).ToArray());

        ValidatorResult Describe(Address address, ulong power, long priority)
        {
            var info = StateReader.ValidatorInfo(tree, address) ?? new ValidatorInfo();
            var stake = StateReader.Stake(tree, address);
            return new ValidatorResult(
                address.ToString(),
                new Quantity(power),
                priority.ToString(System.Globalization.CultureInfo.InvariantCulture),
                new Quantity(stake.ValidatorStake),
                new Quantity(info.Reputation),
                info.Admitted,
                new Quantity(info.JailedUntil),
                new Quantity(info.Slashed),
                new Quantity(info.BlocksSigned),
                new Quantity(info.BlocksMissed));
        }
    }

    private ProposalResult? GetProposal(RpcParams p)
    {
        var text = p.GetString(0, "id");
        if (!RpcQuantity.TryParseHexOrDecimal(text, out ulong id, out string? problem))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"id: {problem}; a proposal number is decimal or 0x-hex");
        return Proposal(id);
    }

    /// <summary>A proposal as iex_getProposal shows it, or null when there is none with this id.</summary>
    internal ProposalResult? Proposal(ulong id)
    {
        var record = StateReader.Proposal(processor.Tree, id);
        if (record is null) return null;
        return new ProposalResult(
            new Quantity(record.Id),
            new Address(record.Proposer.Span).ToString(),
            record.Proposal.ActionCase.ToString(),
            record.Proposal.ActionCase switch
            {
                GovernancePropose.ActionOneofCase.AdmitValidator => new ProposalDetailResult(Address: Address.FromPublicKey(record.Proposal.AdmitValidator.PublicKey.Span).ToString()),
                GovernancePropose.ActionOneofCase.RemoveValidator => new ProposalDetailResult(Address: new Address(record.Proposal.RemoveValidator.Address.Span).ToString()),
                GovernancePropose.ActionOneofCase.ChangeParameter => new ProposalDetailResult(Name: record.Proposal.ChangeParameter.Name, Value: new Quantity(record.Proposal.ChangeParameter.Value)),
                _ => new ProposalDetailResult(),
            },
            "0x" + Convert.ToHexStringLower(record.Proposal.DescriptionHash.Span),
            new Quantity(record.CreatedHeight),
            new Quantity(record.DeadlineHeight),
            record.Yes.Select(a => new Address(a.Span).ToString()).ToArray(),
            record.No.Select(a => new Address(a.Span).ToString()).ToArray(),
            record.Status.ToString(),
            record.Outcome is null ? null : ReasonText.Default.Describe(record.Outcome, new TransactionBody { Propose = record.Proposal }),
            record.Outcome is null ? null : RpcFormat.Reason(record.Outcome));
    }
}
