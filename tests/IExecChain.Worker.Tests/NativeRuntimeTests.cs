using System.Text;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Native;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Worker.Tests;

/// <summary>Real /bin/sh scripts in the real sandbox under the real limits, set once with prlimit and once with the shell's ulimit.</summary>
[TestFixture(true)]
[TestFixture(false)]
[Platform("Linux")]
public sealed class NativeRuntimeTests(bool withPrlimit)
{
    private static readonly ExecutionLimits Limits = new()
    {
        MemoryBytes = 512L * 1024 * 1024,
        CpuTime = TimeSpan.FromSeconds(20),
        WallClock = TimeSpan.FromSeconds(30),
    };

    private readonly NativeRuntime _runtime = new(withPrlimit ? new NativeRuntimeOptions() : new NativeRuntimeOptions { PrlimitPath = "/nonexistent/prlimit" });

    [OneTimeSetUp]
    public void RequirePrlimitWhereExpected()
    {
        if (withPrlimit && !_runtime.UsesPrlimit) ExternalTool.Unavailable("prlimit (util-linux) is not installed");
        if (_runtime.SandboxProblem is { } problem) ExternalTool.Unavailable(problem);
        Assert.That(_runtime.UsesPrlimit, Is.EqualTo(withPrlimit));
    }

    private Task<ExecutionResult> Sh(string script, ExecutionLimits? limits = null, byte[]? dataset = null) =>
        _runtime.RunAsync("/bin/sh", new TaskInput { AppName = "script", Args = ["-c", script], Dataset = dataset }, limits ?? Limits);

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    [Test]
    public async Task Script_reads_the_dataset_and_writes_output_files_into_the_digest()
    {
        var result = await Sh("""cat "$IEXEC_IN/$IEXEC_DATASET_FILENAME"; printf 'two' > "$IEXEC_OUT/b.txt"; mkdir "$IEXEC_OUT/sub"; printf 'one' > "$IEXEC_OUT/sub/a.txt" """,
            dataset: "dataset bytes"u8.ToArray());

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error + Text(result.Stderr));
        Assert.That(Text(result.Stdout), Is.EqualTo("dataset bytes"));
        Assert.That(result.OutputFiles.Select(f => (f.Name, Text(f.Content))), Is.EqualTo(new[] { ("b.txt", "two"), ("sub/a.txt", "one") }));
        Assert.That(result.Digest, Is.EqualTo(ResultDigest.Compute(0, result.Stdout, result.OutputFiles)));
    }

    [Test]
    public async Task Linecount_sample_app_gives_the_digest_it_gave_before_the_sandbox()
    {
        // The devnet's native app, from a 0700 directory as the worker's data directory would be.
        using var directory = new TempDirectory();
        string app = Path.Combine(directory.Path, "linecount.sh");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "apps", "linecount.sh"), app);
        File.SetUnixFileMode(app, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await _runtime.RunAsync(app, new TaskInput { AppName = "linecount", Args = ["a", "b c"], Dataset = "one two\nthree\n"u8.ToArray() }, Limits);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error + Text(result.Stderr));
        Assert.That(Text(result.Stdout), Is.EqualTo("args: a b c\nlines 2 words 3\n"));
        Assert.That(result.OutputFiles.Select(f => (f.Name, Text(f.Content))), Is.EqualTo(new[] { ("counts.txt", "lines 2 words 3\n") }));
        // Computed by the unsandboxed runtime before the sandbox came: what the app observes did not change its result.
        Assert.That(result.Digest.ToString(), Is.EqualTo("0x2944a6e9e555f57676dae87b1390d99a76c9b2a930396b7da89e0837615d2075"));
    }

    [Test]
    public async Task Environment_is_minimal_and_the_working_directory_is_fresh()
    {
        var result = await Sh("env | sort; ls -A | wc -l");

        string output = Text(result.Stdout);
        var names = output.Split('\n').Where(l => l.Contains('=', StringComparison.Ordinal)).Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)]);
        Assert.That(names, Is.SubsetOf(new[] { "HOME", "IEXEC_IN", "IEXEC_OUT", "LC_ALL", "PATH", "PWD", "TZ" }));
        Assert.That(output.TrimEnd().Split('\n')[^1].Trim(), Is.EqualTo("0"), "nothing in the working directory");
    }

    [Test]
    public async Task Nonzero_exit_is_a_result_with_its_code_in_the_digest()
    {
        var three = await Sh("echo partial; exit 3");
        var four = await Sh("echo partial; exit 4");

        Assert.That(three.Status, Is.EqualTo(ExecutionStatus.NonZeroExit));
        Assert.That(three.ExitCode, Is.EqualTo(3));
        Assert.That(three.Digest, Is.EqualTo(ResultDigest.Compute(3, "partial\n"u8, [])));
        Assert.That(four.Digest, Is.Not.EqualTo(three.Digest));
    }

    [Test]
    public async Task Run_past_the_wall_clock_is_killed_with_its_children()
    {
        // The sleeps carry a unique duration, so the test finds them among the host's processes.
        string marker = HostProcesses.UniqueSleep();
        var result = await Sh($"sleep {marker} & sleep {marker}", Limits with { WallClock = TimeSpan.FromMilliseconds(500) });

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Timeout));
        Assert.That(result.HasDigest, Is.False);
        Assert.That(HostProcesses.Running("sleep", marker), Is.Empty, "the background child must be killed too");
    }

    [Test]
    public async Task Background_child_left_running_after_a_normal_exit_is_killed()
    {
        string marker = HostProcesses.UniqueSleep();
        var result = await Sh($"sleep {marker} > /dev/null 2>&1 & sleep 0.2; echo done");

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error);
        Assert.That(HostProcesses.Running("sleep", marker), Is.Empty);
    }

    [Test]
    public async Task Allocating_past_the_memory_limit_is_out_of_memory()
    {
        // The shell accumulates 200 MB in a variable under a 64 MB address-space limit.
        var result = await Sh("""x=$(head -c 200000000 /dev/zero | tr '\0' a); echo ${#x}""", Limits with { MemoryBytes = 64L * 1024 * 1024 });

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.OutOfMemory), result.Error);
        Assert.That(result.HasDigest, Is.False);
    }

    [Test]
    public async Task Spinning_past_the_cpu_time_limit_is_stopped()
    {
        var result = await Sh("while :; do :; done", Limits with { CpuTime = TimeSpan.FromSeconds(1) });

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Timeout));
        Assert.That(result.Error, Does.Contain("CPU-time limit"));
    }

    [Test]
    public async Task Stdout_past_its_limit_stops_the_run()
    {
        var result = await Sh("yes", Limits with { MaxStdoutBytes = 4096 });

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.OutputTooLarge));
        Assert.That(result.Stdout, Has.Length.EqualTo(4096));
    }

    [Test]
    public async Task Symbolic_link_in_the_output_is_refused_rather_than_followed()
    {
        var result = await Sh("""ln -s /etc/passwd "$IEXEC_OUT/leak" """);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.OutputTooLarge));
        Assert.That(result.Error, Does.Contain("symbolic link"));
    }

    [Test]
    public async Task Fifo_in_the_output_is_read_as_empty_instead_of_blocking()
    {
        var result = await Sh("""mkfifo "$IEXEC_OUT/pipe" """);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error);
        Assert.That(result.OutputFiles.Single().Content, Is.Empty);
    }

    [Test]
    public async Task Missing_executable_is_an_invalid_module()
    {
        var result = await _runtime.RunAsync("/nonexistent/app", new TaskInput { AppName = "app" }, Limits);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.InvalidModule));
        Assert.That(result.Error, Does.Contain("/nonexistent/app"));
    }

    [Test]
    public async Task Program_name_is_looked_up_in_the_search_path()
    {
        var result = await _runtime.RunAsync("echo", new TaskInput { AppName = "echo", Args = ["found"] }, Limits);

        Assert.That(Text(result.Stdout), Is.EqualTo("found\n"));
    }
}
