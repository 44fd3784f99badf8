namespace IExecChain.Ethereum.JsonRpc;

/// <summary>The Ethereum node answered a request with a JSON-RPC error.</summary>
public class EthereumRpcException(string method, long code, string message, byte[]? data = null)
    : Exception($"{method} failed: {message} (code {code})")
{
    public string Method { get; } = method;
    public long Code { get; } = code;
    public string NodeMessage { get; } = message;

    /// <summary>Revert data (custom error or Error(string)) when the node returned it.</summary>
    public byte[]? RevertData { get; } = data;

    public bool IsRevert => RevertData is { Length: >= 4 } || NodeMessage.Contains("revert", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The node could not be reached or did not answer in time, after every retry.</summary>
public sealed class EthereumUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
