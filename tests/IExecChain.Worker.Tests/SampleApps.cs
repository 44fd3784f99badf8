using System.Collections.Concurrent;
using IExecChain.Worker.Wasm;

namespace IExecChain.Worker.Tests;

/// <summary>The WAT apps of chain-spec/apps, assembled once per test run.</summary>
internal static class SampleApps
{
    private static readonly ConcurrentDictionary<string, WasmCode> Cache = new();

    public static WasmCode Echo => Get("echo");
    public static WasmCode Fib => Get("fib");
    public static WasmCode WordCount => Get("wordcount");
    public static WasmCode Checksum => Get("checksum");
    public static WasmCode Entropy => Get("entropy");
    public static WasmCode Trap => Get("trap");
    public static WasmCode Loop => Get("loop");
    public static WasmCode MemHog => Get("memhog");

    public static IEnumerable<string> Names =>
        Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "apps"), "*.wat").Select(Path.GetFileNameWithoutExtension)!;

    public static WasmCode Get(string name) =>
        Cache.GetOrAdd(name, n => WasmCode.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "apps", n + ".wat"))));
}
