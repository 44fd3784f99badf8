using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Execution;

namespace IExecChain.Rpc.Chain;

/// <summary>iex_getValidators and iex_getProposal: the validator set, standing of each validator, governance proposals.</summary>
public sealed class GovernanceRpcMethods(BlockProcessor processor)
{
    public void RegisterAll(RpcMethodRegistry registry)
    {
        registry.Register("iex_getValidators", (_, _) => ValueTask.FromResult<object?>(GetValidators()));
        registry.Register("iex_getProposal", (p, _) => ValueTask.FromResult<object?>(GetProposal(p)));
    }

    private object GetValidators()
    {
        var tree = processor.Tree;
        var head = processor.Head;
        var set = StateReader.ValidatorSet(tree);
        return new
        {
            blockNumber = RpcFormat.Quantity(head.Height),
            nextHeight = RpcFormat.Quantity(head.Height + 1),
            validatorSetHash = head.ValidatorSetHash.ToString(),
            validators = set.Validators.Select(v =>
            {
                var address = new Address(v.Address.Span);
                return Describe(address, v.VotingPower, v.ProposerPriority);
            }).ToArray(),
        };

        object Describe(Address address, ulong power, long priority)
        {
            var info = StateReader.ValidatorInfo(tree, address) ?? new ValidatorInfo();
            var stake = StateReader.Stake(tree, address);
            return new
            {
                address = address.ToString(),
                votingPower = RpcFormat.Quantity(power),
                proposerPriority = priority.ToString(System.Globalization.CultureInfo.InvariantCulture),
                stake = RpcFormat.Quantity(stake.ValidatorStake),
                reputation = RpcFormat.Quantity(info.Reputation),
                admitted = info.Admitted,
                jailedUntil = RpcFormat.Quantity(info.JailedUntil),
                slashed = RpcFormat.Quantity(info.Slashed),
                blocksSigned = RpcFormat.Quantity(info.BlocksSigned),
                blocksMissed = RpcFormat.Quantity(info.BlocksMissed),
            };
        }
    }

    private object? GetProposal(RpcParams p)
    {
        var text = p.GetString(0, "id");
        if (!ulong.TryParse(text.StartsWith("0x", StringComparison.Ordinal) ? text[2..] : text,
                text.StartsWith("0x", StringComparison.Ordinal) ? System.Globalization.NumberStyles.HexNumber : System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out ulong id))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"id: '{text}' is not a proposal number (decimal or 0x-hex)");
        var record = StateReader.Proposal(processor.Tree, id);
        if (record is null) return null;
        return new
        {
            id = RpcFormat.Quantity(record.Id),
            proposer = new Address(record.Proposer.Span).ToString(),
            action = record.Proposal.ActionCase.ToString(),
            detail = record.Proposal.ActionCase switch
            {
                GovernancePropose.ActionOneofCase.AdmitValidator => (object)new { address = Address.FromPublicKey(record.Proposal.AdmitValidator.PublicKey.Span).ToString() },
                GovernancePropose.ActionOneofCase.RemoveValidator => new { address = new Address(record.Proposal.RemoveValidator.Address.Span).ToString() },
                GovernancePropose.ActionOneofCase.ChangeParameter => new { name = record.Proposal.ChangeParameter.Name, value = RpcFormat.Quantity(record.Proposal.ChangeParameter.Value) },
                _ => new { },
            },
            descriptionHash = "0x" + Convert.ToHexStringLower(record.Proposal.DescriptionHash.Span),
            createdHeight = RpcFormat.Quantity(record.CreatedHeight),
            deadlineHeight = RpcFormat.Quantity(record.DeadlineHeight),
            yes = record.Yes.Select(a => new Address(a.Span).ToString()).ToArray(),
            no = record.No.Select(a => new Address(a.Span).ToString()).ToArray(),
            status = record.Status.ToString(),
            outcome = record.Outcome is null ? null : ReasonText.Default.Describe(record.Outcome, new TransactionBody { Propose = record.Proposal }),
            outcomeReason = record.Outcome is null ? null : RpcFormat.Reason(record.Outcome),
        };
    }
}
