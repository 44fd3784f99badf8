using System.Diagnostics.CodeAnalysis;
using IExecChain.Network;
using IExecChain.Rpc;
using IExecChain.State.TxPool;

namespace IExecChain.Node;

/// <summary>
/// Operator settings of one node. What consensus depends on is in the chain spec, never here.
/// Defaults of settings that belong to a component are that component's own (RPC limits and
/// address: <see cref="RpcServerOptions"/>; UDP port: <see cref="NetworkOptions"/>; mempool:
/// <see cref="MempoolOptions"/>), referred to here, never repeated; the CLI and the devnet take
/// them from these constants.
/// </summary>
public sealed class NodeOptions
{
    public const string DefaultRpcHost = RpcServerOptions.DefaultHost;
    public const int DefaultRpcPort = RpcServerOptions.DefaultPort;
    public const string DefaultP2PHost = NetworkOptions.DefaultListenHost;
    public const int DefaultP2PPort = NetworkOptions.DefaultListenPort;
    public const string ChainSpecFileName = "chain-spec.json";
    public const string DatabaseFolderName = "db";
    public const string PidFileName = "node.pid";
    public const string NodeKeyFileName = "p2p-key";

    public required string DataDir { get; init; }
    public string RpcHost { get; init; } = DefaultRpcHost;
    public int RpcPort { get; init; } = DefaultRpcPort;
    public bool RpcEnabled { get; init; } = true;
    public long RpcMaxRequestBytes { get; init; } = RpcServerOptions.DefaultMaxRequestBytes;
    public int RpcMaxBatchSize { get; init; } = RpcServerOptions.DefaultMaxBatchSize;

    /// <summary>Host header values the RPC answers; empty means <see cref="RpcServerOptions"/>' defaults (local names and the bound address).</summary>
    public IReadOnlyList<string> RpcAllowedHosts { get; init; } = [];

    /// <summary>Origins of other web pages allowed to open the RPC WebSocket (RpcServerOptions.WebSocketAllowedOrigins).</summary>
    public IReadOnlyList<string> RpcAllowedOrigins { get; init; } = [];

    /// <summary>Whether the RPC port also serves the web explorer (GET / to browsers, /assets/*). Default true.</summary>
    public bool Explorer { get; init; } = true;

    /// <summary>Who may upload content through iex_putContent and how much (defaults in <see cref="Rpc.Chain.ContentUploadOptions"/>).</summary>
    public Rpc.Chain.ContentUploadOptions ContentUploads { get; init; } = new();
    public MempoolOptions Mempool { get; init; } = new();

    /// <summary>How many submitted transactions the node admits under load (docs/rpc.md "Admission under load").</summary>
    public AdmissionOptions Admission { get; init; } = new();

    public string P2PHost { get; init; } = DefaultP2PHost;
    public int P2PPort { get; init; } = DefaultP2PPort;

    /// <summary>Peers to keep connected, "host:port" or "0xADDRESS@host:port" (the address is then checked).</summary>
    public IReadOnlyList<string> Peers { get; init; } = [];

    /// <summary>
    /// The Ethereum endpoint this node follows the chain spec's bridge through (a validator attests
    /// deposits it sees there; docs/bridge.md). Null: the node does not follow Ethereum.
    /// </summary>
    public Uri? EthRpc { get; init; }

    /// <summary>How often the bridge follower looks at Ethereum.</summary>
    public TimeSpan BridgePollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Test-only fault injection: this validator signs a conflicting vote for every vote.</summary>
    public bool EquivocateForTesting { get; init; }

    /// <summary>
    /// Keep only the newest this many blocks (and genesis), deleting older blocks, commits and receipts as
    /// the chain grows; null keeps every block. At least two checkpoint intervals (checked at start).
    /// </summary>
    public ulong? RetainBlocks { get; init; }

    /// <summary>Snapshots taken while running (docs/state-sync.md); <c>EveryCheckpoints = 0</c> takes none.</summary>
    public Snapshots.SnapshotOptions Snapshots { get; init; } = new();

    public string ChainSpecPath => Path.Combine(DataDir, ChainSpecFileName);
    public string DatabasePath => Path.Combine(DataDir, DatabaseFolderName);
    public string PidPath => Path.Combine(DataDir, PidFileName);
    public string NodeKeyPath => Path.Combine(DataDir, NodeKeyFileName);

