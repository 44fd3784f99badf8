using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Core.Specs;
using IExecChain.TestSupport;
using IExecChain.Core.Transactions;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.TxPool;
using IExecChain.Storage;

namespace IExecChain.Fuzzing;

/// <summary>
/// The chain the stateful targets decode against: genesis of a one-validator chain in memory, so a
/// decoder reaches its signature and state checks rather than stopping at an unknown chain id.
/// </summary>
public sealed class FuzzChain
{
    public const ulong ChainId = 77;
    public static readonly PrivateKey Validator = Key("fuzz/validator");
    public static readonly PrivateKey Account = Key("fuzz/account");

    public ChainSpec Spec { get; }
    public BlockProcessor Processor { get; }
    public Mempool Mempool { get; }
    public MemoryStore Store { get; }

    /// <param name="checkpointInterval">Blocks per checkpoint, and per epoch: the state sync target takes a short interval, so a tail is a few blocks.</param>
    public FuzzChain(ulong checkpointInterval = ChainParameters.DefaultCheckpointInterval)
    {
        Spec = new ChainSpec
        {
            Name = "fuzz",
            ChainId = ChainId,
            GenesisTimeUnixMs = 1_700_000_000_000,
            Parameters = SmallChainParameters.Create().WithCheckpointInterval(checkpointInterval),
            Accounts = [new GenesisAccount(Account.Address, 1_000_000_000)],
            Validators = [new GenesisValidator(Validator.Address, Validator.PublicKey, 5000)],
        };
        var store = Store = new MemoryStore();
        var tree = new StateTree(store);
        var verifier = new TransactionVerifier();
        Processor = new BlockProcessor(Spec, store, tree, new BlockStore(store, ChainId, Spec.Parameters.MaxTransactionBytes), verifier);
        Mempool = new Mempool(new MempoolOptions(), Processor.Executor, verifier, address => StateReader.Account(tree, address));
    }

    private static PrivateKey Key(string label) => new(Keccak256.HashToArray(Encoding.ASCII.GetBytes(label)));
}
