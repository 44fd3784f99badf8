using System.Globalization;

namespace IExecChain.FaultTests;

/// <summary>
/// How the campaign runs: short (CI, the default) or long (IEXEC_FAULTS_LONG=1, what
/// `scripts/faults.sh SCENARIO --long` sets), which validator counts (IEXEC_FAULTS_VALIDATORS
/// overrides each scenario's CI choice), the load rate, and where figures are appended
/// (IEXEC_FAULTS_RESULTS, one JSON line per scenario run).
/// </summary>
internal static class FaultSettings
{
    public static bool Long => Environment.GetEnvironmentVariable("IEXEC_FAULTS_LONG") == "1";

    /// <summary>Transfers per second during every scenario: modest, the machine has 2 cores and runs CI.</summary>
    public static int LoadRate => int.TryParse(Environment.GetEnvironmentVariable("IEXEC_FAULTS_LOAD"), out var r) ? r : 100;

    /// <summary>The nodes' log level: Warning unless IEXEC_FAULTS_LOG_LEVEL names another (Information shows every peer connecting and leaving).</summary>
    public static string LogLevel => Environment.GetEnvironmentVariable("IEXEC_FAULTS_LOG_LEVEL") is { Length: > 0 } level ? level : "Warning";

    /// <summary>IEXEC_FAULTS_KEEP=1 keeps each run's directory (configs, data, logs) for a post-mortem.</summary>
    public static bool Keep => Environment.GetEnvironmentVariable("IEXEC_FAULTS_KEEP") == "1";

    public static string? ResultsFile => Environment.GetEnvironmentVariable("IEXEC_FAULTS_RESULTS");

    /// <summary>A deliberate mutation that some check must catch (docs/reliability.md, "Can the checks fail?").</summary>
    public static string? Mutation => Environment.GetEnvironmentVariable("IEXEC_FAULTS_MUTATION");

    /// <summary>The validator counts a scenario runs with: its CI choice, or the one IEXEC_FAULTS_VALIDATORS names.</summary>
    public static IEnumerable<int> Validators(params int[] ciChoice) =>
        int.TryParse(Environment.GetEnvironmentVariable("IEXEC_FAULTS_VALIDATORS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? [n] : ciChoice;

    /// <summary><paramref name="shortValue"/> in CI, <paramref name="longValue"/> with --long.</summary>
    public static TimeSpan Duration(TimeSpan shortValue, TimeSpan longValue) => Long ? longValue : shortValue;

    public static int Count(int shortValue, int longValue) => Long ? longValue : shortValue;
}
