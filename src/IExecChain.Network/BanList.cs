using System.Net;
using IExecChain.Core.Primitives;

namespace IExecChain.Network;

/// <summary>
/// Addresses and endpoints refused until a deadline. Endpoints are banned as IP and port, not the
/// whole IP: validators behind one NAT, or on one test machine, share an IP. Thread-safe.
/// </summary>
internal sealed class BanList
{
    private readonly Dictionary<Address, long> _addresses = [];
    private readonly Dictionary<IPEndPoint, long> _endpoints = [];
    private readonly Lock _lock = new();

    public void Ban(Address? address, IPEndPoint endpoint, long untilMs)
    {
        lock (_lock)
        {
            if (address is { IsZero: false } a) _addresses[a] = untilMs;
            _endpoints[endpoint] = untilMs;
        }
    }

    public bool IsBanned(Address address, long nowMs)
    {
        lock (_lock) return _addresses.TryGetValue(address, out long until) && until > nowMs;
    }

    public bool IsBanned(IPEndPoint endpoint, long nowMs)
    {
        lock (_lock) return _endpoints.TryGetValue(endpoint, out long until) && until > nowMs;
    }

    public int Count
    {
        get { lock (_lock) return _addresses.Count + _endpoints.Count; }
    }

    public void RemoveExpired(long nowMs)
    {
        lock (_lock)
        {
            foreach (var (key, until) in _addresses)
                if (until <= nowMs) _addresses.Remove(key);
            foreach (var (key, until) in _endpoints)
                if (until <= nowMs) _endpoints.Remove(key);
        }
    }
}
