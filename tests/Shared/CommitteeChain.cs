using System.Text;
using IExecChain.Consensus.Bft;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Checkpoints;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.Storage;

namespace IExecChain.TestSupport;

/// <summary>
/// A chain in memory validated by several fixed-key validators that are all online: every member of
/// the set of a height precommits its block, and the precommit for the last block of a checkpoint
/// range also signs that checkpoint, as a validator's node does (<see cref="CommitAssembly"/>).
/// Members of other heights' sets do not sign: a commit may only hold the block's own validators.
/// </summary>
internal sealed class CommitteeChain
{
    public const ulong ChainId = 79;
    public const ulong Balance = 1_000_000_000;

    private readonly Dictionary<Address, PrivateKey> _keys = [];
    private readonly Dictionary<ulong, ValidatorSet> _validatedBy = [];

    public static PrivateKey Key(string name) => new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/committee/" + name)));

    /// <param name="validators">The genesis validators, each with <paramref name="stake"/> and <see cref="Balance"/> for fees.</param>
    public CommitteeChain(ChainParameters parameters, IReadOnlyList<PrivateKey> validators, ulong stake)
    {
        foreach (var key in validators) _keys[key.Address] = key;
        Spec = new ChainSpec
        {
            Name = "committee",
            ChainId = ChainId,
            GenesisTimeUnixMs = 1_700_000_000_000,
            Parameters = parameters,
            Accounts = [.. validators.Select(k => new GenesisAccount(k.Address, Balance))],
            Validators = [.. validators.Select(k => new GenesisValidator(k.Address, k.PublicKey, stake))],
        };
        var store = new MemoryStore();
        Tree = new StateTree(store);
        Processor = new BlockProcessor(Spec, store, Tree, new BlockStore(store, ChainId, parameters.MaxTransactionBytes), new TransactionVerifier());
    }

    /// <summary>
    /// Three equal validators A, B and C; B and C unstake all their stake in block 2, so at the first
    /// epoch boundary (epochs of 10 blocks) the set loses 2/3 of its power. Checkpoints every 5 blocks:
    /// the boundary is between checkpoint 2 (blocks 6 to 10) and checkpoint 3 (11 to 15), which block 16
    /// records; the chain stops there.
    /// </summary>
    public static (CommitteeChain Chain, PrivateKey Stays, PrivateKey[] Leave) TwoThirdsOfThePowerLeaveAtTheFirstEpochBoundary()
    {
        PrivateKey a = Key("a"), b = Key("b"), c = Key("c");
        var parameters = SmallChainParameters.Create() with { EpochLength = 10, CheckpointInterval = 5 };
        const ulong stake = 5_000;
        var chain = new CommitteeChain(parameters, [a, b, c], stake);
        chain.Produce();
        chain.Produce([.. new[] { b, c }.Select(k => chain.Sign(k, parameters.Fees.Unstake, body => body.Unstake = new Unstake { Role = StakeRole.Validator, Amount = stake }))]);
        chain.ProduceUntil(16);
        return (chain, a, [b, c]);
    }

    public ChainSpec Spec { get; }
    public StateTree Tree { get; }
    public BlockProcessor Processor { get; }
    public ulong Head => Processor.Head.Height;

    /// <summary>The set that validated block <paramref name="height"/> (its precommits are the block's commit).</summary>
    public ValidatorSet ValidatedBy(ulong height) => _validatedBy[height];

    /// <summary>A transaction of <paramref name="from"/> with its next nonce.</summary>
    public Transaction Sign(PrivateKey from, ulong fee, Action<TransactionBody> payload)
    {
        var body = new TransactionBody { ChainId = ChainId, Nonce = StateReader.Account(Tree, from.Address).Nonce, Fee = fee };
        payload(body);
        if (!TransactionCodec.TryDecode(TransactionCodec.Sign(body, from), ChainId, Spec.Parameters.MaxTransactionBytes, out var tx, out var error))
            throw new InvalidOperationException(error);
        return tx!;
    }

    /// <summary>Proposes the next block with these transactions (each must be included) and commits it with every member's precommit.</summary>
    public ExecutedBlock Produce(params Transaction[] txs)
    {
        var set = Processor.Validators;   // the set of the height being produced
        var proposer = new Address(set.Validators[0].Address.Span);
        var lastCommit = Head == 0 ? null : Processor.Blocks.GetCommit(Head);
        var executed = Processor.Propose(proposer, Processor.Head.TimeUnixMs + 100, txs, lastCommit);
        if (executed.Excluded.Count > 0) throw new InvalidOperationException($"block {executed.Block.Height} left out {executed.Excluded[0].Tx}: {executed.Excluded[0].Reason}");
        var block = executed.Block;
        var checkpoint = Processor.CheckpointOf(executed);
        var precommits = new List<Vote>();
        foreach (var member in set.Validators)
        {
            var key = _keys[new Address(member.Address.Span)];
            var signature = key.Sign(Core.Blocks.VoteDigest.Compute(ChainId, VoteType.Precommit, block.Height, 0, block.Hash));
            var precommit = ValidatorSigner.MakeVote(VoteType.Precommit, block.Height, 0, block.Hash, key.Address, signature, 0);
            CommitAssembly.AddCheckpointSignature(precommit, checkpoint, key.Sign);
            precommits.Add(precommit);
        }
        var commit = CommitAssembly.FromPrecommits(block.Height, 0, block.Hash, precommits);
        if (Processor.VerifyCommit(commit, block.Height, block.Hash, set) is { } error) throw new InvalidOperationException(error);
        Processor.Commit(executed, commit);
        _validatedBy[block.Height] = set;
        return executed;
    }

    public void ProduceUntil(ulong height)
    {
        while (Head < height) Produce();
    }

    /// <summary>Checkpoint <paramref name="number"/> as the chain recorded it, with its signatures: what a peer serves a relayer or a joining node.</summary>
    public SignedCheckpoint Checkpoint(ulong number)
    {
        var bytes = Tree.Get(StateKeys.Checkpoint(number)) ?? throw new InvalidOperationException($"checkpoint {number} is not recorded (head {Head})");
        return CheckpointLedger.ToSigned(ChainId, CheckpointRecord.Parser.ParseFrom(bytes));
    }

    /// <summary>A set as checkpoints name it: address and power, ascending by address.</summary>
    public static List<ValidatorPower> Powers(ValidatorSet set) => CheckpointLedger.PowersOf(set);
}
