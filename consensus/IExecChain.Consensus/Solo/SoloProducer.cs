using IExecChain.Core.Crypto;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.State.TxPool;
using Microsoft.Extensions.Logging;

namespace IExecChain.Consensus.Solo;

/// <summary>
/// Block production for a validator set of one: propose, execute and commit on a fixed interval,
/// or at once when a full block is waiting. It drives the same <see cref="BlockProcessor"/>
/// boundary as the BFT engine, which replaces it when there is more than one validator.
/// </summary>
public sealed partial class SoloProducer : IDisposable
{
    private readonly BlockProcessor _processor;
    private readonly Mempool _mempool;
    private readonly PrivateKey _key;
    private readonly ChainSpec _spec;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private Commit? _lastCommit;

    public SoloProducer(BlockProcessor processor, Mempool mempool, PrivateKey key, ChainSpec spec, TimeProvider time, ILogger<SoloProducer> logger)
    {
        if (processor.Validators.Validators.Count != 1)
            throw new InvalidOperationException($"the solo producer needs a validator set of one; this chain has {processor.Validators.Validators.Count}");
        if (processor.FindValidator(key.Address) is null)
            throw new InvalidOperationException($"key {key.Address} is not the chain's validator");
        _processor = processor;
        _mempool = mempool;
        _key = key;
        _spec = spec;
        _time = time;
        _logger = logger;
        _lastCommit = processor.Head.Height == 0 ? null : processor.Blocks.GetCommit(processor.Head.Height);
    }

    /// <summary>Last exception that stopped production, if any.</summary>
    public Exception? Fault { get; private set; }

    public void Start()
    {
        _thread = new Thread(Run) { Name = "block-producer", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Produces exactly one block now (tests and tools).</summary>
    public ExecutedBlock ProduceOne()
    {
        int max = _spec.Parameters.MaxBlockTransactions;
        var candidates = _mempool.SelectForBlock(max, _spec.Parameters.MaxBlockBytes);
        ulong now = (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds();
        var executed = _processor.Propose(_key.Address, now, candidates, _lastCommit);
        var commit = CommitSigner.SignSoloCommit(_key, _spec.ChainId, executed.Block, now);
        _processor.Commit(executed, commit);
        _lastCommit = commit;
        _mempool.OnBlockCommitted(executed.Block.Transactions, executed.Excluded.Select(e => e.Tx));
        if (executed.Excluded.Count > 0) LogExcluded(executed.Excluded.Count, executed.Block.Height, executed.Excluded[0].Reason);
        return executed;
    }

    private void Run()
    {
        var interval = TimeSpan.FromMilliseconds(_spec.Parameters.BlockIntervalMs);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var started = _time.GetTimestamp();
                var executed = ProduceOne();
                LogBlock(executed.Block.Height, executed.Block.Transactions.Count, executed.Block.Hash.ToString());
                // A full block waiting means we are behind: go again at once instead of sleeping.
                while (!_stop.IsCancellationRequested && _time.GetElapsedTime(started) < interval && _mempool.Count < _spec.Parameters.MaxBlockTransactions)
                    _stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Min(5, interval.TotalMilliseconds)));
            }
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            Fault = e;
            LogFault(e);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Committed block {Height} with {Count} transactions ({Hash})")]
    private partial void LogBlock(ulong height, int count, string hash);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} candidate transactions left out of block {Height}, e.g.: {Reason}")]
    private partial void LogExcluded(int count, ulong height, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Block production stopped")]
    private partial void LogFault(Exception e);
}
