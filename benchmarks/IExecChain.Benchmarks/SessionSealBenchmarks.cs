using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using IExecChain.Network;

namespace IExecChain.Benchmarks;

/// <summary>
/// The per-message cost of the sealed p2p session: one seal on the sender, one open (tag check, replay
/// window, decryption) on the receiver, at the sizes the channels carry: a vote (~200 B), a transaction
/// or one LiteNetLib packet (1,000 B), a block proposal's chunk (16 KiB) and a full 1 MiB proposal.
/// ChaCha20-Poly1305 on the same buffers is the alternative the decision weighed.
/// </summary>
[MemoryDiagnoser]
public class SessionSealBenchmarks : IDisposable
{
    private SessionCipher _sender = null!;
    private SessionCipher _receiver = null!;
    private ChaCha20Poly1305 _chacha = null!;
    private byte[] _plain = [];
    private byte[] _sealed = [];
    private byte[] _opened = [];
    private readonly byte[] _tag = new byte[16];
    private readonly byte[] _nonce = new byte[12];
    private ulong _counter;

    [Params(200, 1_000, 16_384, 1_048_576)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        using var x = new EphemeralKey();
        using var y = new EphemeralKey();
        byte[] cx = RandomNumberGenerator.GetBytes(32), cy = RandomNumberGenerator.GetBytes(32);
        var genesis = IExecChain.Core.Crypto.Keccak256.Hash("bench"u8);
        _sender = KeyExchange.Derive(x.Agree(y.PublicKey)!, 1, genesis, x.PublicKey, y.PublicKey, cx, cy);
        _receiver = KeyExchange.Derive(y.Agree(x.PublicKey)!, 1, genesis, y.PublicKey, x.PublicKey, cy, cx);
        _chacha = new ChaCha20Poly1305(RandomNumberGenerator.GetBytes(32));
        _plain = RandomNumberGenerator.GetBytes(Bytes);
        _sealed = new byte[Bytes + SessionCipher.Overhead];
        _opened = new byte[Bytes];
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _sender.Dispose();
        _receiver.Dispose();
        _chacha.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, Description = "AES-256-GCM seal")]
    public bool Seal() => _sender.Seal(1, _plain, _sealed);

    /// <summary>Seal then open: a fresh counter each time, so the replay window takes the in-order path as on a live connection.</summary>
    [Benchmark(Description = "AES-256-GCM seal + open")]
    public bool SealAndOpen()
    {
        _sender.Seal(1, _plain, _sealed);
        return _receiver.TryOpen(1, _sealed, _opened) == OpenResult.Authentic;
    }

    [Benchmark(Description = "ChaCha20-Poly1305 seal")]
    public void ChaChaSeal()
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(_nonce.AsSpan(4), ++_counter);
        _chacha.Encrypt(_nonce, _plain, _sealed.AsSpan(8, Bytes), _tag);
    }
}
