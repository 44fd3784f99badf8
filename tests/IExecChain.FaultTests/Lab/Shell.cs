using IExecChain.TestSupport;

namespace IExecChain.FaultTests.Lab;

/// <summary>Runs the lab's system tools (ip, iptables, mount) and fails loudly when one refuses.</summary>
internal static class Shell
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="tool"/>; a non-zero exit throws with the tool's own words.</summary>
    public static string Run(string tool, params string[] arguments) => Run(tool, arguments, null);

    /// <summary>Runs <paramref name="tool"/> with <paramref name="input"/> on its standard input.</summary>
    public static string Run(string tool, string[] arguments, string? input)
    {
        var (exit, output, error) = ExternalTool.Run(tool, arguments, "/", Timeout, input);
        if (exit != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} exited {exit}: {error.Trim()}{output.Trim()}");
        return output;
    }

    /// <summary>Runs <paramref name="tool"/> for clean-up, where "already gone" is not an error.</summary>
    public static void TryRun(string tool, params string[] arguments) => ExternalTool.Run(tool, arguments, "/", Timeout);

    /// <summary>The standard output of a clean-up query, empty when the tool failed.</summary>
    public static string TryRunOutput(string tool, params string[] arguments)
    {
        var (exit, output, _) = ExternalTool.Run(tool, arguments, "/", Timeout);
        return exit == 0 ? output : "";
    }

    /// <summary>iptables inside a network namespace. The legacy backend: the one measured on this machine (docs/decisions.md).</summary>
    public static void Iptables(string netns, params string[] arguments) => Run("ip", ["netns", "exec", netns, Prerequisites.Iptables, .. arguments]);
}
