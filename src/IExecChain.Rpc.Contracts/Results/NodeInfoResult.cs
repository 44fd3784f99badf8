namespace IExecChain.Rpc.Contracts;

/// <summary>iex_nodeInfo of a full node or validator: what it runs, where its head is, what it charges.</summary>
public sealed record NodeInfoResult(
    string ChainName,
    Quantity ChainId,
    string GenesisHash,
    Quantity BlockNumber,
    string HeadHash,
    string StateRoot,
    IReadOnlyList<string> Roles,
    string CryptoBackend,
    MempoolInfo Mempool,
    AdmissionInfo Admission,
    TransactionFees Fees,
    int Peers,
    string P2p,
    ConsensusPosition Consensus,
    string? Validator = null,
    string? Version = null);

public sealed record MempoolInfo(int Count, long Bytes);

/// <summary>Transactions the node admits now and what it commits per second (see docs/rpc.md "Admission").</summary>
public sealed record AdmissionInfo(int Budget, double CapacityPerSecond);

/// <summary>The fixed fee of each kind of transaction, in nRLC, from the chain's parameters.</summary>
public sealed record TransactionFees(
    Quantity Transfer,
    Quantity Stake,
    Quantity Unstake,
    Quantity Governance,
    Quantity AnchorReceipt,
    Quantity Registry,
    Quantity Order,
    Quantity Contribution,
    Quantity Bridge)
{
    /// <summary>The fee of the kind named as on the wire ("transfer", "anchorReceipt", ...).</summary>
    public Quantity Of(string kind) => kind switch
    {
        "transfer" => Transfer,
        "stake" => Stake,
        "unstake" => Unstake,
        "governance" => Governance,
        "anchorReceipt" => AnchorReceipt,
        "registry" => Registry,
        "order" => Order,
        "contribution" => Contribution,
        "bridge" => Bridge,
        _ => throw new ArgumentException($"'{kind}' is not a kind of fee the node lists", nameof(kind)),
    };
}

public sealed record ConsensusPosition(long Height, long Round);
