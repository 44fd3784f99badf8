using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Native;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Worker.Tests;

/// <summary>
/// Hostile native apps in the real bubblewrap sandbox, as real processes: each tries one way out, fails, and
/// the next run on the same runtime still works. The worker's "data directory" here is a temp directory
/// holding a keystore with a marker the app must never print.
/// </summary>
[TestFixture]
[Platform("Linux")]
public sealed class SandboxEscapeTests
{
    private const string Secret = "0xSECRET-KEYSTORE-MARKER";

    private static readonly ExecutionLimits Limits = new()
    {
        MemoryBytes = 512L * 1024 * 1024,
        CpuTime = TimeSpan.FromSeconds(20),
        WallClock = TimeSpan.FromSeconds(60),
    };

    private string _hostPath = null!;
    private string _dataDirectory = null!;
    private string _keystore = null!;
    private NativeRuntime _runtime = null!;

    [SetUp]
    public void CreateWorkerFiles()
    {
        // Under /var/tmp, not /tmp: the app's private /tmp would cover anything under the host's anyway.
        _hostPath = Directory.CreateDirectory($"/var/tmp/iexec-worker-test-{Guid.NewGuid():N}").FullName;
        _dataDirectory = Directory.CreateDirectory(Path.Combine(_hostPath, "data")).FullName;
        _keystore = Path.Combine(_dataDirectory, "worker.json");
        File.WriteAllText(_keystore, Secret);
        // World-readable on purpose: what keeps the app out must be the sandbox, not the file mode.
        File.SetUnixFileMode(_hostPath, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(_keystore, (UnixFileMode)0b110_100_100);
        _runtime = new NativeRuntime(new NativeRuntimeOptions { HiddenPaths = [_dataDirectory, _keystore] });
        if (_runtime.SandboxProblem is { } problem) ExternalTool.Unavailable(problem);
    }

    [TearDown]
    public void RemoveWorkerFiles() => Directory.Delete(_hostPath, recursive: true);

    private Task<ExecutionResult> Run(string shell, string script, ExecutionLimits? limits = null, NativeRuntime? runtime = null) =>
        (runtime ?? _runtime).RunAsync(shell, new TaskInput { AppName = "escape", Args = ["-c", script], Dataset = "dataset"u8.ToArray() }, limits ?? Limits);

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private async Task WorkerStillRunsApps()
    {
        var next = await Run("/bin/sh", "echo alive");
        Assert.That(next.Status, Is.EqualTo(ExecutionStatus.Success), next.Error + Text(next.Stderr));
        Assert.That(Text(next.Stdout), Is.EqualTo("alive\n"));
    }

    [Test]
    public async Task Reading_the_worker_keystore_and_data_directory_fails()
    {
        var result = await Run("/bin/sh", $"cat {_keystore}; ls -A {_dataDirectory}; ls -A /; echo; ls -A /etc");

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error + Text(result.Stderr));
        Assert.That(Text(result.Stdout), Does.Not.Contain(Secret));
        Assert.That(Text(result.Stderr), Does.Contain("No such file"));
        string[] sections = Text(result.Stdout).Split("\n\n");
        Assert.That(sections[0].Split('\n', StringSplitOptions.RemoveEmptyEntries),
            Is.SubsetOf(new[] { "bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev", "proc", "tmp", "iexec_in", "iexec_out", "iexec_app" }),
            "the app's root shows system directories and its own run, nothing else of the host");
        Assert.That(sections[1].Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.SubsetOf(new[] { "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives" }));
        await WorkerStillRunsApps();
    }

