namespace IExecChain.Rpc.Contracts;

/// <summary>
/// iex_getProposal, and an item of iex_listProposals. <see cref="Action"/> is "AdmitValidator",
/// "RemoveValidator" or "ChangeParameter"; <see cref="Status"/> "Open", "Passed", "Rejected", "Expired" or
/// "Failed". <see cref="DescriptionHash"/> is the keccak256 of the proposal's description.
/// <see cref="Outcome"/> (for people) and <see cref="OutcomeReason"/> (for programs) come once it is decided.
/// </summary>
public sealed record ProposalResult(
    Quantity Id,
    string Proposer,
    string Action,
    ProposalDetailResult Detail,
    string DescriptionHash,
    Quantity CreatedHeight,
    Quantity DeadlineHeight,
    IReadOnlyList<string> Yes,
    IReadOnlyList<string> No,
    string Status,
    string? Outcome = null,
    FailureReason? OutcomeReason = null);

/// <summary>
/// What a proposal would do: the validator's <see cref="Address"/> (AdmitValidator, RemoveValidator), or the
/// parameter's <see cref="Name"/> and new <see cref="Value"/> (ChangeParameter).
/// </summary>
public sealed record ProposalDetailResult(string? Address = null, string? Name = null, Quantity? Value = null);

/// <summary>iex_getGovernableParameters: the parameters in table order, for the block after <paramref name="BlockNumber"/>.</summary>
public sealed record GovernableParametersResult(Quantity BlockNumber, IReadOnlyList<GovernableParameterInfo> Parameters);

/// <summary>
/// One governable parameter. <paramref name="Value"/> is the one in force (chain spec with governance
/// overrides), <paramref name="SpecValue"/> the chain spec's; a proposal must stay within
/// [<paramref name="Min"/>, <paramref name="Max"/>], in <paramref name="Unit"/>.
/// </summary>
public sealed record GovernableParameterInfo(string Name, string Unit, Quantity Value, Quantity SpecValue, Quantity Min, Quantity Max, string Doc);
