using System.Net;

namespace IExecChain.Rpc;

/// <summary>
/// The Host header values the server answers (<see cref="RpcServerOptions.AllowedHosts"/>). A web
/// page whose own name has been made to resolve to 127.0.0.1 (DNS rebinding) can send requests
/// to a local node as same-origin, but its requests carry that name as Host, which is not here.
/// </summary>
internal sealed class HostAllowList
{
    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly bool _any;

    public HostAllowList(IEnumerable<string> configured, string boundHost)
    {
        foreach (string host in configured)
        {
            if (host.Trim() == "*") _any = true;
            else _hosts.Add(Normalize(host.Trim()));
        }
        if (_hosts.Count == 0 && !_any)
        {
            _hosts.Add("localhost");
            _hosts.Add("127.0.0.1");
            _hosts.Add("::1");
            _hosts.Add(Normalize(boundHost));
        }
    }

    public IReadOnlyCollection<string> Hosts => _hosts;

    /// <summary>
    /// Whether a request with this Host header (name or address, with or without port) is
    /// answered. A request without one cannot come from a browser, so it is answered.
    /// </summary>
    public bool Allows(string? hostHeader)
    {
        if (_any || string.IsNullOrEmpty(hostHeader)) return true;
        return _hosts.Contains(Normalize(StripPort(hostHeader)));
    }

    private static string StripPort(string host)
    {
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']');
            return close > 0 ? host[1..close] : host;
        }
        int colon = host.LastIndexOf(':');
        // One colon is a port; more is a bare IPv6 address (not valid in a Host header, but not ours to fix).
        return colon >= 0 && host.IndexOf(':') == colon ? host[..colon] : host;
    }

    private static string Normalize(string host)
    {
        string bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        bare = bare.TrimEnd('.');
        return IPAddress.TryParse(bare, out IPAddress? address) ? address.ToString() : bare.ToLowerInvariant();
    }
}
