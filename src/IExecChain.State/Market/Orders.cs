using IExecChain.Core.Primitives;
using IExecChain.State.Market.Requirements;

namespace IExecChain.State.Market;

/// <summary>
/// A restriction (iExec's *restrict fields): an allow-list of addresses; empty allows anyone.
/// Lists are short (<see cref="MaxEntries"/>), so a linear scan is the fastest lookup.
/// </summary>
public readonly struct AllowList
{
    public const int MaxEntries = 16;

    private readonly Address[]? _entries;

    public AllowList(Address[] entries) => _entries = entries;

    public static AllowList Anyone => default;

    public ReadOnlySpan<Address> Entries => _entries;

    public bool IsRestricted => _entries is { Length: > 0 };

    public bool Permits(Address address)
    {
        if (_entries is null || _entries.Length == 0) return true;
        foreach (var entry in _entries) if (entry == address) return true;
        return false;
    }
}

/// <summary>The requester's integer ranking weights, each 0..<see cref="Max"/>; all zero ranks by cost only.</summary>
public readonly record struct RankingWeights(uint Cost, uint Performance, uint Reliability, uint Trust, uint Energy)
{
    public const uint Max = 1_000_000;

    public static RankingWeights CostOnly => new(1, 0, 0, 0, 0);

    public bool IsZero => (Cost | Performance | Reliability | Trust | Energy) == 0;
}

/// <summary>An app owner's order (iExec AppOrder). <see cref="Hash"/> identifies it in the book.</summary>
public sealed record AppOffer(
    Hash256 Hash,
    Address App,
    ulong Price,
    ulong Volume,
    ulong Tag,
    AllowList DatasetRestrict,
    AllowList WorkerpoolRestrict,
    AllowList RequesterRestrict);

/// <summary>A dataset owner's order (iExec DatasetOrder).</summary>
public sealed record DatasetOffer(
    Hash256 Hash,
    Address Dataset,
    ulong Price,
    ulong Volume,
    ulong Tag,
    AllowList AppRestrict,
    AllowList WorkerpoolRestrict,
    AllowList RequesterRestrict);

/// <summary>
/// A workerpool's resource offer (iExec WorkerpoolOrder) plus declared capabilities, the pool's
/// own requirements on requests, and declared performance and energy-efficiency indexes (0..1,000,000).
/// </summary>
public sealed record ResourceOffer(
    Hash256 Hash,
    Address Workerpool,
    ulong Price,
    ulong Volume,
    ulong Tag,
    ulong Category,
    ulong MaxTrust,
    AllowList AppRestrict,
    AllowList DatasetRestrict,
    AllowList RequesterRestrict,
    AttributeSet Capabilities,
    Requirement Requirements,
    uint Performance,
    uint EnergyEfficiency);

/// <summary>
/// A requester's task order (iExec RequestOrder) plus a requirements expression on the pool,
/// the request's own attributes (what pool requirements see as <c>other.*</c>) and ranking weights.
/// <see cref="Dataset"/> and <see cref="Workerpool"/> are <see cref="Address.Zero"/> when absent.
/// </summary>
public sealed record TaskOrder(
    Hash256 Hash,
    Address App,
    ulong AppMaxPrice,
    Address Dataset,
    ulong DatasetMaxPrice,
    Address Workerpool,
    ulong WorkerpoolMaxPrice,
    Address Requester,
    ulong Volume,
    ulong Tag,
    ulong Category,
    ulong Trust,
    Address Beneficiary,
    string Params,
    Requirement Requirements,
    AttributeSet Attributes,
    RankingWeights Weights)
{
    public bool HasDataset => !Dataset.IsZero;
}
