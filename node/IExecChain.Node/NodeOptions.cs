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
        if (!System.Net.IPAddress.TryParse(P2PHost, out _)) errors.Add($"--p2p: '{P2PHost}' is not an IP address");
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

    /// <summary>Parses a peer: "host:port" or "0xADDRESS@host:port"; the host must be an IP address or "localhost".</summary>
    public static bool TryParsePeer(string text, out Network.SeedPeer? peer, out string? error)
    {
        peer = null;
        Core.Primitives.Address? expected = null;
        var s = text.Trim();
        int at = s.IndexOf('@');
        if (at >= 0)
        {
            if (!Core.Primitives.Address.TryParse(s[..at], out var address, out _))
            {
                error = $"'{text}': '{s[..at]}' is not a 20-byte hex address";
                return false;
            }
            expected = address;
            s = s[(at + 1)..];
        }
        int colon = s.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(s[(colon + 1)..], out int port) || port is < 1 or > 65535)
        {
            error = $"'{text}' is not host:port (optionally prefixed by 0xADDRESS@) with a port from 1 to 65535";
            return false;
        }
        var hostText = s[..colon];
        if (hostText == "localhost") hostText = "127.0.0.1";
        if (!System.Net.IPAddress.TryParse(hostText, out var ip))
        {
            error = $"'{text}': host '{hostText}' is not an IP address";
            return false;
        }
        peer = new Network.SeedPeer(new System.Net.IPEndPoint(ip, port), expected);
        error = null;
        return true;
    }

    /// <summary>Parses "host:port" (or ":port" / "port") for --rpc.</summary>
    public static bool TryParseEndpoint(string text, out string host, out int port, out string? error)
    {
        host = DefaultRpcHost;
        port = DefaultRpcPort;
        error = null;
        var s = text.Trim();
        if (s.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) s = s[7..];
        int colon = s.LastIndexOf(':');
        string portText = colon < 0 ? s : s[(colon + 1)..];
        if (colon > 0) host = s[..colon];
        if (!int.TryParse(portText, out port) || port is < 0 or > 65535)
        {
            error = $"'{text}' is not host:port with a port from 0 to 65535";
            return false;
        }
        if (host.Length == 0) host = DefaultRpcHost;
        return true;
    }
}
