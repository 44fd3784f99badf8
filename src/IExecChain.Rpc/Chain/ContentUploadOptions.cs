using IExecChain.Core.Primitives;

namespace IExecChain.Rpc.Chain;

/// <summary>
/// Who may store content on this node through iex_putContent, and how much. The initializers are
/// the only defaults; the node config (docs/node-config.md) overrides them.
/// </summary>
public sealed class ContentUploadOptions
{
    /// <summary>Largest single content (an app's module or a dataset) this node takes: 256 MiB.</summary>
    public const long DefaultMaxContentBytes = 256L * 1024 * 1024;

    /// <summary>512 MiB an hour per account: two contents of the largest size, a provider's day of registering apps.</summary>
    public const long DefaultMaxBytesPerAccount = 512L * 1024 * 1024;

    /// <summary>2 GiB an hour over all accounts (48 GiB a day at most), so fresh keys (free to make) cannot fill the disk either.</summary>
    public const long DefaultMaxBytesTotal = 2L * 1024 * 1024 * 1024;

    public static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(1);

    /// <summary>How far ahead a statement may expire; bounds how long a captured one can be replayed.</summary>
    public static readonly TimeSpan DefaultMaxValidity = TimeSpan.FromHours(1);

    public long MaxContentBytes { get; set; } = DefaultMaxContentBytes;

    public long MaxBytesPerAccount { get; set; } = DefaultMaxBytesPerAccount;

    public long MaxBytesTotal { get; set; } = DefaultMaxBytesTotal;

    public TimeSpan Window { get; set; } = DefaultWindow;

    public TimeSpan MaxValidity { get; set; } = DefaultMaxValidity;

    /// <summary>Accounts allowed to upload; empty allows any account that signs (each under its quota).</summary>
    public IList<Address> Uploaders { get; set; } = [];

    public void Validate()
    {
        if (MaxContentBytes < 0) throw new ArgumentOutOfRangeException(nameof(MaxContentBytes), MaxContentBytes, "must not be negative");
        if (MaxBytesPerAccount < 0) throw new ArgumentOutOfRangeException(nameof(MaxBytesPerAccount), MaxBytesPerAccount, "must not be negative");
        if (MaxBytesTotal < 0) throw new ArgumentOutOfRangeException(nameof(MaxBytesTotal), MaxBytesTotal, "must not be negative");
        if (Window <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Window), Window, "must be positive");
        if (MaxValidity <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxValidity), MaxValidity, "must be positive");
        ArgumentNullException.ThrowIfNull(Uploaders);
    }
}
