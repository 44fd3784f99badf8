using System.Text;
using Wasmtime;

namespace IExecChain.Worker.Wasm;

/// <summary>
/// The door check for a WebAssembly app, run before it is uploaded and registered (and by workers
/// before they compile it): what workers can run is a WASI command, so the module must be
/// WebAssembly that validates under the workers' feature set, export a function <c>_start</c>
/// () → (), import only from <see cref="WasiModule"/> (functions), and declare no more initial
/// memory than the largest category allows and no more table elements than the workers reserve.
/// The sections are read directly (cheap even for large modules) so that a refusal names the
/// offending import, export or section; full validation is Wasmtime's, without compiling.
/// </summary>
public static class WasmAppValidator
{
    public const string WasiModule = "wasi_snapshot_preview1";

    /// <summary>Table elements a worker reserves per instance (pooling allocator).</summary>
    public const uint MaxTableElements = 200_000;

    private const int PageBytes = 65_536;

    private static readonly Lazy<Engine> ValidationEngine = new(() =>
    {
        // The workers' feature set (WasmRuntime), so that what passes here compiles there.
        using var config = new Config()
            .WithRelaxedSIMD(false, true)
            .WithWasmThreads(false)
            .WithGc(false)
            .WithFunctionReferences(false)
            .WithExceptions(false);
        return new Engine(config);
    });

    /// <summary>Null when <paramref name="module"/> is a WASI command workers can run; otherwise what is wrong.</summary>
    /// <param name="maxMemoryBytes">The largest category's memory: a module needing more at start can never run.</param>
    public static string? Problem(ReadOnlySpan<byte> module, long maxMemoryBytes)
    {
        if (module.Length < 8 || !module[..4].SequenceEqual("\0asm"u8))
            return module.Length >= 4 && module[..4].SequenceEqual("\0asm"u8)
                ? "not a WebAssembly module: truncated header"
                : "not a WebAssembly module (it does not start with \\0asm)";
        uint version = BitConverter.ToUInt32(module.Slice(4, 4));
        if (version != 1) return $"not a WebAssembly core module: version {version} (components and later versions are not supported; apps are WASI preview 1 commands)";

        var reader = new Reader(module, 8);
        var functionTypes = new List<(int Params, int Results)>();
        var importedFunctions = 0;
        var functionTypeIndexes = new List<uint>();
        int? startFunction = null;
        bool startSeen = false;
        try
        {
            while (!reader.AtEnd)
            {
                byte id = reader.Byte();
                uint size = reader.U32();
                var section = reader.Take(size, $"section {SectionName(id)}");
                var s = new Reader(section, 0);
                switch (id)
                {
                    case 1: // types
                        for (uint n = s.U32(), i = 0; i < n; i++)
                        {
                            if (s.Byte() != 0x60) return "type section: only function types are supported";
                            uint parameters = s.U32();
                            for (uint k = 0; k < parameters; k++) s.Byte();
                            uint results = s.U32();
                            for (uint k = 0; k < results; k++) s.Byte();
                            functionTypes.Add(((int)parameters, (int)results));
                        }
                        break;
                    case 2: // imports
                        for (uint n = s.U32(), i = 0; i < n; i++)
                        {
                            string from = s.Name(), name = s.Name();
                            byte kind = s.Byte();
                            string what = kind switch { 0 => "function", 1 => "table", 2 => "memory", 3 => "global", 4 => "tag", _ => $"kind {kind}" };
                            if (from != WasiModule)
                                return $"imports {what} {from}::{name}; apps may import only {WasiModule} functions (the workers provide nothing else)";
                            if (kind != 0) return $"imports {what} {from}::{name}; apps may import only {WasiModule} functions";
                            s.U32();
                            importedFunctions++;
                        }
                        break;
                    case 3: // functions: type index of each defined function
                        for (uint n = s.U32(), i = 0; i < n; i++) functionTypeIndexes.Add(s.U32());
                        break;
                    case 4: // tables
                        for (uint n = s.U32(), i = 0; i < n; i++)
                        {
                            s.Byte(); // element type
                            var (initial, _) = s.Limits();
                            if (initial > MaxTableElements)
                                return $"table {i} declares {initial} initial elements; workers allow {MaxTableElements}";
                        }
                        break;
                    case 5: // memories
                        for (uint n = s.U32(), i = 0; i < n; i++)
                        {
                            var (initial, _) = s.Limits();
                            if ((long)initial * PageBytes > maxMemoryBytes)
                                return $"memory {i} declares {initial} initial pages ({(long)initial * PageBytes / (1024 * 1024)} MiB); the largest category allows {maxMemoryBytes / (1024 * 1024)} MiB";
                        }
                        break;
                    case 7: // exports
                        for (uint n = s.U32(), i = 0; i < n; i++)
                        {
                            string name = s.Name();
                            byte kind = s.Byte();
                            uint index = s.U32();
                            if (name != "_start") continue;
                            startSeen = true;
                            if (kind != 0) return "_start is exported but is not a function (apps are WASI commands: _start () -> ())";
                            startFunction = (int)index;
                        }
                        break;
                }
            }
        }
        catch (FormatException e)
        {
            return "malformed WebAssembly: " + e.Message;
        }
        if (!startSeen) return "exports no _start function (apps are WASI commands: _start () -> ())";
        if (startFunction is { } f)
        {
            if (f < importedFunctions) return "_start is an imported function (apps are WASI commands: _start () -> ())";
            int defined = f - importedFunctions;
            if (defined >= functionTypeIndexes.Count || functionTypeIndexes[defined] >= functionTypes.Count) return "malformed WebAssembly: _start names no function";
            if (functionTypes[(int)functionTypeIndexes[defined]] != (0, 0)) return "_start is not a function () -> () (apps are WASI commands)";
        }
        string? invalid = Module.Validate(ValidationEngine.Value, module);
        return invalid is null ? null : "not a valid WebAssembly module: " + WasmErrors.Summarize(invalid);
    }

