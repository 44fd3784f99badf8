using IExecChain.Storage;

namespace IExecChain.Node.Cli;

/// <summary>Opens the database of a node that is not running, for the offline commands (snapshots, bridge exits).</summary>
public static class StoppedDatabase
{
    /// <summary>
    /// The database in <paramref name="dataDir"/>; a folder without one, or one a running node holds,
    /// is a clear error (<paramref name="whileRunning"/> says what to do instead of stopping it).
    /// </summary>
    public static RocksDbStore Open(string dataDir, string? whileRunning = null)
    {
        string path = Path.Combine(dataDir, NodeOptions.DatabaseFolderName);
        // Opening creates a database where there is none: refuse a folder that does not hold one.
        if (!File.Exists(Path.Combine(path, "CURRENT"))) throw new CliException($"--data: no database at {path}");
        try
        {
            return new RocksDbStore(path);
        }
        catch (DatabaseLockedException)
        {
            throw new CliException($"the node's database at {path} is in use: stop the node first{(whileRunning is null ? "" : $" ({whileRunning})")}");
        }
    }
}
