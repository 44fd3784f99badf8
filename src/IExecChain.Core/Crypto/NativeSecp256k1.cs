using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace IExecChain.Core.Crypto;

/// <summary>
/// The only code that touches libsecp256k1 (Debian package libsecp256k1-1, built with the
/// recovery module). One context is created and randomized once, then only read, which the
/// library documents as safe to share across threads.
/// </summary>
internal static partial class NativeSecp256k1
{
    private const string LibraryName = "libsecp256k1.so.1";

    // secp256k1.h: SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY (accepted, and harmless, from 0.2 on).
    private const uint ContextSignVerify = 0x0301;
    private const uint EcUncompressed = 0x0002;

    private static readonly Lazy<(nint Context, string? Error)> State = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);
    private static nint s_library;

    public static bool IsAvailable => State.Value.Context != 0;
    public static string? LoadError => State.Value.Error;
    private static nint Context => State.Value.Context;

    private static (nint, string?) Initialize()
    {
        if (!NativeLibrary.TryLoad(LibraryName, typeof(NativeSecp256k1).Assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.System32, out s_library)
            && !NativeLibrary.TryLoad(LibraryName, out s_library))
            return (0, $"{LibraryName} could not be loaded (install the Debian/Ubuntu package libsecp256k1-1)");
        foreach (var symbol in RequiredSymbols)
        {
            if (!NativeLibrary.TryGetExport(s_library, symbol, out _))
                return (0, $"{LibraryName} lacks {symbol} (a build without the recovery module?)");
        }
        try
        {
            // The resolver makes the [LibraryImport] name below bind to the handle loaded here.
            // It is the only resolver in IExecChain.Core: this file owns the native dependency.
            NativeLibrary.SetDllImportResolver(typeof(NativeSecp256k1).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Already set (e.g. a second initialization attempt in the same process): fine.
        }
        nint context = secp256k1_context_create(ContextSignVerify);
        if (context == 0) return (0, "secp256k1_context_create failed");
        // Blinding against timing side channels on signing; the seed only needs to be unpredictable.
        Span<byte> seed = stackalloc byte[32];
        RandomNumberGenerator.Fill(seed);
        unsafe
        {
            fixed (byte* pSeed = seed)
                if (secp256k1_context_randomize(context, pSeed) != 1) return (0, "secp256k1_context_randomize failed");
        }
        return (context, null);
    }

    private static readonly string[] RequiredSymbols =
    [
        "secp256k1_context_create", "secp256k1_context_randomize", "secp256k1_ec_seckey_verify",
        "secp256k1_ec_pubkey_create", "secp256k1_ec_pubkey_parse", "secp256k1_ec_pubkey_serialize",
        "secp256k1_ecdsa_sign_recoverable", "secp256k1_ecdsa_recoverable_signature_serialize_compact",
        "secp256k1_ecdsa_recoverable_signature_parse_compact", "secp256k1_ecdsa_recoverable_signature_convert",
        "secp256k1_ecdsa_recover", "secp256k1_ecdsa_verify",
    ];

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == LibraryName ? s_library : 0;

    public static unsafe bool TrySign(ReadOnlySpan<byte> privateKey32, ReadOnlySpan<byte> hash32, Span<byte> signature65)
    {
        byte* recoverable = stackalloc byte[65]; // secp256k1_ecdsa_recoverable_signature
        int recid;
        fixed (byte* pKey = privateKey32)
        fixed (byte* pHash = hash32)
        fixed (byte* pOut = signature65)
        {
            // A null nonce function selects the library's RFC 6979 default; the result is low-S.
            if (secp256k1_ecdsa_sign_recoverable(Context, recoverable, pHash, pKey, 0, 0) != 1) return false;
            // Always returns 1 for a signature the library itself produced.
            _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(Context, pOut, &recid, recoverable);
        }
        // recid 2 or 3 means R.x ≥ n, which happens with probability about 2^-127; such a signature
        // would not be canonical, so it is treated as a failure rather than emitted.
        if ((uint)recid > 1) throw new CryptographicException("secp256k1 produced a signature with recovery id > 1");
        signature65[64] = (byte)recid;
        return true;
    }

    public static unsafe bool TryRecover(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> signature65, Span<byte> publicKey64)
    {
        byte* recoverable = stackalloc byte[65];
        byte* pubkey = stackalloc byte[64]; // secp256k1_pubkey
        fixed (byte* pHash = hash32)
        fixed (byte* pSig = signature65)
        {
            if (secp256k1_ecdsa_recoverable_signature_parse_compact(Context, recoverable, pSig, signature65[64]) != 1) return false;
            if (secp256k1_ecdsa_recover(Context, pubkey, recoverable, pHash) != 1) return false;
        }
        return Serialize(pubkey, publicKey64);
    }

    public static unsafe bool TryGetPublicKey(ReadOnlySpan<byte> privateKey32, Span<byte> publicKey64)
    {
        byte* pubkey = stackalloc byte[64];
        fixed (byte* pKey = privateKey32)
        {
            if (secp256k1_ec_seckey_verify(Context, pKey) != 1) return false;
            if (secp256k1_ec_pubkey_create(Context, pubkey, pKey) != 1) return false;
        }
        return Serialize(pubkey, publicKey64);
    }

    public static unsafe bool Verify(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> signature65, ReadOnlySpan<byte> publicKey64)
    {
        byte* recoverable = stackalloc byte[65];
        byte* signature = stackalloc byte[64]; // secp256k1_ecdsa_signature
        byte* pubkey = stackalloc byte[64];
        byte* encoded = stackalloc byte[65];
        encoded[0] = 0x04;
        publicKey64.CopyTo(new Span<byte>(encoded + 1, 64));
        fixed (byte* pHash = hash32)
        fixed (byte* pSig = signature65)
        {
            if (secp256k1_ec_pubkey_parse(Context, pubkey, encoded, 65) != 1) return false;
            if (secp256k1_ecdsa_recoverable_signature_parse_compact(Context, recoverable, pSig, signature65[64]) != 1) return false;
            // Always returns 1: conversion only drops the recovery id.
            _ = secp256k1_ecdsa_recoverable_signature_convert(Context, signature, recoverable);
            return secp256k1_ecdsa_verify(Context, signature, pHash, pubkey) == 1;
        }
    }

    private static unsafe bool Serialize(byte* pubkey, Span<byte> publicKey64)
    {
        byte* encoded = stackalloc byte[65];
        nuint length = 65;
        if (secp256k1_ec_pubkey_serialize(Context, encoded, &length, pubkey, EcUncompressed) != 1 || length != 65) return false;
        new ReadOnlySpan<byte>(encoded + 1, 64).CopyTo(publicKey64);
        return true;
    }

    // Opaque structs (secp256k1_pubkey: 64 bytes, secp256k1_ecdsa_signature: 64,
    // secp256k1_ecdsa_recoverable_signature: 65) are passed as byte pointers to stack buffers.
#pragma warning disable SA1300, IDE1006 // C names, kept verbatim so they grep against secp256k1.h
    [LibraryImport(LibraryName)]
    private static partial nint secp256k1_context_create(uint flags);

    [LibraryImport(LibraryName)]
    private static unsafe partial int secp256k1_context_randomize(nint ctx, byte* seed32);

    [LibraryImport(LibraryName)]
    private static unsafe partial int secp256k1_ec_seckey_verify(nint ctx, byte* seckey);

    [LibraryImport(LibraryName)]
    private static unsafe partial int secp256k1_ec_pubkey_create(nint ctx, byte* pubkey, byte* seckey);

    [LibraryImport(LibraryName)]
    private static unsafe partial int secp256k1_ec_pubkey_parse(nint ctx, byte* pubkey, byte* input, nuint inputlen);

    [LibraryImport(LibraryName)]
    private static unsafe partial int secp256k1_ec_pubkey_serialize(nint ctx, byte* output, nuint* outputlen, byte* pubkey, uint flags);

    [LibraryImport(LibraryName)]
    private static unsafe partial int secp256k1_ecdsa_sign_recoverable(nint ctx, byte* sig, byte* msghash32, byte* seckey, nint noncefp, nint ndata);

    [LibraryImport(LibraryName)]
    private static unsafe partial int secp256k1_ecdsa_recoverable_signature_serialize_compact(nint ctx, byte* output64, int* recid, byte* sig);

    [LibraryImport(LibraryName)]
    private static unsafe partial int secp256k1_ecdsa_recoverable_signature_parse_compact(nint ctx, byte* sig, byte* input64, int recid);

    [LibraryImport(LibraryName)]
    private static unsafe partial int secp256k1_ecdsa_recoverable_signature_convert(nint ctx, byte* sig, byte* sigin);

    [LibraryImport(LibraryName)]
    private static unsafe partial int secp256k1_ecdsa_recover(nint ctx, byte* pubkey, byte* sig, byte* msghash32);

    [LibraryImport(LibraryName)]
    private static unsafe partial int secp256k1_ecdsa_verify(nint ctx, byte* sig, byte* msghash32, byte* pubkey);
#pragma warning restore SA1300, IDE1006
}

