using IExecChain.Core.Primitives;

namespace IExecChain.Core.Specs;

/// <summary>
/// What consensus depends on: identity of the chain, genesis state and protocol parameters.
/// Operator settings (ports, paths, peers) never live here.
/// </summary>
public sealed record ChainSpec
{
    public required string Name { get; init; }
    public required ulong ChainId { get; init; }
    public required ulong GenesisTimeUnixMs { get; init; }
    public required ChainParameters Parameters { get; init; }
    public required IReadOnlyList<GenesisAccount> Accounts { get; init; }
    public required IReadOnlyList<GenesisValidator> Validators { get; init; }
}

public sealed record ChainParameters
{
    public required int BlockIntervalMs { get; init; }
    public required int MaxBlockTransactions { get; init; }
    public required int MaxBlockBytes { get; init; }
    public required int MaxTransactionBytes { get; init; }
    public required ulong UnbondingPeriodBlocks { get; init; }
    public required ulong MinValidatorStake { get; init; }
    public required ulong MinWorkerStake { get; init; }
    public required ulong EpochLength { get; init; }
    public required FeeSchedule Fees { get; init; }
    public ConsensusParameters Consensus { get; init; } = new();
    /// <summary>Blocks per checkpoint: checkpoint n covers heights (n-1)·C+1 .. n·C.</summary>
    public ulong CheckpointInterval { get; init; } = DefaultCheckpointInterval;
    public const ulong DefaultCheckpointInterval = 100;
    public MarketParameters Market { get; init; } = new();
    /// <summary>The RLC bridge to Ethereum (docs/bridge.md); null: no bridge, deposits cannot be attested.</summary>
    public BridgeParameters? Bridge { get; init; }
}

/// <summary>
/// Where the chain's RLC bridge lives on Ethereum and how deep a deposit must be before validators
/// attest it. Validators follow that contract themselves (each with its own Ethereum endpoint).
/// </summary>
public sealed record BridgeParameters
{
    public required ulong EthChainId { get; init; }
    /// <summary>The bridge contract (src/IExecChain.Ethereum/Contracts/Bridge.sol).</summary>
    public required Address Contract { get; init; }
    /// <summary>Ethereum blocks a deposit's block must have on top of it (counting itself) before it is attested.</summary>
    public ulong Confirmations { get; init; } = DefaultConfirmations;
    public const ulong DefaultConfirmations = 12;
    /// <summary>Deposits beyond the next one to credit that may be attested ahead: bounds the state attestations take.</summary>
    public ulong MaxDepositsAhead { get; init; } = DefaultMaxDepositsAhead;
    public const ulong DefaultMaxDepositsAhead = 1024;
    /// <summary>The Ethereum block the bridge was deployed in: validators read its logs from there (not from block 0).</summary>
    public ulong StartBlock { get; init; }
}

/// <summary>
/// Proof-of-Contribution rules (docs/market.md). The initializers are the defaults; a chain spec may
/// omit any field of its "market" section.
/// </summary>
public sealed record MarketParameters
{
    /// <summary>Task categories: the time reference T (in blocks) and the WebAssembly limits of each.</summary>
    public IReadOnlyList<TaskCategory> Categories { get; init; } = DefaultCategories;

    public static readonly IReadOnlyList<TaskCategory> DefaultCategories =
    [
        new(0, "XS", TimeRefBlocks: 25, MaxFuel: 1_000_000_000, MaxMemoryMb: 64),
        new(1, "S", TimeRefBlocks: 100, MaxFuel: 10_000_000_000, MaxMemoryMb: 256),
        new(2, "M", TimeRefBlocks: 500, MaxFuel: 100_000_000_000, MaxMemoryMb: 1024),
    ];

    /// <summary>Open replicas a worker may hold at once; tasks wait for a free worker beyond that.</summary>
    public int MaxAssignmentsPerWorker { get; init; } = 8;
    /// <summary>Tasks started (initialized and assigned) per block at most: bounded end-of-block work.</summary>
    public int MaxTaskStartsPerBlock { get; init; } = 1000;
    /// <summary>Replicas one task may ever have.</summary>
    public int MaxReplicasPerTask { get; init; } = 16;
    /// <summary>Fixed size of content chunks (apps and datasets), bytes.</summary>
    public int ChunkSize { get; init; } = 65536;
    /// <summary>Apps need a passed governance proposal before they match.</summary>
    public bool RequireAppApproval { get; init; }