    [Test]
    public async Task Data_directory_inside_a_shown_system_directory_is_covered()
    {
        // An operator who keeps the worker's data under /usr/local: the sandbox shows /usr, so the path must be masked.
        string data = Directory.CreateDirectory($"/usr/local/share/iexec-hidden-test-{Guid.NewGuid():N}").FullName;
        try
        {
            string key = Path.Combine(data, "worker.json");
            File.WriteAllText(key, Secret);
            var runtime = new NativeRuntime(new NativeRuntimeOptions { HiddenPaths = [data] });

            var result = await Run("/bin/sh", $"cat {key}; ls -A {data} | wc -l", runtime: runtime);

            Assert.That(Text(result.Stdout), Does.Not.Contain(Secret));
            Assert.That(Text(result.Stdout).Trim(), Is.EqualTo("0"), "the directory is there but empty");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Test]
    public async Task Writing_outside_the_output_directory_fails_and_leaves_the_host_untouched()
    {
        string target = Directory.CreateDirectory(Path.Combine(_hostPath, "world-writable")).FullName;
        File.SetUnixFileMode(target, (UnixFileMode)0b111_111_111);
        string scratch = $"iexec-scratch-{Guid.NewGuid():N}";
        string script = $"for p in {target}/x {_dataDirectory}/x /usr/x /etc/x /x /iexec_in/x /iexec_in/dataset /iexec_app/sh; do echo pwned 2>/dev/null > $p && echo wrote $p; done; "
            + $"echo mine > /tmp/{scratch} && cat /tmp/{scratch}; echo out > $IEXEC_OUT/ok";

        var result = await Run("/bin/sh", script);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error + Text(result.Stderr));
        Assert.That(Text(result.Stdout), Is.EqualTo("mine\n"), "every write but the private /tmp's and the output's failed");
        Assert.That(result.OutputFiles.Select(f => f.Name), Is.EqualTo(new[] { "ok" }));
        Assert.That(Directory.EnumerateFileSystemEntries(target), Is.Empty);
        Assert.That(Directory.EnumerateFileSystemEntries(_dataDirectory), Is.EqualTo(new[] { _keystore }));
        Assert.That(File.Exists(Path.Combine(Path.GetTempPath(), scratch)), Is.False, "the app's /tmp is its own");
        await WorkerStillRunsApps();
    }

    [Test]
    public async Task Connecting_to_a_listener_on_the_host_loopback_fails()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await Run("/bin/bash", $"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected");

