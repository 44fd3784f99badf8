using System.Text;
using IExecChain.Consensus.Bft;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.TxPool;
using IExecChain.Storage;

namespace IExecChain.Consensus.Tests.Harness;

/// <summary>
/// One validator of a <see cref="DriverNetwork"/>: a real <see cref="BftDriver"/> over a real
/// <see cref="BlockProcessor"/>, <see cref="Mempool"/> and WAL on an in-memory store. A crash drops
/// the driver and everything in memory; the store (what a process leaves on disk) survives, and a
/// restart opens a new processor, signer and driver on it, as a node process does.
/// </summary>
public sealed class DriverNode : IDisposable
{
    private readonly DriverNetwork _network;
    private readonly MemoryStore _store = new();

    public DriverNode(DriverNetwork network, int index, PrivateKey key)
    {
        _network = network;
        Index = index;
        Key = key;
        Transport = new HarnessTransport(network, index);
    }

    public int Index { get; }
    public PrivateKey Key { get; }
    public Address Address => Key.Address;
    public HarnessTransport Transport { get; }
    public BftDriver? Driver { get; private set; }
    public BlockProcessor? Processor { get; private set; }
    public bool Running => Driver is not null;
    public int Starts { get; private set; }

    /// <summary>Equivocations this node's drivers (all of its lives) proved.</summary>
    public long EquivocationsSeen => _retiredEquivocations + (Driver?.Metrics.EquivocationsSeen ?? 0);
    private long _retiredEquivocations;

    public ulong Head => Processor?.Head.Height ?? 0;

    public void Start()
    {
        if (Running) throw new InvalidOperationException($"node {Index} is running");
        var spec = _network.Spec;
        var tree = new StateTree(_store);
        var verifier = new TransactionVerifier();
        var processor = new BlockProcessor(spec, _store, tree, new BlockStore(_store, spec.ChainId, spec.Parameters.MaxTransactionBytes), verifier);
        var mempool = new Mempool(new MempoolOptions(), processor.Executor, verifier, address => StateReader.Account(tree, address));
        var wal = new ConsensusWal(_store);
        var signer = new ValidatorSigner(Key, spec.ChainId, wal);
        processor.BlockCommitted += (executed, commit) => _network.OnCommitted(this, executed, commit);
        Processor = processor;
        Driver = new BftDriver(processor, mempool, spec, signer, wal, Transport, _network.Clock, new RecordingLogger(_network.Errors, Index));
        Starts++;
    }

    /// <summary>The process dies: nothing it held in memory survives, nothing more leaves it.</summary>
    public void Crash()
    {
        if (Driver is null) return;
        _retiredEquivocations += Driver.Metrics.EquivocationsSeen;
        Driver.Dispose();
        Driver = null;
        Processor = null;
    }

    public void Dispose()
    {
        Crash();
        _store.Dispose();
    }

    public static PrivateKey KeyOf(int index) => new(Keccak256.HashToArray(Encoding.ASCII.GetBytes($"harness/validator/{index}")));
}

/// <summary>A node's side of the in-memory network.</summary>
public sealed class HarnessTransport(DriverNetwork network, int index) : IConsensusTransport
{
    public void Broadcast(ConsensusChannel channel, byte[] payload) => network.Send(index, null, channel, payload);

    public void Send(Address peer, ConsensusChannel channel, byte[] payload) => network.Send(index, peer, channel, payload);

    public void Penalize(Address peer, string reason, int points) => network.Penalties.Add((index, peer, reason, points));
}
