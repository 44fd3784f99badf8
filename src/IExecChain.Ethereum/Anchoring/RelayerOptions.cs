using System.Numerics;
using IExecChain.Core.Primitives;

namespace IExecChain.Ethereum.Anchoring;

/// <summary>Relayer settings; the defaults suit Ethereum mainnet's 12-second blocks.</summary>
public sealed record RelayerOptions
{
    /// <summary>The anchor contract; parse operator input with <see cref="ParseContractAddress"/> for a clear error.</summary>
    public required Address AnchorContract { get; init; }

    /// <summary>The Ethereum chain id the relayer signs for; a node reporting another id is refused.</summary>
    public required ulong EthereumChainId { get; init; }

    /// <summary>How often to ask for a receipt.</summary>
    public TimeSpan ReceiptPollInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A transaction not mined after this long is replaced with higher fees.</summary>
    public TimeSpan StuckAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Fee increase per replacement; nodes require at least 10%.</summary>
    public int FeeBumpPercent { get; init; } = 15;

    /// <summary>Replacements (stuck or underpriced) before giving up on one checkpoint.</summary>
    public int MaxFeeBumps { get; init; } = 8;

    /// <summary>Hard cap on max fee per gas (wei); the relayer stops rather than pay more.</summary>
    public BigInteger MaxFeePerGasCap { get; init; } = BigInteger.Parse("500000000000", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Attempts per checkpoint after the node is unreachable (the client already retries each request).</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Back-off before another attempt; doubles each time.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gas limit = estimate × (100 + this) / 100.</summary>
    public int GasMarginPercent { get; init; } = 20;

    public static Address ParseContractAddress(string? text)
    {
        if (!Address.TryParse(text, out var address, out var error))
            throw new AnchoringException($"anchor contract address '{text}' is malformed: {error}");
        if (address.IsZero) throw new AnchoringException("anchor contract address is the zero address");
        return address;
    }
}

public enum AnchorStatus
{
    /// <summary>This relayer's transaction anchored it.</summary>
    Anchored,

    /// <summary>Someone else anchored it first; nothing was spent, or a racing transaction reverted.</summary>
    AnchoredByOther,
}

public sealed record AnchorOutcome(ulong Number, AnchorStatus Status, Hash256? TransactionHash, ulong GasUsed);
