using IExecChain.State.TxPool;

namespace IExecChain.Node;

/// <summary>
/// Operator settings of one node, with every default in this one place. What consensus depends
/// on is in the chain spec, never here.
/// </summary>
public sealed class NodeOptions
{
    public const string DefaultRpcHost = "127.0.0.1";
    public const int DefaultRpcPort = 8645;
    public const string ChainSpecFileName = "chain-spec.json";
    public const string DatabaseFolderName = "db";
    public const string PidFileName = "node.pid";

    public required string DataDir { get; init; }
    public string RpcHost { get; init; } = DefaultRpcHost;
    public int RpcPort { get; init; } = DefaultRpcPort;
    public bool RpcEnabled { get; init; } = true;
    public long RpcMaxRequestBytes { get; init; } = 8 * 1024 * 1024;
    public int RpcMaxBatchSize { get; init; } = 2000;
    public MempoolOptions Mempool { get; init; } = new();

    public string ChainSpecPath => Path.Combine(DataDir, ChainSpecFileName);
    public string DatabasePath => Path.Combine(DataDir, DatabaseFolderName);
    public string PidPath => Path.Combine(DataDir, PidFileName);

    /// <summary>Every problem with these settings, each as a sentence naming the setting.</summary>
    public List<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDir)) errors.Add("--data: a data directory is required");
        if (RpcPort is < 0 or > 65535) errors.Add($"--rpc: port {RpcPort} is out of range 0-65535");
        if (RpcMaxRequestBytes < 1024) errors.Add("rpc max request size must be at least 1024 bytes");
        if (Mempool.MaxTransactions < 1) errors.Add("mempool max transactions must be positive");
        if (Mempool.MaxBytes < 1024) errors.Add("mempool max bytes must be at least 1024");
        return errors;
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
