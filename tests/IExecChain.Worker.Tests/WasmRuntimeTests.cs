using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Wasm;
using NUnit.Framework;

namespace IExecChain.Worker.Tests;

[TestFixture]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in OneTimeTearDown")]
public sealed class WasmRuntimeTests
{
    private static readonly ExecutionLimits Limits = new() { Fuel = 50_000_000, MemoryBytes = 16 * 1024 * 1024, WallClock = TimeSpan.FromSeconds(30) };

    private WasmRuntime _runtime = null!;

    [OneTimeSetUp]
    public void SetUp() => _runtime = new WasmRuntime(new WasmRuntimeOptions { MaxConcurrentRuns = 4, MaxMemoryBytes = 64 * 1024 * 1024 });

    [OneTimeTearDown]
    public void TearDown() => _runtime.Dispose();

    private static TaskInput Input(string app, params string[] args) => new() { AppName = app, Args = args };

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    [Test]
    public void Every_sample_app_assembles_and_runs_to_a_classified_outcome()
    {
        var expected = new Dictionary<string, ExecutionStatus>
        {
            ["echo"] = ExecutionStatus.Success,
            ["fib"] = ExecutionStatus.NonZeroExit, // no argument: usage, exit 2
            ["wordcount"] = ExecutionStatus.NonZeroExit, // no dataset: exit 1
            ["checksum"] = ExecutionStatus.NonZeroExit, // no dataset: exit 1
            ["entropy"] = ExecutionStatus.Success,
            ["trap"] = ExecutionStatus.Trapped,
            ["loop"] = ExecutionStatus.OutOfFuel,
            ["memhog"] = ExecutionStatus.OutOfMemory,
        };
        Assert.That(SampleApps.Names, Is.EquivalentTo(expected.Keys), "a new sample app needs an expected outcome here");
        foreach (var (name, status) in expected)
            Assert.That(_runtime.Run(SampleApps.Get(name), Input(name), Limits).Status, Is.EqualTo(status), name);
    }

