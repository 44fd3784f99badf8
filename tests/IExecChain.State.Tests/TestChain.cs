using System.Text;
using Google.Protobuf;
using IExecChain.Consensus.Bft;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.TxPool;
using IExecChain.Storage;
using IExecChain.TestSupport;

namespace IExecChain.State.Tests;

/// <summary>A one-validator chain on an in-memory store, with fixed test keys.</summary>
internal sealed class TestChain
{
    public const ulong ChainId = 77;
    public const ulong TransferFee = 100;
    public const ulong InitialBalance = 1_000_000_000;
    public static readonly PrivateKey Validator = Key("validator");

    public static PrivateKey Account(int i) => Key($"account-{i}");

    private static PrivateKey Key(string name) => new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/" + name)));

    /// <param name="checkpointInterval">Blocks per checkpoint, and per epoch (<see cref="SmallChainParameters.WithCheckpointInterval"/>).</param>
    public TestChain(IKeyValueStore? store = null, int accounts = 5, ulong unbondingPeriod = 3, MempoolOptions? mempool = null, ulong checkpointInterval = 10,
        bool requireAppApproval = false, MarketParameters? market = null, Func<ChainSpec, ChainSpec>? adjustSpec = null)
    {
        var spec = BuildSpec(accounts, unbondingPeriod);
        spec = spec with
        {
            Parameters = spec.Parameters.WithCheckpointInterval(checkpointInterval) with { Market = (market ?? new MarketParameters()) with { RequireAppApproval = requireAppApproval } },
        };
        Spec = adjustSpec is null ? spec : adjustSpec(spec);
        Store = store ?? new MemoryStore();
        Tree = new StateTree(Store);
        Verifier = new TransactionVerifier();
        Processor = new BlockProcessor(Spec, Store, Tree, new BlockStore(Store, ChainId, Spec.Parameters.MaxTransactionBytes), Verifier);
        Mempool = new Mempool(mempool ?? new MempoolOptions(), Processor.Executor, Verifier, AccountOf);
    }

    public ChainSpec Spec { get; }
    public IKeyValueStore Store { get; }
    public StateTree Tree { get; }
    public TransactionVerifier Verifier { get; }
    public BlockProcessor Processor { get; }
    public Mempool Mempool { get; }

    public static ChainSpec BuildSpec(int accounts, ulong unbondingPeriod) => new()
    {
        Name = "test",
        ChainId = ChainId,
        GenesisTimeUnixMs = 1_700_000_000_000,
        Parameters = SmallChainParameters.Create(unbondingPeriod, TransferFee),
        Accounts = Enumerable.Range(0, accounts).Select(i => new GenesisAccount(Account(i).Address, InitialBalance)).ToList(),
        Validators = [new GenesisValidator(Validator.Address, Validator.PublicKey, 5000)],
    };

    public AccountRecord AccountOf(Address address) => StateReader.Account(Tree, address);

    public StakeRecord StakeOf(Address address) => StateReader.Stake(Tree, address);

    public Transaction Sign(PrivateKey from, ulong nonce, Action<TransactionBody> payload, ulong? fee = null)
    {
        var body = new TransactionBody { ChainId = ChainId, Nonce = nonce, Fee = fee ?? TransferFee };
        payload(body);
        if (!TransactionCodec.TryDecode(TransactionCodec.Sign(body, from), ChainId, 4096, out var tx, out var error))
            throw new InvalidOperationException(error);
        return tx!;
    }

    public Transaction Transfer(PrivateKey from, Address to, ulong amount, ulong nonce, ulong? fee = null) =>
        Sign(from, nonce, b => b.Transfer = new Core.Wire.Transfer { To = ByteString.CopyFrom(to.ToArray()), Amount = amount }, fee);

    public Transaction Stake(PrivateKey from, StakeRole role, ulong amount, ulong nonce) =>
        Sign(from, nonce, b => b.Stake = new Core.Wire.Stake { Role = role, Amount = amount }, 200);

    public Transaction Unstake(PrivateKey from, StakeRole role, ulong amount, ulong nonce) =>
        Sign(from, nonce, b => b.Unstake = new Core.Wire.Unstake { Role = role, Amount = amount }, 300);

    /// <summary>Executes the next block with these candidates as the validator would propose it, without committing it.</summary>
    public ExecutedBlock Propose(params Transaction[] candidates) => Propose([], candidates);

    private ExecutedBlock Propose(IReadOnlyList<DuplicateVoteEvidence> evidence, Transaction[] candidates) =>
        Processor.Propose(Validator.Address, Processor.Head.TimeUnixMs + 100, candidates, Processor.Head.Height == 0 ? null : Processor.Blocks.GetCommit(Processor.Head.Height), evidence);

    /// <summary>Proposes a block with these candidates and commits it.</summary>
    public ExecutedBlock Produce(params Transaction[] candidates) => ProduceWithEvidence([], candidates);

    /// <summary>Proposes a block with these candidates and this evidence of equivocation, and commits it.</summary>
    public ExecutedBlock ProduceWithEvidence(IReadOnlyList<DuplicateVoteEvidence> evidence, params Transaction[] candidates)
    {
        var executed = Propose(evidence, candidates);
        var precommit = Precommit(executed);
        CommitAssembly.AddCheckpointSignature(precommit, Processor.CheckpointOf(executed), Validator.Sign);
        Processor.Commit(executed, CommitAssembly.FromPrecommits(executed.Block.Height, 0, executed.Block.Hash, [precommit]));
        Mempool.OnBlockCommitted(executed.Block.Transactions);
        return executed;
    }

    /// <summary>The single validator's precommit for the block, as the commit the next block must carry.</summary>
    public static Commit CommitFor(ExecutedBlock executed) =>
        CommitAssembly.FromPrecommits(executed.Block.Height, 0, executed.Block.Hash, [Precommit(executed)]);

    private static Vote Precommit(ExecutedBlock executed)
    {
        var block = executed.Block;
        var signature = Validator.Sign(Core.Blocks.VoteDigest.Compute(ChainId, VoteType.Precommit, block.Height, 0, block.Hash));
        return ValidatorSigner.MakeVote(VoteType.Precommit, block.Height, 0, block.Hash, Validator.Address, signature, 0);
    }

    /// <summary>Balances + stakes + unbonding of every known address: must never change.</summary>
    public ulong TotalSupply(IEnumerable<Address> addresses)
    {
        ulong total = 0;
        foreach (var a in addresses.Distinct())
        {
            total += AccountOf(a).Balance;
            var s = StakeOf(a);
            total += s.ValidatorStake + s.WorkerStake + (ulong)s.Unbonding.Sum(u => (decimal)u.Amount);
        }
        return total;
    }
}

/// <summary>The words a user would read for a receipt's failure, as the RPC makes them.</summary>
internal static class ReceiptText
{
    public static string ErrorText(this Receipt receipt, TransactionBody? body = null) => ReasonText.Default.Describe(receipt.Failure, body);
}
