namespace IExecChain.Rpc;

public sealed class RpcServerOptions
{
    /// <summary>IP address to listen on, or "localhost". The default keeps the API off the network.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="RpcServer.Endpoint"/>).</summary>
    public int Port { get; set; } = 8645;

    public long MaxRequestBytes { get; set; } = 5 * 1024 * 1024;

    public int MaxBatchSize { get; set; } = 1000;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new ArgumentException("RPC host must not be empty");
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "RPC port must be 0..65535");
        if (MaxRequestBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxRequestBytes), MaxRequestBytes, "must be positive");
        if (MaxRequestBytes > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(MaxRequestBytes), MaxRequestBytes, "must fit in one array");
        if (MaxBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "must be positive");
    }
}
