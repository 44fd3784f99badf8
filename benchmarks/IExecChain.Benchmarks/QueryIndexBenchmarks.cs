using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using IExecChain.Storage;

namespace IExecChain.Benchmarks;

/// <summary>
/// Query latency with 1,000,000 transactions indexed in RocksDB: 1,000 blocks of 1,000 transfers
/// among 1,000 accounts (each pays the next), so each account has 1,000 index entries in each direction.
/// Blocks are indexed through <see cref="QueryIndex.Add"/> as a commit would; the same 1,000 signed
/// transfers are reused in every block (each block's entries still have their own positions), so the
/// setup signs 1,000 transactions, not a million. Each benchmark reads one page of 20 (the RPC default),
/// the deep ones from a cursor in the middle of the history.
/// </summary>
[MemoryDiagnoser]
[AllStatisticsColumn]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet releases the store in [GlobalCleanup]")]
public class QueryIndexBenchmarks
{
    private const int Blocks = 1_000, PerBlock = 1_000, Page = 20;
    private string _path = "";
    private RocksDbStore _store = null!;
    private QueryIndex _index = null!;
    private Address[] _senders = null!;
    private Address[] _recipients = null!;
    private byte[] _middle = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), "iexec-bench-query", Guid.NewGuid().ToString("N"));
        _store = new RocksDbStore(_path);
        _index = new QueryIndex(_store);
        var keys = Enumerable.Range(0, PerBlock).Select(i => TransactionSamples.Key($"query-sender-{i}")).ToArray();
        _senders = keys.Select(k => k.Address).ToArray();
        _recipients = Enumerable.Range(0, PerBlock).Select(i => _senders[(i + 1) % PerBlock]).ToArray();   // everyone sends and receives
        var txs = new Transaction[PerBlock];
        for (int i = 0; i < PerBlock; i++)
        {
            var body = new TransactionBody { ChainId = 77, Nonce = 0, Fee = 100, Transfer = new Transfer { To = ByteString.CopyFrom(_recipients[i].ToArray()), Amount = 1 } };
            txs[i] = TransactionSamples.Decode(TransactionCodec.Sign(body, keys[i]));
        }
        for (ulong height = 1; height <= Blocks; height++)
        {
            var header = new BlockHeader { ChainId = 77, Height = height, TimeUnixMs = 1_700_000_000_000 + height * 200, TxCount = PerBlock };
            var block = new ChainBlock(header, txs, null);
            var receipts = new Receipt[PerBlock];
            for (int i = 0; i < PerBlock; i++)
                receipts[i] = new Receipt { TxId = ByteString.CopyFrom(txs[i].Id.ToArray()), Height = height, Index = (uint)i, Sender = ByteString.CopyFrom(_senders[i].ToArray()) };
            using var batch = _store.NewBatch();
            _index.Add(batch, block, receipts, null);
            _store.Write(batch, sync: false);
        }
        // A cursor at block 500: the account lists resume there, half way down their history.
        _middle = new byte[12];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(_middle, Blocks / 2);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_path, recursive: true);
    }

    private int NextAccount() => _next = (_next + 7) % PerBlock;

    [Benchmark]
    public int Recent_transactions() => _index.Transactions(Page, null).Items.Count;

    [Benchmark]
    public int Account_sent() => _index.Transactions(_senders[NextAccount()], TransactionDirection.Sent, Page, null).Items.Count;

    [Benchmark]
    public int Account_both_directions_from_the_middle() => _index.Transactions(_senders[NextAccount()], null, Page, _middle).Items.Count;

    [Benchmark]
    public int Chain_stats_window_of_1000_blocks() => _index.Figures(1, Blocks).Count;
}
