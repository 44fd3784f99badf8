using BenchmarkDotNet.Attributes;
using IExecChain.Core.Crypto;

namespace IExecChain.Benchmarks;

/// <summary>Sign / verify / recover on each backend. The native rows must allocate nothing.</summary>
[MemoryDiagnoser]
public class Secp256k1Benchmarks
{
    private readonly byte[] _key = Keccak256.HashToArray("benchmark key"u8);
    private readonly byte[] _hash = Keccak256.HashToArray("benchmark message"u8);
    private readonly byte[] _signature = new byte[65];
    private readonly byte[] _publicKey = new byte[64];
    private readonly byte[] _recovered = new byte[64];
    private ISecp256k1Backend _backend = null!;

    [Params("native", "managed")]
    public string Backend { get; set; } = "native";

    [GlobalSetup]
    public void Setup()
    {
        if (Backend == "managed") _backend = Secp256k1.Managed;
        else if (!Secp256k1.TryGetNative(out var native, out var error)) throw new InvalidOperationException(error);
        else _backend = native!;
        if (!_backend.TryGetPublicKey(_key, _publicKey)) throw new InvalidOperationException("bad benchmark key");
        _backend.Sign(_key, _hash, _signature);
    }

    [Benchmark]
    public void Sign() => _backend.Sign(_key, _hash, _signature);

    [Benchmark]
    public bool Verify() => _backend.Verify(_hash, _signature, _publicKey);

    [Benchmark]
    public bool Recover() => _backend.TryRecover(_hash, _signature, _recovered);
}
