using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.IntegrationTests;

/// <summary>A devnet node directory with imported dev keys, made through the real CLI.</summary>
internal sealed class DevChain : IDisposable
{
    public const string Password = "it-password";
    public static readonly string SpecPath = Path.Combine(AppContext.BaseDirectory, "devnet.json");

    public DevChain(string? specPath = null)
    {
        Dir = new TempDir();
        File.WriteAllText(PasswordFile, Password + "\n");
        Import(DevKey("validator", 0), ValidatorKeyFile);
        for (int i = 0; i < 3; i++) Import(DevKey("account", i), AccountKeyFile(i));
        var (code, output) = NodeProcess.Run("init", "--chain-spec", specPath ?? SpecPath, "--data", DataDir);
        if (code != 0) throw new InvalidOperationException("init failed: " + output);
        Port = NodeProcess.FreePort();
        P2PPort = NodeProcess.FreeUdpPort();
    }

    public int P2PPort { get; }

    public TempDir Dir { get; }
    public int Port { get; }
    public Uri Rpc => new($"http://127.0.0.1:{Port}/");
    public string PasswordFile => Dir.File("password.txt");
    public string ValidatorKeyFile => Dir.File("validator.json");
    public string DataDir => Dir.File("node");
    public string AccountKeyFile(int i) => Dir.File($"account-{i}.json");

    public static PrivateKey DevKey(string role, int index) =>
        new(Keccak256.HashToArray(Encoding.ASCII.GetBytes($"iexecchain-devnet/{role}/{index}")));

    public static Address DevAddress(string role, int index) => DevKey(role, index).Address;

    public NodeProcess StartValidator(IReadOnlyDictionary<string, string?>? environment = null, params string[] extra) =>
        NodeProcess.Start(environment ?? new Dictionary<string, string?>(),
            ["run", "--data", DataDir, "--key", ValidatorKeyFile, "--password-file", PasswordFile, "--rpc", $"127.0.0.1:{Port}", "--p2p", $"127.0.0.1:{P2PPort}", .. extra]);

    private void Import(PrivateKey key, string file)
    {
        var (code, output) = NodeProcess.Run("keys", "import", "--private-key", key.ToHex(), "--out", file, "--password-file", PasswordFile);
        if (code != 0) throw new InvalidOperationException("keys import failed: " + output);
    }

    public void Dispose() => Dir.Dispose();
}
