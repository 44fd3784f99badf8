namespace IExecChain.Rpc.Contracts;

/// <summary>
/// An entry of iex_getCategories: a task category's limits and deadlines, in blocks and, at the
/// chain's block interval, in seconds (T is <see cref="TimeRefBlocks"/>).
/// </summary>
public sealed record CategoryResult(
    Quantity Id,
    string Name,
    Quantity TimeRefBlocks,
    double TimeRefSeconds,
    Quantity MaxFuel,
    Quantity MaxMemoryMb,
    Quantity ReplicaDeadlineBlocks,
    Quantity ContributionDeadlineBlocks,
    Quantity RevealDeadlineBlocks,
    Quantity FinalDeadlineBlocks,
    double ReplicaDeadlineSeconds,
    double FinalDeadlineSeconds);