    private static string SectionName(byte id) => id switch
    {
        0 => "custom", 1 => "type", 2 => "import", 3 => "function", 4 => "table", 5 => "memory", 6 => "global",
        7 => "export", 8 => "start", 9 => "element", 10 => "code", 11 => "data", 12 => "data count", 13 => "tag", _ => id.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A cursor over WebAssembly binary encoding: bytes, LEB128 u32, names, limits.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data, int position)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position = position;

        public readonly bool AtEnd => _position >= _data.Length;

        public byte Byte() => _position < _data.Length ? _data[_position++] : throw new FormatException($"unexpected end at byte {_position}");

        public uint U32()
        {
            uint value = 0;
            for (int shift = 0; shift < 35; shift += 7)
            {
                byte b = Byte();
                value |= (uint)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) return value;
            }
            throw new FormatException($"integer too long at byte {_position}");
        }

        public ReadOnlySpan<byte> Take(uint length, string what)
        {
            if (length > (uint)(_data.Length - _position)) throw new FormatException($"{what} runs past the end of the module");
            var slice = _data.Slice(_position, (int)length);
            _position += (int)length;
            return slice;
        }

        public string Name()
        {
            var bytes = Take(U32(), "a name");
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw new FormatException("a name is not UTF-8");
            }
        }

        /// <summary>Limits: flags (bit 0: a maximum follows; 32-bit tables and memories only), initial, maximum.</summary>
        public (uint Initial, uint? Maximum) Limits()
        {
            byte flags = Byte();
            if ((flags & ~0x03) != 0) throw new FormatException($"limits flags 0x{flags:x2} are not supported (64-bit memories and tables are not)");
            uint initial = U32();
            uint? maximum = (flags & 1) != 0 ? U32() : null;
            return (initial, maximum);
        }
    }
}