    [Test]
    public void Echo_prints_its_arguments_and_the_digest_covers_exit_code_and_stdout()
    {
        var args = TaskArguments.Split("hello 'big world' \"quoted \\\"x\\\"\"");

        var result = _runtime.Run(SampleApps.Echo, Input("echo", [.. args]), Limits);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error);
        Assert.That(result.ExitCode, Is.Zero);
        Assert.That(Text(result.Stdout), Is.EqualTo("hello big world quoted \"x\"\n"));
        Assert.That(result.Digest, Is.EqualTo(ResultDigest.Compute(0, result.Stdout, [])));
        Assert.That(result.FuelUsed, Is.GreaterThan(0UL));
    }

    [Test]
    public void Echo_without_arguments_prints_a_newline()
    {
        var result = _runtime.Run(SampleApps.Echo, Input("echo"), Limits);

        Assert.That(Text(result.Stdout), Is.EqualTo("\n"));
    }

    [Test]
    public void Wordcount_reads_the_dataset_and_writes_its_result_file()
    {
        var input = Input("wordcount") with { Dataset = Encoding.UTF8.GetBytes("one two\nthree  four five\n\nsix") };

        var result = _runtime.Run(SampleApps.WordCount, input, Limits);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error);
        Assert.That(Text(result.Stdout), Is.EqualTo("3 6 29\n"));
        Assert.That(result.OutputFiles, Has.Count.EqualTo(1));
        Assert.That(result.OutputFiles[0].Name, Is.EqualTo("wc.txt"));
        Assert.That(Text(result.OutputFiles[0].Content), Is.EqualTo("3 6 29\n"));
        Assert.That(result.Digest, Is.EqualTo(ResultDigest.Compute(0, result.Stdout, result.OutputFiles)));
        // Pinned: the iex_getResult example in docs/rpc.md; a change here is a change of the result format.
        Assert.That(result.Digest.ToString(), Is.EqualTo("0x539aeca81c830ca601ab3b751caca2bca1a195587db264a2f1371fab762fb4dc"));
    }

    [Test]
    public void Wordcount_reads_a_dataset_larger_than_its_read_buffer()
    {
        var dataset = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("lorem ipsum dolor\n", 10_000)));

        var result = _runtime.Run(SampleApps.WordCount, Input("wordcount") with { Dataset = dataset }, Limits);

        Assert.That(Text(result.Stdout), Is.EqualTo($"10000 30000 {dataset.Length}\n"));
    }

    [Test]
    public void A_dataset_passed_as_a_file_is_what_the_app_reads_as_if_passed_in_memory()
    {
        var dataset = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("lorem ipsum dolor\n", 10_000)));
        string file = Path.Combine(Path.GetTempPath(), $"dataset-{Guid.NewGuid():N}");
        File.WriteAllBytes(file, dataset);
        try
        {
            var fromFile = _runtime.Run(SampleApps.WordCount, Input("wordcount") with { DatasetFile = file }, Limits);
            var fromMemory = _runtime.Run(SampleApps.WordCount, Input("wordcount") with { Dataset = dataset }, Limits);

            Assert.That(Text(fromFile.Stdout), Is.EqualTo($"10000 30000 {dataset.Length}\n"));
            Assert.That(fromFile.Digest, Is.EqualTo(fromMemory.Digest));
            Assert.That(File.ReadAllBytes(file), Is.EqualTo(dataset), "the source is copied, never moved or changed");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [TestCase(0)]
    [TestCase(7)]
    [TestCase(3 * 1024 * 1024 + 5)]
    public void Checksum_hashes_every_byte_of_the_dataset_across_its_read_buffer(int size)
    {
        var dataset = new byte[size];
        new Random(size).NextBytes(dataset);

        var result = _runtime.Run(SampleApps.Checksum, Input("checksum") with { Dataset = dataset }, Limits);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error);
        Assert.That(Text(result.Stdout), Is.EqualTo($"{Fnv64Words(dataset)} {size}\n"));
        if (size > 0)
        {
            dataset[size / 2] ^= 1;
            Assert.That(Text(_runtime.Run(SampleApps.Checksum, Input("checksum") with { Dataset = dataset }, Limits).Stdout), Is.Not.EqualTo(Text(result.Stdout)), "one bit changes the hash");
        }
    }

    /// <summary>checksum.wat's rule, written again here: FNV-1a's constants over little-endian 8-byte words, then the leftover bytes.</summary>
    private static ulong Fnv64Words(byte[] data)
    {
        ulong h = 0xcbf29ce484222325;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8) h = (h ^ System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(i))) * 0x100000001b3;
        for (; i < data.Length; i++) h = (h ^ data[i]) * 0x100000001b3;
        return h;
    }

    [Test]
    public void Output_file_content_changes_the_digest_even_when_stdout_is_the_same_length()
    {
        var a = _runtime.Run(SampleApps.WordCount, Input("wordcount") with { Dataset = "a b\n"u8.ToArray() }, Limits);
        var b = _runtime.Run(SampleApps.WordCount, Input("wordcount") with { Dataset = "a b c\n"u8.ToArray() }, Limits);

        Assert.That(Text(a.OutputFiles[0].Content), Is.Not.EqualTo(Text(b.OutputFiles[0].Content)));
        Assert.That(a.Digest, Is.Not.EqualTo(b.Digest));
    }

    [Test]
    public void Output_directory_is_empty_again_for_the_next_run()
    {
        _runtime.Run(SampleApps.WordCount, Input("wordcount") with { Dataset = "x\n"u8.ToArray() }, Limits);

        var next = _runtime.Run(SampleApps.Echo, Input("echo", "hi"), Limits);
        var noDataset = _runtime.Run(SampleApps.WordCount, Input("wordcount"), Limits);

        Assert.That(next.OutputFiles, Is.Empty);
        Assert.That(noDataset.ExitCode, Is.EqualTo(1), "the previous run's dataset must be gone");
    }

    [Test]
    public void Missing_dataset_is_a_nonzero_exit_with_a_digest_and_stderr()
    {
        var result = _runtime.Run(SampleApps.WordCount, Input("wordcount"), Limits);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.NonZeroExit));
        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.HasDigest, Is.True);
        Assert.That(Text(result.Stderr), Does.Contain("no dataset"));
    }

    [Test]
    public void Fib_computes_and_its_fuel_is_deterministic_and_grows_with_the_argument()
    {
        var fib20 = _runtime.Run(SampleApps.Fib, Input("fib", "20"), Limits);
        var again = _runtime.Run(SampleApps.Fib, Input("fib", "20"), Limits);
        var fib15 = _runtime.Run(SampleApps.Fib, Input("fib", "15"), Limits);

        Assert.That(Text(fib20.Stdout), Is.EqualTo("6765\n"));
        Assert.That(Text(fib15.Stdout), Is.EqualTo("610\n"));
        Assert.That(again.FuelUsed, Is.EqualTo(fib20.FuelUsed));
        Assert.That(fib20.FuelUsed, Is.GreaterThan(fib15.FuelUsed * 10));
    }

    [Test]
    public void Fib_with_bad_argument_exits_2_with_usage()
    {
        var result = _runtime.Run(SampleApps.Fib, Input("fib", "twelve"), Limits);

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(Text(result.Stderr), Does.StartWith("usage: fib N"));
    }

    [Test]
    public void Compute_beyond_the_fuel_is_out_of_fuel_with_no_digest()
    {
        var result = _runtime.Run(SampleApps.Fib, Input("fib", "40"), Limits with { Fuel = 1_000_000 });

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.OutOfFuel));
        Assert.That(result.HasDigest, Is.False);
        Assert.That(result.FuelUsed, Is.EqualTo(1_000_000UL));
    }

    [Test]
    public void Trap_is_trapped_and_what_it_printed_does_not_make_a_result()
    {
        var result = _runtime.Run(SampleApps.Trap, Input("trap"), Limits);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Trapped));
        Assert.That(result.Error, Does.Contain("Unreachable"));
        Assert.That(Text(result.Stdout), Is.EqualTo("about to trap\n"));
        Assert.That(result.Digest, Is.Null);
        Assert.That(result.ExitCode, Is.Null);
    }

    [Test]
    public void Infinite_loop_ends_out_of_fuel()
    {
        var result = _runtime.Run(SampleApps.Loop, Input("loop"), Limits with { Fuel = 5_000_000 });

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.OutOfFuel));
        Assert.That(result.HasDigest, Is.False);
    }

    [Test]
    public void Infinite_loop_with_fuel_to_spare_is_stopped_by_the_watchdog()
    {
        var result = _runtime.Run(SampleApps.Loop, Input("loop"), Limits with { Fuel = ulong.MaxValue / 2, WallClock = TimeSpan.FromMilliseconds(200) });

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Timeout));
        Assert.That(result.HasDigest, Is.False);
    }

    [Test]
    public void Memory_hog_is_refused_at_the_limit_and_reported_out_of_memory()
    {
        var result = _runtime.Run(SampleApps.MemHog, Input("memhog"), Limits with { MemoryBytes = 1024 * 1024 });

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.OutOfMemory), result.Error);
        Assert.That(Text(result.Stderr), Is.EqualTo("memory.grow refused at page 16\n"), "16 pages of 64 KiB = 1 MiB");
        Assert.That(result.HasDigest, Is.False);
    }

    [Test]
    public void Module_whose_initial_memory_exceeds_the_limit_is_out_of_memory()
    {
        var code = WasmCode.FromText("""(module (memory (export "memory") 100) (func (export "_start")))""");

        var result = _runtime.Run(code, Input("big"), Limits with { MemoryBytes = 1024 * 1024 });

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.OutOfMemory));
        Assert.That(result.Error, Does.Contain("initial memory"));
    }

    [Test]
    public void Bytes_that_are_not_webassembly_are_an_invalid_module_with_the_reason()
    {
        var result = _runtime.Run(new WasmCode([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]), Input("elf"), Limits);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.InvalidModule));
        Assert.That(result.Error, Is.EqualTo("not a WebAssembly module (it does not start with \\0asm)"));
        Assert.That(result.HasDigest, Is.False);
    }

    [TestCase("""(module (import "env" "now" (func)) (func (export "_start")))""", "imports function env::now")]
    [TestCase("""(module (func (export "main")))""", "exports no _start")]
    [TestCase("""(module (func (export "_start") (param i32)))""", "_start is not a function () -> ()")]
    [TestCase("""(module (import "wasi_snapshot_preview1" "no_such_call" (func)) (func (export "_start")))""", "cannot instantiate")]
    public void Module_that_is_not_a_plain_wasi_command_is_invalid(string wat, string reason)
    {
        var result = _runtime.Run(WasmCode.FromText(wat), Input("bad"), Limits);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.InvalidModule));
        Assert.That(result.Error, Does.Contain(reason));
    }

    [Test]
    public void Stdout_past_its_limit_fails_the_run_and_stderr_past_its_limit_is_truncated()
    {
        var longArgs = Enumerable.Repeat("0123456789", 50).ToArray();

        var tooMuch = _runtime.Run(SampleApps.Echo, Input("echo", longArgs), Limits with { MaxStdoutBytes = 100 });
        var fits = _runtime.Run(SampleApps.Echo, Input("echo", longArgs), Limits with { MaxStdoutBytes = 550 });
        var usage = _runtime.Run(SampleApps.Fib, Input("fib"), Limits with { MaxStderrBytes = 5 });

        Assert.That(tooMuch.Status, Is.EqualTo(ExecutionStatus.OutputTooLarge));
        Assert.That(tooMuch.HasDigest, Is.False);
        Assert.That(fits.Status, Is.EqualTo(ExecutionStatus.Success));
        Assert.That(Text(usage.Stderr), Is.EqualTo("usage"));
        Assert.That(usage.StderrTruncated, Is.True);
        Assert.That(usage.HasDigest, Is.True, "stderr is not part of the result");
    }

    [Test]
    public void Output_files_past_their_limit_fail_the_run()
    {
        var result = _runtime.Run(SampleApps.WordCount, Input("wordcount") with { Dataset = "a b c\n"u8.ToArray() }, Limits with { MaxOutputBytes = 3 });

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.OutputTooLarge));
        Assert.That(result.Error, Does.Contain("exceed 3 bytes"));
    }

    [Test]
    public void Memory_limit_above_the_runtime_maximum_is_a_caller_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _runtime.Run(SampleApps.Echo, Input("echo"), Limits with { MemoryBytes = 128L * 1024 * 1024 }));
    }

    [Test]
    public void Concurrent_runs_beyond_the_slot_count_all_complete_with_the_same_digest()
    {
        var results = new ExecutionResult[24];

        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => results[i] = _runtime.Run(SampleApps.Fib, Input("fib", "18"), Limits));

        Assert.That(results.Select(r => r.Status), Is.All.EqualTo(ExecutionStatus.Success));
        Assert.That(results.Select(r => r.Digest).Distinct().Count(), Is.EqualTo(1));
    }

    [Test]
    public void Compiled_modules_are_cached_by_code_hash_and_evicted_least_recently_used()
    {
        using var runtime = new WasmRuntime(new WasmRuntimeOptions { MaxConcurrentRuns = 2, MaxMemoryBytes = 16 * 1024 * 1024, ModuleCacheSize = 2 });
        var sameBytesAgain = new WasmCode(SampleApps.Echo.Bytes.ToArray());

        runtime.Run(SampleApps.Echo, Input("echo"), Limits);
        runtime.Run(sameBytesAgain, Input("echo"), Limits);
        Assert.That(runtime.CachedModules, Is.EqualTo(1));

        runtime.Run(SampleApps.Fib, Input("fib", "3"), Limits);
        runtime.Run(SampleApps.Entropy, Input("entropy"), Limits);
        Assert.That(runtime.CachedModules, Is.EqualTo(2));
        // Echo was evicted and disposed; running it again compiles it anew.
        Assert.That(Text(runtime.Run(SampleApps.Echo, Input("echo", "back"), Limits).Stdout), Is.EqualTo("back\n"));
    }

    [Test]
    public void Sleeping_through_poll_oneoff_returns_at_once_instead_of_blocking_the_worker()
    {
        // One clock subscription of an hour (relative), then prints "awake".
        var code = WasmCode.FromText("""
            (module
              (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 512) "awake\n")
              (func (export "_start")
                (i64.store (i32.const 0) (i64.const 42))              ;; userdata
                (i32.store8 (i32.const 8) (i32.const 0))              ;; clock
                (i64.store (i32.const 24) (i64.const 3600000000000))  ;; one hour
                (if (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)) (then unreachable))
                (if (i64.ne (i64.load (i32.const 64)) (i64.const 42)) (then unreachable))
                (i32.store (i32.const 256) (i32.const 512))
                (i32.store (i32.const 260) (i32.const 6))
                (drop (call $write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 264)))))
            """);

        var result = _runtime.Run(code, Input("sleeper"), Limits with { WallClock = TimeSpan.FromSeconds(20) });

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error);
        Assert.That(Text(result.Stdout), Is.EqualTo("awake\n"));
    }
}
