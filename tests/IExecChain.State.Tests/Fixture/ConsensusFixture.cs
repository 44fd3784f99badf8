using System.Text;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Market;
using IExecChain.State.Tests.Market;

namespace IExecChain.State.Tests.Fixture;

/// <summary>One block of the fixture chain, as the pinned file records it.</summary>
internal sealed record FixtureBlock(ulong Height, PinnedHashes Hashes, string Phase);

/// <summary>The four hashes pinned per height: what a consensus change can move.</summary>
internal readonly record struct PinnedHashes(Hash256 BlockHash, Hash256 StateRoot, Hash256 TxRoot, Hash256 ReceiptRoot);

/// <summary>What the fixture chain claims to exercise; <see cref="ConsensusFixture.Reached"/> says at which height it did.</summary>
internal enum Milestone
{
    FailedTransfer,
    UnbondingReleased,
    ParameterChangePassed,
    ProposalFailedToApply,
    ProposalRejected,
    ProposalExpired,
    ValidatorJoinedTheSet,
    EquivocationPunished,
    CheckpointRecorded,
    AnchorRecorded,
    DepositCredited,
    WithdrawalCheckpointed,
    AppAndWorkerpoolRegistered,
    WorkersJoinedThePool,
    FailedMarketTransactions,
    ForeignCancelRefused,
    OrderCancelled,
    DealMatched,
    TaskCompletedWithAgreement,
    DisagreeingContributionLost,
    ReplicaTimedOut,
    ConsensusGroupRejected,
    TaskFailed,
    DatasetOwnerPaid,
    SpotCheck,
    VerificationUpheld,
    ChallengeUpheld,
    VerificationReversed,
    RollbackWindowReleased,
    BadContributionsAndReveals,
    WorkerLeftThePoolAndUnbonded,
}

/// <summary>The script went somewhere it did not expect: it stops there, keeping the blocks produced so far.</summary>
internal sealed class FixtureScenarioException(string message) : Exception(message);

/// <summary>
/// A deterministic chain of a few hundred blocks that goes through the whole state machine: transfers,
/// staking and unbonding, governance and a validator-set change, equivocation, checkpoints and anchors,
/// and the market from registration to reversed verifications (<see cref="LedgerScript"/>,
/// <see cref="MarketScript"/>, <see cref="BusyMarketScript"/>). Keys are fixed, block times are the
/// parent's + 100 ms, the only randomness is a seeded <see cref="Random"/>, and nothing depends on the
/// order of a hash-based collection: the same code always builds the same chain, so its hashes can be
/// pinned (consensus-fixture.txt) and any change that moves one is a consensus change, made on purpose.
/// The script reads the chain's state to decide its next step (which worker holds a replica, whether a
/// task reached consensus) rather than assuming it, so a deliberate consensus change that moves hashes
/// and with them the block-hash-seeded draws still plays the same scenario, and regenerating is enough.
/// </summary>
internal sealed class ConsensusFixture
{
    public const int Workers = 6;
    public const ulong UnbondingPeriod = 5, VotingPeriod = 20;

    /// <summary>
    /// Two checkpoints per epoch, as on the devnet (ten): the set may change only where a checkpoint
    /// range starts, and some ranges start with no change.
    /// </summary>
    public const ulong EpochLength = 20, CheckpointInterval = 10;

    public static readonly PrivateKey Alice = Key("alice"), Bob = Key("bob"), Newcomer = Key("newcomer");

