using IExecChain.Core.Crypto;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Core.Tests.Crypto;

/// <summary>The backends every conformance test runs against, by name.</summary>
internal static class Backends
{
    public static readonly string[] Names = ["native", "managed"];

    /// <summary>The named backend; a missing libsecp256k1 fails on CI and is ignored elsewhere.</summary>
    public static ISecp256k1Backend Get(string name)
    {
        if (name == "managed") return Secp256k1.Managed;
        if (Secp256k1.TryGetNative(out var native, out var error)) return native!;
        ExternalTool.Unavailable($"native secp256k1 backend unavailable: {error}");
        return null!;
    }

    public static ISecp256k1Backend Native => Get("native");
}
