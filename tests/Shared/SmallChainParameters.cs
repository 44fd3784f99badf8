using IExecChain.Core.Specs;

namespace IExecChain.TestSupport;

/// <summary>
/// The parameters of the small in-memory chains that tests and the fuzzer build (100 ms blocks,
/// 4 KiB transactions, epochs of 10 blocks, power unit 1): one definition, linked into each project.
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
        Fees = new FeeSchedule { Transfer = transferFee, Stake = 200, Unstake = 300 },
        Consensus = new ConsensusParameters { PowerUnit = 1 },
    };
}