    private static PrivateKey Key(string name) => new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("fixture/" + name)));

    /// <summary>
    /// T = 2 blocks so deadlines come quickly; every completed task is spot-checked (10⁶ ppm) unless a
    /// challenge in the very next block gets there first, so both paths are certain whatever the draws.
    /// </summary>
    public static MarketParameters MarketSpec => new()
    {
        Categories = [new TaskCategory(0, "XS", TimeRefBlocks: 2, MaxFuel: 1_000_000, MaxMemoryMb: 64)],
        RollbackWindowBlocks = 12,
        ChallengeBond = 50_000,
        ChallengeRewardPercent = 50,
        SpotCheckPpm = 1_000_000,
        SpotCheckReward = 1_000,
        Verifiers = 2,
    };

    public static ChainSpec AdjustSpec(ChainSpec spec) => spec with
    {
        Parameters = spec.Parameters with
        {
            UnbondingPeriodBlocks = UnbondingPeriod,
            EpochLength = EpochLength,
            CheckpointInterval = CheckpointInterval,
            Consensus = spec.Parameters.Consensus with { GovernanceVotingPeriodBlocks = VotingPeriod },
            Bridge = new BridgeParameters { EthChainId = 1337, Contract = new Address(Enumerable.Repeat((byte)0xB1, Address.Size).ToArray()) },
        },
    };

    private readonly Dictionary<Milestone, ulong> _reached = [];
    private readonly List<FixtureBlock> _blocks = [];
    private readonly List<ExecutedBlock> _executed = [];
    private ulong _latestCheckpoint;

    private ConsensusFixture()
    {
        M = new MarketChain(Workers, market: MarketSpec, adjustSpec: AdjustSpec);
        var genesis = Chain.Processor.Blocks.GetBlock(0)!;
        _blocks.Add(new FixtureBlock(0, HashesOf(genesis.Header, genesis.Hash), Phase));
        // Every commit is recorded, also those of helpers that produce blocks themselves (MarketChain.SetUp).
        Chain.Processor.BlockCommitted += (executed, _) => OnCommitted(executed);
    }

    public MarketChain M { get; }
    public TestChain Chain => M.Chain;
    public ulong Head => Chain.Processor.Head.Height;

    /// <summary>The label of the blocks produced from now on (kept in the pinned file, to find them).</summary>
    public string Phase { get; set; } = "genesis";

    /// <summary>Height 0 (genesis) to the head, in order.</summary>
    public IReadOnlyList<FixtureBlock> Blocks => _blocks;

    /// <summary>The first height at which each milestone was reached.</summary>
    public IReadOnlyDictionary<Milestone, ulong> Reached => _reached;

    /// <summary>The worker that leaves its pool and unbonds near the end (set by <see cref="MarketScript"/>).</summary>
    public PrivateKey? Leaver { get; set; }

    /// <summary>Why the script stopped early, or null when it ran to its end.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Builds the whole chain. Never throws: a script that stops early leaves <see cref="Failure"/> set.</summary>
    public static ConsensusFixture Build() => Build(observe: null);

    /// <param name="observe">Called after each block's commit, before the script goes on (to read the state at that height).</param>
    public static ConsensusFixture Build(Action<ConsensusFixture, ExecutedBlock>? observe)
    {
        var f = new ConsensusFixture();
        if (observe is not null) f.Chain.Processor.BlockCommitted += (executed, _) => observe(f, executed);
        try
        {
            LedgerScript.Run(f);
            MarketScript.Run(f);
            LedgerScript.Close(f);
        }
        catch (Exception e)
        {
            f.Failure = e;
        }
        return f;
    }

    public static PinnedHashes HashesOf(BlockHeader header, Hash256 hash) =>
        new(hash, new Hash256(header.StateRoot.Span), new Hash256(header.TxRoot.Span), new Hash256(header.ReceiptRoot.Span));

    /// <summary>What a block at <paramref name="height"/> held: its transactions, their outcome, its market events.</summary>
    public string Describe(ulong height)
    {
        if (height == 0 || height > (ulong)_executed.Count) return height == 0 ? "genesis" : "a block this run did not produce";
        var executed = _executed[(int)height - 1];
        var text = new StringBuilder();
        text.Append(executed.Block.Transactions.Count).Append(" transaction(s)");
        for (int i = 0; i < executed.Block.Transactions.Count; i++)
        {
            var tx = executed.Block.Transactions[i];
            text.Append(i == 0 ? ": " : "; ").Append(tx.Kind).Append(" from ").Append(NameOf(tx.Sender)).Append(" nonce ").Append(tx.Nonce)
                .Append(' ').Append(executed.Receipts[i].Status);
        }
        if (executed.Block.Evidence.Count > 0) text.Append("; ").Append(executed.Block.Evidence.Count).Append(" evidence");
        var events = executed.Market?.Events ?? [];
        if (events.Count > 0)
        {
            text.Append("; market events:");
            foreach (var e in events) text.Append(' ').Append(e.Kind);
        }
        return text.ToString();
    }

    /// <summary>The cast's names, for messages.</summary>
    public string NameOf(Address address)
    {
        if (address == TestChain.Validator.Address) return "the validator";
        if (address == Alice.Address) return "Alice";
        if (address == Bob.Address) return "Bob";
        if (address == Newcomer.Address) return "the newcomer";
        if (address == MarketChain.Key(MarketChain.AppOwner).Address) return "the app owner";
        if (address == MarketChain.Key(MarketChain.PoolOwner).Address) return "the pool owner";
        if (address == MarketChain.Key(MarketChain.Requester).Address) return "the requester";
        for (int w = 0; w < Workers; w++) if (address == M.WorkerKey(w).Address) return $"worker {w}";
        return address.ToString();
    }

    public ExecutedBlock Produce(params Transaction[] txs)
    {
        var executed = M.Produce(txs);
        CheckIncluded(executed, txs.Length);
        return executed;
    }

    public ExecutedBlock ProduceWithEvidence(DuplicateVoteEvidence evidence, params Transaction[] txs)
    {
        var executed = Chain.ProduceWithEvidence([evidence], txs);
        M.Events.AddRange(executed.Market!.Events);
        CheckIncluded(executed, txs.Length);
        return executed;
    }

    public void ProduceUntil(ulong height)
    {
        while (Head < height) Produce();
    }

    /// <summary>Produces empty blocks until <paramref name="done"/> holds, at most <paramref name="limit"/> of them.</summary>
    public void ProduceWhileNot(Func<bool> done, int limit, string what)
    {
        for (int i = 0; i < limit && !done(); i++) Produce();
        Expect(done(), $"{what} within {limit} blocks");
    }

    /// <summary>Every transaction of the script must be included: one left out (bad nonce, fee) would silently change the story.</summary>
    private void CheckIncluded(ExecutedBlock executed, int candidates)
    {
        if (executed.Excluded.Count > 0)
            throw new FixtureScenarioException($"block {executed.Block.Height} ({Phase}) left out {executed.Excluded[0].Tx}: {executed.Excluded[0].Reason}");
        Expect(executed.Block.Transactions.Count == candidates, $"all {candidates} transactions in block {executed.Block.Height}");
    }

    public void Expect(bool condition, string what)
    {
        if (!condition) throw new FixtureScenarioException($"at height {Head}, phase '{Phase}': expected {what}");
    }

    /// <summary>Checks each receipt against <paramref name="outcomes"/>: 'S' succeeded, 'F' failed (and paid its fee).</summary>
    public void ExpectReceipts(ExecutedBlock executed, string outcomes, string what)
    {
        var actual = new StringBuilder();
        foreach (var r in executed.Receipts) actual.Append(r.Status == ReceiptStatus.Success ? 'S' : 'F');
        Expect(actual.ToString() == outcomes, $"receipts {outcomes} for {what}, got {actual}");
    }

    public void Reach(Milestone milestone) => _reached.TryAdd(milestone, Head);

    public void Reach(Milestone milestone, ulong height) => _reached.TryAdd(milestone, height);

    // Transactions of the accounts outside the market cast (the market's are MarketChain.Tx and its helpers).

    public ulong Fee(TransactionBody.PayloadOneofCase kind) => Chain.Processor.Executor.RequiredFee(kind);

    public ulong NonceOf(PrivateKey key) => Chain.AccountOf(key.Address).Nonce;

    /// <summary>Signs with the account's next nonce (+ <paramref name="ahead"/> for its later transactions in the same block) and the required fee.</summary>
    public Transaction Sign(PrivateKey key, Action<TransactionBody> payload, TransactionBody.PayloadOneofCase kind, int ahead = 0) =>
        Chain.Sign(key, NonceOf(key) + (ulong)ahead, payload, Fee(kind));

    public Transaction Transfer(PrivateKey from, Address to, ulong amount, int ahead = 0) =>
        Chain.Transfer(from, to, amount, NonceOf(from) + (ulong)ahead, Fee(TransactionBody.PayloadOneofCase.Transfer));

    public Transaction Stake(PrivateKey key, StakeRole role, ulong amount, int ahead = 0) => Chain.Stake(key, role, amount, NonceOf(key) + (ulong)ahead);

    public Transaction Unstake(PrivateKey key, StakeRole role, ulong amount, int ahead = 0) => Chain.Unstake(key, role, amount, NonceOf(key) + (ulong)ahead);

    public static ByteString Bytes(Address a) => ByteString.CopyFrom(a.ToArray());
    public static ByteString Bytes(Hash256 h) => ByteString.CopyFrom(h.ToArray());

    private int _salt;

    /// <summary>A fresh order salt: orders with the same terms get distinct hashes.</summary>
    public ByteString Salt() => ByteString.CopyFrom(Encoding.ASCII.GetBytes($"fixture-{++_salt}"));

    private void OnCommitted(ExecutedBlock executed)
    {
        _executed.Add(executed);
        _blocks.Add(new FixtureBlock(executed.Block.Height, HashesOf(executed.Block.Header, executed.Block.Hash), Phase));
        foreach (var e in executed.Market?.Events ?? []) Observe(e);
        ulong checkpoint = StateReader.Totals(Chain.Tree).LatestCheckpoint;
        if (checkpoint > _latestCheckpoint)
        {
            _latestCheckpoint = checkpoint;
            var record = Chain.Tree.Get(StateKeys.Checkpoint(checkpoint)) is { } bytes ? CheckpointRecord.Parser.ParseFrom(bytes) : null;
            if (record is { Signatures.Count: > 0 }) _reached.TryAdd(Milestone.CheckpointRecorded, executed.Block.Height);
        }
    }

    /// <summary>Market milestones are read off the chain's own events, so no script path can claim one it did not reach.</summary>
    private void Observe(MarketEvent e)
    {
        var milestone = e.Kind switch
        {
            "started" => Milestone.DealMatched,
            "timeout" => Milestone.ReplicaTimedOut,
            "failed" => Milestone.TaskFailed,
            "spot-check" => Milestone.SpotCheck,
            "released" => Milestone.RollbackWindowReleased,
            "verified" when e.Status == MarketBlock.PhaseName(VerificationPhase.Reversed) => Milestone.VerificationReversed,
            "verified" when e.Status == MarketBlock.PhaseName(VerificationPhase.Upheld) => Milestone.VerificationUpheld,
            _ => (Milestone?)null,
        };
        if (milestone is { } m) _reached.TryAdd(m, e.Height);
        if (e.Kind != "completed") return;
        var task = MarketReader.Task(Chain.Tree, e.TaskId)!;
        bool disagreed = false, rejected = false;
        foreach (var r in task.Replicas)
        {
            disagreed |= r.Status == ReplicaStatus.Contributed && r.ResultHash != task.ConsensusHash;
            rejected |= r.Status == ReplicaStatus.Rejected;
        }
        if (disagreed) _reached.TryAdd(Milestone.DisagreeingContributionLost, e.Height);
        if (rejected) _reached.TryAdd(Milestone.ConsensusGroupRejected, e.Height);
        if (!disagreed && !rejected && task.Replicas.Count(r => r.Status == ReplicaStatus.Revealed) >= 2)
            _reached.TryAdd(Milestone.TaskCompletedWithAgreement, e.Height);
    }
}