    /// <summary>
    /// Rollback window W in blocks: a completed task's winners get their stakes, rewards and score
    /// gains only W blocks after it completed, and the result may be challenged until then. 0 pays at
    /// once and allows no challenge (the whitepaper's window is 14 days).
    /// </summary>
    public ulong RollbackWindowBlocks { get; init; }
    /// <summary>nRLC a challenger locks; forfeited to the verifiers when they uphold the result.</summary>
    public ulong ChallengeBond { get; init; } = 1_000_000_000;
    /// <summary>Share of the slashed winners' stakes paid to a challenger whose challenge reversed a result, in percent.</summary>
    public uint ChallengeRewardPercent { get; init; } = 50;
    /// <summary>Completed tasks spot-checked, in parts per million (drawn from the block hash); needs a rollback window.</summary>
    public ulong SpotCheckPpm { get; init; }
    /// <summary>Verifiers that re-run a spot-checked or challenged task; all must agree for a verdict.</summary>
    public int Verifiers { get; init; } = 2;
    /// <summary>nRLC paid from the kitty to each verifier of a spot-check that upheld its result (as far as the kitty goes).</summary>
    public ulong SpotCheckReward { get; init; }

    public TaskCategory? Category(ulong id)
    {
        foreach (var c in Categories) if (c.Id == id) return c;
        return null;
    }
}

/// <summary>
/// A task category: deadlines count from task start in units of T (contribution 7T, reveal 2T after
/// consensus, final 10T); a replica must contribute within 2T of its assignment.
/// </summary>
public sealed record TaskCategory(ulong Id, string Name, ulong TimeRefBlocks, ulong MaxFuel, ulong MaxMemoryMb)
{
    /// <summary>Blocks a replica has from its assignment to contribute (2T; never past the task's contribution deadline).</summary>
    public ulong ReplicaDeadlineBlocks => 2 * TimeRefBlocks;
    /// <summary>Blocks from task start until contributions close (7T).</summary>
    public ulong ContributionDeadlineBlocks => 7 * TimeRefBlocks;
    /// <summary>Blocks from consensus until reveals close (2T).</summary>
    public ulong RevealDeadlineBlocks => 2 * TimeRefBlocks;
    /// <summary>Blocks from task start until the task fails if not completed (10T); also a deal's expiry.</summary>
    public ulong FinalDeadlineBlocks => 10 * TimeRefBlocks;
}

/// <summary>
/// BFT and validator-set rules. The initializers are the single source of defaults: a chain spec
/// may omit any field of its "consensus" section. The round timeouts equal those that
/// chain-spec/devnet.json states (a test compares them; docs/decisions.md, "Consensus", says why).
/// </summary>
public sealed record ConsensusParameters
{
    public int TimeoutProposeMs { get; init; } = 1000;
    public int TimeoutPrevoteMs { get; init; } = 400;
    public int TimeoutPrecommitMs { get; init; } = 400;
    /// <summary>Rounds whose timeouts stay at the base value before they start to grow.</summary>
    public int TimeoutFlatRounds { get; init; } = 2;
    /// <summary>Growth per round after the flat ones, in percent of the base timeout.</summary>
    public int TimeoutGrowthPercent { get; init; } = 50;
    /// <summary>nRLC of stake per unit of voting power (voting power = stake / unit × reputation).</summary>
    public ulong PowerUnit { get; init; } = 1_000_000_000;
    public ulong ReputationInitial { get; init; } = 1000;
    public ulong ReputationMin { get; init; } = 100;
    public ulong ReputationMax { get; init; } = 2000;
    /// <summary>Reputation gained by a validator whose precommit is in a block's last commit.</summary>
    public ulong ReputationGainPerBlockSigned { get; init; } = 1;
    /// <summary>Reputation lost by a validator of the set whose precommit is missing from it.</summary>
    public ulong ReputationLossPerBlockMissed { get; init; } = 10;
    /// <summary>Share of the validator stake burned on proven equivocation, in percent.</summary>
    public uint SlashEquivocationPercent { get; init; } = 5;
    public ulong JailBlocks { get; init; } = 1000;
    /// <summary>Evidence older than this many blocks is no longer accepted.</summary>
    public ulong EvidenceMaxAgeBlocks { get; init; } = 1000;
    public ulong GovernanceVotingPeriodBlocks { get; init; } = 1000;
}

/// <summary>Fixed fee per transaction type, in nRLC; a transaction may offer more for priority.</summary>
public sealed record FeeSchedule
{
    public required ulong Transfer { get; init; }
    public required ulong Stake { get; init; }
    public required ulong Unstake { get; init; }
    public ulong Governance { get; init; } = 10_000;
    public ulong AnchorReceipt { get; init; } = 1_000;
    /// <summary>Withdraw, AttestDeposits.</summary>
    public ulong Bridge { get; init; } = 1_000;
    /// <summary>RegisterApp, RegisterDataset, RegisterWorkerpool, JoinPool, LeavePool.</summary>
    public ulong Registry { get; init; } = 10_000;
    /// <summary>PlaceOrder, CancelOrder.</summary>
    public ulong Order { get; init; } = 1_000;
    /// <summary>Contribute, Reveal, ReportFailure.</summary>
    public ulong Contribution { get; init; } = 100;
}

public sealed record GenesisAccount(Address Address, ulong Balance);

public sealed record GenesisValidator(Address Address, byte[] PublicKey, ulong Stake);
