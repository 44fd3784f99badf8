using IExecChain.Core.Primitives;
using Wasmtime;

namespace IExecChain.Worker.Wasm;

/// <summary>
/// Compiled modules by code hash, least recently used evicted first. A module is disposed only when
/// it has been evicted and no run still holds it. Rejected code is cached too (with its reason), so a
/// bad app's tasks do not recompile it each time.
/// </summary>
internal sealed class ModuleCache : IDisposable
{
    private const string WasiModule = "wasi_snapshot_preview1";

    private readonly Engine _engine;
    private readonly LruCache<Hash256, Entry> _entries;

    public ModuleCache(Engine engine, int capacity)
    {
        _engine = engine;
        _entries = new LruCache<Hash256, Entry>(capacity, static entry => entry.Evict());
    }

    public int Count => _entries.Count;

    /// <summary>The compiled module (or the reason there is none), held until the lease is disposed.</summary>
    public Lease Acquire(WasmCode code)
    {
        while (true)
        {
            if (_entries.TryGet(code.CodeHash, out var cached) && cached.TryAcquire()) return new Lease(cached);
            var compiled = Compile(code);
            compiled.TryAcquire();
            var winner = _entries.GetOrAdd(code.CodeHash, compiled);
            if (ReferenceEquals(winner, compiled)) return new Lease(compiled);
            // Another run compiled the same code first: use theirs.
            compiled.Release();
            compiled.Evict();
            if (winner.TryAcquire()) return new Lease(winner);
        }
    }

    private Entry Compile(WasmCode code)
    {
        Module module;
        try
        {
            module = Module.FromBytes(_engine, "app", code.Bytes.Span);
        }
        catch (WasmtimeException e)
        {
            return new Entry(null, "not a valid WebAssembly module: " + WasmErrors.Summarize(e.Message));
        }
        string? problem = CheckInterface(module);
        if (problem is null) return new Entry(module, null);
        module.Dispose();
        return new Entry(null, problem);
    }

    /// <summary>A WASI command: exports _start () -> () and imports nothing but WASI preview 1.</summary>
    private static string? CheckInterface(Module module)
    {
        foreach (var import in module.Imports)
            if (import.ModuleName != WasiModule)
                return $"imports {import.ModuleName}::{import.Name}; apps may import only {WasiModule}";
        foreach (var export in module.Exports)
            if (export.Name == "_start")
                return export is FunctionExport { Parameters.Count: 0, Results.Count: 0 } ? null : "_start is not a function () -> ()";
        return "exports no _start function (apps are WASI commands)";
    }

    public void Dispose() => _entries.Clear();

    internal sealed class Entry(Module? module, string? error)
    {
        private readonly Lock _lock = new();
        private int _leases;
        private bool _evicted;
        private bool _disposed;

        public Module? Module { get; } = module;
        public string? Error { get; } = error;

        public bool TryAcquire()
        {
            lock (_lock)
            {
                if (_disposed) return false;
                _leases++;
                return true;
            }
        }

        public void Release()
        {
            lock (_lock)
            {
                _leases--;
                DisposeIfUnused();
            }
        }

        public void Evict()
        {
            lock (_lock)
            {
                _evicted = true;
                DisposeIfUnused();
            }
        }

        private void DisposeIfUnused()
        {
            if (!_evicted || _leases > 0 || _disposed) return;
            _disposed = true;
            Module?.Dispose();
        }
    }

    internal readonly struct Lease(Entry entry) : IDisposable
    {
        public Module? Module => entry.Module;
        public string? Error => entry.Error;
        public void Dispose() => entry.Release();
    }
}

internal static class WasmErrors
{
    /// <summary>The cause line of a Wasmtime error (its messages end with "Caused by: ..." after a backtrace).</summary>
    public static string Summarize(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int causedBy = Array.FindLastIndex(lines, line => line.StartsWith("Caused by", StringComparison.Ordinal));
        if (causedBy >= 0 && causedBy + 1 < lines.Length) return string.Join("; ", lines[(causedBy + 1)..]);
        return lines.Length > 0 ? lines[0] : message;
    }
}
