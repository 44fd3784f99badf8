using IExecChain.Core.Primitives;

namespace IExecChain.Core.Crypto;

/// <summary>
/// Entry point to the secp256k1 backends. <see cref="Default"/> is libsecp256k1 when the system
/// library loads and BouncyCastle otherwise; the environment variable
/// <c>IEXECCHAIN_CRYPTO=native|managed</c> forces one. Both produce identical signatures.
/// </summary>
public static class Secp256k1
{
    public const string BackendEnvironmentVariable = "IEXECCHAIN_CRYPTO";

    private static readonly Lazy<ISecp256k1Backend> DefaultBackend = new(SelectDefault, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The backend the node uses. Throws <see cref="InvalidOperationException"/> on first use if
    /// <c>IEXECCHAIN_CRYPTO=native</c> is set but libsecp256k1 cannot be loaded, or if the
    /// variable holds an unknown value.
    /// </summary>
    public static ISecp256k1Backend Default => DefaultBackend.Value;

    public static ISecp256k1Backend Managed => ManagedSecp256k1Backend.Instance;

    /// <summary>The libsecp256k1 backend, or false with the reason it is unavailable.</summary>
    public static bool TryGetNative(out ISecp256k1Backend? backend, out string? error)
    {
        if (NativeSecp256k1.IsAvailable)
        {
            backend = NativeSecp256k1Backend.Instance;
            error = null;
            return true;
        }
        backend = null;
        error = NativeSecp256k1.LoadError;
        return false;
    }

    /// <summary>Recovers the signer's address with <see cref="Default"/>; false for any non-canonical or invalid signature.</summary>
    public static bool TryRecoverAddress(Hash256 hash, ReadOnlySpan<byte> signature65, out Address address)
    {
        Span<byte> digest = stackalloc byte[Hash256.Size];
        hash.CopyTo(digest);
        Span<byte> publicKey = stackalloc byte[64];
        if (!Default.TryRecover(digest, signature65, publicKey))
        {
            address = default;
            return false;
        }
        address = Address.FromPublicKey(publicKey);
        return true;
    }

    private static ISecp256k1Backend SelectDefault()
    {
        string? forced = Environment.GetEnvironmentVariable(BackendEnvironmentVariable)?.Trim();
        if (string.IsNullOrEmpty(forced))
            return TryGetNative(out var native, out _) ? native! : Managed;
        if (forced.Equals("managed", StringComparison.OrdinalIgnoreCase))
            return Managed;
        if (forced.Equals("native", StringComparison.OrdinalIgnoreCase))
        {
            return TryGetNative(out var native, out var error)
                ? native!
                : throw new InvalidOperationException($"{BackendEnvironmentVariable}=native but the native secp256k1 backend is unavailable: {error}");
        }
        throw new InvalidOperationException($"{BackendEnvironmentVariable} must be 'native' or 'managed', got '{forced}'");
    }
}
