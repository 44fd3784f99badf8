using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Network;
using IExecChain.Node.StateSync;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace IExecChain.IntegrationTests;

/// <summary>
/// A peer, in the test process, that offers a real node's snapshots (the node's own SnapshotServer answers,
/// read from its data directory) but changes the last byte of every chunk it serves: what a joining node
/// must refuse, ban, and fetch elsewhere. It holds no chain of its own (genesis only).
/// </summary>
internal sealed class LyingSnapshotPeer : IMessageSink, IAsyncDisposable
{
    private readonly MemoryStore _store = new();
    private readonly SnapshotServer _server;
    private readonly P2PHost _host;

    public LyingSnapshotPeer(string specPath, string servedDataDir, int port)
    {
        var spec = ChainSpecLoader.LoadFile(specPath);
        var processor = new BlockProcessor(spec, _store, new StateTree(_store), new BlockStore(_store, spec.ChainId, spec.Parameters.MaxTransactionBytes), new TransactionVerifier());
        _server = new SnapshotServer(spec.ChainId, servedDataDir, processor, NullLogger.Instance);
        Key = PrivateKey.Generate();
        _host = new P2PHost(Key, new NetworkOptions
        {
            ChainId = spec.ChainId,
            GenesisHash = processor.GenesisHash,
            ListenAddress = System.Net.IPAddress.Loopback,
            ListenPort = port,
        }, this);
        _host.Start();
    }

    public PrivateKey Key { get; }

    /// <summary>Chunks served with a byte changed.</summary>
    public int ChunksChanged => _changed;
    private int _changed;

    public void OnMessage(Peer peer, Channel channel, ReadOnlyMemory<byte> payload)
    {
        if (channel != Channel.Snapshots) return;
        var request = SnapshotSyncMessage.Parser.ParseFrom(payload.Span);
        // Answered here, on the network thread: a test peer with a handful of small chunks.
        var answer = _server.Answer(request);
        if (answer is null) return;
        if (answer.BodyCase == SnapshotSyncMessage.BodyOneofCase.Chunk && !answer.Chunk.Gone && answer.Chunk.Data.Length > 0)
        {
            var data = answer.Chunk.Data.ToByteArray();
            data[^1] ^= 0x01;
            answer.Chunk.Data = ByteString.CopyFrom(data);
            Interlocked.Increment(ref _changed);
        }
        _host.Send(peer, Channel.Snapshots, answer.ToByteArray());
    }

    public async ValueTask DisposeAsync()
    {
        _host.Dispose();
        await _server.DisposeAsync();
        _store.Dispose();
    }
}
