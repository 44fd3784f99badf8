using System.Text;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;

namespace IExecChain.Benchmarks;

/// <summary>
/// What a node pays per incoming transfer before it reaches the mempool: decode (protobuf parse,
/// canonical re-encoding check, two Keccaks) and sender recovery, on one thread.
/// Every op takes the next of <see cref="TransactionSamples.Count"/> distinct signed transfers, so
/// the verifier's tx-id cache never hits.
/// </summary>
[MemoryDiagnoser]
public class TransactionBenchmarks
{
    private byte[][] _signed = null!;
    private TransactionVerifier _verifier = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _signed = TransactionSamples.SignTransfers();
        // Smaller than the sample count: a cached id is cleared before its tx comes round again,
        // so every op is a miss. Clear() reallocates the table once per 1,024 ops (amortized in Allocated).
        _verifier = new TransactionVerifier(capacity: 1_024);
        Console.WriteLine($"// secp256k1 default backend: {Secp256k1.Default.Name}");
    }

    [Benchmark]
    public Transaction Decode() => TransactionSamples.Decode(Next());

    /// <summary>Decode, then <see cref="Secp256k1.TryRecoverAddress"/> (default backend): what TryVerify does without its cache.</summary>
    [Benchmark]
    public Address Decode_and_recover_address()
    {
        var tx = TransactionSamples.Decode(Next());
        if (!Secp256k1.TryRecoverAddress(tx.BodyHash, tx.Signature, out var sender)) throw new InvalidOperationException("recovery failed");
        return sender;
    }

    /// <summary>The node's path: decode, then <see cref="TransactionVerifier.TryVerify"/> (default backend, cache miss).</summary>
    [Benchmark]
    public Address Decode_and_verify()
    {
        var tx = TransactionSamples.Decode(Next());
        if (!_verifier.TryVerify(tx, out var error)) throw new InvalidOperationException(error);
        return tx.Sender;
    }

    private byte[] Next()
    {
        var bytes = _signed[_next];
        _next = (_next + 1) % _signed.Length;
        return bytes;
    }
}

/// <summary>Decode + sender recovery on an explicit secp256k1 backend (no verifier cache involved).</summary>
[MemoryDiagnoser]
public class TransactionRecoverBenchmarks
{
    private byte[][] _signed = null!;
    private ISecp256k1Backend _backend = null!;
    private readonly byte[] _publicKey = new byte[64];
    private int _next;

    [Params("native", "managed")]
    public string Backend { get; set; } = "native";

    [GlobalSetup]
    public void Setup()
    {
        if (Backend == "managed") _backend = Secp256k1.Managed;
        else if (!Secp256k1.TryGetNative(out var native, out var error)) throw new InvalidOperationException(error);
        else _backend = native!;
        _signed = TransactionSamples.SignTransfers();
    }

    [Benchmark]
    public Address Decode_and_recover()
    {
        var tx = TransactionSamples.Decode(_signed[_next]);
        _next = (_next + 1) % _signed.Length;
        Span<byte> hash = stackalloc byte[Hash256.Size];
        tx.BodyHash.CopyTo(hash);
        if (!_backend.TryRecover(hash, tx.Signature, _publicKey)) throw new InvalidOperationException("recovery failed");
        return Address.FromPublicKey(_publicKey);
    }
}

internal static class TransactionSamples
{
    public const ulong ChainId = 77;
    public const int Count = 4_096;
    private const int MaxSize = 4_096;

    /// <summary>Distinct signed transfers (one sender, nonces 0..Count-1), as they arrive over the wire.</summary>
    public static byte[][] SignTransfers()
    {
        var sender = Key("sender");
        var to = ByteString.CopyFrom(Key("recipient").Address.ToArray());
        var signed = new byte[Count][];
        for (int i = 0; i < Count; i++)
        {
            var body = new TransactionBody { ChainId = ChainId, Nonce = (ulong)i, Fee = 100, Transfer = new Transfer { To = to, Amount = 1_000 + (ulong)i } };
            signed[i] = TransactionCodec.Sign(body, sender);
        }
        return signed;
    }

    public static Transaction Decode(byte[] signed) =>
        TransactionCodec.TryDecode(signed, ChainId, MaxSize, out var tx, out var error) ? tx! : throw new InvalidOperationException(error);

    public static PrivateKey Key(string name) => new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("benchmark/" + name)));
}
