namespace IExecChain.Consensus.Bft;

/// <summary>
/// The driver's own timings, in one place. The round timeouts and the block interval are the chain's
/// (<c>parameters.consensus</c> and <c>blockIntervalMs</c> of the chain spec, read through
/// <see cref="ConsensusTimeouts.From"/> and <see cref="IExecChain.Core.Specs.ChainParameters"/>); these
/// are not agreed on by validators, so a node may differ from its peers in them without harm, and
/// they stay out of the chain spec on purpose.
/// </summary>
public static class DriverTimings
{
    /// <summary>
    /// Every tick a node broadcasts its (height, round) and, when its height did not move since the
    /// last tick, re-sends what it holds. Short against the default prevote/precommit timeouts
    /// (400 ms) so a lost vote is re-sent before the round times out; long enough that a status per
    /// peer per tick costs nothing.
    /// </summary>
    public const int TickIntervalMs = 250;

    /// <summary>
    /// Proposals carry whole blocks: while stalled, a node re-sends them only every this many ticks
    /// (votes every tick).
    /// </summary>
    public const int ProposalRebroadcastEveryTicks = 4;

    /// <summary>
    /// At most one block request per this interval (two ticks: every peer's status arrives once per
    /// tick, and asking each of them would fetch the same blocks several times over). A response that
    /// says more blocks remain lifts the wait at once.
    /// </summary>
    public const int SyncRequestIntervalMs = 2 * TickIntervalMs;

    /// <summary>
    /// What block sync learned of a peer (the height of its last status, the lowest block it said it
    /// holds) is forgotten after this long without news: a peer gone quiet is not picked, and a lowest
    /// height learned long ago is checked again by asking. Relearning costs one empty answer.
    /// </summary>
    public const int SyncPeerMemoryMs = 60_000;

    /// <summary>
    /// A proposal whose block time leads this node's clock by more than this is invalid: a proposer's
    /// clock may run a little ahead, never far enough to push block times into the future. NTP keeps
    /// honest clocks within tens of milliseconds; 10 s leaves room for a badly kept one.
    /// </summary>
    public const ulong MaxClockDriftMs = 10_000;

    /// <summary>The consensus thread wakes at least this often even with nothing due.</summary>
    public const int MaxIdleWaitMs = 1000;
}