/// <summary>The libsecp256k1 backend: argument checks here, native calls in <see cref="NativeSecp256k1"/>.</summary>
internal sealed class NativeSecp256k1Backend : ISecp256k1Backend
{
    public static readonly NativeSecp256k1Backend Instance = new();

    private NativeSecp256k1Backend() { }

    public string Name => "native (libsecp256k1)";

    public void Sign(ReadOnlySpan<byte> privateKey32, ReadOnlySpan<byte> hash32, Span<byte> signature65)
    {
        Secp256k1Curve.RequireLength(privateKey32, Secp256k1Curve.PrivateKeyLength, nameof(privateKey32));
        Secp256k1Curve.RequireLength(hash32, Secp256k1Curve.HashLength, nameof(hash32));
        Secp256k1Curve.RequireOutput(signature65, Secp256k1Curve.SignatureLength, nameof(signature65));
        if (!Secp256k1Curve.IsValidPrivateKey(privateKey32) || !NativeSecp256k1.TrySign(privateKey32, hash32, signature65))
            throw new ArgumentException(Secp256k1Curve.DescribeInvalidPrivateKey(privateKey32) ?? "the private key was rejected", nameof(privateKey32));
    }

    public bool TryRecover(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> signature65, Span<byte> publicKey64)
    {
        Secp256k1Curve.RequireOutput(publicKey64, Secp256k1Curve.PublicKeyLength, nameof(publicKey64));
        return hash32.Length == Secp256k1Curve.HashLength
            && Secp256k1Curve.IsCanonicalSignature(signature65)
            && NativeSecp256k1.TryRecover(hash32, signature65, publicKey64);
    }

    public bool TryGetPublicKey(ReadOnlySpan<byte> privateKey32, Span<byte> publicKey64)
    {
        Secp256k1Curve.RequireOutput(publicKey64, Secp256k1Curve.PublicKeyLength, nameof(publicKey64));
        return Secp256k1Curve.IsValidPrivateKey(privateKey32) && NativeSecp256k1.TryGetPublicKey(privateKey32, publicKey64);
    }

    public bool Verify(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> signature65, ReadOnlySpan<byte> publicKey64) =>
        hash32.Length == Secp256k1Curve.HashLength
        && publicKey64.Length == Secp256k1Curve.PublicKeyLength
        && Secp256k1Curve.IsCanonicalSignature(signature65)
        && NativeSecp256k1.Verify(hash32, signature65, publicKey64);
}
