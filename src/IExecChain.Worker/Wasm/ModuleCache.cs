using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using Wasmtime;

namespace IExecChain.Worker.Wasm;

/// <summary>
/// Compiled modules by code hash, least recently used evicted first. A module is disposed only when
/// it has been evicted and no run still holds it. Rejected code is cached too (with its reason), so a
/// bad app's tasks do not recompile it each time.
/// </summary>
/// <remarks>
/// With a directory, a compiled module is also kept on disk (Wasmtime's serialization), named by its
/// code hash and the engine's settings, so a restarted worker loads it in a fraction of a second
/// instead of compiling it again (46–61 s for a 16 MB module on 2 cores). A file is
/// keccak256(serialized) ‖ serialized, written to a temporary file and renamed; one that does not
/// match its hash, or that Wasmtime refuses (another Wasmtime version or settings), is deleted and
/// the module compiled again. Wasmtime trusts the bytes it deserializes: the hash keeps a torn or
/// damaged file from ever reaching it.
/// </remarks>
internal sealed class ModuleCache : IDisposable
{
    private const string WasiModule = "wasi_snapshot_preview1";
    private const string CompiledExtension = ".cwasm";

    private readonly Engine _engine;
    private readonly LruCache<Hash256, Entry> _entries;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Hash256, Lazy<Entry>> _compiling = new();
    private readonly string? _directory;
    private readonly string _settings;
    private readonly long _maxMemoryBytes;
    private long _compiled;
    private long _loaded;
    private long _diskErrors;

    /// <param name="directory">Where compiled modules are kept across restarts; null keeps them in memory only.</param>
    /// <param name="settings">Names the engine's settings in the files' names: a module compiled under other settings is never looked up.</param>
    /// <param name="maxMemoryBytes">The most memory a run may have: a module needing more at start is refused before it is compiled.</param>
    public ModuleCache(Engine engine, int capacity, string? directory = null, string settings = "", long maxMemoryBytes = 4L * 1024 * 1024 * 1024)
    {
        _engine = engine;
        _maxMemoryBytes = maxMemoryBytes;
        _entries = new LruCache<Hash256, Entry>(capacity, static entry => entry.Evict());
        _settings = Convert.ToHexStringLower(Keccak256.HashToArray(System.Text.Encoding.UTF8.GetBytes(settings)), 0, 8);
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
            _directory = directory;
        }
    }

    public int Count => _entries.Count;

    /// <summary>Modules compiled from their bytes since start.</summary>
    public long Compiled => Interlocked.Read(ref _compiled);

    /// <summary>Modules loaded compiled from disk since start.</summary>
    public long Loaded => Interlocked.Read(ref _loaded);

    /// <summary>Compiled modules that could not be written or read back (the module was compiled instead).</summary>
    public long DiskErrors => Interlocked.Read(ref _diskErrors);

    /// <summary>The file a module's compiled form is kept in, or null without a directory.</summary>
    public string? CompiledPath(Hash256 codeHash) =>
        _directory is null ? null : Path.Combine(_directory, $"{Convert.ToHexStringLower(codeHash.ToArray())}-{_settings}{CompiledExtension}");

    /// <summary>The compiled module (or the reason there is none), held until the lease is disposed.</summary>
    public Lease Acquire(WasmCode code)
    {
        while (true)
        {
            if (_entries.TryGet(code.CodeHash, out var cached) && cached.TryAcquire()) return new Lease(cached);
            // One compile per code at a time: a replica arriving while the app is being prepared waits for
            // that compile instead of starting its own (a minute of both cores for a large module).
            var compiling = _compiling.GetOrAdd(code.CodeHash, _ => new Lazy<Entry>(() => Compile(code), LazyThreadSafetyMode.ExecutionAndPublication));
            Entry compiled;
            try
            {
                compiled = compiling.Value;
            }
            finally
            {
                _compiling.TryRemove(KeyValuePair.Create(code.CodeHash, compiling));
            }
            if (!compiled.TryAcquire()) continue;
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
        // The door's checks first: they read the sections (0.2 s for 30 MB), where a compile that ends in
        // the same refusal takes half a minute of both cores.
        if (WasmAppValidator.Problem(code.Bytes.Span, _maxMemoryBytes) is { } refused) return new Entry(null, refused);
        string? path = CompiledPath(code.CodeHash);
        Module? module = path is null ? null : TryLoad(path);
        bool loaded = module is not null;
        if (module is null)
        {
            try
            {
                module = Module.FromBytes(_engine, "app", code.Bytes.Span);
                Interlocked.Increment(ref _compiled);
            }
            catch (WasmtimeException e)
            {
                return new Entry(null, "not a valid WebAssembly module: " + WasmErrors.Summarize(e.Message));
            }
        }
        else
        {
            Interlocked.Increment(ref _loaded);
        }
        string? problem = CheckInterface(module);
        if (problem is null)
        {
            if (path is not null && !loaded) TrySave(path, module);
            return new Entry(module, null);
        }
        module.Dispose();
        return new Entry(null, problem);
    }

    private Module? TryLoad(string path)
    {
        byte[] file;
        try
        {
            if (!File.Exists(path)) return null;
            file = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _diskErrors);
            return null;
        }
        if (file.Length > Hash256.Size && Keccak256.Hash(file.AsSpan(Hash256.Size)) == new Hash256(file.AsSpan(0, Hash256.Size)))
        {
            try
            {
                return Module.Deserialize(_engine, "app", file.AsSpan(Hash256.Size));
            }
            catch (WasmtimeException)
            {
                // Compiled by another Wasmtime: fall through and compile anew.
            }
        }
        Interlocked.Increment(ref _diskErrors);
        TryDelete(path);
        return null;
    }

    private void TrySave(string path, Module module)
    {
        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            byte[] serialized = module.Serialize();
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                file.Write(Keccak256.HashToArray(serialized));
                file.Write(serialized);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WasmtimeException)
        {
            Interlocked.Increment(ref _diskErrors);
            TryDelete(temp);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next start; a file that fails its hash is never used.
        }
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
