using IExecChain.Worker.Wasm;
using NUnit.Framework;

namespace IExecChain.Worker.Tests;

/// <summary>The door check for WebAssembly apps: what workers cannot run is refused before upload, naming the import, export or section.</summary>
public class WasmAppValidatorTests
{
    private const long OneGiB = 1024L * 1024 * 1024;

    private static byte[] Wat(string text) => WasmCode.FromText(text).Bytes.ToArray();

    private const string Command = """
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
          (memory (export "memory") 2 16)
          (table 4 funcref)
          (func (export "_start")))
        """;

    [Test]
    public void A_wasi_command_passes()
    {
        Assert.That(WasmAppValidator.Problem(Wat(Command), OneGiB), Is.Null);
    }

    /// <summary>Every sample app the devnet runs passes (they are what the market runs today).</summary>
    [Test]
    public void The_sample_apps_pass()
    {
        foreach (var app in new[] { SampleApps.Echo, SampleApps.Fib, SampleApps.WordCount, SampleApps.Entropy, SampleApps.Trap })
            Assert.That(WasmAppValidator.Problem(app.Bytes.Span, OneGiB), Is.Null);
    }

    [TestCase("""(module (import "env" "now" (func (result i64))) (func (export "_start")))""", "imports function env::now; apps may import only wasi_snapshot_preview1 functions")]
    [TestCase("""(module (import "wasi_snapshot_preview1" "memory" (memory 1)) (func (export "_start")))""", "imports memory wasi_snapshot_preview1::memory; apps may import only wasi_snapshot_preview1 functions")]
    [TestCase("""(module (func (export "main")))""", "exports no _start function")]
    [TestCase("""(module (func (export "_start") (param i32)))""", "_start is not a function () -> ()")]
    [TestCase("""(module (func (export "_start") (result i32) i32.const 0))""", "_start is not a function () -> ()")]
    [TestCase("""(module (memory (export "_start") 1))""", "_start is exported but is not a function")]
    [TestCase("""(module (import "wasi_snapshot_preview1" "sched_yield" (func (result i32))) (export "_start" (func 0)))""", "_start is an imported function")]
    [TestCase("""(module (memory 20000) (func (export "_start")))""", "memory 0 declares 20000 initial pages (1250 MiB); the largest category allows 1024 MiB")]
    [TestCase("""(module (table 300000 funcref) (func (export "_start")))""", "table 0 declares 300000 initial elements; workers allow 200000")]
    [TestCase("""(module (func (export "_start") i32.const 1))""", "not a valid WebAssembly module: ")]
    [TestCase("""(module (memory 1 1 shared) (func (export "_start")))""", "not a valid WebAssembly module: ")]
    public void A_module_workers_cannot_run_is_refused_naming_why(string wat, string problem)
    {
        Assert.That(WasmAppValidator.Problem(Wat(wat), OneGiB), Does.StartWith(problem));
    }

    [Test]
    public void What_is_not_webassembly_is_refused_before_anything_else()
    {
        Assert.That(WasmAppValidator.Problem("#!/bin/sh\necho hello\n"u8, OneGiB), Is.EqualTo("not a WebAssembly module (it does not start with \\0asm)"));
        Assert.That(WasmAppValidator.Problem([0, 0x61, 0x73, 0x6d, 1, 0], OneGiB), Is.EqualTo("not a WebAssembly module: truncated header"));
        Assert.That(WasmAppValidator.Problem([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0], OneGiB), Does.StartWith("not a WebAssembly core module: version 65549"), "a component");
        // The 8-byte empty module: well-formed, but nothing to run.
        Assert.That(WasmAppValidator.Problem([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0], OneGiB), Is.EqualTo("exports no _start function (apps are WASI commands: _start () -> ())"));
    }

    [Test]
    public void A_truncated_module_is_malformed_at_every_cut()
    {
        var whole = Wat(Command);
        for (int length = 9; length < whole.Length; length++)
            Assert.That(WasmAppValidator.Problem(whole.AsSpan(0, length), OneGiB), Is.Not.Null, $"cut at {length} of {whole.Length}");
    }

    [Test]
    public void The_memory_bound_is_the_one_given()
    {
        var twoPages = Wat("""(module (memory 2) (func (export "_start")))""");
        Assert.That(WasmAppValidator.Problem(twoPages, 2 * 65_536), Is.Null);
        Assert.That(WasmAppValidator.Problem(twoPages, 65_536), Does.StartWith("memory 0 declares 2 initial pages"));
    }
}
