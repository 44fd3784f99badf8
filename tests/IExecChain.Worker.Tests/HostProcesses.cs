using System.Globalization;

namespace IExecChain.Worker.Tests;

/// <summary>
/// Looks for a sandboxed app's processes from the host's side: inside its pid namespace an app's pids mean
/// nothing here, so the test gives its processes a unique argument and searches /proc for it.
/// </summary>
internal static class HostProcesses
{
    /// <summary>A sleep duration no other process on the machine uses: 300 s and a random fraction.</summary>
    public static string UniqueSleep() =>
        "300." + Random.Shared.NextInt64(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture);

    /// <summary>Host pids of live (not zombie) processes running <paramref name="program"/> (any path) with <paramref name="argument"/> among their arguments.</summary>
    public static List<int> Running(string program, string argument)
    {
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                string[] argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (argv.Length < 2 || Path.GetFileName(argv[0]) != program || Array.IndexOf(argv, argument, 1) < 0) continue;
                if (File.ReadAllText(Path.Combine(dir, "status")).Contains("State:\tZ", StringComparison.Ordinal)) continue;
                found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // exited while we looked
            }
        }
        return found;
    }
}