    /// <summary>Every problem with these settings, each as a sentence naming the setting.</summary>
    public List<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDir)) errors.Add("--data: a data directory is required");
        if (RpcPort is < 0 or > 65535) errors.Add($"--rpc: port {RpcPort} is out of range 0-65535");
        if (P2PPort is < 0 or > 65535) errors.Add($"--p2p: port {P2PPort} is out of range 0-65535");
        if (!System.Net.IPAddress.TryParse(P2PHost, out var p2pAddress)) errors.Add($"--p2p: '{P2PHost}' is not an IP address");
        else if (p2pAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) errors.Add($"--p2p: '{P2PHost}' is not an IPv4 address (the P2P transport is IPv4 only)");
        foreach (var peer in Peers)
            if (!TryParsePeer(peer, out _, out var peerError)) errors.Add($"--peer: {peerError}");
        if (RpcMaxRequestBytes < 1024) errors.Add("rpc max request size must be at least 1024 bytes");
        if (RpcMaxBatchSize < 1) errors.Add("rpc max batch size must be positive");
        if (Mempool.MaxTransactions < 1) errors.Add("mempool max transactions must be positive");
        if (Mempool.MaxBytes < 1024) errors.Add("mempool max bytes must be at least 1024");
        errors.AddRange(Admission.Validate());
        if (EthRpc is { } eth && eth.Scheme is not ("http" or "https")) errors.Add($"--eth-rpc: '{eth}' is not an http(s) URL");
        if (BridgePollInterval < TimeSpan.FromMilliseconds(100) || BridgePollInterval > TimeSpan.FromHours(1)) errors.Add("bridge poll interval must be from 0.1 s to 1 hour");
        return errors;
    }

    /// <summary>
    /// Parses a peer: "host:port" or "0xADDRESS@host:port"; the host is an IPv4 address in dotted
    /// form or "localhost" (names are not resolved). IPv6 is refused by name: the P2P transport
    /// listens on IPv4 only (<see cref="Network.P2PHost"/>), so an IPv6 peer could never be reached.
    /// </summary>
    public static bool TryParsePeer(string text, out Network.SeedPeer? peer, [NotNullWhen(false)] out string? error)
    {
        peer = null;
        Core.Primitives.Address? expected = null;
        var s = text.Trim();
        int at = s.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!Core.Primitives.Address.TryParse(s[..at], out var address, out var addressError))
            {
                error = $"'{text}': '{s[..at]}' is not a 20-byte hex address ({addressError})";
                return false;
            }
            expected = address;
            s = s[(at + 1)..];
        }
        if (s.StartsWith('[') || s.Count(c => c == ':') > 1)
        {
            error = $"'{text}': IPv6 peers are not supported (the P2P transport is IPv4 only); give the peer's IPv4 address";
            return false;
        }
        int colon = s.LastIndexOf(':');
        if (colon <= 0)
        {
            error = $"'{text}' is not host:port (optionally prefixed by 0xADDRESS@): {(colon < 0 ? "the port is missing" : "the host is missing")}";
            return false;
        }
        if (!TryParsePort(s[(colon + 1)..], 1, out int port, out string? portError))
        {
            error = $"'{text}': {portError}";
            return false;
        }
        var hostText = s[..colon];
        if (string.Equals(hostText, "localhost", StringComparison.OrdinalIgnoreCase)) hostText = "127.0.0.1";
        // IPAddress.TryParse also takes "1" (0.0.0.1), "127.1" and octal or hex parts; a peer list is
        // clearer with the one dotted form that reads the same to everyone.
        if (!System.Net.IPAddress.TryParse(hostText, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || ip.ToString() != hostText)
        {
            error = $"'{text}': host '{hostText}' is not an IPv4 address such as 10.0.0.7 or localhost (names are not resolved)";
            return false;
        }
        if (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.Broadcast))
        {
            error = $"'{text}': {hostText} is not an address a peer can be reached at";
            return false;
        }
        peer = new Network.SeedPeer(new System.Net.IPEndPoint(ip, port), expected);
        error = null;
        return true;
    }

    /// <summary>
    /// Parses "host:port" (or ":port" / "port", keeping <see cref="DefaultRpcHost"/>) for --rpc and
    /// --p2p; "http://" in front and "/" behind are allowed, so a URL the node printed can be given back.
    /// The host is an IP address or "localhost", as <see cref="RpcServer"/> binds; an IPv6 address goes
    /// in brackets ("[::1]:8545") and keeps them, so "{host}:{port}" still reads as an endpoint.
    /// </summary>
    public static bool TryParseEndpoint(string text, out string host, out int port, [NotNullWhen(false)] out string? error)
    {
        host = DefaultRpcHost;
        port = DefaultRpcPort;
        error = null;
        var s = text.Trim();
        if (s.Contains("://", StringComparison.Ordinal))
        {
            if (!s.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                error = $"'{text}': only http:// is served (the node has no TLS; put a proxy in front for https)";
                return false;
            }
            s = s[7..].TrimEnd('/');
        }
        string portText;
        string address;
        if (s.StartsWith('['))
        {
            int close = s.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= s.Length || s[close + 1] != ':')
            {
                error = $"'{text}' is not [IPv6]:port such as [::1]:8545";
                return false;
            }
            host = s[..(close + 1)];
            address = s[1..close];
            portText = s[(close + 2)..];
        }
        else
        {
            int colon = s.LastIndexOf(':');
            if (colon >= 0 && s.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"'{text}': an IPv6 address goes in brackets, as in [::1]:8545";
                return false;
            }
            portText = colon < 0 ? s : s[(colon + 1)..];
            if (colon > 0) host = s[..colon];
            address = host;
        }
        if (!TryParsePort(portText, 0, out port, out string? portError))
        {
            error = $"'{text}' is not host:port: {portError}";
            return false;
        }
        bool bracketed = host.StartsWith('[');
        bool known = !bracketed && string.Equals(address, "localhost", StringComparison.OrdinalIgnoreCase)
            || System.Net.IPAddress.TryParse(address, out var ip) && (bracketed
                ? ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                : ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && ip.ToString() == address);  // not "127.1" or "1"
        if (!known)
        {
            error = $"'{text}': host '{host}' is not an IP address or localhost";
            return false;
        }
        return true;
    }

    private static bool TryParsePort(string text, int min, out int port, [NotNullWhen(false)] out string? error)
    {
        // NumberStyles.None: no sign, no spaces, no thousands separators; a port is plain digits.
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port < min || port > 65535)
        {
            error = text.Length == 0 ? "the port is missing" : $"port '{text}' is not a number from {min} to 65535";
            return false;
        }
        error = null;
        return true;
    }
}
