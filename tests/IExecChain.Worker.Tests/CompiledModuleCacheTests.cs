using System.Text;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Wasm;
using NUnit.Framework;

namespace IExecChain.Worker.Tests;

/// <summary>Compiled modules kept on disk across runtimes (a worker's restarts), and what happens when a file is not what it should be.</summary>
[TestFixture]
public sealed class CompiledModuleCacheTests
{
    private static readonly ExecutionLimits Limits = new() { Fuel = 50_000_000, MemoryBytes = 16 * 1024 * 1024, WallClock = TimeSpan.FromSeconds(30) };
    private static readonly TaskInput Hello = new() { AppName = "echo", Args = ["hello"] };

    private static WasmRuntime Runtime(string directory, long maxMemory = 32 * 1024 * 1024) =>
        new(new WasmRuntimeOptions { MaxConcurrentRuns = 2, MaxMemoryBytes = maxMemory, CompiledModuleDirectory = directory });

    [Test]
    public void A_module_compiled_once_is_loaded_by_the_next_runtime_and_runs_the_same()
    {
        using var dir = new TempDirectory();
        ExecutionResult first;
        using (var runtime = Runtime(dir.Path))
        {
            Assert.That(runtime.Prepare(SampleApps.Echo), Is.Null);
            Assert.That((runtime.ModulesCompiled, runtime.ModulesLoaded), Is.EqualTo((1L, 0L)));
            Assert.That(File.Exists(runtime.CompiledPath(SampleApps.Echo)), Is.True);
            first = runtime.Run(SampleApps.Echo, Hello, Limits);
            Assert.That(runtime.ModulesCompiled, Is.EqualTo(1), "the run used the prepared module");
        }

        using var restarted = Runtime(dir.Path);
        var again = restarted.Run(SampleApps.Echo, Hello, Limits);

        Assert.That((restarted.ModulesCompiled, restarted.ModulesLoaded), Is.EqualTo((0L, 1L)));
        Assert.That(again.Status, Is.EqualTo(ExecutionStatus.Success), again.Error);
        Assert.That(again.Digest, Is.EqualTo(first.Digest));
        Assert.That(Encoding.UTF8.GetString(again.Stdout), Is.EqualTo("hello\n"));
    }

    [Test]
    public void A_damaged_file_is_never_deserialized_the_module_is_compiled_again_and_the_file_replaced()
    {
        using var dir = new TempDirectory();
        string path;
        using (var runtime = Runtime(dir.Path))
        {
            runtime.Prepare(SampleApps.Echo);
            path = runtime.CompiledPath(SampleApps.Echo)!;
        }
        byte[] good = File.ReadAllBytes(path);
        byte[] damaged = (byte[])good.Clone();
        damaged[^100] ^= 0x40;
        File.WriteAllBytes(path, damaged);

        using (var runtime = Runtime(dir.Path))
        {
            var result = runtime.Run(SampleApps.Echo, Hello, Limits);
            Assert.That(result.Status, Is.EqualTo(ExecutionStatus.Success), result.Error);
            Assert.That((runtime.ModulesCompiled, runtime.ModulesLoaded), Is.EqualTo((1L, 0L)));
        }
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(good), "compiled again and written again");

        File.WriteAllBytes(path, good.AsSpan(0, good.Length / 2).ToArray());
        using (var runtime = Runtime(dir.Path))
        {
            Assert.That(runtime.Prepare(SampleApps.Echo), Is.Null);
            Assert.That(runtime.ModulesCompiled, Is.EqualTo(1), "a torn file is compiled anew");
        }
    }

    [Test]
    public void An_engine_made_another_way_never_looks_up_the_others_file()
    {
        using var dir = new TempDirectory();
        using var small = Runtime(dir.Path, maxMemory: 32 * 1024 * 1024);
        using var large = Runtime(dir.Path, maxMemory: 64 * 1024 * 1024);

        small.Prepare(SampleApps.Echo);
        large.Prepare(SampleApps.Echo);

        Assert.That(large.CompiledPath(SampleApps.Echo), Is.Not.EqualTo(small.CompiledPath(SampleApps.Echo)));
        Assert.That(large.ModulesCompiled, Is.EqualTo(1));
        Assert.That(Directory.GetFiles(dir.Path, "*.cwasm"), Has.Length.EqualTo(2));
    }

    [Test]
    public void A_module_workers_cannot_run_is_refused_by_prepare_and_nothing_is_kept_on_disk()
    {
        using var dir = new TempDirectory();
        using var runtime = Runtime(dir.Path);
        var clock = WasmCode.FromText("""(module (import "env" "now" (func (result i64))) (func (export "_start")))""");

        Assert.That(runtime.Prepare(clock), Does.StartWith("imports function env::now"));
        Assert.That(runtime.Prepare(new WasmCode("not wasm"u8.ToArray())), Does.StartWith("not a WebAssembly module"));
        Assert.That(runtime.ModulesCompiled, Is.Zero, "refused from their sections, before any compile");
        Assert.That(Directory.GetFiles(dir.Path), Is.Empty);
    }

    [Test]
    public void Runs_arriving_while_a_module_compiles_wait_for_that_compile_instead_of_starting_their_own()
    {
        using var dir = new TempDirectory();
        using var runtime = new WasmRuntime(new WasmRuntimeOptions { MaxConcurrentRuns = 8, MaxMemoryBytes = 32 * 1024 * 1024, CompiledModuleDirectory = dir.Path });
        var code = SampleApps.WordCount;
        using var start = new Barrier(8);

        var results = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(8).Select(_ =>
        {
            start.SignalAndWait();
            return runtime.Prepare(code);
        }).ToList();

        Assert.That(results, Is.All.Null);
        Assert.That(runtime.ModulesCompiled, Is.EqualTo(1));
    }
}
