using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.FaultTests.Lab;

/// <summary>
/// What the fault lab needs from the machine: root, iproute2, iptables (legacy backend), the
/// NFQUEUE library and libfaketime; scripts/prerequisites.sh installs them. A missing one fails
/// the test under CI=true (a campaign that silently skipped would prove nothing) and is ignored
/// elsewhere, as the crypto backend tests do.
/// </summary>
internal static class Prerequisites
{
    public const string Iptables = "iptables-legacy";
    public const string IptablesRestore = "iptables-legacy-restore";

    /// <summary>libfaketime's multi-threaded build (the node has many threads), as Debian's faketime package installs it.</summary>
    public const string FakeTimeLibrary = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static readonly Lazy<string?> Missing = new(Find);

    public static void Require()
    {
        if (Missing.Value is not { } missing) return;
        string message = $"the fault lab cannot run: {missing} (scripts/prerequisites.sh installs what is missing)";
        if (IsCi) Assert.Fail(message + " (CI=true: the fault campaign is required)");
        Assert.Ignore(message);
    }

    private static string? Find()
    {
        var missing = new List<string>();
        if (!IsRoot()) missing.Add("not root (network namespaces and tmpfs mounts need it)");
        foreach (var tool in new[] { "ip", Iptables, IptablesRestore, "mount", "umount" })
            if (ExternalTool.Find(tool) is null) missing.Add($"{tool} not on PATH");
        if (!File.Exists(FakeTimeLibrary)) missing.Add($"{FakeTimeLibrary} missing (Debian package faketime)");
        if (!System.Runtime.InteropServices.NativeLibrary.TryLoad(Native.NetfilterQueueLibrary, out var library)) missing.Add($"{Native.NetfilterQueueLibrary} missing (Debian package libnetfilter-queue1)");
        else System.Runtime.InteropServices.NativeLibrary.Free(library);
        return missing.Count == 0 ? null : string.Join("; ", missing);
    }

    private static bool IsRoot()
    {
        // "Uid:" real, effective, saved, filesystem: the effective one decides.
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
                return line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[2] == "0";
        return false;
    }
}
