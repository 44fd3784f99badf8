using IExecChain.Core.Primitives;

namespace IExecChain.Rpc.Chain;

/// <summary>
/// Bytes each account, and all accounts together, may upload per window. A window starts with
/// the first upload after the previous one ended (per account, and for the total), so an account
/// that uploads its whole quota waits at most one window.
/// </summary>
public sealed class ContentUploadQuota
{
    private readonly Lock _lock = new();
    private readonly ContentUploadOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<Address, Usage> _accounts = [];
    private Usage _total;

    public ContentUploadQuota(ContentUploadOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Charges <paramref name="bytes"/> to <paramref name="account"/>; null when within both quotas, else why not (nothing is charged then).</summary>
    public string? TryCharge(Address account, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            ForgetEndedWindows(now);
            Usage mine = Current(_accounts.GetValueOrDefault(account), now);
            Usage total = Current(_total, now);
            if (mine.Bytes + bytes > _options.MaxBytesPerAccount)
                return $"upload quota of {account} exceeded: {mine.Bytes} of {_options.MaxBytesPerAccount} bytes used in this window of {_options.Window}, {bytes} more asked; retry in {Remaining(mine, now)}";
            if (total.Bytes + bytes > _options.MaxBytesTotal)
                return $"this node's upload quota is exceeded: {total.Bytes} of {_options.MaxBytesTotal} bytes used by all accounts in this window of {_options.Window}; retry in {Remaining(total, now)}";
            _accounts[account] = mine with { Bytes = mine.Bytes + bytes };
            _total = total with { Bytes = total.Bytes + bytes };
            return null;
        }
    }

    /// <summary>Accounts with a window still open (bounded: each needed an upload within the window).</summary>
    public int TrackedAccounts
    {
        get { lock (_lock) return _accounts.Count; }
    }

    private Usage Current(Usage usage, long now) =>
        !usage.Open || _time.GetElapsedTime(usage.Started, now) >= _options.Window ? new Usage(now, 0, Open: true) : usage;

    private TimeSpan Remaining(Usage usage, long now)
    {
        TimeSpan left = _options.Window - _time.GetElapsedTime(usage.Started, now);
        return TimeSpan.FromSeconds(Math.Ceiling(Math.Max(0, left.TotalSeconds)));
    }

    private void ForgetEndedWindows(long now)
    {
        // Cheap enough per upload: the map holds only accounts that uploaded within one window.
        if (_accounts.Count < 1024) return;
        foreach ((Address account, Usage usage) in _accounts)
            if (_time.GetElapsedTime(usage.Started, now) >= _options.Window) _accounts.Remove(account);
    }

    private readonly record struct Usage(long Started, long Bytes, bool Open);
}
