using IExecChain.Core.Specs;

namespace IExecChain.TestSupport;

/// <summary>
/// The parameters of the small in-memory chains that tests and the fuzzer build (100 ms blocks,
/// 4 KiB transactions, epochs of 10 blocks with a checkpoint every 10, power unit 1): one definition,
/// linked into each project.
/// </summary>
internal static class SmallChainParameters
{
    public static ChainParameters Create(ulong unbondingPeriodBlocks = 3, ulong transferFee = 100) => new()
    {
        BlockIntervalMs = 100,
        MaxBlockTransactions = 1000,
        MaxBlockBytes = 1 << 20,
        MaxTransactionBytes = 4096,
        UnbondingPeriodBlocks = unbondingPeriodBlocks,
        MinValidatorStake = 1000,
        MinWorkerStake = 10,
        EpochLength = 10,
        CheckpointInterval = 10,
        Fees = new FeeSchedule { Transfer = transferFee, Stake = 200, Unstake = 300 },
        Consensus = new ConsensusParameters { PowerUnit = 1 },
    };

    /// <summary>
    /// Checkpoints every <paramref name="interval"/> blocks, and epochs as long: a chain spec's epoch
    /// length must be a multiple of its checkpoint interval (ChainSpecLoader refuses others), so a
    /// test that picks its own interval keeps one epoch per checkpoint range.
    /// </summary>
    public static ChainParameters WithCheckpointInterval(this ChainParameters parameters, ulong interval) =>
        parameters with { CheckpointInterval = interval, EpochLength = interval };
}
