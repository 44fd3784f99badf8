using System.Globalization;
using IExecChain.Core.Primitives;

namespace IExecChain.Node.StateSync;

/// <summary>What a node joining by state sync trusts without checking (docs/state-sync.md, "Trust").</summary>
public abstract record TrustRoot
{
    /// <summary>A checkpoint given by the operator (`--trust-checkpoint N@0xDIGEST`): snapshots at or after it are verified from it.</summary>
    public sealed record Checkpoint(ulong Number, Hash256 Digest) : TrustRoot;

    /// <summary>The anchor contract on Ethereum (`--trust-anchor 0xADDRESS --eth-rpc URL`): a snapshot's checkpoint must be anchored there.</summary>
    public sealed record Anchor(Address Contract, Uri EthRpc) : TrustRoot;

    /// <summary>Parses `N@0xDIGEST` (a checkpoint number and its 32-byte digest, as iex_getCheckpoint shows them).</summary>
    public static bool TryParseCheckpoint(string text, out Checkpoint? root, out string? error)
    {
        root = null;
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0) return Fail(out error, $"'{text}' is not N@0xDIGEST (a checkpoint number, '@', its digest)");
        if (!ulong.TryParse(text.AsSpan(0, at), NumberStyles.None, CultureInfo.InvariantCulture, out ulong number) || number == 0)
            return Fail(out error, $"'{text[..at]}' is not a checkpoint number (1 or more)");
        if (!Hash256.TryParse(text[(at + 1)..], out var digest))
            return Fail(out error, $"'{text[(at + 1)..]}' is not a 32-byte digest (0x and 64 hex digits)");
        root = new Checkpoint(number, digest);
        error = null;
        return true;
    }

    private static bool Fail(out string? error, string message)
    {
        error = message;
        return false;
    }
}
