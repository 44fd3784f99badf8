using System.Buffers.Binary;
using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Wasm;
using NUnit.Framework;

namespace IExecChain.Worker.Tests;

/// <summary>Replicas of one task must compute the same digest wherever and whenever they run.</summary>
[TestFixture]
public sealed class DeterminismTests
{
    private static readonly ExecutionLimits Limits = new() { Fuel = 10_000_000, MemoryBytes = 4 * 1024 * 1024, WallClock = TimeSpan.FromSeconds(30) };
    private static readonly WasmRuntimeOptions Options = new() { MaxConcurrentRuns = 2, MaxMemoryBytes = 4 * 1024 * 1024 };
    private static readonly Hash256 TaskId = Keccak256.Hash("task 1"u8);

    private static TaskInput EntropyTask(Hash256 seed, ulong clock = 1_700_000_000_123_456_789) =>
        new() { AppName = "entropy", RandomSeed = seed, ClockNanos = clock };

    /// <summary>What entropy.wat must print, computed here from the documented random stream, not by the runtime.</summary>
    private static string ExpectedEntropyLine(Hash256 seed, ulong clock)
    {
        var block0 = new byte[40];
        seed.CopyTo(block0);
        BinaryPrimitives.WriteUInt64BigEndian(block0.AsSpan(32), 0);
        string random = Convert.ToHexStringLower(Keccak256.HashToArray(block0).AsSpan(0, 16));
        return $"realtime={clock} monotonic={clock} random={random}\n";
    }

    [Test]
    public void Clock_and_random_are_what_the_task_fixes_not_what_the_host_has()
    {
        using var runtime = new WasmRuntime(Options);
        Hash256 seed = Keccak256.Hash(TaskId.ToArray());

        var result = runtime.Run(SampleApps.Entropy, EntropyTask(seed), Limits);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error);
        Assert.That(Encoding.ASCII.GetString(result.Stdout), Is.EqualTo(ExpectedEntropyLine(seed, 1_700_000_000_123_456_789)));
    }

    [Test]
    public void Same_task_gives_identical_output_and_digest_across_runs_and_engines()
    {
        Hash256 seed = Keccak256.Hash(TaskId.ToArray());
        using var first = new WasmRuntime(Options);
        using var second = new WasmRuntime(Options);

        var a = first.Run(SampleApps.Entropy, EntropyTask(seed), Limits);
        Thread.Sleep(50); // let the host clock move: the app must not see it
        var b = first.Run(SampleApps.Entropy, EntropyTask(seed), Limits);
        var c = second.Run(SampleApps.Entropy, EntropyTask(seed), Limits);

        Assert.That(a.Digest, Is.Not.Null);
        Assert.That(b.Stdout, Is.EqualTo(a.Stdout));
        Assert.That(c.Stdout, Is.EqualTo(a.Stdout));
        Assert.That(new[] { b.Digest, c.Digest }, Is.All.EqualTo(a.Digest));
        Assert.That(new[] { b.FuelUsed, c.FuelUsed }, Is.All.EqualTo(a.FuelUsed));
    }

    [Test]
    public void Another_seed_changes_the_random_bytes_and_nothing_else()
    {
        using var runtime = new WasmRuntime(Options);

        var a = Encoding.ASCII.GetString(runtime.Run(SampleApps.Entropy, EntropyTask(Keccak256.Hash("a"u8)), Limits).Stdout);
        var b = Encoding.ASCII.GetString(runtime.Run(SampleApps.Entropy, EntropyTask(Keccak256.Hash("b"u8)), Limits).Stdout);

        Assert.That(a[..a.IndexOf(" random=", StringComparison.Ordinal)], Is.EqualTo(b[..b.IndexOf(" random=", StringComparison.Ordinal)]));
        Assert.That(a, Is.Not.EqualTo(b));
    }

    [Test]
    public void Random_stream_continues_across_calls_as_documented()
    {
        // Two random_get calls of 20 and 30 bytes: together the first 50 bytes of the stream.
        var code = WasmCode.FromText("""
            (module
              (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "_start")
                (drop (call $random (i32.const 100) (i32.const 20)))
                (drop (call $random (i32.const 120) (i32.const 30)))
                (i32.store (i32.const 0) (i32.const 100))
                (i32.store (i32.const 4) (i32.const 50))
                (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
            """);
        Hash256 seed = Keccak256.Hash("stream"u8);
        using var runtime = new WasmRuntime(Options);

        var result = runtime.Run(code, new TaskInput { AppName = "r", RandomSeed = seed }, Limits);

        byte[] expected = new byte[64];
        for (ulong k = 0; k < 2; k++)
        {
            var input = new byte[40];
            seed.CopyTo(input);
            BinaryPrimitives.WriteUInt64BigEndian(input.AsSpan(32), k);
            Keccak256.Hash(input, expected.AsSpan((int)k * 32, 32));
        }
        Assert.That(result.Stdout, Is.EqualTo(expected[..50]));
    }

    [Test]
    public void Dataset_file_times_are_pinned_to_the_epoch()
    {
        // path_filestat_get on /iexec_in/dataset (found as preopen fd 3); traps unless mtim == 0.
        var code = WasmCode.FromText("""
            (module
              (import "wasi_snapshot_preview1" "path_filestat_get" (func $stat (param i32 i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 0) "dataset")
              (func (export "_start")
                (if (call $stat (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 7) (i32.const 64)) (then unreachable))
                (if (i64.ne (i64.load (i32.const 112)) (i64.const 0)) (then unreachable))
                (if (i64.ne (i64.load (i32.const 96)) (i64.const 5)) (then unreachable))))
            """);
        using var runtime = new WasmRuntime(Options);

        var result = runtime.Run(code, new TaskInput { AppName = "stat", Dataset = "12345"u8.ToArray() }, Limits);

        Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error);
    }
}