        Assert.That(Text(result.Stdout), Does.Not.Contain("connected"));
        Assert.That(Text(result.Stderr), Does.Contain("/dev/tcp/127.0.0.1/" + port.ToString(CultureInfo.InvariantCulture)), "bash reports the refused connection");
        Assert.That(listener.Pending(), Is.False, "no connection reached the host");
        await WorkerStillRunsApps();
    }

    [Test]
    public async Task Fork_bomb_is_stopped_at_the_process_bound_and_the_worker_survives()
    {
        if (!_runtime.HasPidsCgroup) ExternalTool.Unavailable("no pids cgroup hierarchy to bound a run's processes (/sys/fs/cgroup/pids)");
        // Every call forks two more, in the foreground: exponential until fork fails. The unique comment finds its processes on the host.
        string marker = Guid.NewGuid().ToString("N");
        string script = $"b() {{ b | b; }}; b # {marker}";

        var result = await Run("/bin/sh", script, Limits with { CpuTime = TimeSpan.FromSeconds(10), WallClock = TimeSpan.FromSeconds(20) });

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.TooManyProcesses), result.Error + Text(result.Stderr));
        Assert.That(result.HasDigest, Is.False);
        Assert.That(HostProcesses.Running("sh", script), Is.Empty, "nothing of the bomb is left");
        await WorkerStillRunsApps();
    }

    [Test]
    public async Task Filling_the_output_directory_stops_at_its_bound()
    {
        // Files of 1 MB each, every one under the per-file limit: only the bound on the directory stops them.
        var limits = Limits with { MaxOutputBytes = 4L << 20, MaxOutputFiles = 16 };
        string script = "i=0; while [ $i -lt 200 ] && head -c 1000000 /dev/zero > $IEXEC_OUT/f$i; do i=$((i+1)); done; echo $i; exit 0";

        var result = await Run("/bin/sh", script, limits);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.OutputTooLarge), result.Error + Text(result.Stderr));
        Assert.That(result.Error, Does.Contain("output directory"));
        Assert.That(result.HasDigest, Is.False);
        Assert.That(int.Parse(Text(result.Stdout), CultureInfo.InvariantCulture), Is.LessThanOrEqualTo(5), "no more than the bound was written");
        await WorkerStillRunsApps();
    }

    [Test]
    public async Task Filling_the_private_tmp_stops_at_its_size()
    {
        var runtime = new NativeRuntime(new NativeRuntimeOptions { ScratchBytes = 1L << 20 });

        var result = await Run("/bin/sh", "head -c 5000000 /dev/zero > /tmp/fill; wc -c < /tmp/fill", runtime: runtime);

        Assert.That(long.Parse(Text(result.Stdout), CultureInfo.InvariantCulture), Is.LessThanOrEqualTo(1L << 20));
        Assert.That(Text(result.Stderr), Does.Contain("No space left"));
    }

    [Test]
    public async Task App_runs_as_the_unprivileged_sandbox_user_without_capabilities()
    {
        // Seen from the host: inside its user namespace an unmapped host root would also read as 65534.
        string marker = HostProcesses.UniqueSleep();
        var run = Run("/bin/sh", $"grep CapEff /proc/self/status; hostname; exec sleep {marker}");
        List<int> pids;
        while ((pids = HostProcesses.Running("sleep", marker)).Count == 0 && !run.IsCompleted) await Task.Delay(10);
        Assert.That(pids, Has.Count.EqualTo(1), "the app is running");
        string status = File.ReadAllText($"/proc/{pids[0]}/status");
        System.Diagnostics.Process.GetProcessById(pids[0]).Kill();
        var result = await run;

        Assert.That(status, Does.Contain("\nUid:\t65534\t65534\t65534\t65534\n"), "real, effective, saved and file-system uid on the host");
        Assert.That(status, Does.Contain("\nGid:\t65534\t65534\t65534\t65534\n"));
        Assert.That(Text(result.Stdout), Is.EqualTo("CapEff:\t0000000000000000\niexec\n"));
    }

    [Test]
    public void Leftovers_of_a_worker_killed_mid_run_are_removed_when_the_next_one_starts()
    {
        string work = Directory.CreateDirectory(Path.Combine(_hostPath, "runs")).FullName;
        int dead;
        using (var exited = System.Diagnostics.Process.Start("/bin/true")!)
        {
            exited.WaitForExit();
            dead = exited.Id;
        }
        // What a killed worker leaves: a run directory with its output tmpfs still mounted, and its cgroup.
        string orphan = Path.Combine(work, $"iexec-native-{dead}-0");
        using var mount = OutputTmpfs.Mount(Directory.CreateDirectory(Path.Combine(orphan, "out")).FullName, 1 << 20, 16, 65534, 65534);
        File.WriteAllText(Path.Combine(orphan, "out", "result"), "left behind");
        string? orphanCgroup = PidsCgroupRoot() is { } root ? Directory.CreateDirectory(Path.Combine(root, $"iexec-{dead}-0")).FullName : null;
        // A run of another live worker on the same machine (pid 1 is always alive) must be left alone.
        string live = Directory.CreateDirectory(Path.Combine(work, "iexec-native-1-0")).FullName;

        var runtime = new NativeRuntime(new NativeRuntimeOptions { WorkDirectory = work });

        Assert.That(runtime.LeftoversCleaned, Is.EqualTo(1));
        Assert.That(Directory.Exists(orphan), Is.False);
        Assert.That(File.ReadAllText("/proc/self/mounts"), Does.Not.Contain(orphan), "the tmpfs is unmounted, its memory freed");
        if (orphanCgroup is not null) Assert.That(Directory.Exists(orphanCgroup), Is.False);
        Assert.That(Directory.Exists(live), Is.True);
    }

    private static string? PidsCgroupRoot() => new NativeRuntimeOptions().PidsCgroupRoot;

    [Test]
    public async Task Without_bubblewrap_native_apps_are_refused_rather_than_run_unsandboxed()
    {
        var runtime = new NativeRuntime(new NativeRuntimeOptions { BwrapPath = "/nonexistent/bwrap" });
        string witness = Path.Combine(_hostPath, "ran");

        var result = await Run("/bin/sh", $"touch {witness}", runtime: runtime);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.HostError));
        Assert.That(result.Error, Does.Contain("/nonexistent/bwrap"));
        Assert.That(File.Exists(witness), Is.False, "the app never ran");
    }

    [Test]
    public async Task Sandbox_that_cannot_be_built_is_a_host_error_not_a_result()
    {
        // Run directories in a directory the sandbox user cannot enter: bwrap cannot bind them.
        string closed = Directory.CreateDirectory(Path.Combine(_hostPath, "closed")).FullName;
        File.SetUnixFileMode(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var runtime = new NativeRuntime(new NativeRuntimeOptions { WorkDirectory = closed });

        var result = await Run("/bin/sh", "echo ran", runtime: runtime);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.HostError), result.Error);
        Assert.That(result.Error, Does.StartWith("the sandbox could not be built: bwrap: "));
        Assert.That(result.HasDigest, Is.False);
    }
}
